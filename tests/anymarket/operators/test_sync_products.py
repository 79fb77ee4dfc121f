"""Sync products over the real sandbox, a real ERP and the mapping DB (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.catalog.state import CREATED_WITHOUT_STOCK, CatalogState
from anymarket.mapping import models as m
from anymarket.operators.sync_products import AnyMarketSyncProductsOperator
from anymarket_sandbox import conformance
from anymarket_sandbox.testing import Api

WRITES = ("POST", "PUT", "DELETE", "PATCH")
LONG_TITLE = "Camiseta " + "muito " * 30  # over AnyMarket's 150 characters


# -- the ERP ---------------------------------------------------------------------------------------


def erp_exec(erp, sql: str, rows: list[dict[str, Any]] | dict[str, Any] | None = None) -> None:
    with erp.engine.begin() as conn:
        conn.execute(sa.text(sql), rows or {})


def seed_erp(erp) -> None:
    """Brand MRC1, categories Moda > Camisetas, a simple product P1 and a parent P2 (Cor x Tamanho)."""
    erp_exec(erp, "INSERT INTO brands (id, code, name) VALUES (1, 'MRC1', 'Marca Um')")
    erp_exec(
        erp,
        "INSERT INTO categories (id, code, name, parent_id) VALUES (:i, :c, :n, :p)",
        [{"i": 1, "c": "CAT1", "n": "Moda", "p": None}, {"i": 2, "c": "CAT2", "n": "Camisetas", "p": 1}],
    )
    add_product(erp, 1, "P1", "Caneca Azul", has_variations=False, skus=[("P1", {})])
    add_product(
        erp,
        2,
        "P2",
        "Camiseta Básica",
        has_variations=True,
        skus=[
            (f"P2-{c[:3].upper()}-{s}", {"Cor": c, "Tamanho": s})
            for c in ("Azul", "Preto")
            for s in ("P", "M")
        ],
    )


def add_product(
    erp,
    product_id: int,
    code: str,
    name: str,
    *,
    has_variations: bool,
    skus: list[tuple[str, dict[str, str]]],
    active: bool = True,
) -> None:
    erp_exec(
        erp,
        "INSERT INTO products (id, code, name, description, brand_id, category_id, ncm, origin, height_cm, "
        "width_cm, length_cm, weight_kg, has_variations, active) "
        "VALUES (:i, :c, :n, :d, 1, 2, '61091000', 0, 10, 20, 30, 0.3, :v, :a)",
        {
            "i": product_id,
            "c": code,
            "n": name,
            "d": f"{name}.\nAlgodão <100%>.",
            "v": has_variations,
            "a": active,
        },
    )
    for position, (sku_code, variations) in enumerate(skus, start=1):
        erp_exec(
            erp,
            "INSERT INTO skus (product_id, code, name, crossdocking_days, sell_price, list_price, active) "
            "VALUES (:p, :c, :n, 2, 49.9, 59.9, :a)",
            {"p": product_id, "c": sku_code, "n": f"{name} {sku_code}", "a": active},
        )
        for type_position, (vtype, value) in enumerate(variations.items(), start=1):
            erp_exec(
                erp,
                "INSERT INTO sku_variations (sku_id, variation_type, variation_value, position) "
                "SELECT id, :t, :v, :pos FROM skus WHERE code = :c",
                {"c": sku_code, "t": vtype, "v": value, "pos": type_position},
            )
        del position
    attributes = [("Modelo", f"MOD-{code}"), ("Gênero", "Masculino"), ("Tempo de Garantia", "12")]
    attributes += [("Texto de Garantia", "Garantia do fabricante."), ("Material", "Algodão")]
    erp_exec(
        erp,
        "INSERT INTO product_attributes (product_id, name, value, position) VALUES (:p, :n, :v, :pos)",
        [{"p": product_id, "n": n, "v": v, "pos": i} for i, (n, v) in enumerate(attributes, start=1)],
    )
    for position in (1, 2):
        add_image(erp, code, position, f"https://img.example.com/{code.lower()}/{position}.jpg")
    if has_variations:
        erp_exec(
            erp,
            "INSERT INTO product_images (product_id, sku_id, position, url) "
            "SELECT p.id, s.id, 3, :u FROM products p JOIN skus s ON s.product_id = p.id "
            "WHERE p.code = :c AND s.code = :s",
            {"c": code, "s": skus[0][0], "u": f"https://img.example.com/{code.lower()}/azul.jpg"},
        )


def add_image(erp, product_code: str, position: int, url: str) -> None:
    erp_exec(
        erp,
        "INSERT INTO product_images (product_id, position, url) "
        "SELECT id, :pos, :u FROM products WHERE code = :c",
        {"c": product_code, "pos": position, "u": url},
    )


# -- running -----------------------------------------------------------------------------------------


@pytest.fixture
def shop(integration_env, tmp_path: Path) -> dict[str, Any]:
    seed_erp(integration_env.erp)
    return {"env": integration_env, "tmp": tmp_path}


def settings(shop: dict[str, Any], **products: Any) -> None:
    """Rewrite loja1's product settings (the operator reads them at run time)."""
    (shop["tmp"] / "integrations.yaml").write_text(
        "integrations:\n  loja1:\n    name: Loja 1\n    environment: sandbox\n"
        f"    alert_emails: [ops@loja1.example]\n    products: {products!r}\n".replace("'", '"')
        .replace("True", "true")
        .replace("False", "false")
    )


