"""Kits in the sandbox (issue 18, item 3): a product's ``kitComponents`` stored, checked against the
SKUs AnyMarket has and answered — as a list, or as the export's single object under the
``kit_components`` switch."""

from __future__ import annotations

from typing import Any

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog


def _kit_body(seeded: dict[str, Any], components: Any, partner_id: str = "KIT-1") -> dict[str, Any]:
    return {
        "title": "Kit",
        "description": "d",
        "category": {"id": seeded["category"]["id"]},
        "brand": {"id": seeded["brand"]["id"]},
        "warrantyTime": 0,
        "height": 1,
        "width": 2,
        "length": 3,
        "weight": 1,
        "priceFactor": 1,
        "images": [],
        "skus": [{"title": "Kit", "partnerId": partner_id, "price": 30, "sellPrice": 30, "amount": 0}],
        "kitComponents": components,
    }


def _sku_ids(api: Api) -> dict[str, str]:
    return {s["partnerId"]: str(s["id"]) for p in api.get("/products").json()["content"] for s in p["skus"]}


def test_a_kit_is_stored_and_answered_with_its_components(sandbox: SandboxServer, api: Api) -> None:
    seeded = seed_catalog(api)
    ids = _sku_ids(api)
    components = [
        {"idSku": ids["SKU-1"], "quantity": 2, "percentage": 60, "isMainComponent": True},
        {"idSku": ids["SKU-2"], "quantity": 1, "percentage": 40, "isMainComponent": False},
    ]
    created = api.post("/products", json=_kit_body(seeded, components))
    assert created.status_code == 201, created.text
    assert created.json()["kitComponents"] == components
    read = api.get(f"/products/{created.json()['id']}").json()
    assert read["kitComponents"] == components
    # A PUT changes the composition; the other products carry no kit.
    changed = api.put(f"/products/{read['id']}", json={"kitComponents": components[:1], "priceFactor": 1})
    assert changed.status_code == 200 and changed.json()["kitComponents"] == components[:1]
    assert "kitComponents" not in api.get(f"/products/{seeded['product']['id']}").json()


def test_a_kit_naming_a_sku_anymarket_lacks_is_refused(sandbox: SandboxServer, api: Api) -> None:
    seeded = seed_catalog(api)
    ids = _sku_ids(api)
    refused = api.post("/products", json=_kit_body(seeded, [{"idSku": "987654", "quantity": 1}]))
    assert refused.status_code == 422
    assert refused.json()["fieldErrors"][0]["field"] == "kitComponents[0].idSku"
    assert "987654" in refused.json()["message"]
    assert api.get("/products", params={"sku": "KIT-1"}).json()["content"] == []  # nothing stored
    for bad, field in (
        ([{"idSku": ids["SKU-1"], "quantity": 0}], "kitComponents[0].quantity"),
        (
            [{"idSku": ids["SKU-1"], "quantity": 1}, {"idSku": ids["SKU-1"], "quantity": 1}],
            "kitComponents[1].idSku",
        ),
        ("SKU-1", "kitComponents"),
    ):
        answer = api.post("/products", json=_kit_body(seeded, bad))
        assert answer.status_code == 422 and answer.json()["fieldErrors"][0]["field"] == field, answer.text


def test_the_export_shape_is_taken_and_answered_under_the_switch(sandbox: SandboxServer, api: Api) -> None:
    """The export types kitComponents as one object: a request in that shape is a kit of one component,
    and ``kit_components: object`` answers the main component alone."""
    seeded = seed_catalog(api)
    ids = _sku_ids(api)
    one = api.post("/products", json=_kit_body(seeded, {"idSku": ids["SKU-1"], "quantity": 3}))
    assert one.status_code == 201, one.text
    assert one.json()["kitComponents"] == [{"idSku": ids["SKU-1"], "quantity": 3, "isMainComponent": True}]
    two = [
        {"idSku": ids["SKU-1"], "quantity": 1, "isMainComponent": False},
        {"idSku": ids["SKU-2"], "quantity": 2, "isMainComponent": True},
    ]
    kit = api.post("/products", json=_kit_body(seeded, two, partner_id="KIT-2")).json()
    sandbox.admin.set_behaviour(kit_components="object")
    assert api.get(f"/products/{kit['id']}").json()["kitComponents"] == two[1]
    listed = {p["id"]: p for p in api.get("/products").json()["content"]}
    assert listed[kit["id"]]["kitComponents"] == two[1]
