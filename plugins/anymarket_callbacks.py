"""Airflow plugin: serve AnyMarket's callbacks from the api-server at ``/anymarket/callbacks/<id>``.

The app lives in :mod:`anymarket.callbacks.app` (also runnable alone: ``python -m anymarket.callbacks``).
The api-server mounts plugin apps without authentication; the app validates every request itself.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from anymarket.callbacks.app import app


class AnyMarketCallbacksPlugin(AirflowPlugin):
    """Mounts the AnyMarket callback receiver under ``/anymarket``."""

    name = "anymarket_callbacks"
    fastapi_apps = [{"app": app, "url_prefix": "/anymarket", "name": "AnyMarket callbacks"}]