def run(shop: dict[str, Any], **params: Any) -> dict[str, Any]:
    operator = AnyMarketSyncProductsOperator(task_id="sync_products", integration_id="loja1")
    return operator.execute({"run_id": "test-run", "params": params})


def last_seq(shop: dict[str, Any]) -> int:
    logged = shop["env"].sandbox.admin.requests()
    return logged[-1]["seq"] if logged else 0


def requests_since(shop: dict[str, Any], seq: int) -> list[dict[str, Any]]:
    return shop["env"].sandbox.admin.requests(since=seq)


def writes(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in entries if e["method"] in WRITES]


def api(shop: dict[str, Any]) -> Api:
    sandbox = shop["env"].sandbox
    return Api(sandbox.base_url, sandbox.token)


def remote_product(shop: dict[str, Any], code: str) -> dict[str, Any]:
    product_id = shop["env"].mapping.links_of("loja1", "product")[code]
    return api(shop).get(f"/products/{product_id}").json()


def touch(erp, sql: str, params: dict[str, Any] | None = None) -> None:
    erp_exec(erp, sql, params)


# -- tests -------------------------------------------------------------------------------------------


def test_creates_simple_and_variation_products_with_images_and_attributes(shop: dict[str, Any]) -> None:
    env = shop["env"]
    summary = run(shop)
    counts = summary["counts"]
    assert counts["created"] == 2 and counts["rejected"] == 0
    logged = env.sandbox.admin.requests()
    if conformance.spec_available():
        conformance.assert_requests_conform(logged)

    simple = remote_product(shop, "P1")
    assert simple["title"] == "Caneca Azul"
    assert simple["description"] == "Caneca Azul.<br>Algodão &lt;100%&gt;."
    assert (simple["model"], simple["gender"], simple["warrantyTime"]) == ("MOD-P1", "MALE", 12)
    assert simple["warrantyText"] == "Garantia do fabricante."
    assert simple["characteristics"] == [{"index": 1, "name": "Material", "value": "Algodão"}]
    assert simple["nbm"] == {"id": "61091000"} and simple["origin"] == {"id": 0}
    assert (simple["height"], simple["width"], simple["length"], simple["weight"]) == (10, 20, 30, 0.3)
    assert simple["hasVariations"] is False and simple["isProductActive"] is True
    assert simple["category"]["path"] == "Moda/Camisetas" and simple["brand"]["partnerId"] == "MRC1"
    assert (simple["priceFactor"], simple["definitionPriceScope"]) == (1.0, "SKU")
    assert [(i["url"], i["main"]) for i in simple["images"]] == [
        ("https://img.example.com/p1/1.jpg", True),
        ("https://img.example.com/p1/2.jpg", False),
    ]
    [sku] = simple["skus"]
    assert (sku["partnerId"], sku["price"], sku["sellPrice"], sku["additionalTime"]) == ("P1", 59.9, 49.9, 2)

    parent = remote_product(shop, "P2")
    assert parent["hasVariations"] is True and len(parent["skus"]) == 4
    variations = {
        s["partnerId"]: {v["type"]["name"]: v["description"] for v in s["variations"]} for s in parent["skus"]
    }
    assert variations["P2-PRE-M"] == {"Cor": "Preto", "Tamanho": "M"}
    colour = next(s for s in parent["skus"] if s["partnerId"] == "P2-AZU-P")["variations"][0]["type"]
    assert colour == {"id": colour["id"], "name": "Cor", "visualVariation": True}
    assert [(i["url"].rsplit("/", 1)[1], i.get("variation")) for i in parent["images"]] == [
        ("1.jpg", None),
        ("2.jpg", None),
        ("azul.jpg", "Azul"),
    ]

    # What send stock, send prices and import orders read: SKU code → AnyMarket SKU id.
    skus = env.mapping.links_of("loja1", "sku")
    assert skus == {s["partnerId"]: str(s["id"]) for s in simple["skus"] + parent["skus"]}
    assert len([k for k in env.mapping.links_of("loja1", "image") if k.startswith("P2:")]) == 3
    assert set(env.mapping.links_of("loja1", "variation_value")) == {
        "Cor:Azul",
        "Cor:Preto",
        "Tamanho:P",
        "Tamanho:M",
    }
    # Categories parent before child; brand and categories carry the ERP code as partnerId.
    posted = [e["body"] for e in logged if e["method"] == "POST" and e["path"] == "/v2/categories"]
    assert [(b["name"], b["partnerId"]) for b in posted] == [("Moda", "CAT1"), ("Camisetas", "CAT2")]
    assert posted[1]["parent"]["id"] == int(env.mapping.links_of("loja1", "category")["CAT1"])
    # New product once brand and category exist: GET /products?sku= and one POST /products.
    per_product = [e for e in logged if e["path"] == "/v2/products"]
    assert [e["method"] for e in per_product] == ["GET", "POST", "GET", "POST"]


def test_second_run_without_change_sends_nothing(shop: dict[str, Any]) -> None:
    run(shop)
    seq = last_seq(shop)
    summary = run(shop)
    assert requests_since(shop, seq) == []
    assert summary["counts"]["unchanged"] == 2 and summary["requests_used"] == 0


