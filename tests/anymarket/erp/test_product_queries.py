"""The sync-products ERP queries (``product_*.sql``) on the demo ERP, SQLite, PostgreSQL and MariaDB alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from anymarket.catalog.payload import ErpProduct, products_from_rows
from anymarket.erp import ErpDatabase
from anymarket.erp.database import parse_timestamp
from anymarket_sandbox.demo_erp import seed_demo_erp

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_products(erp: ErpDatabase, codes: list[str], price_list: str | None = None) -> list[ErpProduct]:
    return products_from_rows(
        erp.query("product_rows", codes=codes),
        erp.query("product_skus", codes=codes, price_list=price_list),
        erp.query("product_sku_variations", codes=codes),
        erp.query("product_images", codes=codes),
        erp.query("product_attributes", codes=codes),
    )


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_the_same_products_on_sqlite_and_a_server(
    tmp_path: Path, request: pytest.FixtureRequest, server: str
) -> None:
    url = request.getfixturevalue("pg_database_url" if server == "postgresql" else "mariadb_database_url")
    sqlite, other = ErpDatabase(f"sqlite:///{tmp_path / 'erp.db'}"), ErpDatabase(url)
    try:
        for erp in (sqlite, other):
            seed_demo_erp(erp, products=25, seed=11)
        codes = sorted({str(r["code"]) for r in sqlite.query("product_changed", since=EPOCH)})
        assert codes == sorted({str(r["code"]) for r in other.query("product_changed", since=EPOCH)})
        assert len(codes) == 25
        for price_list in (None, "MARKETPLACES"):
            assert read_products(sqlite, codes, price_list) == read_products(other, codes, price_list)
        for name in ("product_brands", "product_categories"):
            assert other.query(name) == sqlite.query(name)
    finally:
        sqlite.dispose()
        other.dispose()


def test_product_queries_on_demo_data(shared_seeded_erp: ErpDatabase) -> None:
    erp = shared_seeded_erp
    changed = erp.query("product_changed", since=EPOCH)
    codes = sorted({str(r["code"]) for r in changed})
    assert codes and all(parse_timestamp(r["changed_at"]) is not None for r in changed)
    future = datetime.now(UTC) + timedelta(days=1)
    assert erp.query("product_changed", since=future) == []

    products = read_products(erp, codes)
    assert [p.code for p in products] == codes
    parents = [p for p in products if p.has_variations]
    simple = [p for p in products if not p.has_variations]
    assert parents and simple
    assert all(len(p.skus) == 1 and not p.skus[0].variations for p in simple)
    assert all(sku.variations for p in parents for sku in p.skus)
    assert all(p.images and p.images[0].sku_code is None for p in products)
    assert all(any(name == "Modelo" for name, _ in p.attributes) for p in products)
    assert all(p.brand_code and p.category_code for p in products)

    own = {s.code: s.sell_price for p in products for s in p.skus}
    listed = {s.code: s.sell_price for p in read_products(erp, codes, "MARKETPLACES") for s in p.skus}
    assert all(listed[code] > own[code] for code in own)  # the demo list sells ~12 % above

    categories = erp.query("product_categories")
    by_code = {c["code"]: c for c in categories}
    assert any(c["parent_code"] is None for c in categories)
    assert all(c["parent_code"] is None or c["parent_code"] in by_code for c in categories)
    assert {p.category_code for p in products} <= set(by_code)
    assert {p.brand_code for p in products} <= {b["code"] for b in erp.query("product_brands")}
