"""Catalog import over the real sandbox, a real ERP and mapping DB (both on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.catalog.importer import CatalogImporter
from anymarket.erp.database import ErpDatabase
from anymarket.errors import AnyMarketAPIError
from anymarket.mapping import models as m
from anymarket.operators.import_catalog import AnyMarketImportCatalogOperator
from anymarket.operators.install_deposits import AnyMarketInstallDepositsOperator
from anymarket.operators.send_stock import AnyMarketSendStockOperator
from anymarket_sandbox.testing import Api, seed_large_catalog
from tests.anymarket.conftest import set_connection

CATALOG_TABLES = (
    "brands",
    "categories",
    "products",
    "skus",
    "sku_variations",
    "product_attributes",
    "stock_balances",
)
GENDERS = {"MALE": "Masculino", "FEMALE": "Feminino", "UNISSEX": "Unissex"}


@pytest.fixture
def shop(
    integration_env, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """loja1 with the ERP on the same engine kind as the mapping DB (its own database), deposits
    SP (default) and REC linked by the deposit installer to the sandbox's two warehouses."""
    env = integration_env
    erp = env.erp
    if database_url.startswith("postgresql"):
        admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
        name = f"erp_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        erp_url = database_url.rsplit("/", 1)[0] + f"/{name}"
        erp = ErpDatabase(erp_url)
        erp.create_schema()
        set_connection(
            monkeypatch, "anymarket_loja1_erp", conn_type="generic", extra={"sqlalchemy_url": erp_url}
        )
    with erp.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO deposits (code, name, is_default) VALUES ('SP', 'CD São Paulo', TRUE)")
        )
        conn.execute(
            sa.text("INSERT INTO deposits (code, name, is_default) VALUES ('REC', 'CD Recife', FALSE)")
        )
    return {"env": env, "erp": erp, "mapping": env.mapping, "tmp": tmp_path, "sandbox": env.sandbox}


def seed(shop: dict[str, Any], products: int) -> dict[str, Any]:
    seeded = seed_large_catalog(shop["sandbox"], products)
    AnyMarketInstallDepositsOperator(task_id="install", integration_id="loja1").execute({"run_id": "install"})
    shop["sandbox"].admin.clear_requests()
    return seeded


def settings(shop: dict[str, Any], stock: dict[str, Any] | None = None, **products: Any) -> None:
    """Rewrite loja1's settings (the operators read them when they run)."""
    (shop["tmp"] / "integrations.yaml").write_text(
        (
            "integrations:\n  loja1:\n    name: Loja 1\n    environment: sandbox\n"
            f"    alert_emails: [ops@loja1.example]\n    products: {products!r}\n    stock: {stock or {}!r}\n"
        )
        .replace("'", '"')
        .replace("True", "true")
        .replace("False", "false")
    )


def run(scope: str = "all", run_id: str = "run") -> dict[str, Any]:
    operator = AnyMarketImportCatalogOperator(task_id="import_catalog", integration_id="loja1")
    return operator.execute({"run_id": run_id, "params": {"scope": scope}})


def counts(summary: dict[str, Any]) -> dict[str, int]:
    return summary["counts"]


def api(shop: dict[str, Any]) -> Api:
    return Api(shop["sandbox"].base_url, shop["sandbox"].token)


def listing(shop: dict[str, Any], path: str) -> list[dict[str, Any]]:
    items, offset = [], 0
    while True:
        page = api(shop).get(path, params={"offset": offset, "limit": 100}).json()["content"]
        if not page:
            return items
        items += page
        offset += len(page)


def erp_rows(shop: dict[str, Any], sql: str) -> list[dict[str, Any]]:
    with shop["erp"].engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql))]


def dump(shop: dict[str, Any]) -> dict[str, list[tuple]]:
    """Every catalog row of the ERP, updated_at included: equal dumps mean nothing was written."""
    with shop["erp"].engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}")))) for t in CATALOG_TABLES}