def test_changed_title_is_one_put(shop: dict[str, Any]) -> None:
    run(shop)
    seq = last_seq(shop)
    touch(shop["env"].erp, "UPDATE products SET name = 'Caneca Azul Grande' WHERE code = 'P1'")
    summary = run(shop)
    product_id = shop["env"].mapping.links_of("loja1", "product")["P1"]
    assert writes(requests_since(shop, seq)) == [("PUT", f"/v2/products/{product_id}")]
    assert summary["counts"]["updated"] == 1 and summary["counts"]["created"] == 0
    assert remote_product(shop, "P1")["title"] == "Caneca Azul Grande"


def test_sku_change_and_new_sku(shop: dict[str, Any]) -> None:
    env = shop["env"]
    run(shop)
    seq = last_seq(shop)
    touch(env.erp, "UPDATE skus SET ean = '7891234567895' WHERE code = 'P2-AZU-P'")
    erp_exec(
        env.erp,
        "INSERT INTO skus (product_id, code, name, sell_price, list_price) "
        "VALUES (2, 'P2-AZU-G', 'G', 49.9, 59.9)",
    )
    erp_exec(
        env.erp,
        "INSERT INTO sku_variations (sku_id, variation_type, variation_value, position) "
        "SELECT id, v.t, v.v, v.p FROM skus, (SELECT 'Cor' AS t, 'Azul' AS v, 1 AS p "
        "UNION ALL SELECT 'Tamanho', 'G', 2) v WHERE code = 'P2-AZU-G'",
    )
    run(shop)
    pid = env.mapping.links_of("loja1", "product")["P2"]
    sid = env.mapping.links_of("loja1", "sku")["P2-AZU-P"]
    assert sorted(writes(requests_since(shop, seq))) == sorted(
        [
            (
                "POST",
                "/v2/variations/" + env.mapping.links_of("loja1", "variation_type")["Tamanho"] + "/values",
            ),
            ("PUT", f"/v2/products/{pid}/skus/{sid}"),
            ("POST", f"/v2/products/{pid}/skus"),
        ]
    )
    skus = {s["partnerId"]: s for s in remote_product(shop, "P2")["skus"]}
    assert skus["P2-AZU-P"]["ean"] == "7891234567895" and "P2-AZU-G" in skus
    assert env.mapping.links_of("loja1", "sku")["P2-AZU-G"] == str(skus["P2-AZU-G"]["id"])


def test_images_added_and_removed_per_setting(shop: dict[str, Any]) -> None:
    env = shop["env"]
    run(shop)
    pid = env.mapping.links_of("loja1", "product")["P1"]
    seq = last_seq(shop)
    add_image(env.erp, "P1", 3, "https://img.example.com/p1/3.jpg")
    run(shop)
    assert writes(requests_since(shop, seq)) == [("POST", f"/v2/products/{pid}/images")]

    seq = last_seq(shop)
    touch(env.erp, "DELETE FROM product_images WHERE url LIKE '%/p1/2.jpg'")
    run(shop)  # delete_removed_images is off: the image stays on AnyMarket
    assert writes(requests_since(shop, seq)) == []
    assert len(remote_product(shop, "P1")["images"]) == 3

    settings(shop, delete_removed_images=True)
    seq = last_seq(shop)
    touch(env.erp, "DELETE FROM product_images WHERE url LIKE '%/p1/1.jpg'")
    run(shop)
    deleted = [w for w in writes(requests_since(shop, seq)) if w[0] == "DELETE"]
    assert len(deleted) == 2  # both images removed from the ERP
    images = remote_product(shop, "P1")["images"]
    assert [(i["url"].rsplit("/", 1)[1], i["main"]) for i in images] == [("3.jpg", True)]
    assert list(env.mapping.links_of("loja1", "image")).count(f"P1:{images[0]['id']}") == 0
    assert len([k for k in env.mapping.links_of("loja1", "image") if k.startswith("P1:")]) == 1


def test_send_images_no_and_replication(shop: dict[str, Any]) -> None:
    settings(shop, send_images="no")
    run(shop)
    assert remote_product(shop, "P1")["images"] == []
    settings(shop, replicate_parent_images=True)
    run(shop, full_sync=True)
    images = [(i["url"].rsplit("/", 1)[1], i.get("variation")) for i in remote_product(shop, "P2")["images"]]
    assert sorted(images, key=str) == sorted(
        [("1.jpg", None), ("2.jpg", None), ("azul.jpg", "Azul")]
        + [(name, colour) for colour in ("Azul", "Preto") for name in ("1.jpg", "2.jpg")],
        key=str,
    )


