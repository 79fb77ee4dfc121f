"""The automations' ERP side on MariaDB, reached through an Airflow ``mysql`` connection.

The ERP suite (tests/anymarket/erp) runs every query on the three dialects; here whole automations
write and read a MariaDB ERP — the catalog import (the upserts' ``.mariadb.sql`` overrides), send stock
from what it wrote, and the order import (customer upsert, order, items, payments, reservations) — with
the engine built by the MySQL provider's hook from host/port/login/schema, as a deployment would.
The mapping DB stays on SQLite (it does not run on MariaDB).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.erp import ErpDatabase
from anymarket.operators.send_stock import AnyMarketSendStockOperator
from tests.anymarket.conftest import IntegrationEnv, set_connection
from tests.anymarket.operators import test_import_catalog as catalog
from tests.anymarket.operators import test_import_orders as orders

# The mapping DB on SQLite only: MariaDB is the point here, not the mapping DB's dialect.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def mariadb_env(
    integration_env: IntegrationEnv, mariadb_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> IntegrationEnv:
    """loja1 with its ERP on a fresh MariaDB database behind a ``mysql`` connection."""
    url = sa.engine.make_url(mariadb_database_url)
    set_connection(
        monkeypatch,
        "anymarket_loja1_erp",
        conn_type="mysql",
        host=url.host,
        port=url.port,
        login=url.username,
        schema=url.database,
        extra={"charset": "utf8mb4"},
    )
    from anymarket.connections import database_url

    erp = ErpDatabase(database_url("anymarket_loja1_erp"))
    assert erp.dialect == "mariadb" and erp.engine.url.drivername == "mysql"
    erp.create_schema()
    return dataclasses.replace(integration_env, erp=erp)


def test_catalog_import_then_send_stock(mariadb_env: IntegrationEnv, tmp_path: Path) -> None:
    env = mariadb_env
    with env.erp.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO deposits (code, name, is_default) "
                "VALUES ('SP', 'CD São Paulo', TRUE), ('REC', 'CD Recife', FALSE)"
            )
        )
    shop: dict[str, Any] = {
        "env": env,
        "erp": env.erp,
        "mapping": env.mapping,
        "tmp": tmp_path,
        "sandbox": env.sandbox,
    }
    catalog.seed(shop, 30)

    first = catalog.run(run_id="first")
    assert catalog.counts(first)["products_created"] == 27  # every 10th product is inactive
    assert catalog.assert_erp_matches_sandbox(shop) == 27
    before = catalog.dump(shop)
    second = catalog.run(run_id="second")
    assert "products_created" not in catalog.counts(second)
    assert catalog.dump(shop) == before  # equal rows are not written again

    catalog.settings(shop, stock={"rule": "mapped_deposits"})
    sent = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1").execute(
        {"run_id": "stock", "params": {}}
    )
    assert sent["counts"]["sent"] == 2 * len(catalog.links(shop, "sku"))


def test_order_import_writes_the_order_and_reserves_stock(
    mariadb_env: IntegrationEnv, tmp_path: Path
) -> None:
    shop = orders.Shop(mariadb_env, tmp_path)
    admin = mariadb_env.sandbox.admin
    order = admin.create_order(**orders.order_spec())

    summary = shop.run()

    assert summary["counts"]["new"] == 1
    [erp_order] = shop.orders(order["id"])
    assert erp_order["code"] == f"AM-{order['id']}" and erp_order["status"] == "approved"
    assert Decimal(str(erp_order["total"])) == Decimal("112.50")
    [customer] = shop.rows("SELECT * FROM customers")
    assert customer["document"] == "52998224725" and customer["document_type"] == "CPF"
    [reservation] = shop.reservations(order["id"])
    reserved = (reservation["deposit_id"], float(reservation["quantity"]), reservation["released_at"])
    assert reserved == (1, 2.0, None)
    # The same buyer again: the customer upsert (ON DUPLICATE KEY UPDATE … RETURNING) finds the row.
    second = admin.create_order(**orders.order_spec())
    shop.run()
    assert len(shop.orders(second["id"])) == 1
    assert len(shop.rows("SELECT id FROM customers")) == 1
    shop.run()
    assert len(shop.orders(order["id"])) == 1
