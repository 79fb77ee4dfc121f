"""The reference schema: applies on SQLite and PostgreSQL, idempotently, with change-detection triggers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.erp import ErpDatabase, parse_timestamp
from anymarket_sandbox.demo_erp import TABLES

OLD = datetime(2000, 1, 1, tzinfo=UTC)


def _exec(db: ErpDatabase, sql: str, **params: Any) -> Any:
    with db.engine.begin() as conn:
        return conn.execute(sa.text(sql), params)


def _updated_at(db: ErpDatabase, table: str, row_id: int) -> datetime:
    with db.engine.connect() as conn:
        value = conn.execute(
            sa.text(f"SELECT updated_at FROM {table} WHERE id = :id"), {"id": row_id}
        ).scalar_one()
    parsed = parse_timestamp(value)
    assert parsed is not None
    return parsed


def _set_old(db: ErpDatabase, table: str, row_id: int) -> None:
    """Backdate a row explicitly (an explicit updated_at must be kept, not overwritten by the trigger)."""
    old = OLD if db.dialect == "postgresql" else OLD.replace(tzinfo=None)
    _exec(db, f"UPDATE {table} SET updated_at = :old WHERE id = :id", old=old, id=row_id)
    assert _updated_at(db, table, row_id) == OLD


def _product_with_sku(db: ErpDatabase) -> tuple[int, int]:
    """Product 101 with SKU 201 (explicit ids far from the identity sequence, which starts at 1)."""
    _exec(db, "INSERT INTO products (id, code, name, has_variations) VALUES (101, 'P1', 'Camiseta', TRUE)")
    _exec(
        db,
        "INSERT INTO skus (id, product_id, code, name, sell_price) "
        "VALUES (201, 101, 'P1-AZL', 'Camiseta Azul', 10)",
    )
    return 101, 201


def test_create_schema_builds_every_table_and_is_idempotent(erp_database_url: str) -> None:
    db = ErpDatabase(erp_database_url)
    try:
        applied = db.create_schema()
        assert applied.name == f"{db.dialect}.sql"
        _exec(db, "INSERT INTO brands (code, name) VALUES ('B1', 'Marca')")
        db.create_schema()  # a second run changes nothing and keeps the data
        inspector = sa.inspect(db.engine)
        assert set(TABLES) <= set(inspector.get_table_names())
        for table in TABLES:
            columns = {c["name"] for c in inspector.get_columns(table)}
            assert {"id", "updated_at", "created_at"} <= columns, table
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM brands")).scalar_one() == 1
    finally:
        db.dispose()


def test_at_most_one_default_deposit(erp: ErpDatabase) -> None:
    _exec(erp, "INSERT INTO deposits (code, name, is_default) VALUES ('A', 'CD A', TRUE)")
    _exec(erp, "INSERT INTO deposits (code, name, is_default) VALUES ('B', 'CD B', FALSE)")
    with pytest.raises(sa.exc.IntegrityError):
        _exec(erp, "INSERT INTO deposits (code, name, is_default) VALUES ('C', 'CD C', TRUE)")


def test_customer_document_is_unique(erp: ErpDatabase) -> None:
    sql = "INSERT INTO customers (name, document, document_type) VALUES (:name, '52998224725', 'CPF')"
    _exec(erp, sql, name="Ana")
    with pytest.raises(sa.exc.IntegrityError):
        _exec(erp, sql, name="Outra Ana")


def test_foreign_keys_are_enforced(erp: ErpDatabase) -> None:
    """SQLite ignores FKs unless the connection turns them on; ErpDatabase does."""
    with pytest.raises(sa.exc.IntegrityError):
        _exec(erp, "INSERT INTO skus (product_id, code, name) VALUES (999, 'X', 'Órfão')")


def test_product_and_sku_updates_bump_updated_at(erp: ErpDatabase) -> None:
    product_id, sku_id = _product_with_sku(erp)

    _set_old(erp, "products", product_id)
    _exec(erp, "UPDATE products SET name = 'Camiseta Nova' WHERE id = :id", id=product_id)
    assert _updated_at(erp, "products", product_id) > OLD

    _set_old(erp, "skus", sku_id)
    _set_old(erp, "products", product_id)
    _exec(erp, "UPDATE skus SET sell_price = 12.90 WHERE id = :id", id=sku_id)
    assert _updated_at(erp, "skus", sku_id) > OLD
    # A SKU's own field (price) is the SKU's change, not the product's.
    assert _updated_at(erp, "products", product_id) == OLD


def test_dependent_rows_bump_their_parent(erp: ErpDatabase) -> None:
    product_id, sku_id = _product_with_sku(erp)

    _set_old(erp, "products", product_id)
    _exec(
        erp,
        "INSERT INTO product_images (product_id, position, url, is_main) "
        "VALUES (101, 1, 'https://x/1.jpg', TRUE)",
    )
    assert _updated_at(erp, "products", product_id) > OLD

    _set_old(erp, "products", product_id)
    _exec(erp, "INSERT INTO product_attributes (product_id, name, value) VALUES (101, 'Modelo', 'X1')")
    assert _updated_at(erp, "products", product_id) > OLD

    _set_old(erp, "products", product_id)
    _exec(erp, "UPDATE product_attributes SET value = 'X2' WHERE product_id = 101")
    assert _updated_at(erp, "products", product_id) > OLD

    _set_old(erp, "products", product_id)
    _exec(erp, "DELETE FROM product_images WHERE product_id = 101")
    assert _updated_at(erp, "products", product_id) > OLD

    _set_old(erp, "products", product_id)
    _exec(erp, "INSERT INTO skus (product_id, code, name) VALUES (101, 'P1-VRM', 'Camiseta Vermelha')")
    assert _updated_at(erp, "products", product_id) > OLD

    _set_old(erp, "skus", sku_id)
    _exec(
        erp,
        "INSERT INTO sku_variations (sku_id, variation_type, variation_value) VALUES (201, 'Cor', 'Azul')",
    )
    assert _updated_at(erp, "skus", sku_id) > OLD


def test_stock_balance_update_bumps_its_row(erp: ErpDatabase) -> None:
    _product_with_sku(erp)
    _exec(erp, "INSERT INTO deposits (id, code, name, is_default) VALUES (1, 'SP', 'CD São Paulo', TRUE)")
    _exec(erp, "INSERT INTO stock_balances (id, sku_id, deposit_id, quantity) VALUES (1, 201, 1, 5)")
    _set_old(erp, "stock_balances", 1)
    _exec(erp, "UPDATE stock_balances SET quantity = 4 WHERE id = 1")
    assert _updated_at(erp, "stock_balances", 1) > OLD


def test_deleting_a_product_cascades_without_trigger_errors(erp: ErpDatabase) -> None:
    _product_with_sku(erp)
    _exec(
        erp,
        "INSERT INTO product_images (product_id, sku_id, position, url) VALUES (101, 201, 1, 'https://x/1.jpg')",
    )
    _exec(
        erp,
        "INSERT INTO sku_variations (sku_id, variation_type, variation_value) VALUES (201, 'Cor', 'Azul')",
    )
    _exec(erp, "DELETE FROM products WHERE id = 101")
    with erp.engine.connect() as conn:
        for table in ("skus", "product_images", "sku_variations"):
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0, table


FISCAL_COLUMNS = (
    "sales_operation_id",
    "intermediary_cnpj",
    "intermediary_name",
    "intermediary_seller_id",
    "marketplace_fee",
    "gateway_fee",
)


def test_create_schema_upgrades_an_erp_made_before_the_fiscal_columns(database_url: str) -> None:
    """A database created by the schema of before (no fiscal columns on sales_orders) gets them from
    create_schema(), keeping its rows; applying it again changes nothing."""
    db = ErpDatabase(database_url)
    try:
        script = (db.sql_dir / "schema" / f"{db.dialect}.sql").read_text()
        old = "\n".join(
            line
            for line in script.splitlines()
            if not any(line.strip().startswith(c) for c in FISCAL_COLUMNS) and "ADD COLUMN" not in line
        )
        with db.engine.begin() as conn:
            if db.dialect == "sqlite":
                for statement in _split(old):
                    conn.exec_driver_sql(statement)
            else:
                conn.exec_driver_sql(old.replace("%", "%%"))
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("sales_orders")}
        assert not columns & set(FISCAL_COLUMNS)
        _exec(
            db, "INSERT INTO customers (name, document, document_type) VALUES ('Ana', '52998224725', 'CPF')"
        )
        _exec(
            db,
            "INSERT INTO sales_orders (code, customer_id, order_date) VALUES ('PV1', "
            "(SELECT id FROM customers), CURRENT_TIMESTAMP)",
        )

        db.create_schema()
        db.create_schema()

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("sales_orders")}
        assert set(FISCAL_COLUMNS) <= columns
        with db.engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT code, marketplace_fee, sales_operation_id FROM sales_orders")
            ).one()
        assert (row.code, float(row.marketplace_fee), row.sales_operation_id) == ("PV1", 0.0, None)
    finally:
        db.dispose()


def _split(script: str) -> list[str]:
    from anymarket.erp.database import _split_sqlite_script

    return _split_sqlite_script(script)