def links(shop: dict[str, Any], kind: str) -> dict[str, str]:
    return shop["mapping"].links_of("loja1", kind)


def dec(value: Any, places: str = "0.01") -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal(places))


def check_brands(shop: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every sandbox brand is an ERP brand (name, code), linked; returns them by AnyMarket id."""
    erp_brands = {r["code"]: r for r in erp_rows(shop, "SELECT id, code, name FROM brands")}
    by_anymarket = {am: erp_brands[code] for code, am in links(shop, "brand").items()}
    for brand in listing(shop, "/brands"):
        erp = by_anymarket[str(brand["id"])]
        assert erp["name"] == brand["name"]
        assert erp["code"] == brand.get("partnerId", f"AM-{brand['id']}")
    return by_anymarket


def check_categories(shop: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The sandbox's category tree is the ERP's (names, parents), linked; returns it by AnyMarket id."""
    erp_categories = {
        r["code"]: r for r in erp_rows(shop, "SELECT id, code, name, parent_id FROM categories")
    }
    by_anymarket = {am: erp_categories[code] for code, am in links(shop, "category").items()}
    tree = api(shop).get("/categories/fullPath").json()
    assert len(erp_categories) == len(tree)
    for category in tree:
        erp = by_anymarket[str(category["id"])]
        assert erp["name"] == category["name"]
        assert erp["code"] == category.get("partnerId", f"AM-{category['id']}")
        parent = api(shop).get(f"/categories/{category['id']}").json().get("parent")
        assert erp["parent_id"] == (by_anymarket[str(parent["id"])]["id"] if parent else None)
    return by_anymarket


def assert_erp_matches_sandbox(
    shop: dict[str, Any], *, only_active: bool = True, default_origin: int = 0
) -> int:
    """Brands, category tree, products, SKUs, variations, attributes, dimensions, EAN, prices and
    stock in the ERP, field by field against the sandbox's catalog. Returns the products checked."""
    brand_by_am, category_by_am = check_brands(shop), check_categories(shop)
    deposits = {r["code"]: r["id"] for r in erp_rows(shop, "SELECT id, code FROM deposits")}
    warehouse_deposit = {
        w["id"]: deposits["SP" if w["defaultLocal"] else "REC"]
        for w in api(shop).get("/stocks/locals").json()
    }
    stock: dict[tuple[int, int], int] = {}
    for row in listing(shop, "/stocks"):
        key = (row["stockKeepingUnit"]["id"], warehouse_deposit[row["stockLocal"]["id"]])
        stock[key] = row["amount"]
    products = {r["code"]: r for r in erp_rows(shop, "SELECT * FROM products")}
    skus = {r["code"]: r for r in erp_rows(shop, "SELECT * FROM skus")}
    attributes: dict[int, dict[str, str]] = {}
    for r in erp_rows(shop, "SELECT product_id, name, value FROM product_attributes"):
        attributes.setdefault(r["product_id"], {})[r["name"]] = r["value"]
    variations: dict[int, dict[str, str]] = {}
    for r in erp_rows(shop, "SELECT sku_id, variation_type, variation_value FROM sku_variations"):
        variations.setdefault(r["sku_id"], {})[r["variation_type"]] = r["variation_value"]
    balances = {
        (r["sku_id"], r["deposit_id"]): r["quantity"] for r in erp_rows(shop, "SELECT * FROM stock_balances")
    }
    product_codes = {am: code for code, am in links(shop, "product").items()}
    sku_codes = {am: code for code, am in links(shop, "sku").items()}
    checked = 0
    for product in listing(shop, "/products"):
        if only_active and not product["isProductActive"]:
            assert str(product["id"]) not in product_codes
            continue
        erp = products[product_codes[str(product["id"])]]
        assert erp["code"] == product.get("externalIdProduct", f"AM-{product['id']}")
        assert erp["name"] == product["title"]
        assert erp["description"] == product["description"].replace("<br>", "\n").replace("&amp;", "&")
        assert erp["brand_id"] == brand_by_am[str(product["brand"]["id"])]["id"]
        assert erp["category_id"] == category_by_am[str(product["category"]["id"])]["id"]
        assert erp["ncm"] == product["nbm"]["id"]
        assert erp["origin"] == product.get("origin", {"id": default_origin})["id"]
        for column, field in (("height_cm", "height"), ("width_cm", "width"), ("length_cm", "length")):
            assert dec(erp[column]) == dec(product[field])
        assert dec(erp["weight_kg"], "0.001") == dec(product["weight"], "0.001")
        assert bool(erp["has_variations"]) == product["hasVariations"]
        assert bool(erp["active"]) == product["isProductActive"]
        expected = {c["name"]: c["value"] for c in product["characteristics"]}
        expected |= {"Tempo de Garantia": str(product["warrantyTime"])}
        if "model" in product:
            expected["Modelo"] = product["model"]
        if "gender" in product:
            expected["Gênero"] = GENDERS[product["gender"]]
        if "warrantyText" in product:
            expected["Texto de Garantia"] = product["warrantyText"]
        assert attributes[erp["id"]] == expected
        for sku in product["skus"]:
            erp_sku = skus[sku_codes[str(sku["id"])]]
            assert erp_sku["code"] == sku["partnerId"]
            assert erp_sku["product_id"] == erp["id"]
            assert erp_sku["name"] == sku["title"]
            assert erp_sku["ean"] == sku.get("ean")
            assert dec(erp_sku["list_price"]) == dec(sku["price"])
            assert dec(erp_sku["sell_price"]) == dec(sku["sellPrice"])
            assert erp_sku["crossdocking_days"] == sku["additionalTime"]
            assert bool(erp_sku["active"]) == sku["active"]
            assert variations.get(erp_sku["id"], {}) == {
                v["type"]["name"]: v["description"] for v in sku["variations"]
            }
            for deposit_id in deposits.values():
                expected_stock = stock.get((sku["id"], deposit_id))
                actual = balances.get((erp_sku["id"], deposit_id))
                assert (dec(actual, "0.001") if actual is not None else None) == (
                    dec(expected_stock, "0.001") if expected_stock is not None else None
                ), (sku["partnerId"], deposit_id)
        checked += 1
    assert len(products) == checked and len(product_codes) == checked
    return checked


# -- resumable, exactly once ----------------------------------------------------------------------


def test_import_stopped_halfway_resumes_and_imports_each_product_once(shop, monkeypatch) -> None:
    seed(shop, 1000)
    calls = {"n": 0}
    original = CatalogImporter.import_product

    def crash_at_437(self, product, page, outcome):
        calls["n"] += 1
        if calls["n"] == 437:
            raise RuntimeError("worker lost")
        return original(self, product, page, outcome)

    monkeypatch.setattr(CatalogImporter, "import_product", crash_at_437)
    with pytest.raises(RuntimeError, match="worker lost"):
        run(run_id="first")
    monkeypatch.setattr(CatalogImporter, "import_product", original)
    first = shop["mapping"].last_run_summary("loja1", "import_catalog")["summary"]
    assert counts(first)["products_created"] + counts(first)["skipped_inactive"] == 436

    second = run(run_id="second")
    assert second["resumed_from"]["stage"] == "products"
    assert second["resumed_from"]["position"] == 436
    c1, c2 = counts(first), counts(second)
    assert c1["products_created"] + c2["products_created"] == 900  # every 10th product is inactive
    assert c1["skipped_inactive"] + c2["skipped_inactive"] == 100
    assert "products_unchanged" not in c2 and "products_updated" not in c2  # nothing imported twice
    assert c1["brands_created"] == 6 and c1["categories_created"] == 21
    assert "brands_created" not in c2 and "categories_created" not in c2
    assert assert_erp_matches_sandbox(shop) == 900
    assert second["requests_used"] <= 2 + 10 + 40  # locals + product pages + stock pages

    before = dump(shop)
    again = run(run_id="again")
    assert again["resumed_from"] is None
    assert dump(shop) == before  # not one ERP row written
    c3 = counts(again)
    assert c3["products_unchanged"] == 900 and c3["skus_unchanged"] == sum(1 for code in links(shop, "sku"))
    assert c3["brands_unchanged"] == 6 and c3["categories_unchanged"] == 21
    assert not any(key.endswith(("_created", "_updated")) for key in c3)


def test_a_500_burst_stops_the_run_and_the_next_one_continues(shop, reconnect, monkeypatch) -> None:
    seed(shop, 400)
    reconnect(max_retries=1)
    original = AnyMarketImportCatalogOperator._commit

    def burst_after_250(self, store, checkpoint, importer, position, kind, item, outcome):
        original(self, store, checkpoint, importer, position, kind, item, outcome)
        if kind == "product" and position == 250:
            shop["sandbox"].admin.set_faults(error_burst=2)  # both attempts at the next request: 5xx

    monkeypatch.setattr(AnyMarketImportCatalogOperator, "_commit", burst_after_250)
    with pytest.raises(AnyMarketAPIError):
        run(scope="catalog", run_id="first")
    # 300 products read (3 pages) when the 4th page failed; 250 committed before the burst began
    # and the rest of the 3rd page too: the checkpoint is at the first product not committed.
    checkpoint = shop["mapping"].last_run_summary("loja1", "import_catalog")["summary"]
    assert counts(checkpoint)["products_seen"] == 300
    monkeypatch.setattr(AnyMarketImportCatalogOperator, "_commit", original)
    second = run(scope="catalog", run_id="second")
    assert second["resumed_from"]["position"] == 300
    assert counts(second)["products_seen"] == 100
    assert assert_erp_matches_sandbox(shop) == 360


# -- scopes, settings, checkpoints ------------------------------------------------------------------


def test_each_scope_imports_only_its_part(shop) -> None:
    seed(shop, 30)
    brands = run("brands", "brands")
    assert counts(brands) == {"brands_created": 6}
    assert check_brands(shop) and not erp_rows(shop, "SELECT id FROM categories")
    categories = run("categories", "categories")
    assert counts(categories) == {"categories_created": 21}
    check_categories(shop)
    assert not erp_rows(shop, "SELECT id FROM products")
    catalog = run("catalog", "catalog")
    assert set(counts(catalog)) == {"products_seen", "products_created", "skus_created", "skipped_inactive"}
    assert assert_erp_matches_sandbox(shop) == 27
    assert counts(run("brands", "brands again")) == {"brands_unchanged": 6}


def test_settings_inactive_products_and_default_fiscal_origin(shop) -> None:
    seed(shop, 30)
    settings(shop, import_only_active=False, default_fiscal_origin=5)
    summary = run()
    assert counts(summary)["products_created"] == 30 and "skipped_inactive" not in counts(summary)
    assert assert_erp_matches_sandbox(shop, only_active=False, default_origin=5) == 30
    assert {r["active"] for r in erp_rows(shop, "SELECT active FROM products WHERE name = 'Produto 9'")} == {
        0
    }


def test_imported_skus_are_linked_for_send_stock(shop) -> None:
    seed(shop, 30)
    run()
    settings(shop, stock={"rule": "mapped_deposits"})
    sent = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1").execute(
        {"run_id": "stock", "params": {}}
    )
    assert "skipped_unlinked_skus" not in sent["counts"]
    skus = links(shop, "sku")
    assert sent["counts"]["sent"] == 2 * len(skus)  # every imported SKU x both mapped warehouses
    balances = {
        (r["code"], r["deposit"]): int(r["quantity"])
        for r in erp_rows(
            shop,
            "SELECT s.code, d.code AS deposit, b.quantity FROM stock_balances b "
            "JOIN skus s ON s.id = b.sku_id JOIN deposits d ON d.id = b.deposit_id",
        )
    }
    code_of = {am: code for code, am in skus.items()}
    for row in listing(shop, "/stocks"):  # AnyMarket got back what it had (0 where it had no row)
        deposit = "SP" if row["stockLocal"]["defaultLocal"] else "REC"
        code = code_of.get(str(row["stockKeepingUnit"]["id"]))
        if code is None:  # a SKU of an inactive product: not imported, not sent
            continue
        assert row["amount"] == balances.get((code, deposit), 0)


