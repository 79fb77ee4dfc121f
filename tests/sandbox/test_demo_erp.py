"""The demo ERP (``anymarket_sandbox.demo_erp``, dev-only): counts, the invariants the automations rely
on, determinism, skip-if-seeded, CLI.

The ERP fixtures (``seeded_erp``, ``shared_seeded_erp``…) are the ERP layer's (tests/anymarket/erp).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.erp import ErpDatabase
from anymarket_sandbox.demo_erp import (
    DEMO_DEPOSITS,
    SELLER_CNPJ,
    TABLES,
    demo_kits,
    demo_sku_codes,
    ean13_check_digit,
    is_valid_cnpj,
    is_valid_cpf,
    is_valid_ean13,
    nfe_access_key_check_digit,
    seed_demo_erp,
)
from tests.anymarket.erp import conftest as erp_fixtures

REPO_ROOT = Path(__file__).resolve().parents[2]

# The ERP layer's fixtures, visible here (pytest finds fixtures among a test module's attributes).
erp = erp_fixtures.erp
seeded_erp = erp_fixtures.seeded_erp
shared_seeded_erp = erp_fixtures.shared_seeded_erp
small_demo_products = erp_fixtures.small_demo_products


def _rows(db: ErpDatabase, sql: str) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]


def _dump(db: ErpDatabase) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows without the wall-clock columns (created_at/updated_at)."""
    return {
        table: [
            {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}
            for row in _rows(db, f"SELECT * FROM {table} ORDER BY id")
        ]
        for table in TABLES
    }


# ---------------------------------------------------------------- check-digit helpers


def test_check_digit_helpers() -> None:
    assert ean13_check_digit("400638133393") == 1  # GS1's textbook example 4006381333931
    assert is_valid_ean13("4006381333931")
    assert not is_valid_ean13("4006381333932")
    assert not is_valid_ean13("400638133393")
    assert not is_valid_ean13(None)
    assert is_valid_cpf("52998224725")
    assert not is_valid_cpf("52998224726")
    assert not is_valid_cpf("11111111111")
    assert is_valid_cnpj("11222333000181")
    assert not is_valid_cnpj("11222333000182")
    assert is_valid_cnpj(SELLER_CNPJ)


# ---------------------------------------------------------------- the seeded data, on both dialects


def test_seed_counts(seeded_erp: ErpDatabase, small_demo_products: int) -> None:
    counts = seed_demo_erp(seeded_erp, products=small_demo_products, seed=7)
    assert counts["skipped"] == 1  # second run: nothing written
    kits = demo_kits(small_demo_products)  # kit products, two components each
    assert kits == 1
    assert counts["products"] == small_demo_products + kits
    assert counts["kit_components"] == 2 * kits
    assert counts["deposits"] == 4  # three of the seller's and Mercado Livre's Full
    assert counts["carriers"] == 4
    assert counts["price_lists"] == 1
    assert counts["skus"] > small_demo_products  # parents have several children
    # One row per SKU x deposit, kits aside: their stock is derived from their components'.
    assert counts["stock_balances"] == (counts["skus"] - kits) * 3
    assert counts["price_list_items"] == counts["skus"]
    for table in TABLES:
        assert counts[table] > 0, table


def test_deposits_and_reference_data(shared_seeded_erp: ErpDatabase) -> None:
    deposits = _rows(shared_seeded_erp, "SELECT name, is_default FROM deposits ORDER BY id")
    assert [d["name"] for d in deposits] == [
        "CD São Paulo",
        "CD Recife",
        "Loja Curitiba",
        "Full Mercado Livre",
    ]
    assert [bool(d["is_default"]) for d in deposits] == [True, False, False, False]
    carriers = {r["name"] for r in _rows(shared_seeded_erp, "SELECT name FROM carriers")}
    assert carriers == {"Correios", "Jadlog", "Mercado Envios", "Total Express"}
    payments = {r["name"] for r in _rows(shared_seeded_erp, "SELECT name FROM payment_methods")}
    assert {"Cartão de Crédito", "Boleto Bancário", "Pix"} <= payments
    channels = {r["marketplace"] for r in _rows(shared_seeded_erp, "SELECT marketplace FROM sales_channels")}
    assert {"MERCADO_LIVRE", "AMAZON", "SHOPEE"} <= channels


