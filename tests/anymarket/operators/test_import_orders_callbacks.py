"""Callbacks over a real running receiver, and the three sources racing on one order."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import uvicorn
from fastapi import FastAPI

from anymarket.callbacks.app import create_app
from tests.anymarket.conftest import CALLBACK_SECRET
from tests.anymarket.operators.test_import_orders import Shop, order_spec


@pytest.fixture
def shop(integration_env: Any, tmp_path: Any) -> Shop:
    return Shop(integration_env, tmp_path)


@pytest.fixture
def receiver(shop: Shop) -> Iterator[str]:
    """The callback app under uvicorn on 127.0.0.1, mounted as under the api-server; yields loja1's
    URL (with its secret)."""
    root = FastAPI()
    root.mount("/anymarket", create_app())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(root, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}/anymarket/callbacks/loja1/{CALLBACK_SECRET}"
    server.should_exit = True
    thread.join(5)


def register(shop: Shop, url: str, reconnect: Any) -> None:
    """What a deployment does: the connection says where the door is, the integration registers it."""
    from anymarket.callbacks import registration
    from anymarket.hooks.anymarket import AnyMarketHook

    reconnect(callback_base_url=url.split("/anymarket/")[0])
    result = registration.ensure_registered(AnyMarketHook(anymarket_conn_id="anymarket_loja1"), "loja1")
    assert result.status == "created"
    [registered] = requests.get(
        f"{shop.env.sandbox.base_url}/callbacks", headers={"gumgaToken": shop.env.sandbox.token}, timeout=5
    ).json()
    assert registered["url"] == url and registered["orderActive"]


def test_receiver_validates_oi_size_and_shape(shop: Shop, receiver: str) -> None:
    oi = shop.env.sandbox.oi
    ok = requests.post(receiver, json={"type": "ORDER", "content": {"id": "42", "oi": oi}}, timeout=5)
    assert ok.status_code == 200
    again = requests.post(receiver, json={"type": "ORDER", "content": {"id": "42", "oi": oi}}, timeout=5)
    assert again.status_code == 200
    from anymarket.callbacks import inbox

    assert [n.resource_id for n in inbox.pending(shop.env.mapping, "loja1", "ORDER")] == ["42"]
    bad_oi = requests.post(receiver, json={"type": "ORDER", "content": {"id": "42", "oi": "x."}}, timeout=5)
    assert bad_oi.status_code == 401
    assert requests.post(receiver, data=b"not json", timeout=5).status_code == 400
    assert (
        requests.post(
            receiver, json={"type": "ORDER", "content": {"id": "abc", "oi": oi}}, timeout=5
        ).status_code
        == 400
    )
    assert (
        requests.post(
            receiver, json={"type": "NOPE", "content": {"id": "1", "oi": oi}}, timeout=5
        ).status_code
        == 400
    )
    huge = {"type": "ORDER", "content": {"id": "1", "oi": oi}, "pad": "x" * 10_000}
    assert requests.post(receiver, json=huge, timeout=5).status_code == 400
    other = receiver.replace("/loja1/", "/ghost/")
    assert (
        requests.post(other, json={"type": "ORDER", "content": {"id": "1", "oi": oi}}, timeout=5).status_code
        == 404
    )


def test_callback_imports_the_order_while_the_run_watches(shop: Shop, receiver: str, reconnect: Any) -> None:
    register(shop, receiver, reconnect)
    admin = shop.env.sandbox.admin
    result: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: result.update(shop.run(watch_seconds=5)))
    runner.start()
    # Once the run has read the feed, a new order can only reach it by its callback.
    deadline = time.monotonic() + 60
    while not admin.requests(method="GET", path="/v2/orders/feeds"):
        assert time.monotonic() < deadline and runner.is_alive(), "the run never read the order feed"
        time.sleep(0.05)
    order = admin.create_order(**order_spec())
    while not shop.orders(order["id"]) and runner.is_alive():
        time.sleep(0.05)
    imported_while_watching = bool(shop.orders(order["id"]))
    runner.join()
    assert imported_while_watching and len(shop.orders(order["id"])) == 1
    assert result["counts"]["callbacks"] == 1  # (how fast: bench/import_orders, callback latency)


def test_callback_feed_and_backfill_at_once_import_exactly_once(
    shop: Shop, receiver: str, reconnect: Any
) -> None:
    register(shop, receiver, reconnect)
    shop.run()  # the integration's first run (registers it in the mapping DB), before any order
    admin = shop.env.sandbox.admin
    orders = [admin.create_order(**order_spec()) for _ in range(5)]
    admin.wait_deliveries_done(len(orders))
    today = datetime.now(UTC).date().isoformat()
    errors: list[BaseException] = []

    def run(**kwargs: Any) -> None:
        try:
            shop.run(**kwargs)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=run),  # inbox (callbacks), then the feed
        threading.Thread(target=run),  # the same, racing
        threading.Thread(target=run, kwargs={"created_from": today}),  # backfill of today
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for order in orders:
        assert len(shop.orders(order["id"])) == 1, order["id"]
        assert len(shop.reservations(order["id"])) == 1
    assert len(shop.rows("SELECT id FROM customers")) == 1
    shop.run()
    assert all(shop.feed().values())


def test_airflow_backfill_runs_import_their_day_once(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec(createdAt="2026-03-02T10:00:00-03:00"))
    run = SimpleNamespace(run_type="backfill", backfill_id=7, run_id="backfill__1")
    op_kwargs = {"watch_seconds": 0}
    from anymarket.operators.import_orders import AnyMarketImportOrdersOperator

    def backfill_run(logical: datetime) -> None:
        op = AnyMarketImportOrdersOperator(task_id="import_orders", integration_id="loja1", **op_kwargs)
        op.execute({"run_id": "backfill__x", "dag_run": run, "logical_date": logical})

    admin.clear_requests()
    backfill_run(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    assert len(shop.orders(order["id"])) == 1
    assert [r["path"] for r in admin.requests()] == ["/v2/orders", f"/v2/orders/partnerid/{order['id']}"]
    admin.clear_requests()
    backfill_run(datetime(2026, 3, 2, 15, 1, tzinfo=UTC))  # same day, same backfill: nothing to do
    assert admin.requests() == []


def test_a_callback_ahead_of_its_order_waits_for_the_next_run(shop: Shop, receiver: str) -> None:
    """AnyMarket may push before the order is readable (404): one attempt per run, no alert storm."""
    from anymarket.callbacks import inbox

    oi = shop.env.sandbox.oi
    unknown = "987654321"
    stored = requests.post(receiver, json={"type": "ORDER", "content": {"id": unknown, "oi": oi}}, timeout=5)
    assert stored.status_code == 200

    first = shop.run(watch_seconds=2)  # the watch loop polls the inbox every 0.5 s for 2 s

    assert first["counts"]["failed"] == 1
    (waiting,) = inbox.pending(shop.env.mapping, "loja1", "ORDER")
    assert (waiting.resource_id, waiting.attempts) == (unknown, 1)
    second = shop.run(watch_seconds=0)
    assert second["counts"]["failed"] == 1
    assert inbox.pending(shop.env.mapping, "loja1", "ORDER")[0].attempts == 2
