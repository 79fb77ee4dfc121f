"""Catalog import at scale: wall time, requests per product and peak memory of real runs.

Seeds the local AnyMarket sandbox with ``--products`` products (``seed_large_catalog``: ~60 % with
2-4 variation SKUs, every 10th inactive, stock in two warehouses), an empty SQLite reference ERP with
the two deposits (linked by the deposit installer) and a SQLite mapping DB, makes the sandbox answer
every request ``--latency-ms`` late, and runs the import operator as a task would (``execute``):

1. the full import (``scope: all``) — target: ~0.01 request per product for the products themselves
   (pages of 100), plus ``GET /stocks`` pages for the per-warehouse stock;
2. a re-run — nothing written to the ERP, the same requests;
3. the full import again into fresh databases under ``tracemalloc`` for its peak memory (slower).

Figures only, no assertions::

    .venv/bin/python bench/import_catalog.py [--products 5000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]
from figures import record  # noqa: E402 (bench/ is on the path when run as a script)
from harness import private_airflow, sqlite_connections  # noqa: E402


def prepare(tmp: Path, name: str) -> None:
    """A fresh ERP (two deposits) and mapping DB, and the connections a task would read."""
    import sqlalchemy as sa

    from anymarket.erp.database import ErpDatabase
    from anymarket.mapping import get_mapping_db

    erp_path, mapping_path = tmp / f"{name}-erp.db", tmp / f"{name}-mapping.db"
    erp = ErpDatabase(f"sqlite:///{erp_path}")
    erp.create_schema()
    with erp.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO deposits (code, name, is_default) VALUES ('SP', 'CD São Paulo', 1), "
                "('REC', 'CD Recife', 0)"
            )
        )
    erp.dispose()
    sqlite_connections(erp=erp_path, mapping=mapping_path)
    get_mapping_db(f"sqlite:///{mapping_path}")
    from anymarket.operators.install_deposits import AnyMarketInstallDepositsOperator

    AnyMarketInstallDepositsOperator(task_id="install_deposits", integration_id="bench").execute(
        {"run_id": name}
    )


def run_once(label: str, products: int, *, trace_memory: bool = False) -> dict[str, Any]:
    from anymarket.operators.import_catalog import AnyMarketImportCatalogOperator

    operator = AnyMarketImportCatalogOperator(task_id="import_catalog", integration_id="bench")
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    summary = operator.execute({"run_id": label, "params": {"scope": "all"}})
    wall = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    if trace_memory:
        tracemalloc.stop()
    counts = summary["counts"]
    requests = summary["requests_used"]
    line = (
        f"  {label:<26} wall={wall:7.1f} s  requests={requests:<4} ({requests / products:.4f}/product)"
        f"  products created={counts.get('products_created', 0)}"
        f" unchanged={counts.get('products_unchanged', 0)}"
        f" skipped={counts.get('skipped_inactive', 0)}  skus created={counts.get('skus_created', 0)}"
        f"  {products / wall:5.0f} products/s"
    )
    if peak is not None:
        line += f"  peak traced memory={peak / 2**20:.1f} MiB"
    print(line, flush=True)
    record("import_catalog", f"{label}: wall time", wall, "s", note=f"{products} products")
    record(
        "import_catalog",
        f"{label}: requests per product",
        requests / products,
        "requests/product",
        note=f"{requests} requests / {products} products",
    )
    if peak is not None:
        record("import_catalog", "peak traced memory of a full import", peak / 2**20, "MiB")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--no-trace", action="store_true", help="skip step 3 (the traced run)")
    args = parser.parse_args()

    tmp_dir, tmp = private_airflow("bench-import-catalog-")
    (tmp / "integrations.yaml").write_text(
        "integrations:\n  bench:\n    name: Bench\n    alert_emails: [ops@bench.example]\n"
    )
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(tmp / "integrations.yaml")

    from anymarket_sandbox.server import SandboxServer
    from anymarket_sandbox.testing import seed_large_catalog

    with SandboxServer(requests_per_hour=10_000_000) as server:
        os.environ["AIRFLOW_CONN_ANYMARKET_BENCH"] = json.dumps(
            {
                "conn_type": "http",
                "host": server.base_url,
                "password": server.token,
                "extra": {"oi": server.oi},
            }
        )
        setup = time.perf_counter()
        seed_large_catalog(server, args.products)
        skus = len(server.sandbox.state.account().skus)
        prepare(tmp, "first")
        print(
            f"catalog import bench: {args.products} products, {skus} SKUs, 2 warehouses, sandbox latency "
            f"{args.latency_ms:g} ms/request, ERP and mapping DB on SQLite "
            f"(setup {time.perf_counter() - setup:.1f} s)",
            flush=True,
        )
        server.admin.set_faults(latency_ms=args.latency_ms)
        first = run_once("1. full import", args.products)
        rerun = run_once("2. re-run (no change)", args.products)
        record(
            "import_catalog",
            "re-run: products created",
            rerun["counts"].get("products_created", 0),
            "products",
            target=0,
            comparison="==",
        )
        if not args.no_trace:
            prepare(tmp, "traced")
            run_once("3. full import, traced", args.products, trace_memory=True)
    stock_pages = first["requests_used"] - 1 - 1 - 1 - (args.products + 99) // 100
    print(
        f"\nrequests of the full import: brands, category tree, warehouses (1 each), "
        f"{(args.products + 99) // 100} product pages, ~{stock_pages} stock pages (2 warehouses: "
        "GET /stocks is read once per run)"
    )
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (bench + in-process sandbox holding the catalog): {max_rss:.0f} MiB")
    tmp_dir.cleanup()


if __name__ == "__main__":
    main()
