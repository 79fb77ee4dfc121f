"""Warehouses and stock per SKU x warehouse."""

from __future__ import annotations

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog


def test_stock_locals_envelope_and_bare_array(api: Api) -> None:
    created = api.post(
        "/stocks/locals",
        json={"name": "CD Sul", "virtual": False, "defaultLocal": True, "zipCode": "90000-000"},
    )
    assert created.status_code == 200
    body = created.json()
    assert body["message"] == "Estoque criado com sucesso!"
    assert body["data"]["name"] == "CD Sul" and body["data"]["defaultLocal"] is True
    listed = api.get("/stocks/locals").json()
    assert listed == [body["data"]]
    second = api.post("/stocks/locals", json={"name": "CD Norte", "defaultLocal": True}).json()["data"]
    defaults = [loc["id"] for loc in api.get("/stocks/locals").json() if loc["defaultLocal"]]
    assert defaults == [second["id"]]  # only one default at a time
    assert api.post("/stocks/locals", json={"virtual": True}).status_code == 422


def test_put_stocks_per_sku_and_warehouse(api: Api) -> None:
    seeded = seed_catalog(api)
    sp, recife = seeded["sp"]["id"], seeded["recife"]["id"]
    sku2_id = seeded["product"]["skus"][1]["id"]
    response = api.put(
        "/stocks",
        json=[
            {"partnerId": "SKU-1", "quantity": 7},  # no stockLocalId -> the default warehouse
            {"partnerId": "SKU-1", "quantity": 3, "stockLocalId": recife, "cost": 12.5, "additionalTime": 2},
            {"id": sku2_id, "quantity": 50, "stockLocalId": sp},
        ],
    )
    assert response.status_code == 204 and response.content == b""
    rows = api.get("/stocks", params={"sku": "SKU-1", "limit": 100}).json()["content"]
    by_local = {r["stockLocal"]["id"]: r for r in rows}
    assert by_local[sp]["amount"] == 7 and by_local[recife]["amount"] == 3
    assert by_local[recife]["additionalTime"] == 2 and by_local[recife]["availableAmount"] == 3
    assert rows[0]["stockKeepingUnit"]["partnerId"] == "SKU-1"
    only_recife = api.get("/stocks", params={"idStockLocal": recife}).json()["content"]
    assert [r["stockKeepingUnit"]["partnerId"] for r in only_recife] == ["SKU-1"]
    # POST creates/updates rows the same way
    assert (
        api.post("/stocks", json=[{"partnerId": "SKU-2", "quantity": 1, "stockLocalId": recife}]).status_code
        == 204
    )
    assert (
        api.get("/stocks", params={"sku": "SKU-2", "idStockLocal": recife}).json()["content"][0]["amount"]
        == 1
    )
    # the SKU's amount is the sum over warehouses
    assert api.get("/skus/partnerId/SKU-1").json()["amount"] == 10


def test_stock_422s_leave_stock_untouched(api: Api) -> None:
    seeded = seed_catalog(api)
    api.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": 5}])
    unknown = api.put(
        "/stocks", json=[{"partnerId": "SKU-1", "quantity": 9}, {"partnerId": "GHOST", "quantity": 1}]
    )
    assert unknown.status_code == 422 and "GHOST" in unknown.json()["message"]
    negative = api.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": -1}])
    assert negative.status_code == 422 and negative.json()["fieldErrors"][0]["field"] == "[0].quantity"
    bad_local = api.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": 1, "stockLocalId": 1}])
    assert bad_local.status_code == 422
    assert api.put("/stocks", json={"partnerId": "SKU-1", "quantity": 1}).status_code == 422  # not an array
    assert api.put("/stocks", json=[{"quantity": 1}]).status_code == 422
    too_big = api.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": 1}] * 201)
    assert too_big.status_code == 422
    row = api.get("/stocks", params={"sku": "SKU-1", "idStockLocal": seeded["sp"]["id"]}).json()["content"][0]
    assert row["amount"] == 5


def test_stock_without_default_warehouse_is_422(api: Api) -> None:
    api.post("/brands", json={"name": "B"})
    api.post("/products", json={"title": "P", "skus": [{"title": "S", "partnerId": "S1"}]})
    response = api.put("/stocks", json=[{"partnerId": "S1", "quantity": 1}])
    assert response.status_code == 422


def test_orders_reserve_stock_until_invoiced_or_cancelled(sandbox: SandboxServer, api: Api) -> None:
    seeded = seed_catalog(api)
    recife = seeded["recife"]["id"]
    api.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": 10, "stockLocalId": recife}])
    order = sandbox.admin.create_order(
        items=[
            {
                "partnerId": "SKU-1",
                "quantity": 4,
                "unitPrice": 49.9,
                "stocks": [{"stockLocalId": recife, "amount": 4}],
            }
        ]
    )
    row = api.get("/stocks", params={"sku": "SKU-1", "idStockLocal": recife}).json()["content"][0]
    assert (row["amount"], row["reservationAmount"], row["availableAmount"]) == (10, 4, 6)
    sandbox.admin.cancel_order(order["id"])
    row = api.get("/stocks", params={"sku": "SKU-1", "idStockLocal": recife}).json()["content"][0]
    assert row["reservationAmount"] == 0
    assert api.get("/stocks", params={"hasReservation": "true"}).json()["content"] == []