def test_catalog_invariants(shared_seeded_erp: ErpDatabase) -> None:
    products = {r["id"]: r for r in _rows(shared_seeded_erp, "SELECT * FROM products")}
    skus = _rows(shared_seeded_erp, "SELECT * FROM skus")
    variations = defaultdict(list)
    for v in _rows(shared_seeded_erp, "SELECT * FROM sku_variations ORDER BY sku_id, position"):
        variations[v["sku_id"]].append((v["variation_type"], v["variation_value"]))
    children = defaultdict(list)
    for sku in skus:
        assert sku["product_id"] in products  # every SKU has its parent product
        children[sku["product_id"]].append(sku)

    parents = [p for p in products.values() if p["has_variations"]]
    simple = [p for p in products.values() if not p["has_variations"]]
    assert len(parents) >= len(products) // 3 and simple
    for product in parents:
        kids = children[product["id"]]
        assert len(kids) >= 2
        assert all(variations[k["id"]] for k in kids)  # every child says what it varies in
        assert len({tuple(variations[k["id"]]) for k in kids}) == len(kids)  # ...and no two alike
        assert all(k["code"].startswith(product["code"] + "-") for k in kids)
    for product in simple:
        (only,) = children[product["id"]]
        assert not variations[only["id"]]
        assert only["code"] == product["code"]
    types = {t for pairs in variations.values() for t, _ in pairs}
    assert {"Cor", "Tamanho"} <= types

    eans = [s["ean"] for s in skus if s["ean"]]
    assert len(eans) >= len(skus) * 0.9
    assert all(is_valid_ean13(e) and e.startswith("789") for e in eans)
    assert len(set(eans)) == len(eans)
    assert all(len(p["ncm"]) == 8 and p["ncm"].isdigit() for p in products.values())
    assert all(0 <= p["origin"] <= 8 for p in products.values())
    assert any(any(ord(ch) > 127 for ch in p["name"]) for p in products.values())  # Portuguese accents
    for sku in skus:
        assert (
            Decimal(str(sku["list_price"]))
            >= Decimal(str(sku["sell_price"]))
            > Decimal(str(sku["cost_price"]))
        )
        assert sku["weight_kg"] > 0 and sku["height_cm"] > 0
    made_to_order = [s for s in skus if s["made_to_order"]]
    assert made_to_order and all(s["crossdocking_days"] >= 10 for s in made_to_order)


def test_images_attributes_and_categories(shared_seeded_erp: ErpDatabase, small_demo_products: int) -> None:
    images = _rows(shared_seeded_erp, "SELECT * FROM product_images")
    assert all(i["url"].startswith("https://img.example.com/") for i in images)
    mains = Counter(i["product_id"] for i in images if i["is_main"])
    assert set(mains.values()) == {1} and len(mains) == small_demo_products + demo_kits(small_demo_products)
    assert any(i["sku_id"] is not None for i in images)  # per-colour variation images

    attributes = defaultdict(dict)
    for a in _rows(shared_seeded_erp, "SELECT product_id, name, value FROM product_attributes"):
        attributes[a["product_id"]][a["name"]] = a["value"]
    assert len(attributes) == small_demo_products + demo_kits(small_demo_products)  # kits have a sheet too
    for sheet in attributes.values():
        assert {"Modelo", "Tempo de Garantia", "Texto de Garantia"} <= set(sheet)
        assert sheet["Tempo de Garantia"].isdigit()
    assert any("Gênero" in sheet for sheet in attributes.values())

    categories = {c["id"]: c for c in _rows(shared_seeded_erp, "SELECT id, parent_id FROM categories")}

    def depth(category_id: int) -> int:
        parent = categories[category_id]["parent_id"]
        return 1 if parent is None else 1 + depth(parent)

    assert max(depth(c) for c in categories) == 3
    assert {r["brand_id"] for r in _rows(shared_seeded_erp, "SELECT brand_id FROM products")} - {None}


def test_stock_and_reservations(shared_seeded_erp: ErpDatabase) -> None:
    balances = {
        (b["sku_id"], b["deposit_id"]): Decimal(str(b["quantity"]))
        for b in _rows(shared_seeded_erp, "SELECT sku_id, deposit_id, quantity FROM stock_balances")
    }
    assert any(q == 0 for q in balances.values())
    assert any(0 < q <= 3 for q in balances.values())  # low balances, for safety-stock rules
    assert any(q > 50 for q in balances.values())

    reservations = _rows(
        shared_seeded_erp,
        "SELECT r.*, o.status, i.sku_id AS item_sku, i.deposit_id AS item_deposit FROM stock_reservations r "
        "JOIN sales_orders o ON o.id = r.sales_order_id "
        "JOIN sales_order_items i ON i.id = r.sales_order_item_id",
    )
    assert len(reservations) == len(_rows(shared_seeded_erp, "SELECT id FROM stock_reservations"))
    active: Counter[tuple[int, int]] = Counter()
    for r in reservations:
        assert (r["sku_id"], r["deposit_id"]) == (r["item_sku"], r["item_deposit"])
        if r["released_at"] is None:
            assert r["status"] in ("pending", "approved")
            active[(r["sku_id"], r["deposit_id"])] += int(r["quantity"])
        else:
            assert r["status"] not in ("pending", "approved")
    assert active  # some stock is held by open orders
    assert all(balances[key] >= qty for key, qty in active.items())  # never oversold


