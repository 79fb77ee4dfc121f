"""Sale-to-ERP latency of import orders while `make demo` runs the DAG on its schedule.

Needs a running `make demo` (same SANDBOX_PORT; DEMO_RUN_DIR if not .run/demo). Creates marketplace
sales on the sandbox for demo SKUs (carrier Correios, which the demo maps) every ``--interval`` seconds
and polls the demo ERP until a sales order carries that AnyMarket order id. Two rounds:

1. callbacks: the sandbox pushes each sale to the api-server's ``/anymarket`` plugin (target p95 < 30 s);
2. feed alone: the sandbox drops every callback (fault ``callback_drop_rate=1``), so only the order
   feed brings the sale (target p95 < 90 s).

    .venv/bin/python bench/import_orders_demo_latency.py [--orders 10] [--interval 6]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from figures import record_latencies  # noqa: E402

from anymarket_sandbox.admin import SandboxAdmin  # noqa: E402

# The demo's ERP and mapping DB; bench/report.py runs a demo of its own elsewhere.
RUN = Path(os.environ.get("DEMO_RUN_DIR", ROOT / ".run" / "demo"))


def measure(admin: SandboxAdmin, erp: sa.Engine, codes: list[str], args: argparse.Namespace) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def watch(order_id: int, started: float) -> None:
        while time.monotonic() - started < args.timeout:
            with erp.connect() as conn:
                found = conn.execute(
                    sa.text("SELECT 1 FROM sales_orders WHERE anymarket_order_id = :id"),
                    {"id": str(order_id)},
                ).first()
            if found:
                with lock:
                    latencies.append(time.monotonic() - started)
                return
            time.sleep(0.25)
        print(f"  order {order_id}: not in the ERP within {args.timeout:.0f} s")

    watchers = []
    for n in range(args.orders):
        order = admin.create_order(
            marketplace="MERCADO_LIVRE",
            status="PAID_WAITING_SHIP",
            carrier="Correios",
            shippingtype="Normal",
            items=[{"partnerId": codes[n % len(codes)], "quantity": 1, "unitPrice": 49.9}],
        )
        watcher = threading.Thread(target=watch, args=(order["id"], time.monotonic()))
        watcher.start()
        watchers.append(watcher)
        time.sleep(args.interval)
    for watcher in watchers:
        watcher.join()
    return sorted(latencies)


def report(name: str, latencies: list[float], wanted: int, target: float, interval: float) -> None:
    record_latencies(
        "import_orders",
        f"sale → ERP in make demo, {name.strip()}",
        latencies,
        expected=wanted,
        p95_target=target,
        note=f"{wanted} sales {interval:g} s apart, DAG every minute",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--interval", type=float, default=6.0)
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    admin = SandboxAdmin(f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT', '8765')}")
    erp = sa.create_engine(f"sqlite:///{RUN / 'erp.db'}", connect_args={"timeout": 30})
    with erp.connect() as conn:
        codes = list(
            conn.execute(
                sa.text(
                    "SELECT s.code FROM skus s JOIN stock_balances b ON b.sku_id = s.id "
                    "JOIN deposits d ON d.id = b.deposit_id "
                    "WHERE d.is_default AND s.active AND b.quantity > 5 ORDER BY s.code LIMIT 20"
                )
            ).scalars()
        )
    previous = admin.faults()["callback_drop_rate"]
    try:
        admin.set_faults(callback_drop_rate=0.0)
        report("with callbacks", measure(admin, erp, codes, args), args.orders, 30, args.interval)
        admin.set_faults(callback_drop_rate=1.0)
        report("feed alone    ", measure(admin, erp, codes, args), args.orders, 90, args.interval)
    finally:
        admin.set_faults(callback_drop_rate=previous)


if __name__ == "__main__":
    main()
