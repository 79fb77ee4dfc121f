"""Orders: admin creation, filters, status lifecycle and required fields, NF-e, partnerId."""

from __future__ import annotations

from typing import Any

import pytest

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog

INVOICE = {
    "accessKey": "3" * 44,
    "number": "1234",
    "series": "1",
    "date": "2024-05-02T10:00:00-03:00",
    "cfop": "5102",
}
TRACKING = {
    "number": "BR123",
    "carrier": "Correios",
    "shippedDate": "2024-05-02T15:00:00-03:00",
    "url": "https://rastreio/BR123",
}


def _order(sandbox: SandboxServer, **spec: Any) -> dict[str, Any]:
    spec.setdefault("items", [{"partnerId": "SKU-1", "quantity": 1, "unitPrice": 50}])
    return sandbox.admin.create_order(**spec)


def test_admin_order_has_the_full_shape(sandbox: SandboxServer, api: Api) -> None:
    seeded = seed_catalog(api)
    recife = seeded["recife"]["id"]
    created = _order(
        sandbox,
        marketplace="AMAZON",
        status="PENDING",
        fulfillment=False,
        freight=15,
        interestValue=2,
        carrier="Jadlog",
        shippingtype="Expresso",
        metadata={"needInvoiceXML": True},
        buyer={"name": "Maria Souza"},
        items=[
            {
                "partnerId": "SKU-1",
                "quantity": 2,
                "unitPrice": 49.9,
                "discount": 5,
                "stocks": [{"stockLocalId": recife, "amount": 2}],
            },
            {"partnerId": "UNKNOWN-SKU", "quantity": 1, "unitPrice": 10},
        ],
    )
    order = api.get(f"/orders/{created['id']}").json()
    assert order == created
    assert order["marketPlace"] == "AMAZON" and order["status"] == "PENDING"
    assert order["buyer"]["name"] == "Maria Souza" and order["buyer"]["documentType"] == "CPF"
    assert order["gross"] == 109.8 and order["discount"] == 5 and order["total"] == 121.8
    item = order["items"][0]
    assert item["sku"]["partnerId"] == "SKU-1" and item["sku"]["id"] == seeded["product"]["skus"][0]["id"]
    assert item["stocks"] == [{"stockLocalId": recife, "amount": 2, "stockName": "CD Recife"}]
    assert item["shippings"][0]["shippingtype"] == "Expresso"
    assert item["shippings"][0]["shippingCarrierNormalized"] == "Jadlog"
    assert order["items"][1]["stocks"][0]["stockName"] == "CD São Paulo"  # default warehouse
    assert order["metadata"] == {"needInvoiceXML": True}
    assert order["shipping"]["zipCode"] and order["payments"][0]["value"] == 121.8


def test_order_list_filters_and_timezone_rule(sandbox: SandboxServer, api: Api) -> None:
    seed_catalog(api)
    old = _order(sandbox, createdAt="2024-01-10T10:00:00-03:00", marketplace="SHOPEE")
    new = _order(sandbox, createdAt="2024-03-10T10:00:00-03:00", status="PENDING")
    window = api.get(
        "/orders",
        params={"createdAfter": "2024-01-01T00:00:00-03:00", "createdBefore": "2024-02-01T00:00:00Z"},
    ).json()
    assert [o["id"] for o in window["content"]] == [old["id"]]
    assert [o["id"] for o in api.get("/orders", params={"status": "PENDING"}).json()["content"]] == [
        new["id"]
    ]
    assert [o["id"] for o in api.get("/orders", params={"marketplace": "SHOPEE"}).json()["content"]] == [
        old["id"]
    ]
    naive = api.get("/orders", params={"createdAfter": "2024-01-01T00:00:00"})
    assert naive.status_code == 422 and naive.json()["code"] == "422"
    assert api.get("/orders", params={"createdAfter": "ontem"}).status_code == 422
    assert api.get("/orders", params={"status": "PAGO"}).status_code == 422