def test_orders_invoices_and_customers(shared_seeded_erp: ErpDatabase) -> None:
    customers = _rows(shared_seeded_erp, "SELECT document, document_type FROM customers")
    for c in customers:
        assert (is_valid_cpf if c["document_type"] == "CPF" else is_valid_cnpj)(c["document"])
    assert {c["document_type"] for c in customers} == {"CPF", "CNPJ"}

    orders = _rows(shared_seeded_erp, "SELECT * FROM sales_orders")
    items = defaultdict(list)
    for i in _rows(shared_seeded_erp, "SELECT * FROM sales_order_items"):
        items[i["sales_order_id"]].append(i)
    for o in orders:
        lines = items[o["id"]]
        assert lines and all(line["deposit_id"] for line in lines)
        items_total = sum(Decimal(str(line["total"])) for line in lines)
        assert Decimal(str(o["items_total"])) == items_total
        expected = (
            items_total
            - Decimal(str(o["discount"]))
            + Decimal(str(o["freight"]))
            + Decimal(str(o["interest"]))
        )
        assert Decimal(str(o["total"])) == expected

    invoices = _rows(
        shared_seeded_erp,
        "SELECT i.*, o.status AS order_status FROM invoices i JOIN sales_orders o ON o.id = i.sales_order_id",
    )
    assert invoices
    for inv in invoices:
        key = inv["access_key"]
        assert len(key) == 44 and key.isdigit() and nfe_access_key_check_digit(key[:43]) == int(key[43])
        assert inv["status"] == "authorized" and inv["order_status"] in ("invoiced", "shipped", "delivered")
        assert inv["cfop"] in ("5102", "6102") and key in inv["xml"]
    shipments = _rows(shared_seeded_erp, "SELECT * FROM shipments")
    assert shipments and all(s["tracking_code"] in s["tracking_url"] for s in shipments)


def test_identity_sequences_continue_after_seed(seeded_erp: ErpDatabase) -> None:
    """Seeding writes explicit ids; the next ordinary INSERT must still get a fresh one."""
    with seeded_erp.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO brands (code, name) VALUES ('NOVA', 'Marca Nova')"))
        conn.execute(sa.text("INSERT INTO products (code, name) VALUES ('NOVO', 'Produto Novo')"))


def test_demo_sku_codes(shared_seeded_erp: ErpDatabase) -> None:
    codes = demo_sku_codes(shared_seeded_erp)
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    expected = _rows(
        shared_seeded_erp,
        "SELECT s.code FROM skus s JOIN products p ON p.id = s.product_id "
        "WHERE s.active = TRUE AND p.active = TRUE",
    )
    assert set(codes) == {r["code"] for r in expected}
    assert demo_sku_codes(shared_seeded_erp.engine) == codes


# ---------------------------------------------------------------- determinism, size, CLI (SQLite: fast)


def test_same_seed_same_rows_other_seed_other_rows(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / name}.db" for name in ("a", "b", "c")]
    seed_demo_erp(urls[0], products=40, seed=3)
    seed_demo_erp(urls[1], products=40, seed=3)
    seed_demo_erp(urls[2], products=40, seed=4)
    dumps = []
    for url in urls:
        db = ErpDatabase(url)
        dumps.append(_dump(db))
        db.dispose()
    assert dumps[0] == dumps[1]
    assert dumps[0]["skus"] != dumps[2]["skus"]


def test_default_size_is_a_few_hundred_products(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    counts = seed_demo_erp(url)
    assert counts["products"] == 300 + demo_kits(300) and counts["skipped"] == 0
    assert 600 <= counts["skus"] <= 2000
    assert len(demo_sku_codes(url)) > 500


def test_seed_skips_a_database_with_real_data(tmp_path: Path) -> None:
    db = ErpDatabase(f"sqlite:///{tmp_path / 'erp.db'}")
    db.create_schema()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO deposits (code, name, is_default) VALUES ('X', 'Depósito Real', TRUE)")
        )
    counts = seed_demo_erp(db, products=10)
    assert counts["skipped"] == 1 and counts["products"] == 0 and counts["deposits"] == 1
    db.dispose()