def test_existing_product_with_the_same_sku_is_adopted(shop: dict[str, Any]) -> None:
    env = shop["env"]
    brand = api(shop).post("/brands", json={"name": "Marca Um", "partnerId": "MRC1"}).json()
    category = api(shop).post("/categories", json={"name": "Cadastro antigo"}).json()
    existing = (
        api(shop)
        .post(
            "/products",
            json={  # a whole product, as AnyMarket's panel or another integration registers it
                "title": "Caneca (cadastro antigo)",
                "description": "Caneca",
                "category": {"id": category["id"]},
                "brand": {"id": brand["id"]},
                "warrantyTime": 0,
                "height": 10,
                "width": 10,
                "length": 10,
                "weight": 0.3,
                "priceFactor": 1,
                "calculatedPrice": False,
                "definitionPriceScope": "SKU",
                "hasVariations": False,
                "allowAutomaticSkuMarketplaceCreation": True,
                "skus": [
                    {
                        "title": "Caneca",
                        "partnerId": "P1",
                        "price": 10,
                        "sellPrice": 9,
                        "amount": 0,
                        "additionalTime": 0,
                    }
                ],
                "images": [{"index": 1, "main": True, "url": "https://img.example.com/p1/1.jpg"}],
            },
        )
        .json()
    )
    env.sandbox.admin.clear_requests()
    summary = run(shop)
    assert summary["counts"]["adopted"] == 1 and summary["counts"]["created"] == 1
    assert env.mapping.links_of("loja1", "product")["P1"] == str(existing["id"])
    assert env.mapping.links_of("loja1", "sku")["P1"] == str(existing["skus"][0]["id"])
    assert env.mapping.links_of("loja1", "brand")["MRC1"] == str(brand["id"])  # found, not created
    products = api(shop).get("/products", params={"limit": 100}).json()["content"]
    assert len(products) == 2 and sum(len(p["skus"]) for p in products) == 5  # no duplicate SKU
    logged = env.sandbox.admin.requests()
    assert not [e for e in logged if e["method"] == "POST" and e["path"] == "/v2/brands"]
    adopted = remote_product(shop, "P1")
    assert adopted["title"] == "Caneca Azul" and len(adopted["images"]) == 2  # brought in line
    seq = last_seq(shop)
    run(shop)
    assert requests_since(shop, seq) == []


def test_product_linked_by_someone_else_is_read_once_and_adopted(shop: dict[str, Any]) -> None:
    """A product the catalog import (or a person) linked has no sync state: it is read and compared,
    not sent again blindly (its images would be duplicated)."""
    env = shop["env"]
    run(shop)
    pid = env.mapping.links_of("loja1", "product")["P1"]
    with env.mapping.begin() as conn:  # what an importer leaves: links only
        conn.execute(sa.delete(m.product_sync).where(m.product_sync.c.product_code == "P1"))
        conn.execute(sa.delete(m.links).where(m.links.c.entity_type == "image"))
        conn.execute(sa.update(m.links).values(payload_hash=None))
    seq = last_seq(shop)
    touch(env.erp, "UPDATE products SET name = 'Caneca Azul 2' WHERE code = 'P1'")
    summary = run(shop)
    assert summary["counts"]["adopted"] == 1
    logged = requests_since(shop, seq)
    assert ("GET", f"/v2/products/{pid}") in [(e["method"], e["path"]) for e in logged]
    assert writes(logged) == [("PUT", f"/v2/products/{pid}")]  # only the title differs
    assert len(remote_product(shop, "P1")["images"]) == 2


def test_refused_product_is_recorded_and_the_rest_go_through(shop: dict[str, Any]) -> None:
    env = shop["env"]
    add_product(env.erp, 3, "P3", LONG_TITLE, has_variations=False, skus=[("P3", {})])
    summary = run(shop)
    assert summary["counts"]["created"] == 2 and summary["counts"]["rejected"] == 1
    assert (
        "P3: O campo 'title' deve ter no máximo 150 caracteres." in summary["examples"]["rejected_products"]
    )
    rejected = CatalogState(env.mapping, "loja1").rejected()
    assert rejected["P3"]["status"] == 422 and "150" in rejected["P3"]["message"]
    history = env.mapping.history_of("loja1", "product", "P3")
    assert history[-1]["outcome"] == "error" and "150" in history[-1]["error"]
    assert "P3" not in env.mapping.links_of("loja1", "product")

    seq = last_seq(shop)
    touch(env.erp, "UPDATE skus SET crossdocking_days = 2 WHERE code = 'P3'")  # moves, data unchanged
    assert run(shop)["counts"]["skipped_rejected_unchanged"] == 1
    assert requests_since(shop, seq) == []  # not retried while its data is the same

    touch(env.erp, "UPDATE products SET name = 'Caneca Vermelha' WHERE code = 'P3'")
    assert run(shop)["counts"]["created"] == 1
    assert "P3" not in CatalogState(env.mapping, "loja1").rejected()
    # The SKU kept its long ERP name: its title is cut to AnyMarket's 150 characters, at a word.
    sku = api(shop).get("/products", params={"sku": "P3"}).json()["content"][0]["skus"][0]
    assert (
        len(sku["title"]) <= 150 and sku["title"].startswith("Camiseta muito") and sku["title"].endswith("o")
    )


def test_brands_and_categories_are_not_duplicated_across_runs(shop: dict[str, Any]) -> None:
    env = shop["env"]
    run(shop)
    erp_exec(env.erp, "INSERT INTO categories (id, code, name, parent_id) VALUES (3, 'CAT3', 'Canecas', 1)")
    add_product(env.erp, 4, "P4", "Caneca Verde", has_variations=False, skus=[("P4", {})])
    touch(env.erp, "UPDATE products SET category_id = 3 WHERE code = 'P4'")
    run(shop)
    logged = env.sandbox.admin.requests()
    assert len([e for e in logged if e["method"] == "POST" and e["path"] == "/v2/brands"]) == 1
    categories = [
        e["body"]["partnerId"] for e in logged if e["method"] == "POST" and e["path"] == "/v2/categories"
    ]
    assert categories == ["CAT1", "CAT2", "CAT3"]
    full = api(shop).get("/categories/fullPath").json()
    assert sorted(c["path"] for c in full) == ["Moda", "Moda/Camisetas", "Moda/Canecas"]
    assert len(api(shop).get("/brands").json()["content"]) == 1


