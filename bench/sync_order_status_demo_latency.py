"""ERP-change-to-AnyMarket latency of sync order status while `make demo` runs the DAG on its schedule.

Needs a running `make demo` (same SANDBOX_PORT; DEMO_RUN_DIR if not .run/demo). For each of ``--orders``
sales: creates it on the sandbox (Shopee, carrier Correios, which the demo maps), waits until
import_orders has put it in the demo ERP, then authorizes an NF-e for it in the ERP (the "ERP change")
and polls the sandbox until the order is INVOICED. Prints p50/p95/max against the target (p95 under
90 s).

    .venv/bin/python bench/sync_order_status_demo_latency.py [--orders 8] [--interval 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from figures import record_latencies  # noqa: E402

from anymarket_sandbox.admin import SandboxAdmin  # noqa: E402
from anymarket_sandbox.demo_erp import nfe_access_key_check_digit  # noqa: E402
from anymarket_sandbox.testing import Api  # noqa: E402

# The demo's ERP and mapping DB; bench/report.py runs a demo of its own elsewhere.
RUN = Path(os.environ.get("DEMO_RUN_DIR", ROOT / ".run" / "demo"))


def wait_imported(erp: sa.Engine, order_id: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with erp.connect() as conn:
            found = conn.execute(
                sa.text("SELECT id FROM sales_orders WHERE anymarket_order_id = :id ORDER BY id"),
                {"id": str(order_id)},
            ).first()
        if found:
            return int(found[0])
        time.sleep(0.5)
    return None


def authorize_nfe(erp: sa.Engine, sales_order_id: int, n: int) -> None:
    number = 900_000 + int(time.time()) % 90_000 + n
    first43 = f"35{datetime.now(UTC):%y%m}12345678000195" + "55" + "001" + f"{number:09d}" + "1" + "12345678"
    key = first43 + str(nfe_access_key_check_digit(first43))
    with erp.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO invoices (sales_order_id, access_key, number, series, issued_at, cfop, status) "
                "VALUES (:o, :k, :n, '1', :t, '5102', 'authorized')"
            ),
            {
                "o": sales_order_id,
                "k": key,
                "n": number,
                "t": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=8)
    parser.add_argument("--interval", type=float, default=8.0)
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    port = os.environ.get("SANDBOX_PORT", "8765")
    admin = SandboxAdmin(f"http://127.0.0.1:{port}")
    api = Api(f"http://127.0.0.1:{port}/v2", os.environ.get("SANDBOX_TOKEN", "sandbox-token"))
    erp = sa.create_engine(f"sqlite:///{RUN / 'erp.db'}", connect_args={"timeout": 30})
    with erp.connect() as conn:
        code = conn.execute(
            sa.text(
                "SELECT s.code FROM skus s JOIN stock_balances b ON b.sku_id = s.id JOIN deposits d "
                "ON d.id = b.deposit_id WHERE d.is_default AND s.active AND b.quantity > 5 ORDER BY s.code"
            )
        ).scalar()

    latencies: list[float] = []
    lock = threading.Lock()

    def follow(n: int) -> None:
        order = admin.create_order(
            marketplace="SHOPEE",
            status="PAID_WAITING_SHIP",
            carrier="Correios",
            items=[{"partnerId": code, "quantity": 1, "unitPrice": 39.9}],
        )
        sales_order_id = wait_imported(erp, order["id"], args.timeout)
        if sales_order_id is None:
            print(f"  order {order['id']}: never imported")
            return
        authorize_nfe(erp, sales_order_id, n)
        started = time.monotonic()
        while time.monotonic() - started < args.timeout:
            if api.get(f"/orders/{order['id']}").json()["status"] == "INVOICED":
                with lock:
                    latencies.append(time.monotonic() - started)
                return
            time.sleep(1)
        print(f"  order {order['id']}: not INVOICED within {args.timeout:.0f} s")

    threads = []
    for n in range(args.orders):
        thread = threading.Thread(target=follow, args=(n,))
        thread.start()
        threads.append(thread)
        time.sleep(args.interval)
    for thread in threads:
        thread.join()
    record_latencies(
        "sync_order_status",
        "ERP NF-e authorized → AnyMarket INVOICED in make demo",
        latencies,
        expected=args.orders,
        p95_target=90,
        note=f"{args.orders} orders {args.interval:g} s apart, DAG every minute",
    )
    if not latencies:
        raise SystemExit("no NF-e reached AnyMarket: is sync_order_status unpaused in the demo?")


if __name__ == "__main__":
    main()
