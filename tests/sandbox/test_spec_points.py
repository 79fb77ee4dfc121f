"""Issue 16's "Why" list, each point over real HTTP: the sandbox follows AnyMarket's OpenAPI export
where it speaks (the API notes where it is known wrong) and has switches where AnyMarket's behaviour
is uncertain."""

from __future__ import annotations

from typing import Any

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog

ACCESS_KEY = "3524" + "0" * 40


def _order(sandbox: SandboxServer, **spec: Any) -> dict[str, Any]:
    spec.setdefault("items", [{"partnerId": "SKU-1", "quantity": 1, "unitPrice": 10}])
    return sandbox.admin.create_order(**spec)


def test_invoice_needs_only_access_key_and_date(sandbox: SandboxServer, api: Api) -> None:
    oid = _order(sandbox)["id"]
    answer = api.put(
        f"/orders/{oid}",
        json={
            "status": "INVOICED",
            "invoice": {"accessKey": ACCESS_KEY, "date": "2024-05-02T10:00:00-03:00"},
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "INVOICED"


def test_orders_filter_by_marketplace_id_and_sort(sandbox: SandboxServer, api: Api) -> None:
    a = _order(sandbox, marketPlaceNumber="111", createdAt="2024-05-01T10:00:00-03:00", freight=5)
    b = _order(sandbox, marketPlaceNumber="222", createdAt="2024-05-02T10:00:00-03:00", freight=1)
    found = api.get("/orders", params={"marketplaceId": "222"}).json()["content"]
    assert [o["id"] for o in found] == [b["id"]]
    by_freight = api.get("/orders", params={"sort": "freight", "sortDirection": "ASC"}).json()["content"]
    assert [o["id"] for o in by_freight] == [b["id"], a["id"]]
    by_freight = api.get("/orders", params={"sort": "freight", "sortDirection": "DESC"}).json()["content"]
    assert [o["id"] for o in by_freight] == [a["id"], b["id"]]
    assert api.get("/orders", params={"sortDirection": "UP"}).status_code == 422


def test_stocks_filter_by_id_sku_and_products_by_external_id(sandbox: SandboxServer, api: Api) -> None:
    seed_catalog(api, with_stock=True)
    skus = {s["partnerId"]: s["id"] for s in api.get("/products").json()["content"][0]["skus"]}
    rows = api.get("/stocks", params={"idSku": skus["SKU-2"]}).json()["content"]
    assert [r["stockKeepingUnit"]["partnerId"] for r in rows] == ["SKU-2"]
    product = api.get("/products").json()["content"][0]
    api.put(f"/products/{product['id']}", json={"externalIdProduct": "EXT-9"})
    assert [p["id"] for p in api.get("/products", params={"externalId": "EXT-9"}).json()["content"]] == [
        product["id"]
    ]
    assert api.get("/products", params={"externalId": "nope"}).json()["content"] == []


def test_default_order_is_newest_first_and_switchable(sandbox: SandboxServer, api: Api) -> None:
    old = _order(sandbox, createdAt="2024-05-01T10:00:00-03:00")["id"]
    new = _order(sandbox, createdAt="2024-05-02T10:00:00-03:00")["id"]
    assert sandbox.admin.behaviour()["list_order"] == "newest"
    assert [o["id"] for o in api.get("/orders").json()["content"]] == [new, old]
    sandbox.admin.set_behaviour(list_order="oldest")
    assert [o["id"] for o in api.get("/orders").json()["content"]] == [old, new]
    sandbox.admin.reset()
    assert sandbox.admin.behaviour()["list_order"] == "newest"


def test_created_before_is_exclusive_and_switchable(sandbox: SandboxServer, api: Api) -> None:
    at = "2024-05-01T10:00:00-03:00"
    oid = _order(sandbox, createdAt=at)["id"]
    assert api.get("/orders", params={"createdBefore": at}).json()["content"] == []
    assert [o["id"] for o in api.get("/orders", params={"createdAfter": at}).json()["content"]] == [oid]
    sandbox.admin.set_behaviour(created_before="inclusive")
    assert [o["id"] for o in api.get("/orders", params={"createdBefore": at}).json()["content"]] == [oid]


def test_puts_ignore_echoed_fields_unless_strict(sandbox: SandboxServer, api: Api) -> None:
    product = seed_catalog(api)["product"]
    sku = product["skus"][0]
    echoed = api.put(
        f"/products/{product['id']}", json={"title": "Nova", "skus": product["skus"], "images": []}
    )
    assert echoed.status_code == 200 and echoed.json()["title"] == "Nova"
    assert len(echoed.json()["images"]) == 1
    sku_put = api.put(
        f"/products/{product['id']}/skus/{sku['id']}",
        json={"title": "T", "amount": 99, "additionalTime": 3, "variations": sku["variations"]},
    )
    assert sku_put.status_code == 200 and sku_put.json()["title"] == "T" and sku_put.json()["amount"] == 0
    sandbox.admin.set_behaviour(put_mode="strict")
    assert api.put(f"/products/{product['id']}", json={"skus": []}).status_code == 422
    assert api.put(f"/products/{product['id']}/skus/{sku['id']}", json={"amount": 1}).status_code == 422


def test_product_required_fields_are_taken_or_refused_by_the_switch(sandbox: SandboxServer, api: Api) -> None:
    """The export requires a new product's measures and a product PUT's priceFactor; whether AnyMarket
    enforces them is unknown: ``product_required`` lenient (default) takes them, ``spec`` refuses them."""
    seeded = seed_catalog(api)
    product = seeded["product"]
    body = {
        "title": "Sem peso",
        "description": "d",
        "category": {"id": seeded["category"]["id"]},
        "brand": {"id": seeded["brand"]["id"]},
        "warrantyTime": 0,
        "height": 1,
        "width": 2,
        "priceFactor": 1,
        "calculatedPrice": False,
        "definitionPriceScope": "SKU",
        "images": [],
        "skus": [{"title": "S", "partnerId": "SW-1", "price": 10, "sellPrice": 9, "amount": 0}],
    }
    taken = api.post("/products", json=body)
    assert taken.status_code == 201, taken.text
    assert (taken.json()["length"], taken.json()["weight"]) == (0, 0)
    kept = api.put(f"/products/{product['id']}", json={"title": "Sem fator"})
    assert kept.status_code == 200 and kept.json()["priceFactor"] == 1

    sandbox.admin.set_behaviour(product_required="spec")
    refused = api.post("/products", json={**body, "skus": [{**body["skus"][0], "partnerId": "SW-2"}]})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["fieldErrors"]] == ["length", "weight"]
    assert "length, weight" in refused.json()["message"]
    no_factor = api.put(f"/products/{product['id']}", json={"title": "Sem fator"})
    assert no_factor.status_code == 422 and no_factor.json()["fieldErrors"][0]["field"] == "priceFactor"
    with_factor = api.put(f"/products/{product['id']}", json={"title": "Com fator", "priceFactor": 1.5})
    assert with_factor.status_code == 200 and with_factor.json()["priceFactor"] == 1.5


def test_sku_without_price_or_amount_and_bad_image_indexes_are_refused(
    sandbox: SandboxServer, api: Api
) -> None:
    product = seed_catalog(api)["product"]
    pid = product["id"]
    for missing in ("price", "amount"):
        body = {
            "title": "N",
            "partnerId": f"NEW-{missing}",
            "price": 1,
            "amount": 0,
            "variations": {"Cor": "Azul"},
        }
        del body[missing]
        answer = api.post(f"/products/{pid}/skus", json=body)
        assert answer.status_code == 422 and answer.json()["fieldErrors"][0]["field"] == missing
    assert api.post(f"/products/{pid}/images", json={"url": "https://x/0.jpg", "index": 0}).status_code == 422
    assert api.post(f"/products/{pid}/images", json={"url": "https://x/5.jpg", "index": 5}).status_code == 422
    assert api.post(f"/products/{pid}/images", json={"url": "https://x/2.jpg", "index": 2}).status_code == 200


def test_string_fields_stay_strings(sandbox: SandboxServer, api: Api) -> None:
    oid = _order(sandbox)["id"]
    invoiced = api.put(
        f"/orders/{oid}",
        json={
            "status": "INVOICED",
            "invoice": {
                "accessKey": ACCESS_KEY,
                "date": "2024-05-02T10:00:00-03:00",
                "cfop": 5102,
                "companyStateTaxId": 123456789,
                "number": 77,
                "series": 1,
            },
        },
    ).json()["invoice"]
    assert (invoiced["cfop"], invoiced["companyStateTaxId"], invoiced["number"]) == (
        "5102",
        "123456789",
        "77",
    )
    shipped = api.put(
        f"/orders/{oid}",
        json={
            "status": "PAID_WAITING_DELIVERY",
            "tracking": {"number": 998877, "carrier": "Correios", "shippedDate": "2024-05-03T10:00:00-03:00"},
        },
    ).json()["tracking"]
    assert shipped["number"] == "998877"


def test_orders_and_products_carry_the_required_fields(sandbox: SandboxServer, api: Api) -> None:
    seed_catalog(api)
    order = api.get(f"/orders/{_order(sandbox, payments=[{'method': 'PIX', 'value': 10}])['id']}").json()
    assert all(p.get("paymentDetailNormalized") for p in order["payments"])
    assert order["shipping"]["countryAcronymNormalized"] == "BR"
    billing = order["billingAddress"]
    assert billing["countryAcronymNormalized"] and billing["countryNameNormalized"]
    assert billing["stateNameNormalized"]
    assert order["anymarketAddress"]["promisedShippingTime"]
    assert order["anymarketAddress"]["stateAcronymNormalized"] == order["shipping"]["state"]
    product = api.get("/products").json()["content"][0]
    assert product["allowAutomaticSkuMarketplaceCreation"] is True


def test_unlisted_sku_keeps_one_id(sandbox: SandboxServer, api: Api) -> None:
    first = _order(sandbox, items=[{"partnerId": "GHOST", "quantity": 1}])["items"][0]
    second = _order(sandbox, items=[{"partnerId": "GHOST", "quantity": 2}])["items"][0]
    assert first["sku"]["id"] == second["sku"]["id"] and first["product"]["id"] == second["product"]["id"]


def test_variation_operations(sandbox: SandboxServer, api: Api) -> None:
    cor = api.post("/variations", json={"name": "Tom", "values": [{"description": "Claro"}]}).json()
    value = cor["values"][0]
    assert api.put(f"/variations/{cor['id']}", json={"name": "Tonalidade"}).json()["name"] == "Tonalidade"
    path = f"/variations/{cor['id']}/values/{value['id']}"
    assert api.get(path).json()["description"] == "Claro"
    assert api.put(path, json={"description": "Escuro", "partnerId": "E"}).json()["description"] == "Escuro"
    assert (
        api.get(f"/variations/{cor['id']}/values", params={"partnerId": "E"}).json()["content"][0]["id"]
        == value["id"]
    )
    assert api.delete(path).status_code == 204 and api.get(path).status_code == 404
    assert api.delete(f"/variations/{cor['id']}").status_code == 204
    assert api.get(f"/variations/{cor['id']}").status_code == 404


def test_transmissions_listings_monitorings_and_api_orders(sandbox: SandboxServer, api: Api) -> None:
    assert api.get("/transmissions").json()["content"] == []
    assert api.get("/skus/marketplaces").json() == []
    monitoring = api.post(
        "/monitorings",
        json={
            "partnerId": "P1",
            "origin": "ERP",
            "message": "Falha",
            "createdAt": "2024-05-02T10:00:00-03:00",
        },
    )
    assert monitoring.status_code == 200 and monitoring.json()["id"]
    assert api.post("/monitorings", json={"message": "x"}).status_code == 422
    body = {
        "marketPlaceId": "L-1",
        "marketPlaceNumber": "L-1",
        "marketPlace": "ECOMMERCE",
        "createdAt": "2024-05-02T10:00:00-03:00",
        "transmissionStatus": "OK",
        "status": "PAID_WAITING_SHIP",
        "marketPlaceStatus": "paid",
        "total": 20,
        "buyer": {
            "name": "Ana",
            "email": "a@x.com",
            "document": "12345678909",
            "documentType": "CPF",
            "phone": "1",
        },
        "items": [
            {
                "sku": {"partnerId": "SKU-9"},
                "product": {"title": "P"},
                "amount": 2,
                "unit": 10,
                "gross": 20,
                "total": 20,
            }
        ],
    }
    created = api.post("/orders", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["marketPlaceId"] == "L-1" and created.json()["total"] == 20
    assert {f["id"] for f in api.get("/orders/feeds").json()} == {created.json()["id"]}
    assert api.post("/orders", json={"marketPlace": "ECOMMERCE"}).status_code == 422
