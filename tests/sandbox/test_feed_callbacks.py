"""Order feed ack semantics and callback delivery to a real local receiver."""

from __future__ import annotations

import time

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api

from .conftest import CallbackReceiver


def _new_order(sandbox: SandboxServer, status: str = "PENDING") -> int:
    return sandbox.admin.create_order(status=status, items=[{"partnerId": "X-1", "quantity": 1}])["id"]


def test_feed_items_come_back_until_acked(sandbox: SandboxServer, api: Api) -> None:
    first, second = _new_order(sandbox), _new_order(sandbox)
    feed = api.get("/orders/feeds", params={"limit": 100}).json()
    assert [item["id"] for item in feed] == [first, second]
    assert api.get("/orders/feeds", params={"limit": 100}).json() == feed  # unacked: same items again
    ack = api.put(f"/orders/feeds/{first}", json={"token": feed[0]["token"]})
    assert ack.status_code == 204 and ack.content == b""
    assert [item["id"] for item in api.get("/orders/feeds", params={"limit": 100}).json()] == [second]


def test_change_reissues_token_and_stale_ack_does_not_ack(sandbox: SandboxServer, api: Api) -> None:
    oid = _new_order(sandbox)
    (item,) = api.get("/orders/feeds").json()
    sandbox.admin.pay_order(oid)  # the order changes after it was read
    (changed,) = api.get("/orders/feeds").json()
    assert changed["id"] == oid and changed["token"] != item["token"]
    assert api.put(f"/orders/feeds/{oid}", json={"token": item["token"]}).status_code == 204
    assert [i["id"] for i in api.get("/orders/feeds").json()] == [oid]  # stale token: still there
    api.put(f"/orders/feeds/{oid}", json={"token": changed["token"]})
    assert api.get("/orders/feeds").json() == []
    # an ERP status update is a change too
    api.put(f"/orders/{oid}", json={"status": "CANCELED"})
    assert [i["id"] for i in api.get("/orders/feeds").json()] == [oid]


def test_feed_limit_and_ack_errors(sandbox: SandboxServer, api: Api) -> None:
    ids = [_new_order(sandbox) for _ in range(7)]
    assert len(api.get("/orders/feeds", params={"limit": 5}).json()) == 5
    assert len(api.get("/orders/feeds", params={"limit": 1}).json()) == 5  # clamped to 5
    assert len(api.get("/orders/feeds").json()) == 7  # default: up to 100
    assert api.put("/orders/feeds/123", json={"token": "x"}).status_code == 404
    assert api.put(f"/orders/feeds/{ids[0]}", json={}).status_code == 422
    feed = api.get("/orders/feeds").json()
    batch = api.put(
        "/orders/feeds/batch", json=[{"id": i["id"], "token": i["token"], "type": "ORDER"} for i in feed]
    )
    assert batch.status_code == 204 and api.get("/orders/feeds").json() == []
    assert all(item["acked"] for item in sandbox.admin.feed_state())


def test_callback_registration_and_delivery(
    sandbox: SandboxServer, api: Api, receiver: CallbackReceiver
) -> None:
    registered = api.post(
        "/callbacks",
        json={"url": receiver.url, "token": "secret", "orderActive": True, "productActive": False},
    )
    assert registered.status_code == 201 and registered.json()["url"] == receiver.url
    assert api.get("/callbacks").json() == [registered.json()]
    oid = _new_order(sandbox)
    (delivery,) = sandbox.admin.wait_deliveries_done(1)
    assert delivery["delivered"] and delivery["attempts"][0]["status"] == 200
    assert receiver.received == [{"type": "ORDER", "content": {"id": str(oid), "oi": sandbox.oi}}]
    sandbox.admin.pay_order(oid)
    sandbox.admin.wait_deliveries_done(2)
    assert len(receiver.received) == 2
    assert api.post("/callbacks", json={"token": "x"}).status_code == 422


