"""Airflow plugin: AnyMarket on the api-server — callbacks and the ops page, one app at ``/anymarket``.

* ``POST /anymarket/callbacks/<id>/<secret>`` — AnyMarket's order callbacks (no Airflow login: the
  per-integration secret in the URL is the credential; the receiver checks it, then the OI, shape
  and size itself, see :mod:`anymarket.callbacks.app`);
* ``/anymarket/ops/`` — the ops page behind Airflow's login (:mod:`anymarket.ops.router`), shown in
  the Airflow UI as the "AnyMarket" navigation entry (an external view rendered in the UI's frame).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from anymarket.ops.router import create_app

#: Relative on purpose: the UI resolves it against its ``<base href>``, so the link also works when
#: Airflow is served under a path (``[api] base_url = https://host/airflow``).
OPS_PATH = "anymarket/ops/"


class AnyMarketPlugin(AirflowPlugin):
    """Mounts the AnyMarket app under ``/anymarket`` and links its ops page from the UI."""

    name = "anymarket"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/anymarket", "name": "AnyMarket"}]
    external_views = [
        {
            "name": "AnyMarket",
            "href": OPS_PATH,
            "url_route": "anymarket",
            "destination": "nav",
            "icon": OPS_PATH + "icon.svg",
        }
    ]