def test_brand_and_category_renamed_in_the_erp_are_renamed_on_anymarket(shop: dict[str, Any]) -> None:
    env = shop["env"]
    settings(shop, price_format="markup", price_factor=1.5)
    run(shop)
    brand_id = env.mapping.links_of("loja1", "brand")["MRC1"]
    root_id = env.mapping.links_of("loja1", "category")["CAT1"]
    seq = last_seq(shop)
    erp_exec(env.erp, "UPDATE brands SET name = 'Marca Um Nova' WHERE code = 'MRC1'")
    erp_exec(env.erp, "UPDATE categories SET name = 'Moda e Estilo' WHERE code = 'CAT1'")
    summary = run(shop)
    # One PUT each (after reading what to keep), no product touched: they point at the ids.
    assert writes(requests_since(shop, seq)) == [
        ("PUT", f"/v2/brands/{brand_id}"),
        ("PUT", f"/v2/categories/{root_id}"),
    ]
    assert (summary["counts"]["brand_renamed"], summary["counts"]["category_renamed"]) == (1, 1)
    brand = api(shop).get(f"/brands/{brand_id}").json()
    assert (brand["name"], brand["reducedName"], brand["partnerId"]) == (
        "Marca Um Nova",
        "Marca Um Nova",
        "MRC1",
    )
    root = api(shop).get(f"/categories/{root_id}").json()
    assert (root["name"], root["priceFactor"], root["definitionPriceScope"]) == ("Moda e Estilo", 1.5, "SKU")
    assert remote_product(shop, "P1")["category"]["path"] == "Moda e Estilo/Camisetas"
    # The new names are what AnyMarket holds now: the next run sends nothing.
    seq = last_seq(shop)
    run(shop)
    assert requests_since(shop, seq) == []


def test_renames_spare_hand_mappings_and_a_refusal_is_retried(shop: dict[str, Any]) -> None:
    env = shop["env"]
    run(shop)
    brand_id = env.mapping.links_of("loja1", "brand")["MRC1"]
    api(shop).post("/brands", json={"name": "Outra Marca"})
    # AnyMarket refuses a second brand of the same name: recorded, and the rest of the run goes on.
    erp_exec(env.erp, "UPDATE brands SET name = 'Outra Marca' WHERE code = 'MRC1'")
    touch(env.erp, "UPDATE products SET name = 'Caneca Azul Grande' WHERE code = 'P1'")
    summary = run(shop)
    assert summary["counts"]["brand_rename_refused"] == 1 and summary["counts"]["updated"] == 1
    [refused] = env.mapping.history_of("loja1", "brand", "MRC1")[-1:]
    assert (refused["action"], refused["outcome"]) == ("rename", "error")
    assert "Já existe uma marca" in refused["error"]
    # Still refused next run (the link kept the old name, so it is tried again), then it goes through.
    assert run(shop)["counts"]["brand_rename_refused"] == 1
    erp_exec(env.erp, "UPDATE brands SET name = 'Marca Um Nova' WHERE code = 'MRC1'")
    assert run(shop)["counts"]["brand_renamed"] == 1
    # A brand a person mapped by hand is theirs: an ERP rename does not touch it.
    env.mapping.set_mapping("loja1", "brand", "MRC1", brand_id)
    erp_exec(env.erp, "UPDATE brands SET name = 'Marca Renomeada' WHERE code = 'MRC1'")
    seq = last_seq(shop)
    run(shop)
    assert requests_since(shop, seq) == []
    assert api(shop).get(f"/brands/{brand_id}").json()["name"] == "Marca Um Nova"


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [("missing_endpoints", "HTTP 404"), ("raw_responses", "expected the brand as a JSON object")],
    ids=["brand-gone", "answer-not-an-object"],
)
def test_a_rename_anymarket_cannot_take_is_recorded_and_products_still_go(
    shop: dict[str, Any], fault: str, fragment: str
) -> None:
    env = shop["env"]
    run(shop)
    read = f"GET /v2/brands/{env.mapping.links_of('loja1', 'brand')['MRC1']}"
    env.sandbox.admin.set_faults(**{fault: [read] if fault == "missing_endpoints" else {read: "[1, 2]"}})
    erp_exec(env.erp, "UPDATE brands SET name = 'Marca Um Nova' WHERE code = 'MRC1'")
    touch(env.erp, "UPDATE products SET name = 'Caneca Azul Grande' WHERE code = 'P1'")
    summary = run(shop)
    assert summary["counts"]["brand_rename_refused"] == 1 and summary["counts"]["updated"] == 1
    assert fragment in env.mapping.history_of("loja1", "brand", "MRC1")[-1]["error"]
    assert remote_product(shop, "P1")["title"] == "Caneca Azul Grande"