def test_an_existing_erp_sku_with_that_code_is_linked_and_keeps_its_product(shop) -> None:
    seed(shop, 30)
    product = next(p for p in listing(shop, "/products") if p["title"] == "Produto 1")
    sku = product["skus"][0]
    with shop["erp"].engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO products (code, name) VALUES ('LEGACY-1', 'Antigo')"))
        conn.execute(
            sa.text(
                "INSERT INTO skus (product_id, code, name, sell_price) "
                "SELECT id, :code, 'Antigo', 1 FROM products WHERE code = 'LEGACY-1'"
            ),
            {"code": sku["partnerId"]},
        )
        conn.execute(
            sa.text(
                "INSERT INTO product_attributes (product_id, name, value) "
                "SELECT id, 'Uso interno', 'sim' FROM products WHERE code = 'LEGACY-1'"
            )
        )
    [before] = erp_rows(shop, f"SELECT id FROM skus WHERE code = '{sku['partnerId']}'")
    run()
    [after] = erp_rows(shop, f"SELECT id, name, product_id FROM skus WHERE code = '{sku['partnerId']}'")
    assert after["id"] == before["id"] and after["name"] == sku["title"]
    assert links(shop, "sku")[sku["partnerId"]] == str(sku["id"])
    assert links(shop, "product")["LEGACY-1"] == str(product["id"])
    [legacy] = erp_rows(shop, "SELECT id, name FROM products WHERE code = 'LEGACY-1'")
    assert legacy["name"] == "Produto 1" and after["product_id"] == legacy["id"]
    assert not erp_rows(shop, f"SELECT id FROM products WHERE code = '{product['externalIdProduct']}'")
    attributes = {
        r["name"]
        for r in erp_rows(shop, f"SELECT name FROM product_attributes WHERE product_id = {legacy['id']}")
    }
    assert "Uso interno" in attributes and "Material" in attributes  # the ERP's own attribute is kept


