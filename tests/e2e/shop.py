"""A seller for the end-to-end tiers: demo ERP, mapping DB, sandbox orders and the Airflow wiring.

What ``scripts/demo.sh`` does for ``make demo``, as functions the tiers call with their own databases
(SQLite for the browser tier, PostgreSQL for the Celery tier) and their own integrations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from anymarket.mapping.database import MappingDatabase
from anymarket_sandbox.demo_erp import demo_sku_codes, seed_demo_erp
from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api
from tests.e2e.topology import REPO_ROOT

DEMO_MAPPINGS = REPO_ROOT / "anymarket_sandbox" / "demo_mappings.yaml"
#: A carrier the demo mappings leave unmapped on purpose: its orders are held.
UNMAPPED_CARRIER = "Amazon Logistics"


def seed_databases(erp_url: str, mapping_url: str, integration_ids: Iterable[str]) -> list[str]:
    """The demo ERP (a few products), the migrated mapping DB with the demo mappings for each
    integration; returns the ERP's SKU codes (what marketplace orders may contain)."""
    seed_demo_erp(erp_url, products=4)
    mapping = MappingDatabase.from_url(mapping_url)
    # Migrated once here: tasks starting together on several workers would all try at once.
    mapping.upgrade()
    for integration_id in integration_ids:
        for kind, pairs in yaml.safe_load(DEMO_MAPPINGS.read_text()).items():
            for key, value in pairs.items():
                mapping.set_mapping(integration_id, kind, str(key), str(value))
    mapping.engine.dispose()
    return demo_sku_codes(erp_url)


def create_orders(
    sandbox: SandboxServer, sku: str, created_at: str, count: int = 1, **spec: Any
) -> list[int]:
    """``count`` paid marketplace orders of one ``sku`` created at ``created_at`` (ISO, with offset)."""
    return [
        sandbox.admin.create_order(
            items=[{"partnerId": sku, "quantity": 1, "unitPrice": 50.0}], createdAt=created_at, **spec
        )["id"]
        for _ in range(count)
    ]


def ack_feed(sandbox: SandboxServer, token: str) -> None:
    """Empty an account's order feed, so only the window imports under test can import its orders."""
    api = Api(sandbox.base_url, token)
    items = api.get("/orders/feeds", params={"limit": 100}).json()
    if items:
        api.put("/orders/feeds/batch", json=items).raise_for_status()


def connections_env(
    integration_id: str,
    *,
    sandbox: SandboxServer,
    token: str,
    oi: str,
    erp_url: str,
    mapping_url: str,
    **extra: Any,
) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` variables of one integration (AnyMarket + ERP) and the mapping DB."""
    anymarket = {
        "conn_type": "http",
        "host": sandbox.base_url,
        "password": token,
        "extra": {"oi": oi, "timeout": 10, "backoff_base": 0.1, "backoff_max": 1, **extra},
    }
    return {
        f"AIRFLOW_CONN_ANYMARKET_{integration_id.upper()}": json.dumps(anymarket),
        f"AIRFLOW_CONN_ANYMARKET_{integration_id.upper()}_ERP": _database_connection(erp_url),
        "AIRFLOW_CONN_ANYMARKET_MAPPING_DB": _database_connection(mapping_url),
    }


def _database_connection(url: str) -> str:
    return json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}})


def erp_order_counts(erp_url: str, order_ids: Iterable[int]) -> dict[int, int]:
    """How many ERP sales orders carry each AnyMarket order id (0 when none)."""
    ids = list(order_ids)
    engine = sa.create_engine(erp_url)
    try:
        with engine.connect() as c:
            rows = c.execute(
                sa.text(
                    "SELECT anymarket_order_id, COUNT(*) FROM sales_orders "
                    "WHERE anymarket_order_id IN :ids GROUP BY anymarket_order_id"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": ids},
            ).all()
    finally:
        engine.dispose()
    counts = {int(order_id): int(n) for order_id, n in rows}
    return {order_id: counts.get(order_id, 0) for order_id in ids}


def write_integrations(path: Path, integrations: dict[str, dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"integrations": integrations}, sort_keys=False))
    return path