def test_seed_skips_real_data_but_tops_up_an_older_demo_erp(tmp_path: Path) -> None:
    """A demo ERP seeded before sales operations existed gets them (the demo settings name them); a
    seller's ERP never gets demo rows."""
    db = ErpDatabase(f"sqlite:///{tmp_path / 'erp.db'}")
    db.create_schema()
    with db.engine.begin() as conn:
        for code, name, default, zip_code in DEMO_DEPOSITS:
            conn.execute(
                sa.text("INSERT INTO deposits (code, name, is_default, zip_code) VALUES (:c, :n, :d, :z)"),
                {"c": code, "n": name, "d": default, "z": zip_code},
            )
    counts = seed_demo_erp(db, products=10)
    assert counts["skipped"] == 1 and counts["products"] == 0 and counts["sales_operations"] == 3
    with db.engine.connect() as conn:
        codes = {r[0] for r in conn.execute(sa.text("SELECT code FROM sales_operations"))}
    assert {"VENDA_CONSUMIDOR", "VENDA_CONTRIBUINTE"} <= codes
    # And the Full deposit demo_mappings.yaml maps Mercado Livre's Full stock to, once.
    assert counts["deposits"] == 4
    again = seed_demo_erp(db, products=10)
    assert again["sales_operations"] == 3 and again["deposits"] == 4  # once
    with db.engine.connect() as conn:
        full = conn.execute(sa.text("SELECT name, is_default FROM deposits WHERE code = 'FULL-ML'")).one()
    assert (full.name, bool(full.is_default)) == ("Full Mercado Livre", False)
    db.dispose()


def test_demo_orders_carry_fiscal_data_and_their_payment(seeded_erp: ErpDatabase) -> None:
    rows = seeded_erp.query_frame("order_reference_data")
    assert set(rows[rows.kind == "sales_operation"].code) == {
        "VENDA_CONSUMIDOR",
        "VENDA_CONTRIBUINTE",
        "VENDA_BALCAO",
    }
    with seeded_erp.engine.connect() as conn:
        orders = [
            dict(r._mapping)
            for r in conn.execute(
                sa.text(
                    "SELECT o.*, ch.marketplace, c.state_tax_id, so.code AS operation, p.value AS paid, "
                    "p.installments AS p_installments, p.marketplace_fee AS p_fee "
                    "FROM sales_orders o JOIN sales_channels ch ON ch.id = o.channel_id "
                    "JOIN customers c ON c.id = o.customer_id "
                    "JOIN sales_operations so ON so.id = o.sales_operation_id "
                    "JOIN sales_order_payments p ON p.sales_order_id = o.id"
                )
            )
        ]
    assert orders
    for order in orders:
        marketplace_sale = order["marketplace"] not in (None, "ECOMMERCE")
        assert bool(order["intermediary_cnpj"]) == marketplace_sale
        assert (order["intermediary_seller_id"] is not None) == marketplace_sale
        if order["marketplace"] is None:
            assert order["operation"] == "VENDA_BALCAO"
        else:
            assert order["operation"] == (
                "VENDA_CONTRIBUINTE" if order["state_tax_id"] else "VENDA_CONSUMIDOR"
            )
        assert Decimal(str(order["paid"])) == Decimal(str(order["total"]))
        assert order["p_installments"] == order["installments"]
        assert Decimal(str(order["p_fee"])) == Decimal(str(order["marketplace_fee"]))
        assert (Decimal(str(order["marketplace_fee"])) > 0) == marketplace_sale


def test_seed_rejects_zero_products(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        seed_demo_erp(f"sqlite:///{tmp_path / 'erp.db'}", products=0)


def test_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    # The module is dev code at the project root; it imports the product from plugins/. The child
    # runs in tmp_path, so only this PYTHONPATH (not the current directory) can make them importable.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "plugins")])}
    # As a person runs it: outside the tests' unit-test mode, in which Airflow (imported by the
    # product's error classes) announces its test configuration on stdout.
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    command = [
        sys.executable,
        "-m",
        "anymarket_sandbox.demo_erp",
        "--url",
        url,
        "--products",
        "15",
        "--seed",
        "1",
    ]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=True, cwd=tmp_path)
    counts = json.loads(first.stdout)
    assert counts["products"] == 15 and counts["skipped"] == 0
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=True, cwd=tmp_path)
    assert json.loads(second.stdout)["skipped"] == 1
    assert "already seeded" in second.stderr