def test_status_lifecycle_and_required_fields(sandbox: SandboxServer, api: Api) -> None:
    seed_catalog(api)
    oid = _order(sandbox, status="PAID_WAITING_SHIP")["id"]
    missing = api.put(f"/orders/{oid}", json={"status": "INVOICED", "invoice": {"accessKey": "1" * 44}})
    assert missing.status_code == 422
    # OrderUpdateInvoiced requires accessKey and date only
    assert {e["field"] for e in missing.json()["fieldErrors"]} == {"invoice.date"}
    naive_date = api.put(
        f"/orders/{oid}", json={"status": "INVOICED", "invoice": {**INVOICE, "date": "2024-05-02"}}
    )
    assert naive_date.status_code == 422
    invoiced = api.put(f"/orders/{oid}", json={"status": "INVOICED", "invoice": INVOICE})
    assert invoiced.status_code == 200 and invoiced.json()["invoice"]["accessKey"] == INVOICE["accessKey"]
    assert api.put(f"/orders/{oid}", json={"status": "INVOICED"}).status_code == 200  # same -> same
    back = api.put(f"/orders/{oid}", json={"status": "PAID_WAITING_SHIP"})
    assert back.status_code == 422 and back.json()["code"] == "422" and "INVOICED" in back.json()["message"]
    no_tracking = api.put(
        f"/orders/{oid}", json={"status": "PAID_WAITING_DELIVERY", "tracking": {"number": "X"}}
    )
    assert {e["field"] for e in no_tracking.json()["fieldErrors"]} == {
        "tracking.carrier",
        "tracking.shippedDate",
    }
    shipped = api.put(f"/orders/{oid}", json={"status": "PAID_WAITING_DELIVERY", "tracking": TRACKING})
    assert shipped.status_code == 200 and shipped.json()["deliverStatus"] == "IN_TRANSIT"
    assert api.put(f"/orders/{oid}", json={"status": "CONCLUDED"}).status_code == 422
    done = api.put(
        f"/orders/{oid}",
        json={"status": "CONCLUDED", "tracking": {"deliveredDate": "2024-05-05T12:00:00-03:00"}},
    )
    assert done.status_code == 200 and done.json()["tracking"]["number"] == "BR123"
    cancelled = api.put(f"/orders/{oid}", json={"status": "CANCELED", "cancelDetails": "Devolução"})
    assert cancelled.status_code == 200 and cancelled.json()["cancelDate"]
    assert api.put(f"/orders/{oid}", json={"status": "PENDING"}).status_code == 422
    assert api.put(f"/orders/{oid}", json={"status": "SHIPPED"}).status_code == 422  # misspelled
    assert api.put("/orders/99999999", json={"status": "CANCELED"}).status_code == 404


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("PENDING", "PAID_WAITING_SHIP", True),
        ("PENDING", "INVOICED", True),
        ("PAID_WAITING_SHIP", "PENDING", False),
        ("PAID_WAITING_DELIVERY", "INVOICED", False),
        ("CANCELED", "PAID_WAITING_SHIP", False),
    ],
)
def test_transition_table(sandbox: SandboxServer, api: Api, start: str, target: str, allowed: bool) -> None:
    seed_catalog(api)
    oid = _order(sandbox, status=start)["id"]
    body: dict[str, Any] = {"status": target, "invoice": INVOICE, "tracking": TRACKING}
    assert (api.put(f"/orders/{oid}", json=body).status_code == 200) is allowed


def test_marketplace_side_changes(sandbox: SandboxServer, api: Api) -> None:
    seed_catalog(api)
    oid = _order(sandbox, status="PENDING")["id"]
    paid = sandbox.admin.pay_order(oid)
    assert paid["status"] == "PAID_WAITING_SHIP" and paid["paymentDate"]
    assert sandbox.admin.cancel_order(oid)["status"] == "CANCELED"
    assert api.get(f"/orders/{oid}").json()["status"] == "CANCELED"


def test_nfe_xml(sandbox: SandboxServer, api: Api) -> None:
    seed_catalog(api)
    oid = _order(sandbox)["id"]
    xml = '<?xml version="1.0"?><nfeProc versao="4.00"><NFe><infNFe Id="NFe123"/></NFe></nfeProc>'
    ok = api.put(f"/orders/{oid}/nfe", data=xml.encode(), headers={"Content-Type": "application/xml"})
    assert ok.status_code == 200
    assert sandbox.admin.nfe(oid) == xml
    not_xml = api.put(
        f"/orders/{oid}/nfe", data=b"isto nao e xml", headers={"Content-Type": "application/xml"}
    )
    assert not_xml.status_code == 422
    json_body = api.put(f"/orders/{oid}/nfe", json={"xml": xml})
    assert json_body.status_code == 422
    assert (
        api.put("/orders/1/nfe", data=xml.encode(), headers={"Content-Type": "application/xml"}).status_code
        == 404
    )
    assert sandbox.admin.nfe(123456789) is None


def test_partner_id(sandbox: SandboxServer, api: Api) -> None:
    seed_catalog(api)
    oid = _order(sandbox)["id"]
    response = api.put(f"/orders/partnerid/{oid}", json={"partnerId": "PV-0001"})
    assert response.status_code == 200 and response.json()["partnerId"] == "PV-0001"
    assert [o["id"] for o in api.get("/orders", params={"partnerId": "PV-0001"}).json()["content"]] == [oid]
    assert api.put(f"/orders/partnerid/{oid}", json={}).status_code == 422


def test_admin_order_validation(sandbox: SandboxServer) -> None:
    from anymarket_sandbox.admin import SandboxAdminError

    with pytest.raises(SandboxAdminError, match="422"):
        sandbox.admin.create_order(items=[])
    with pytest.raises(SandboxAdminError, match="422"):
        sandbox.admin.create_order(items=[{"partnerId": "A"}], createdAt="2024-01-01T10:00:00")
