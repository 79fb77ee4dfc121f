"""Benchmark of sync order status over the real sandbox (figures printed, no assertions).

    .venv/bin/python bench/sync_order_status.py [--orders 100]

N imported orders move through invoiced (with and without the NF-e XML), shipped and delivered in the
ERP; after each stage one sync run; prints AnyMarket requests per status change (target 1, 2 with the
XML), run time, and the requests of an idle re-run (target 0). The ERP-change-to-AnyMarket latency in
``make demo`` is measured by ``bench/sync_order_status_demo_latency.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT), str(ROOT / "bench")]

import sqlalchemy as sa  # noqa: E402
from figures import record  # noqa: E402
from import_orders import create_orders, run, setup  # noqa: E402

from anymarket_sandbox.server import SandboxServer  # noqa: E402


def sync() -> dict:
    from anymarket.operators.sync_order_status import AnyMarketSyncOrderStatusOperator

    return AnyMarketSyncOrderStatusOperator(task_id="sync", integration_id="bench").execute(
        {"run_id": "bench"}
    )


def stage(erp, label: str, changes: int, target: int, *statements: str) -> None:
    """Apply ``statements`` to the ERP (``changes`` status changes), sync once, print and record the
    requests per change against ``target`` (1, or 2 with the NF-e XML)."""
    with erp.engine.begin() as c:
        for statement in statements:
            c.execute(sa.text(statement))
    started = time.perf_counter()
    summary = sync()
    elapsed = time.perf_counter() - started
    used = summary.get("requests_used", 0)
    print(
        f"{label:<34} {changes} changes, {used} requests = {used / changes:.2f} per change "
        f"(status PUTs {summary['counts']['status_requests']}, "
        f"XML PUTs {summary['counts']['xml_requests']}), "
        f"{elapsed:.2f} s"
    )
    name = label.rstrip(":")
    record(
        "sync_order_status",
        f"{name}: requests per status change",
        used / changes,
        "requests/change",
        target=target,
        comparison="==",
        note=f"{used} requests / {changes} orders; status PUTs {summary['counts']['status_requests']}, "
        f"XML PUTs {summary['counts']['xml_requests']}",
    )
    record("sync_order_status", f"{name}: run time", elapsed, "s", note=f"{changes} orders in one run")


def main(count: int) -> None:
    half = count // 2
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(port=0) as sandbox:
        erp = setup(Path(tmp), sandbox, send_partner_id=False)
        create_orders(sandbox, half, metadata={"needInvoiceXML": "true"})
        create_orders(sandbox, count - half, marketplace="AMAZON")
        run()
        orders = "SELECT id FROM sales_orders WHERE anymarket_order_id IS NOT NULL"
        xml_orders = (
            f"SELECT id FROM sales_orders WHERE anymarket_order_id IS NOT NULL ORDER BY id LIMIT {half}"
        )
        stage(
            erp,
            "invoiced, NF-e XML required:",
            half,
            2,
            "INSERT INTO invoices (sales_order_id, access_key, number, series, issued_at, cfop, xml) "
            "SELECT id, printf('%044d', id), id, '1', '2026-03-02 13:00:00.000', '5102', '<nfeProc/>' "
            f"FROM sales_orders WHERE id IN ({xml_orders})",
            f"UPDATE sales_orders SET status = 'invoiced' WHERE id IN ({xml_orders})",
        )
        stage(
            erp,
            "invoiced, no XML (Amazon):",
            count - half,
            1,
            "INSERT INTO invoices (sales_order_id, access_key, number, series, issued_at, cfop) "
            "SELECT id, printf('%044d', id), id, '1', '2026-03-02 13:00:00.000', '5102' "
            f"FROM sales_orders WHERE id IN ({orders}) AND id NOT IN ({xml_orders})",
            "UPDATE sales_orders SET status = 'invoiced' "
            f"WHERE id IN ({orders}) AND id NOT IN ({xml_orders})",
        )
        stage(
            erp,
            "shipped with tracking:",
            count,
            1,
            "INSERT INTO shipments (sales_order_id, carrier_id, tracking_code, shipped_at) "
            f"SELECT id, 1, 'BR' || id, '2026-03-02 18:00:00.000' FROM sales_orders WHERE id IN ({orders})",
            f"UPDATE sales_orders SET status = 'shipped' WHERE id IN ({orders})",
        )
        stage(
            erp,
            "delivered:",
            count,
            1,
            "UPDATE shipments SET delivered_at = '2026-03-05 15:00:00.000'",
            f"UPDATE sales_orders SET status = 'delivered' WHERE id IN ({orders})",
        )
        started = time.perf_counter()
        summary = sync()
        record(
            "sync_order_status",
            "idle re-run: requests",
            summary.get("requests_used", 0),
            "requests",
            target=0,
            comparison="==",
            note=f"{summary['counts']['unchanged']} orders unchanged",
        )
        print(
            f"idle re-run: {summary.get('requests_used', 0)} requests, "
            f"{summary['counts']['unchanged']} orders "
            f"unchanged, {time.perf_counter() - started:.2f} s"
        )
        print("ERP-change-to-AnyMarket latency in make demo: bench/sync_order_status_demo_latency.py")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    main(parser.parse_args().orders)
