"""Brands, categories, variations, products, SKUs and images."""

from __future__ import annotations

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog


def test_brand_crud_and_validation(api: Api) -> None:
    brand = api.post(
        "/brands", json={"name": "Brastemp", "reducedName": "brastemp", "partnerId": "M1"}
    ).json()
    assert api.get("/brands", params={"partnerId": "M1"}).json()["content"] == [brand]
    assert api.get("/brands", params={"name": "brast"}).json()["content"][0]["id"] == brand["id"]
    updated = api.put(f"/brands/{brand['id']}", json={"name": "Brastemp Nova"})
    assert updated.status_code == 200 and updated.json()["name"] == "Brastemp Nova"
    too_long = api.post("/brands", json={"name": "X", "reducedName": "x" * 31})
    assert too_long.status_code == 422
    assert too_long.json()["message"] == "O nome reduzido deve ter no máximo 30 caracteres."
    assert api.post("/brands", json={"partnerId": "no-name"}).json()["fieldErrors"][0]["field"] == "name"
    deleted = api.delete(f"/brands/{brand['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.get(f"/brands/{brand['id']}").status_code == 404


def test_category_tree_and_full_path(api: Api) -> None:
    root = api.post(
        "/categories",
        json={"name": "Brinquedos", "partnerId": "C1", "priceFactor": 1.2, "definitionPriceScope": "COST"},
    ).json()
    child = api.post(
        "/categories", json={"name": "Brinquedos para Bebês", "partnerId": "C2", "parent": {"id": root["id"]}}
    ).json()
    assert child["path"] == "Brinquedos/Brinquedos para Bebês"
    roots = api.get("/categories").json()
    assert [c["id"] for c in roots["content"]] == [root["id"]]
    # Like the real API, the listing (and its partnerId filter) covers the root level only.
    assert api.get("/categories", params={"partnerId": "C1"}).json()["content"][0]["id"] == root["id"]
    assert api.get("/categories", params={"partnerId": "C2"}).json()["content"] == []
    detail = api.get(f"/categories/{root['id']}").json()
    assert [c["id"] for c in detail["children"]] == [child["id"]]
    assert api.get(f"/categories/{child['id']}").json()["parent"] == {"id": root["id"], "partnerId": "C1"}
    full = api.get("/categories/fullPath").json()
    assert isinstance(full, list) and {c["path"] for c in full} == {
        "Brinquedos",
        "Brinquedos/Brinquedos para Bebês",
    }
    assert api.delete(f"/categories/{root['id']}").status_code == 422  # has children
    assert api.post("/categories", json={"name": "X", "parent": {"id": 1}}).status_code == 422
    assert api.put(f"/categories/{child['id']}", json={"name": "Bebê"}).json()["path"] == "Brinquedos/Bebê"
    assert api.delete(f"/categories/{child['id']}").status_code == 204


def test_variations(api: Api) -> None:
    created = api.post(
        "/variations",
        json={
            "name": "Tamanho",
            "partnerId": "T",
            "visualVariation": False,
            "values": [{"description": "P", "partnerId": "T-P"}],
        },
    ).json()
    value = api.post(f"/variations/{created['id']}/values", json={"description": "M"}).json()
    assert value["description"] == "M"
    assert api.post(f"/variations/{created['id']}/values", json={"description": "M"}).status_code == 422
    page = api.get("/variations", params={"name": "Tamanho"}).json()
    assert [v["description"] for v in page["content"][0]["values"]] == ["P", "M"]
    assert api.get("/variations", params={"partnerId": "T"}).json()["page"]["totalElements"] == 1
    everything = api.get("/variations/all").json()
    assert isinstance(everything, list) and everything[0]["id"] == created["id"]


def test_product_create_variations_map_becomes_array(api: Api) -> None:
    seeded = seed_catalog(api)
    product = seeded["product"]
    assert product["category"]["path"] == "Roupas"
    sku = product["skus"][0]
    assert sku["variations"] == [
        {
            "id": sku["variations"][0]["id"],
            "description": "Azul",
            "type": {"id": sku["variations"][0]["type"]["id"], "name": "Cor", "visualVariation": True},
        }
    ]
    # "Verde" did not exist: created under the known type.
    assert product["skus"][1]["variations"][0]["description"] == "Verde"
    assert api.get("/products", params={"sku": "SKU-2"}).json()["content"][0]["id"] == product["id"]
    assert api.get("/products", params={"sku": "NOPE"}).json()["content"] == []
    assert api.get(f"/products/{product['id']}").json()["title"] == "Camiseta"
    assert api.get("/skus/partnerId/SKU-1").json()["id"] == sku["id"]
    assert api.get("/skus/partnerId/NOPE").status_code == 404


def test_product_validation_422s(api: Api) -> None:
    seed_catalog(api)
    duplicate = api.post(
        "/products",
        json={"title": "Outro", "skus": [{"title": "x", "partnerId": "SKU-1", "price": 1, "amount": 0}]},
    )
    assert duplicate.status_code == 422 and "Duplicidade de SKU" in duplicate.json()["message"]
    same_body = api.post(
        "/products",
        json={"title": "Outro", "skus": [{"title": "a", "partnerId": "D"}, {"title": "b", "partnerId": "D"}]},
    )
    assert same_body.status_code == 422
    no_skus = api.post("/products", json={"title": "Sem SKU", "skus": []})
    assert no_skus.status_code == 422 and no_skus.json()["fieldErrors"][0]["field"] == "skus"
    unknown_type = api.post(
        "/products",
        json={"title": "T", "skus": [{"title": "t", "partnerId": "N1", "variations": {"Voltagem": "220V"}}]},
    )
    assert unknown_type.status_code == 422
    missing = api.post("/products", json={"skus": [{"partnerId": "N2"}]})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["fieldErrors"]} == {"title"}
    assert (
        api.post("/products", data=b"{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )


def test_product_put_without_skus_and_images(sandbox: SandboxServer, api: Api) -> None:
    product = seed_catalog(api)["product"]
    ok = api.put(f"/products/{product['id']}", json={"title": "Camiseta Nova", "warrantyTime": 6})
    assert ok.status_code == 200 and ok.json()["title"] == "Camiseta Nova" and len(ok.json()["skus"]) == 2
    echoed = api.put(f"/products/{product['id']}", json={"title": "x", "skus": [], "images": []})
    assert echoed.status_code == 200 and len(echoed.json()["skus"]) == 2  # lenient: ignored
    sandbox.admin.set_behaviour(put_mode="strict")
    rejected = api.put(f"/products/{product['id']}", json={"title": "x", "skus": []})
    assert rejected.status_code == 422


def test_sku_endpoints(sandbox: SandboxServer, api: Api) -> None:
    product = seed_catalog(api)["product"]
    pid = product["id"]
    skus = api.get(f"/products/{pid}/skus").json()
    assert isinstance(skus, list) and len(skus) == 2
    new = api.post(
        f"/products/{pid}/skus",
        json={
            "title": "G",
            "partnerId": "SKU-3",
            "price": 10,
            "sellPrice": 9,
            "amount": 4,
            "additionalTime": 1,
            "variations": {"Cor": "Azul"},
        },
    )
    assert new.status_code == 200 and new.json()["amount"] == 4  # amount honoured at creation
    sid = new.json()["id"]
    updated = api.put(
        f"/products/{pid}/skus/{sid}", json={"title": "G2", "price": 12, "sellPrice": 11, "ean": "789"}
    )
    assert updated.status_code == 200 and updated.json()["sellPrice"] == 11
    ignored = api.put(f"/products/{pid}/skus/{sid}", json={"amount": 50, "title": "G2"})
    assert ignored.status_code == 200 and ignored.json()["title"] == "G2" and ignored.json()["amount"] != 50
    sandbox.admin.set_behaviour(put_mode="strict")
    not_allowed = api.put(f"/products/{pid}/skus/{sid}", json={"amount": 50})
    assert not_allowed.status_code == 422 and not_allowed.json()["fieldErrors"][0]["field"] == "amount"
    sandbox.admin.set_behaviour(put_mode="lenient")
    dup = api.put(f"/products/{pid}/skus/{sid}", json={"partnerId": "SKU-1"})
    assert dup.status_code == 422
    assert api.get(f"/products/{pid}/skus/{sid}").json()["title"] == "G2"
    assert api.get(f"/products/{pid}/skus/999999").status_code == 404


def test_sku_price_only_changes_with_sku_scope(api: Api) -> None:
    seeded = seed_catalog(api)
    pid = seeded["product"]["id"]
    api.put(f"/products/{pid}", json={"definitionPriceScope": "COST"})
    sid = seeded["product"]["skus"][0]["id"]
    assert api.put(f"/products/{pid}/skus/{sid}", json={"price": 1}).status_code == 422
    assert api.put(f"/products/{pid}/skus/{sid}", json={"title": "renamed"}).status_code == 200


def test_images(api: Api) -> None:
    pid = seed_catalog(api)["product"]["id"]
    posted = api.post(f"/products/{pid}/images", json={"index": 2, "main": False, "url": "https://img/2.jpg"})
    assert posted.status_code == 200 and posted.json()["status"] == "UNPROCESSED"
    images = api.get(f"/products/{pid}/images").json()
    assert [i["index"] for i in images] == [1, 2] and images[0]["main"]
    reorder = api.put(f"/products/{pid}/images", json={"id": posted.json()["id"], "index": 1, "main": True})
    assert reorder.status_code == 200 and reorder.json()["main"] is True
    assert sum(i["main"] for i in api.get(f"/products/{pid}/images").json()) == 1
    assert api.delete(f"/products/{pid}/images/{posted.json()['id']}").status_code == 204
    remaining = api.get(f"/products/{pid}/images").json()
    assert len(remaining) == 1 and remaining[0]["main"]
    assert api.post(f"/products/{pid}/images", json={"index": 3}).status_code == 422
