"""The sandbox features the soak relies on: the unreadable-order fault, each order's status history,
the whole-state admin reads and pausing the demo generator."""

from __future__ import annotations

import time

import pytest

from anymarket_sandbox.admin import SandboxAdminError
from anymarket_sandbox.testing import Api, SandboxServer, seed_catalog, validated_server

ITEMS = [{"partnerId": "SKU-1", "quantity": 2, "unitPrice": 10.0}]


def test_a_new_order_is_unreadable_for_the_configured_delay(sandbox: SandboxServer) -> None:
    api = Api(sandbox.base_url, sandbox.token)
    sandbox.admin.set_faults(order_read_delay_seconds=30)
    order = sandbox.admin.create_order(items=ITEMS)
    assert [i["id"] for i in sandbox.admin.feed_state()] == [order["id"]]  # the feed has it already
    assert api.get(f"/orders/{order['id']}").status_code == 404
    assert api.get("/orders").json()["content"] == []
    # The delay counts from the order's creation: once that much time has passed it is readable.
    sandbox.admin.set_faults(order_read_delay_seconds=0.3)
    time.sleep(0.4)
    assert api.get(f"/orders/{order['id']}").status_code == 200
    assert [o["id"] for o in api.get("/orders").json()["content"]] == [order["id"]]


def test_every_status_change_is_kept_with_who_made_it(sandbox: SandboxServer) -> None:
    api = Api(sandbox.base_url, sandbox.token)
    order = sandbox.admin.create_order(status="PENDING", items=ITEMS)
    sandbox.admin.pay_order(order["id"])
    invoice = {"accessKey": "3" * 44, "number": "1", "series": "1", "date": "2026-11-22T10:00:00-03:00"}
    invoiced = api.put(f"/orders/{order['id']}", json={"status": "INVOICED", "invoice": invoice})
    assert invoiced.status_code == 200
    # same → same (the client repeats its whole PUT): no new entry
    api.put(f"/orders/{order['id']}", json={"status": "INVOICED", "invoice": invoice})
    [stored] = sandbox.admin.orders()
    assert [(h["status"], h["source"]) for h in stored["statusHistory"]] == [
        ("PENDING", "marketplace"),
        ("PAID_WAITING_SHIP", "marketplace"),
        ("INVOICED", "api"),
    ]
    assert "statusHistory" not in api.get(f"/orders/{order['id']}").json()  # the API shape is unchanged


def test_stocks_and_catalog_are_readable_without_spending_budget(sandbox: SandboxServer) -> None:
    seed_catalog(sandbox, with_stock=True)
    sandbox.admin.clear_requests()
    stocks = sandbox.admin.stocks()
    catalog = sandbox.admin.catalog()
    assert sorted((s["stockKeepingUnit"]["partnerId"], s["amount"]) for s in stocks) == [
        ("SKU-1", 10),
        ("SKU-2", 10),
    ]
    assert sorted(s["partnerId"] for s in catalog["skus"]) == ["SKU-1", "SKU-2"]
    assert len(catalog["products"]) == 1
    assert sandbox.admin.requests() == []


def test_the_demo_can_be_paused_only_in_demo_mode(sandbox: SandboxServer) -> None:
    with pytest.raises(SandboxAdminError, match="409"):
        sandbox.admin.pause_demo(True)
    with validated_server(demo=True, demo_interval=0.05) as demo:
        assert demo.admin.pause_demo(True)["paused"] is True
        time.sleep(0.5)  # a tick under way when pausing may still land
        before = len(demo.admin.orders())
        time.sleep(0.3)
        assert len(demo.admin.orders()) == before
        demo.admin.pause_demo(False)
        deadline = time.monotonic() + 5
        while len(demo.admin.orders()) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(demo.admin.orders()) > before