def test_update_sku_code_on_import(shop) -> None:
    seed(shop, 30)
    run("catalog", "first")
    product = next(p for p in listing(shop, "/products") if p["title"] == "Produto 2")
    sku = product["skus"][0]
    [erp_sku] = erp_rows(shop, f"SELECT id FROM skus WHERE code = '{sku['partnerId']}'")
    renamed = api(shop).put(f"/products/{product['id']}/skus/{sku['id']}", json={"partnerId": "NOVO-2"})
    assert renamed.status_code == 200, renamed.text

    kept = run("catalog", "setting off")
    assert kept["examples"]["sku_code_kept"] == [f"{sku['partnerId']} (AnyMarket partnerId NOVO-2)"]
    assert erp_rows(shop, f"SELECT code FROM skus WHERE id = {erp_sku['id']}") == [{"code": sku["partnerId"]}]
    assert links(shop, "sku")[sku["partnerId"]] == str(sku["id"]) and "NOVO-2" not in links(shop, "sku")

    settings(shop, update_sku_code_on_import=True)
    updated = run("catalog", "setting on")
    assert updated["examples"]["sku_code_updated"] == [f"{sku['partnerId']} → NOVO-2"]
    assert erp_rows(shop, f"SELECT code FROM skus WHERE id = {erp_sku['id']}") == [{"code": "NOVO-2"}]
    assert links(shop, "sku")["NOVO-2"] == str(sku["id"]) and sku["partnerId"] not in links(shop, "sku")
    assert counts(updated)["skus_updated"] == 1
    assert counts(run("catalog", "again")).get("skus_updated", 0) == 0


