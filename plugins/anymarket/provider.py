"""The Airflow provider of this distribution: what ``apache_airflow_provider`` points at.

Installed with ``pip install airflow-provider-anymarket`` (pyproject.toml), the package registers
itself with Airflow's providers manager through :func:`get_provider_info`, the entry point Airflow
reads without importing any hook. It declares the **``anymarket`` connection type**: the Connections
form of the UI then shows labelled fields for the API base URL, the gumgaToken, the OI and the
request/batch settings (stored as the connection's extra, read by
:class:`anymarket.connections.AnyMarketConnectionSettings`), and its Test button runs
:meth:`anymarket.hooks.anymarket.AnyMarketHook.test_connection`.

The fields are declared here (``conn-fields`` and ``ui-field-behaviour``), not through the hook's
``get_connection_form_widgets``/``get_ui_field_behaviour``: Airflow 3.2 deprecated those, and the
declarative form needs no hook import (nor wtforms) in the api-server. The defaults the form shows are
:data:`ANYMARKET_EXTRA_DEFAULTS`, the ones the connection applies, so the two cannot disagree.

This module must stay cheap to import and import **nothing of this package**: the providers manager
of every Airflow process loads it, possibly while Airflow itself is being imported by one of our
modules (``anymarket.errors`` imports ``airflow.sdk``), and any import of ours from here would find
that module half-initialised. So the connection type's constants and the extra's defaults live here,
and :mod:`anymarket.connections` imports them.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

DISTRIBUTION = "airflow-provider-anymarket"
HOOK_CLASS = "anymarket.hooks.anymarket.AnyMarketHook"
#: The connection type this distribution registers.
ANYMARKET_CONN_TYPE = "anymarket"
#: AnyMarket's two isolated environments, each with its own tokens: extra ``environment`` picks the base
#: URL when the host is empty, and a host of the other environment is refused.
ANYMARKET_ENVIRONMENT_URLS: dict[str, str] = {
    "production": "https://api.anymarket.com.br/v2",
    "sandbox": "https://sandbox-api.anymarket.com.br/v2",
}
#: AnyMarket's documented limit for one ``PUT /stocks`` array ("Tamanho máximo do lote é de 200 itens").
MAX_STOCK_BATCH_SIZE = 200
#: Feed items per ``PUT /orders/feeds/batch`` (clients send chunks of 50).
MAX_FEED_ACK_BATCH_SIZE = 50

#: What an AnyMarket connection uses for a key its extra leaves out or empty; validated by
#: :class:`anymarket.connections.AnyMarketConnectionSettings`, and shown as the form's defaults.
ANYMARKET_EXTRA_DEFAULTS: dict[str, Any] = {
    "oi": None,
    "environment": None,
    "timeout": 30.0,
    "requests_per_hour": 5000,
    # The budget's window: AnyMarket's is an hour. Benches compress it (same requests per second, a
    # shorter window, set on the sandbox too) so an hour of contention plays in minutes.
    "budget_window_seconds": 3600,
    "max_retries": 5,
    "backoff_base": 1.0,
    "backoff_max": 60.0,
    "max_retry_after": 120.0,
    "stock_batch_size": 100,
    "page_size": 100,
    "feed_ack_batch_size": MAX_FEED_ACK_BATCH_SIZE,
    # The callback door (anymarket.callbacks): the public base URL AnyMarket posts to (callbacks are
    # registered only when it is set), the secret in the registered URL's path, and during a
    # rotation's grace period the previous secret and until when it is still accepted.
    "callback_base_url": None,
    "callback_secret": None,
    "callback_secret_previous": None,
    "callback_secret_previous_until": None,
}


def extra_default(key: str) -> Any:
    """The value an AnyMarket connection uses when its extra leaves ``key`` out (or empty)."""
    return ANYMARKET_EXTRA_DEFAULTS[key]


def _integer(label: str, description: str, *, minimum: int, maximum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["integer", "null"], "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return {"label": label, "description": description, "schema": schema}


def _number(label: str, description: str) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": ["number", "null"], "minimum": 0}}


def connection_fields() -> dict[str, dict[str, Any]]:
    """The extra fields of the ``anymarket`` connection form, keyed by their extra key.

    Every field may be left empty: the connection then uses the default named in its description.
    """
    environments = sorted(ANYMARKET_ENVIRONMENT_URLS)
    return {
        "oi": {
            "label": "OI",
            "description": (
                "The account's OI as AnyMarket shows it, ending with a dot (e.g. 12345.). Callbacks are "
                "checked against it, and Test compares it with the OI AnyMarket reports for the token."
            ),
            "schema": {"type": ["string", "null"]},
        },
        "environment": {
            "label": "Environment",
            "description": (
                "production or sandbox: which AnyMarket the token belongs to. With an empty API base URL "
                "the environment's own is used ("
                + ", ".join(f"{name}: {ANYMARKET_ENVIRONMENT_URLS[name]}" for name in environments)
                + "); with a base URL of the other environment the connection is refused."
            ),
            # A free text, not an enum: the form would preselect "null" in a select. Checked on use.
            "schema": {"type": ["string", "null"]},
        },
        "requests_per_hour": _integer(
            "Requests per hour",
            "The account's AnyMarket request budget, shared by every task and worker of the account "
            f"(default {extra_default('requests_per_hour')}).",
            minimum=1,
        ),
        "timeout": _number(
            "Request timeout (s)",
            f"Seconds to wait for one AnyMarket answer (default {extra_default('timeout'):g}).",
        ),
        "max_retries": _integer(
            "Retries",
            "Retries of a timeout, a connection error or a retryable answer (429, 5xx) "
            f"(default {extra_default('max_retries')}).",
            minimum=0,
        ),
        "max_retry_after": _number(
            "Longest Retry-After to wait (s)",
            "A 429 asking for a longer wait fails the request at once instead of holding the worker "
            f"(default {extra_default('max_retry_after'):g}).",
        ),
        "stock_batch_size": _integer(
            "Stock batch size",
            f"Rows per PUT /stocks (default {extra_default('stock_batch_size')}, AnyMarket takes at most "
            f"{MAX_STOCK_BATCH_SIZE}).",
            minimum=1,
            maximum=MAX_STOCK_BATCH_SIZE,
        ),
        "feed_ack_batch_size": _integer(
            "Feed acknowledgement batch size",
            f"Feed items per PUT /orders/feeds/batch (default {extra_default('feed_ack_batch_size')}; "
            "0 acknowledges one item per request).",
            minimum=0,
            maximum=MAX_FEED_ACK_BATCH_SIZE,
        ),
        "page_size": _integer(
            "Page size",
            f"Items per page of AnyMarket listings (default {extra_default('page_size')}).",
            minimum=1,
        ),
        "callback_base_url": {
            "label": "Callback base URL",
            "description": (
                "Public base URL of this Airflow, reachable by AnyMarket (e.g. https://airflow.example.com); "
                "empty: no order callbacks are registered, the feed brings every order."
            ),
            "schema": {"type": ["string", "null"]},
        },
        "callback_secret": {
            "label": "Callback secret",
            "description": (
                "The secret path segment of the callback URL; `python -m anymarket.callbacks register "
                "--integration <id>` makes one."
            ),
            "schema": {"type": ["string", "null"], "format": "password"},
        },
    }


def ui_field_behaviour() -> dict[str, Any]:
    """Which standard fields the form hides, and the labels and placeholders of the rest."""
    return {
        # The base URL carries scheme, host and path; AnyMarket has no login. The port stays: Airflow
        # 3.3's Test button (the connection list's) sends port 0 for a connection without one, which
        # its API refuses ("host or port differs", 400) — so the port is asked for, and must agree with
        # the base URL (anymarket.connections).
        "hidden-fields": ["schema", "login"],
        "relabeling": {"host": "API base URL", "password": "gumgaToken", "port": "Port of the API"},
        "placeholders": {
            "host": ANYMARKET_ENVIRONMENT_URLS["production"],
            "port": "443",
            "password": "the account's API token (gumgaToken header)",
            "oi": "12345.",
            "environment": "production",
            "requests_per_hour": str(extra_default("requests_per_hour")),
            "timeout": f"{extra_default('timeout'):g}",
            "max_retries": str(extra_default("max_retries")),
            "max_retry_after": f"{extra_default('max_retry_after'):g}",
            "stock_batch_size": str(extra_default("stock_batch_size")),
            "feed_ack_batch_size": str(extra_default("feed_ack_batch_size")),
            "page_size": str(extra_default("page_size")),
            "callback_base_url": "https://airflow.example.com",
        },
    }


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout (PYTHONPATH=plugins), not installed
        return "0+checkout"


def get_provider_info() -> dict[str, Any]:
    """The provider's description for Airflow's providers manager (``airflow providers list``)."""
    return {
        "package-name": DISTRIBUTION,
        "name": "AnyMarket",
        "description": "Integrates a seller's ERP with AnyMarket (marketplace hub) through Airflow.",
        "versions": [_version()],
        "integrations": [
            {
                "integration-name": "AnyMarket",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "AnyMarket", "python-modules": ["anymarket.hooks.anymarket"]}],
        "connection-types": [
            {
                "connection-type": ANYMARKET_CONN_TYPE,
                "hook-class-name": HOOK_CLASS,
                "hook-name": "AnyMarket",
                "conn-fields": connection_fields(),
                "ui-field-behaviour": ui_field_behaviour(),
            }
        ],
    }
