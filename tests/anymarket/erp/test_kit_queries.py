"""The kit composition (``kit_components`` table and query) on SQLite, PostgreSQL and MariaDB alike."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from anymarket.erp import ErpDatabase
from anymarket.rules.kits import KitPart, kits_by_sku_id, kits_from_rows


def test_the_demo_kit_reads_the_same_on_every_dialect(shared_seeded_erp: ErpDatabase) -> None:
    rows = shared_seeded_erp.query("kit_components")
    assert [(r["kit_code"], r["kit_product_code"], r["component_code"]) for r in rows] == [
        ("KIT001", "KIT001", "P00038"),
        ("KIT001", "KIT001", "P00054"),
    ]
    assert [Decimal(str(r["quantity"])) for r in rows] == [2, 1]
    assert all(isinstance(r["kit_sku_id"], int) and isinstance(r["component_sku_id"], int) for r in rows)
    kits = kits_from_rows(rows)
    assert [part.code for part in kits["KIT001"]] == ["P00038", "P00054"]
    assert all(isinstance(part, KitPart) and part.sell_price > 0 for part in kits["KIT001"])
    assert set(kits_by_sku_id(rows)) == {rows[0]["kit_sku_id"]}
    # The kit's stock is derived: the demo ERP keeps no balance row for it.
    with shared_seeded_erp.engine.connect() as conn:
        own = conn.execute(
            sa.text("SELECT COUNT(*) FROM stock_balances WHERE sku_id = :k"), {"k": rows[0]["kit_sku_id"]}
        )
        assert own.scalar_one() == 0


@pytest.mark.parametrize(
    ("kit", "component", "quantity"),
    [
        (1, 2, 0),  # a kit needs at least some of each component
        (1, 2, -1),
        (1, 1, 1),  # a kit is never its own component
        (1, 99, 1),  # nor a SKU the ERP lacks
    ],
)
def test_the_schema_refuses_a_meaningless_composition(
    erp: ErpDatabase, kit: int, component: int, quantity: int
) -> None:
    with erp.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO products (id, code, name) VALUES (1, 'P', 'P')"))
        conn.execute(
            sa.text("INSERT INTO skus (id, product_id, code, name) VALUES (1, 1, 'K', 'K'), (2, 1, 'C', 'C')")
        )
        if erp.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
    # MariaDB reports a failed CHECK as an OperationalError (4025), the others as an IntegrityError.
    refused = pytest.raises(
        (sa.exc.IntegrityError, sa.exc.OperationalError), match=r"(?i)constraint|check|foreign"
    )
    with refused, erp.engine.begin() as conn:
        if erp.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.execute(
            sa.text(
                "INSERT INTO kit_components (kit_sku_id, component_sku_id, quantity) VALUES (:k, :c, :q)"
            ),
            {"k": kit, "c": component, "q": quantity},
        )
    with erp.engine.begin() as conn:  # the same kit, well formed, is taken
        conn.execute(
            sa.text("INSERT INTO kit_components (kit_sku_id, component_sku_id, quantity) VALUES (1, 2, 1.5)")
        )
    assert [float(r["quantity"]) for r in erp.query("kit_components")] == [1.5]