def test_a_product_that_cannot_be_imported_fails_alone_and_is_retried(shop, monkeypatch) -> None:
    seed(shop, 200)
    settings(shop, update_sku_code_on_import=True)
    run("catalog", "first")
    # The 6th product in the sandbox's listing order (newest or oldest first): imported before the crash.
    product = listing(shop, "/products")[5]
    sku = product["skus"][0]
    api(shop).put(f"/products/{product['id']}/skus/{sku['id']}", json={"partnerId": "TOMADO"})
    with shop["erp"].engine.begin() as conn:  # another ERP SKU already has the new code
        conn.execute(
            sa.text("INSERT INTO skus (product_id, code, name) SELECT MIN(id), 'TOMADO', 'x' FROM products")
        )
    calls = {"n": 0}
    original = CatalogImporter.import_product

    def crash_at_150(self, *args):
        calls["n"] += 1
        if calls["n"] == 150:
            raise RuntimeError("worker lost")
        return original(self, *args)

    monkeypatch.setattr(CatalogImporter, "import_product", crash_at_150)
    with pytest.raises(RuntimeError):
        run("catalog", "conflict")
    failed = shop["mapping"].last_run_summary("loja1", "import_catalog")["summary"]
    assert len(failed["examples"]["failed"]) == 1 and "TOMADO" in failed["examples"]["failed"][0]
    [history] = shop["mapping"].history_of("loja1", "product", str(product["id"]))[-1:]
    assert history["outcome"] == "error" and "TOMADO" in history["error"]
    monkeypatch.setattr(CatalogImporter, "import_product", original)

    with shop["erp"].engine.begin() as conn:  # someone fixes the ERP
        conn.execute(sa.text("DELETE FROM skus WHERE code = 'TOMADO'"))
    resumed = run("catalog", "resumed")
    assert resumed["resumed_from"]["position"] == 149
    assert counts(resumed)["failed_products_retried"] == 1 and resumed["products_failed_pending"] == []
    assert links(shop, "sku")["TOMADO"] == str(sku["id"])
    assert assert_erp_matches_sandbox(shop) == 180