def test_a_registration_is_updated_and_deleted(
    sandbox: SandboxServer, api: Api, receiver: CallbackReceiver
) -> None:
    """PUT /callbacks/{id} moves a registration to a new URL (a rotated secret); DELETE removes it."""
    old = api.post("/callbacks", json={"url": "http://127.0.0.1:9/old-secret", "orderActive": True}).json()
    moved = api.put(f"/callbacks/{old['id']}", json={"url": receiver.url, "token": "t"})
    assert moved.status_code == 200
    assert moved.json() == {**old, "url": receiver.url, "token": "t"}  # flags kept
    assert api.get(f"/callbacks/{old['id']}").json()["url"] == receiver.url
    oid = _new_order(sandbox)
    sandbox.admin.wait_deliveries_done(1)
    assert receiver.received == [{"type": "ORDER", "content": {"id": str(oid), "oi": sandbox.oi}}]
    assert api.put(f"/callbacks/{old['id']}", json={"token": "t"}).status_code == 422
    assert api.put("/callbacks/999999", json={"url": receiver.url}).status_code == 404
    assert api.delete(f"/callbacks/{old['id']}").status_code == 204
    assert api.get("/callbacks").json() == []


def test_callback_retries_then_succeeds(sandbox: SandboxServer, api: Api, receiver: CallbackReceiver) -> None:
    sandbox.admin.set_faults(callback_retry_delay=0.01)
    api.post("/callbacks", json={"url": receiver.url, "orderActive": True})
    receiver.answer(500, 503)
    _new_order(sandbox)
    (delivery,) = sandbox.admin.wait_deliveries_done(1)
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200] and delivery["delivered"]


def test_callback_gives_up_after_three_retries_and_feed_keeps_item(
    sandbox: SandboxServer, api: Api, receiver: CallbackReceiver
) -> None:
    sandbox.admin.set_faults(callback_retry_delay=0.01)
    api.post("/callbacks", json={"url": receiver.url, "orderActive": True})
    receiver.answer(500, 500, 500, 500, 500)
    oid = _new_order(sandbox)
    (delivery,) = sandbox.admin.wait_deliveries_done(1)
    assert len(delivery["attempts"]) == 4 and not delivery["delivered"]  # 1 try + 3 retries
    assert [i["id"] for i in api.get("/orders/feeds").json()] == [oid]


def test_callback_connection_failure_is_retried(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(callback_retry_delay=0.01, callback_timeout=0.5)
    api.post("/callbacks", json={"url": "http://127.0.0.1:9/nothing-listens", "orderActive": True})
    _new_order(sandbox)
    (delivery,) = sandbox.admin.wait_deliveries_done(1)
    assert len(delivery["attempts"]) == 4 and all("error" in a for a in delivery["attempts"])


def test_callback_drop_and_duplicate_faults(
    sandbox: SandboxServer, api: Api, receiver: CallbackReceiver
) -> None:
    api.post("/callbacks", json={"url": receiver.url, "orderActive": True})
    sandbox.admin.set_faults(callback_drop_rate=1.0)
    _new_order(sandbox)
    (dropped,) = sandbox.admin.wait_deliveries_done(1)
    assert dropped["dropped"] and dropped["attempts"] == []
    sandbox.admin.set_faults(callback_drop_rate=0.0, callback_duplicate_rate=1.0)
    oid = _new_order(sandbox)
    sandbox.admin.wait_deliveries_done(3)
    deadline = time.monotonic() + 5
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert receiver.received == [{"type": "ORDER", "content": {"id": str(oid), "oi": sandbox.oi}}] * 2
    assert sum(d["duplicate"] for d in sandbox.admin.deliveries(order_id=oid)) == 1


def test_inactive_callback_is_not_called(
    sandbox: SandboxServer, api: Api, receiver: CallbackReceiver
) -> None:
    api.post("/callbacks", json={"url": receiver.url, "orderActive": False, "productActive": True})
    _new_order(sandbox)
    time.sleep(0.1)
    assert sandbox.admin.deliveries() == [] and receiver.received == []
