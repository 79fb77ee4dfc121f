"""Benchmark of import orders over the real sandbox (figures printed, no assertions).

    .venv/bin/python bench/import_orders.py [--steady 200] [--backfill 10000] [--latency-ms 50]

1. steady state: N orders in the feed, one run; AnyMarket requests per imported order (target ≤ 2.05:
   fetch + ack, feed pages amortised), with the partnerId write-back (the default) and without, with
   batch acks (the default) and against an AnyMarket without ``PUT /orders/feeds/batch``;
2. backfill: M orders created on one day at ``--latency-ms`` per request, imported with the
   ``created_from`` Param; orders per minute, requests per order, peak Python memory (tracemalloc);
3. callbacks: sale-to-ERP latency through a real receiver while a run watches the inbox.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))

import sqlalchemy as sa  # noqa: E402
from figures import percentile, record, record_latencies  # noqa: E402
from harness import sqlite_connections  # noqa: E402

from anymarket.erp.database import ErpDatabase  # noqa: E402
from anymarket_sandbox.server import SandboxServer  # noqa: E402

DAY = "2026-03-02"
#: The issue's target for requests per imported order in steady state: fetch + ack, pages amortised.
STEADY_TARGET = 2.05
#: The bench integration's callback secret: the receiver's URL ends with it (README, callbacks).
CALLBACK_SECRET = "bench-callback-secret-3b9f0c1d7e2a"


def setup(work: Path, sandbox: SandboxServer, *, send_partner_id: bool) -> ErpDatabase:
    (work / "integrations.yaml").write_text(
        "integrations:\n  bench:\n    name: Bench\n    alert_emails: [ops@bench.example]\n"
        f"    orders: {{reconcile_days: 0, send_partner_id: {str(send_partner_id).lower()}}}\n"
    )
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(work / "integrations.yaml")
    conn = {
        "conn_type": "http",
        "host": sandbox.base_url,
        "password": sandbox.token,
        "extra": {"oi": sandbox.oi, "callback_secret": CALLBACK_SECRET},
    }
    os.environ["AIRFLOW_CONN_ANYMARKET_BENCH"] = json.dumps(conn)
    sqlite_connections(erp=work / "erp.db", mapping=work / "mapping.db")
    erp = ErpDatabase(f"sqlite:///{work / 'erp.db'}")
    erp.create_schema()
    with erp.engine.begin() as c:
        c.execute(
            sa.text("INSERT INTO deposits (id, code, name, is_default) VALUES (1, 'CD-SP', 'CD SP', 1)")
        )
        c.execute(sa.text("INSERT INTO carriers (id, code, name) VALUES (1, 'CORREIOS', 'Correios')"))
        c.execute(sa.text("INSERT INTO products (id, code, name) VALUES (1, 'P1', 'Produto')"))
        c.execute(sa.text("INSERT INTO skus (id, product_id, code, name) VALUES (1, 1, 'SKU-1', 'SKU 1')"))
    from anymarket.mapping import get_mapping_db

    mapping = get_mapping_db(f"sqlite:///{work / 'mapping.db'}")
    mapping.set_mapping("bench", "carrier", "Correios", "CORREIOS")
    return erp


def run(**kwargs: object) -> dict:
    from anymarket.operators.import_orders import AnyMarketImportOrdersOperator

    kwargs.setdefault("watch_seconds", 0)
    op = AnyMarketImportOrdersOperator(task_id="import_orders", integration_id="bench", **kwargs)
    return op.execute({"run_id": "bench"})


def create_orders(sandbox: SandboxServer, count: int, **spec: object) -> None:
    for index in range(count):
        sandbox.admin.create_order(
            items=[{"partnerId": "SKU-1", "quantity": 1, "unitPrice": 10.0}],
            buyer={"document": f"{10000000000 + index % 500:011d}", "documentType": "CPF"},
            **spec,
        )


def steady(count: int, *, send_partner_id: bool, batch_acks: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(port=0) as sandbox:
        setup(Path(tmp), sandbox, send_partner_id=send_partner_id)
        if not batch_acks:
            sandbox.admin.set_faults(missing_endpoints=["PUT /v2/orders/feeds/batch"])
        create_orders(sandbox, count)
        started = time.perf_counter()
        summary = run()
        elapsed = time.perf_counter() - started
        used = summary["requests_used"]
        counts = summary["counts"]
        variant = (
            f"partnerId write-back {'on' if send_partner_id else 'off'}, "
            f"{'batch acks' if batch_acks else 'single acks (no PUT /orders/feeds/batch)'}"
        )
        record(
            "import_orders",
            f"steady state, {variant}: requests per imported order",
            used / count,
            "requests/order",
            # The target assumes AnyMarket's batch ack; the single-ack fallback has none.
            target=STEADY_TARGET if batch_acks else None,
            note=f"{used} requests / {count} orders; feed pages {counts.get('feed_pages')}, "
            f"ack requests {counts.get('ack_requests')}"
            + ("" if batch_acks else "; fallback for an AnyMarket without batch acks: 1 ack per order"),
        )
        record(
            "import_orders",
            f"steady state, {variant}: throughput",
            count / elapsed * 60,
            "orders/min",
            note=f"{count} orders in {elapsed:.1f} s, no added latency",
        )
        print(
            f"steady state, partnerId write-back {'on ' if send_partner_id else 'off'}, "
            f"{'batch acks ' if batch_acks else 'single acks'}: {counts.get('new')} of {count} orders, "
            f"{used} requests = {used / count:.3f} per order (target <= 2.05; feed pages "
            f"{counts.get('feed_pages')}, ack requests {counts.get('ack_requests')}), "
            f"{count / elapsed * 60:.0f} orders/min"
        )


def backfill(count: int, latency_ms: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(port=0) as sandbox:
        setup(Path(tmp), sandbox, send_partner_id=False)
        created = time.perf_counter()
        create_orders(sandbox, count, createdAt=f"{DAY}T12:00:00-03:00")
        print(f"backfill: created {count} sandbox orders in {time.perf_counter() - created:.0f} s")
        sandbox.admin.set_faults(latency_ms=latency_ms)
        tracemalloc.start()
        started = time.perf_counter()
        summary = run(created_from=DAY, created_to=DAY)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        new = summary["counts"].get("new", 0)
        used = summary["requests_used"]
        how = f"{new} of {count} orders at {latency_ms} ms/request in {elapsed:.1f} s, under tracemalloc"
        section = "import_orders"
        record(section, f"backfill of {count} orders: wall time", elapsed, "s", note=how)
        record(section, f"backfill of {count} orders: throughput", new / elapsed * 60, "orders/min", note=how)
        record(
            section,
            f"backfill of {count} orders: requests per order",
            used / max(new, 1),
            "requests/order",
            note=f"{used} requests / {new} orders",
        )
        record(section, f"backfill of {count} orders: peak traced memory", peak / 2**20, "MiB", note=how)
        print(
            f"backfill of {new} orders at {latency_ms} ms/request: {elapsed:.1f} s, "
            f"{new / elapsed * 60:.0f} orders/min, {summary['requests_used']} requests = "
            f"{summary['requests_used'] / max(new, 1):.3f} per order, "
            f"peak Python memory {peak / 2**20:.1f} MiB"
        )


def callbacks(count: int) -> None:
    import requests
    import uvicorn
    from fastapi import FastAPI

    from anymarket.callbacks.app import create_app

    with tempfile.TemporaryDirectory() as tmp, SandboxServer(port=0) as sandbox:
        erp = setup(Path(tmp), sandbox, send_partner_id=True)
        root = FastAPI()
        root.mount("/anymarket", create_app())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(root, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.01)
        requests.post(
            f"{sandbox.base_url}/callbacks",
            json={
                "url": f"http://127.0.0.1:{port}/anymarket/callbacks/bench/{CALLBACK_SECRET}",
                "orderActive": True,
            },
            headers={"gumgaToken": sandbox.token},
            timeout=5,
        ).raise_for_status()
        watcher = threading.Thread(target=run, kwargs={"watch_seconds": count * 0.6 + 5})
        watcher.start()
        time.sleep(1)
        latencies = []
        for _ in range(count):
            sold = time.perf_counter()
            order = sandbox.admin.create_order(items=[{"partnerId": "SKU-1", "quantity": 1}])
            while True:
                with erp.engine.connect() as c:
                    found = c.execute(
                        sa.text("SELECT 1 FROM sales_orders WHERE anymarket_order_id = :id"),
                        {"id": order["id"]},
                    ).first()
                if found or time.perf_counter() - sold > 120:
                    break
                time.sleep(0.02)
            latencies.append(time.perf_counter() - sold)
            time.sleep(0.3)
        watcher.join()
        server.should_exit = True
        latencies.sort()
        p95 = percentile(latencies, 0.95)
        record_latencies(
            "import_orders",
            "sale → ERP through a callback, in process (not make demo)",
            latencies,
            expected=count,
            p95_target=None,
            note="receiver + a run polling the inbox every 0.5 s, one process",
        )
        print(
            f"callbacks: sale-to-ERP latency over {count} orders: "
            f"median {statistics.median(latencies):.2f} s, "
            f"p95 {p95:.2f} s, max {latencies[-1]:.2f} s (the run polls the inbox every 0.5 s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steady", type=int, default=200)
    parser.add_argument("--backfill", type=int, default=3_000)  # --backfill 10000: ~6 min
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--callbacks", type=int, default=20)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    steady(args.steady, send_partner_id=True, batch_acks=True)
    steady(args.steady, send_partner_id=False, batch_acks=True)
    steady(args.steady, send_partner_id=True, batch_acks=False)
    steady(args.steady, send_partner_id=False, batch_acks=False)
    callbacks(args.callbacks)
    backfill(args.backfill, args.latency_ms)
    print("sale-to-ERP latency in make demo (callbacks and feed alone): bench/import_orders_demo_latency.py")


if __name__ == "__main__":
    main()