def test_categories_already_on_anymarket_are_linked(shop: dict[str, Any]) -> None:
    """A child category is found through /categories/fullPath (the listing shows roots only)."""
    env = shop["env"]
    root = api(shop).post("/categories", json={"name": "Moda", "partnerId": "CAT1"}).json()
    child = (
        api(shop)
        .post("/categories", json={"name": "Camisetas", "partnerId": "CAT2", "parent": {"id": root["id"]}})
        .json()
    )
    env.sandbox.admin.clear_requests()
    run(shop)
    assert env.mapping.links_of("loja1", "category") == {"CAT1": str(root["id"]), "CAT2": str(child["id"])}
    assert not [e for e in env.sandbox.admin.requests(method="POST") if e["path"] == "/v2/categories"]


def test_inactive_products(shop: dict[str, Any]) -> None:
    env = shop["env"]
    add_product(env.erp, 5, "P5", "Caneca Antiga", has_variations=False, skus=[("P5", {})], active=False)
    summary = run(shop)
    assert summary["counts"]["skipped_inactive"] == 1 and "P5" not in env.mapping.links_of("loja1", "product")
    touch(env.erp, "UPDATE products SET active = FALSE WHERE code = 'P1'")
    run(shop)
    product = remote_product(shop, "P1")
    assert product["isProductActive"] is False and product["skus"][0]["active"] is False


def test_params_send_one_product_or_everything(shop: dict[str, Any]) -> None:
    env = shop["env"]
    run(shop)
    seq = last_seq(shop)
    summary = run(shop, product_code="P1")
    pid = env.mapping.links_of("loja1", "product")["P1"]
    sent = writes(requests_since(shop, seq))
    assert ("PUT", f"/v2/products/{pid}") in sent and summary["counts"]["considered"] == 1
    assert all(f"/products/{pid}" in path for _, path in sent)
    seq = last_seq(shop)
    assert run(shop, full_sync=True)["counts"]["updated"] == 2
    assert len([w for w in writes(requests_since(shop, seq)) if w[0] == "PUT"]) == 2 + 1 + 4  # products, SKUs
    with pytest.raises(Exception, match="not in the ERP"):
        run(shop, product_code="NOPE")


def test_resumes_after_an_interrupted_run(shop: dict[str, Any]) -> None:
    """A run stopped half-way (AnyMarket's hourly limit) keeps what AnyMarket accepted; the next
    run sends only the rest."""
    env = shop["env"]
    # Brand (2 lookups + POST), categories (tree + 2 POSTs), P1 (lookup + POST): then 429s.
    env.sandbox.admin.set_budget(requests_per_hour=8, clear_usage=True)
    with pytest.raises(Exception, match="429"):
        run(shop)
    assert list(env.mapping.links_of("loja1", "product")) == ["P1"]
    env.sandbox.admin.set_budget(requests_per_hour=100_000, clear_usage=True)
    seq = last_seq(shop)
    summary = run(shop)
    assert (summary["counts"]["unchanged"], summary["counts"]["created"]) == (1, 1)
    assert [w for w in writes(requests_since(shop, seq)) if w == ("POST", "/v2/products")] == [
        ("POST", "/v2/products")
    ]
    assert len(api(shop).get("/products", params={"limit": 100}).json()["content"]) == 2
    with env.mapping.engine.connect() as conn:
        synced = conn.execute(
            sa.select(sa.func.count())
            .select_from(m.product_sync)
            .where(m.product_sync.c.data_hash.is_not(None))
        ).scalar()
    assert synced == 2


