"""Fulfillment (Full) stock: a SKU's stock at a marketplace's own CDs, per the spec's
``GET /stocks/fulfillment/{marketplace}/{idSku}``."""

from __future__ import annotations

import pytest

from anymarket_sandbox.admin import SandboxAdminError
from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog, validated_server

CAJAMAR = {"document": "03007331011580", "description": "SP01 - Cajamar", "quantity": 12, "reserved": 2}
LOUVEIRA = {"document": "03007331012714", "description": "SP02 - Louveira", "quantity": 3.5, "reserved": 0}


def test_full_stock_per_cd_with_available_computed(api: Api, sandbox: SandboxServer) -> None:
    seeded = seed_catalog(api)
    sku_id = seeded["product"]["skus"][0]["id"]
    other = seeded["product"]["skus"][1]["id"]
    sandbox.admin.set_fulfillment("MERCADO_LIVRE", sku_id, [CAJAMAR, LOUVEIRA])
    rows = api.get(f"/stocks/fulfillment/MERCADO_LIVRE/{sku_id}")
    assert rows.status_code == 200
    assert rows.json() == [
        {
            "sku": "MER-SKU-1",
            "document": "03007331011580",
            "description": "SP01 - Cajamar",
            "fulfillment_quantity_stock": 12,
            "fulfillment_reserved_stock": 2,
            "fulfillment_available_stock": 10,
        },
        {
            "sku": "MER-SKU-1",
            "document": "03007331012714",
            "description": "SP02 - Louveira",
            "fulfillment_quantity_stock": 3.5,
            "fulfillment_reserved_stock": 0,
            "fulfillment_available_stock": 3.5,
        },
    ]
    # Full at Mercado Livre says nothing about B2W; a SKU with no Full stock answers an empty array.
    assert api.get(f"/stocks/fulfillment/B2W_NEW_API/{sku_id}").json() == []
    assert api.get(f"/stocks/fulfillment/MERCADO_LIVRE/{other}").json() == []
    # Emptied: no Full stock there any more.
    sandbox.admin.set_fulfillment("MERCADO_LIVRE", sku_id, [])
    assert api.get(f"/stocks/fulfillment/MERCADO_LIVRE/{sku_id}").json() == []


def test_unknown_sku_is_404_and_marketplace_must_be_the_enum_in_capitals(api: Api) -> None:
    seeded = seed_catalog(api)
    sku_id = seeded["product"]["skus"][0]["id"]
    missing = api.get("/stocks/fulfillment/MERCADO_LIVRE/999999999")
    assert missing.status_code == 404 and missing.json()["code"] == "404"
    for bad in ("mercado_livre", "NETSHOES"):
        answer = api.get(f"/stocks/fulfillment/{bad}/{sku_id}")
        assert answer.status_code == 400, bad
        assert answer.json()["code"] == "400" and "MERCADO_LIVRE" in answer.json()["message"]


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ({"document": "123", "quantity": 1}, "CD inválido"),
        ({"document": "03007331011580", "quantity": -1}, "CD inválido"),
        ({"document": "03007331011580", "quantity": 1, "reserved": 2}, "Reserva maior"),
    ],
)
def test_admin_refuses_impossible_cds(api: Api, sandbox: SandboxServer, row: dict, why: str) -> None:
    sku_id = seed_catalog(api)["product"]["skus"][0]["id"]
    with pytest.raises(SandboxAdminError, match=why):
        sandbox.admin.set_fulfillment("MERCADO_LIVRE", sku_id, [row])


def test_the_demo_puts_some_skus_published_on_mercado_livre_in_full() -> None:
    with validated_server(demo=True, demo_interval=0, seed=5) as demo:
        sb = demo.sandbox
        with sb.state.lock:
            account = sb.state.account()
            for n in range(12):
                product_id, sku_id, image_id = sb.state.next_id(), sb.state.next_id(), sb.state.next_id()
                # Caneca 0..9 are published; the long titles of 10 and 11 are refused by Mercado Livre.
                title = f"Caneca {n}" if n < 10 else f"Caneca {n} " + "grande " * 10
                account.products[product_id] = {"id": product_id, "title": title, "gender": "MALE"}
                account.skus[sku_id] = {
                    "id": sku_id,
                    "productId": product_id,
                    "title": title,
                    "partnerId": f"C{n}",
                    "ean": "7891234567895",
                    "price": 30,
                    "active": True,
                }
                account.sku_index[f"C{n}"] = sku_id
                account.images[image_id] = {"id": image_id, "productId": product_id, "index": 1, "main": True}
        demo.admin.demo_tick()
        api = Api(demo.base_url, demo.token)
        listings = demo.admin._call("GET", "/skus/marketplaces")
        active_ml = {
            x["skuId"]
            for x in listings
            if x["marketPlace"] == "MERCADO_LIVRE" and x["publicationStatus"] != "UNPUBLISHED"
        }
        held = {}
        for sku_id in {x["skuId"] for x in listings}:
            rows = api.get(f"/stocks/fulfillment/MERCADO_LIVRE/{sku_id}").json()
            if rows:
                held[sku_id] = rows
        assert held and set(held) == {s for s in active_ml if s % 3 == 0}
        assert all(2 <= len(rows) <= 3 for rows in held.values())
        assert all(
            r["fulfillment_available_stock"]
            == r["fulfillment_quantity_stock"] - r["fulfillment_reserved_stock"]
            for rows in held.values()
            for r in rows
        )
        # Once: a second tick leaves what sits there as it is.
        demo.admin.demo_tick()
        some = next(iter(held))
        assert api.get(f"/stocks/fulfillment/MERCADO_LIVRE/{some}").json() == held[some]