def test_a_checkpoint_older_than_7_days_is_not_resumed(shop, monkeypatch) -> None:
    seed(shop, 200)
    calls = {"n": 0}
    original = CatalogImporter.import_product

    def crash_at_120(self, *args):
        calls["n"] += 1
        if calls["n"] == 120:
            raise RuntimeError("worker lost")
        return original(self, *args)

    monkeypatch.setattr(CatalogImporter, "import_product", crash_at_120)
    with pytest.raises(RuntimeError):
        run(run_id="first")
    monkeypatch.setattr(CatalogImporter, "import_product", original)
    table = m.catalog_import_checkpoints
    with shop["mapping"].begin() as conn:
        [started] = conn.execute(sa.select(table.c.started_at)).scalars()
        conn.execute(sa.update(table).values(started_at=started - timedelta(days=8)))

    again = run(run_id="a week later")
    assert again["resumed_from"] is None and "ignored_checkpoint_started_at" in again
    c = counts(again)
    assert c["brands_unchanged"] == 6 and c["categories_unchanged"] == 21
    assert c["products_unchanged"] + c["products_created"] == 180
    # the 119 committed before the crash (the first of the sandbox's listing order), less the inactive
    inactive = sum(1 for p in listing(shop, "/products")[:119] if not p["isProductActive"])
    assert c["products_unchanged"] == 119 - inactive
    assert assert_erp_matches_sandbox(shop) == 180