def test_demo_catalog_on_a_demo_sandbox(integration_env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo ERP against a demo-mode sandbox that already sells some demo SKUs, each as its own
    product: those are adopted and linked, never duplicated; send stock then finds every SKU."""
    import json

    from anymarket.operators.send_stock import AnyMarketSendStockOperator
    from anymarket_sandbox.demo_erp import demo_sku_codes, seed_demo_erp
    from anymarket_sandbox.testing import validated_server

    env = integration_env
    seed_demo_erp(env.erp, products=40, seed=7)
    codes = demo_sku_codes(env.erp)
    with validated_server(demo=True, demo_interval=0, demo_skus=codes, seed=7) as demo:
        monkeypatch.setenv(
            "AIRFLOW_CONN_ANYMARKET_LOJA1",
            json.dumps(
                {"conn_type": "http", "host": demo.base_url, "password": demo.token, "extra": {"oi": demo.oi}}
            ),
        )
        demo_api = Api(demo.base_url, demo.token)
        primed = codes[:6]
        # Products someone placed on AnyMarket before the integration, whole as the spec wants them.
        brand = demo_api.post("/brands", json={"name": "Marca Antiga"}).json()
        category = demo_api.post("/categories", json={"name": "Antiga"}).json()
        for code in primed:
            sku = {
                "title": code,
                "partnerId": code,
                "price": 10,
                "sellPrice": 9,
                "amount": 0,
                "additionalTime": 0,
            }
            response = demo_api.post(
                "/products",
                json={
                    "title": code,
                    "description": code,
                    "category": {"id": category["id"]},
                    "brand": {"id": brand["id"]},
                    "warrantyTime": 0,
                    **dict.fromkeys(("height", "width", "length", "weight"), 1),
                    "priceFactor": 1,
                    "calculatedPrice": False,
                    "definitionPriceScope": "SKU",
                    "images": [],
                    "skus": [sku],
                },
            )
            assert response.status_code == 201, response.text
        for _ in range(5):
            demo.admin.demo_tick()  # sales of the primed SKUs, as the demo makes them

        summary = AnyMarketSyncProductsOperator(task_id="sync_products", integration_id="loja1").execute(
            {"run_id": "demo", "params": {}}
        )
        counts = summary["counts"]
        assert counts["rejected"] == 0 and counts["adopted"] >= 1 and counts["created"] >= 30
        products = demo_api.get("/products", params={"limit": 100}).json()["content"]
        partner_ids = [s["partnerId"] for p in products for s in p["skus"]]
        assert len(partner_ids) == len(set(partner_ids))  # not one SKU twice
        assert set(codes) <= set(partner_ids)
        ids = {s["partnerId"]: str(s["id"]) for p in products for s in p["skus"]}
        links = env.mapping.links_of("loja1", "sku")
        assert {code: links[code] for code in codes} == {code: ids[code] for code in codes}

        again = AnyMarketSyncProductsOperator(task_id="sync_products", integration_id="loja1").execute(
            {"run_id": "demo-2", "params": {}}
        )
        assert again["requests_used"] == 0
        assert again["counts"]["unchanged"] == counts["considered"] - counts.get("skipped_inactive", 0)
        stock = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1").execute(
            {"run_id": "stock", "params": {}}
        )
        # Every SKU is linked; created ones carried their stock, so only adopted ones may need a row.
        stock_counts = stock["counts"]
        assert "skipped_unlinked_rows" not in stock_counts and stock_counts["failed"] == 0
        assert stock_counts["sent"] + stock_counts["unchanged"] == stock_counts["considered"] >= len(codes)
        assert 0 < stock_counts["sent"] <= len(primed) * 4  # the adopted ones came with no stock


def send_prices() -> dict[str, Any]:
    from anymarket.operators.send_prices import AnyMarketSendPricesOperator

    operator = AnyMarketSendPricesOperator(task_id="send_prices", integration_id="loja1")
    return operator.execute({"run_id": "prices", "params": {}})


def test_prices_a_creation_carried_are_not_sent_again(shop: dict[str, Any]) -> None:
    """A new product's POST carries its SKUs' prices: send prices then has nothing to send, until the
    ERP changes one — then exactly that SKU goes out."""
    run(shop)
    seq = last_seq(shop)

    first = send_prices()

    assert requests_since(shop, seq) == [] and first["counts"]["sent"] == 0
    assert first["counts"]["unchanged"] == 5  # P1 and P2's four SKUs
    touch(shop["env"].erp, "UPDATE skus SET sell_price = 45.5 WHERE code = 'P2-AZU-M'")
    seq = last_seq(shop)

    second = send_prices()

    sku_id = shop["env"].mapping.links_of("loja1", "sku")["P2-AZU-M"]
    product_id = shop["env"].mapping.links_of("loja1", "product")["P2"]
    [put] = requests_since(shop, seq)
    assert (put["method"], put["path"]) == ("PUT", f"/v2/products/{product_id}/skus/{sku_id}")
    assert put["body"] == {"price": 59.9, "sellPrice": 45.5} and second["counts"]["sent"] == 1


def send_stock() -> dict[str, Any]:
    from anymarket.operators.send_stock import AnyMarketSendStockOperator

    operator = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1")
    return operator.execute({"run_id": "stock", "params": {}})


def test_stock_a_creation_carried_is_not_sent_again(shop: dict[str, Any]) -> None:
    """A new product's POST carries each SKU's stock in the default warehouse (the stock rules'
    quantity): send stock then has nothing to send until the ERP changes — a new product costs no
    stock request of its own."""
    from tests.anymarket.operators.test_send_stock import set_balances

    erp = shop["env"].erp
    erp_exec(erp, "INSERT INTO deposits (id, code, name, is_default, active) VALUES (1, 'SP', 'CD SP', 1, 1)")
    set_balances(erp, ("P2-AZU-M", "SP", 7))
    shop["env"].sandbox.admin.create_stock_local("CD SP", default_local=True)
    seq = last_seq(shop)
    run(shop)
    posted = [
        r["body"] for r in requests_since(shop, seq) if (r["method"], r["path"]) == ("POST", "/v2/products")
    ]
    amounts = {sku["partnerId"]: sku["amount"] for body in posted for sku in body["skus"]}
    assert amounts == {"P1": 0, "P2-AZU-P": 0, "P2-AZU-M": 7, "P2-PRE-P": 0, "P2-PRE-M": 0}
    seq = last_seq(shop)

    first = send_stock()

    assert requests_since(shop, seq) == [] and first["counts"]["sent"] == 0
    assert first["counts"]["unchanged"] == 5
    marked = shop["env"].mapping.link_attributes_of("loja1", "sku")
    assert not any(attrs.get(CREATED_WITHOUT_STOCK) for _, attrs in marked.values())
    set_balances(erp, ("P1", "SP", 3))
    seq = last_seq(shop)
    assert send_stock()["counts"]["sent"] == 1
    [put] = requests_since(shop, seq)
    sku_id = shop["env"].mapping.links_of("loja1", "sku")["P1"]
    assert [(row["id"], row["quantity"]) for row in put["body"]] == [(int(sku_id), 3)]


def test_a_product_created_under_mapped_deposits_carries_no_stock(shop: dict[str, Any]) -> None:
    """With stock per mapped warehouse, send stock owns every row: creations carry 0 and record nothing."""
    (shop["tmp"] / "integrations.yaml").write_text(
        "integrations:\n  loja1:\n    name: Loja 1\n    environment: sandbox\n"
        "    alert_emails: [ops@loja1.example]\n    stock: {rule: mapped_deposits}\n"
    )
    seq = last_seq(shop)
    run(shop)
    posted = [
        r["body"] for r in requests_since(shop, seq) if (r["method"], r["path"]) == ("POST", "/v2/products")
    ]
    assert {sku["amount"] for body in posted for sku in body["skus"]} == {0}
    with shop["env"].mapping.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(m.stock_sent)).scalar() == 0
    # Marked, so send stock may hold their first rows for a fuller batch (stock.first_stock_wait_minutes).
    marked = shop["env"].mapping.link_attributes_of("loja1", "sku")
    assert {code: attrs.get(CREATED_WITHOUT_STOCK) for code, (_, attrs) in marked.items()} == dict.fromkeys(
        ("P1", "P2-AZU-P", "P2-AZU-M", "P2-PRE-P", "P2-PRE-M"), True
    )


def test_markup_prices_are_left_to_send_prices(shop: dict[str, Any]) -> None:
    """With a markup AnyMarket calculates the price from ours: send prices sends its own figure."""
    settings(shop, price_format="markup", price_factor=1.5)
    run(shop)
    seq = last_seq(shop)

    assert send_prices()["counts"]["sent"] == 5
    assert len(writes(requests_since(shop, seq))) == 5


# -- what the spec requires and the ERP may lack (issue 16) -----------------------------------------


@pytest.mark.parametrize("product_required", ["lenient", "spec"])
def test_a_product_without_its_measures_waits_for_the_erp_with_its_skus_named(
    shop: dict[str, Any], product_required: str
) -> None:
    """AnyMarket requires a product's measures; whether it enforces them is unknown (sandbox switch
    ``product_required``). Either way the client sends nothing for a product the ERP has no weight for:
    refused with a row-level error naming its SKUs and the ERP column, offered again once it changes."""
    env = shop["env"]
    env.sandbox.admin.set_behaviour(product_required=product_required)
    add_product(env.erp, 3, "P3", "Caneca Sem Peso", has_variations=False, skus=[("P3", {})])
    touch(env.erp, "UPDATE products SET weight_kg = NULL, length_cm = 0 WHERE code = 'P3'")
    summary = run(shop)
    assert summary["counts"]["created"] == 2 and summary["counts"]["rejected"] == 1
    message = CatalogState(env.mapping, "loja1").rejected()["P3"]["message"]
    assert message.startswith("product P3 (SKU P3) has no length_cm, weight_kg in the ERP")
    assert any(e.startswith("P3: product P3 (SKU P3)") for e in summary["examples"]["rejected_products"])
    history = env.mapping.history_of("loja1", "product", "P3")[-1]
    assert history["outcome"] == "error" and "weight_kg" in history["error"]
    assert not any(
        e["method"] == "POST" and any(s.get("partnerId") == "P3" for s in (e["body"] or {}).get("skus", []))
        for e in env.sandbox.admin.requests(method="POST", path="/v2/products")
    )

    seq = last_seq(shop)
    assert run(shop)["counts"]["skipped_rejected_unchanged"] == 1 and requests_since(shop, seq) == []

    touch(env.erp, "UPDATE products SET weight_kg = 0.4, length_cm = 12 WHERE code = 'P3'")
    assert run(shop)["counts"]["created"] == 1
    assert "P3" not in CatalogState(env.mapping, "loja1").rejected()
    created = remote_product(shop, "P3")
    assert (created["length"], created["weight"]) == (12, 0.4)


def test_a_changed_markup_reaches_the_products_already_on_anymarket(shop: dict[str, Any]) -> None:
    """The price settings go with every product PUT (the spec's ProductUpdate requires priceFactor): a
    sandbox that enforces it takes the client's updates, and a new markup is one PUT per product."""
    env = shop["env"]
    env.sandbox.admin.set_behaviour(product_required="spec")
    settings(shop, price_format="markup", price_factor=1.5, price_scope="COST")
    assert run(shop)["counts"]["created"] == 2
    touch(env.erp, "UPDATE products SET name = 'Caneca Azul Grande' WHERE code = 'P1'")
    seq = last_seq(shop)
    assert run(shop)["counts"]["updated"] == 1
    [put] = [e for e in requests_since(shop, seq) if e["method"] == "PUT"]
    assert (put["body"]["priceFactor"], put["body"]["calculatedPrice"]) == (1.5, True)

    settings(shop, price_format="markup", price_factor=1.8, price_scope="COST")
    seq = last_seq(shop)
    summary = run(shop, full_sync=True)  # a settings change is no ERP change: the full sync sends it
    puts = [e for e in requests_since(shop, seq) if e["method"] == "PUT" and e["path"].count("/") == 3]
    assert summary["counts"]["updated"] == 2 and {e["body"]["priceFactor"] for e in puts} == {1.8}
    assert sorted(e["path"] for e in puts) == sorted(
        f"/v2/products/{pid}" for pid in env.mapping.links_of("loja1", "product").values()
    )
    assert (
        remote_product(shop, "P1")["priceFactor"] == 1.8 and remote_product(shop, "P2")["priceFactor"] == 1.8
    )
