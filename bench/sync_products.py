"""Sync products at catalog scale: requests per product, an unchanged catalog, wall time and memory.

Seeds a SQLite demo ERP with ``--products`` products (the demo generator: ~2/3 parents with
variations, images, technical sheets, 13 brands, a category tree), starts the AnyMarket sandbox in
its own process (so ``tracemalloc`` sees only the sync) answering every request ``--latency-ms``
late, and runs the sync-products operator as a task would (``execute``):

1. first run: every product created — wall time, and the requests split into brand/category/
   variation set-up (once per brand, category, variation) and product requests; target: at most 2
   requests per new product once its brand and category exist;
2. no change — target 0 requests (0 writes);
3. 1 % of the products renamed — target: 1 ``PUT`` per renamed product;
4. the first run again on an emptied sandbox and a fresh mapping DB, without latency and under
   ``tracemalloc`` (modules imported and databases opened beforehand): the peak memory of creating
   the catalog (latency does not change what is held, only how long).

Figures only, no assertions::

    .venv/bin/python bench/sync_products.py [--products 2000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]
from figures import record  # noqa: E402 (bench/ is on the path when run as a script)
from harness import free_port, private_airflow, sqlite_connections, start_sandbox  # noqa: E402

TOKEN, OI = "bench-token", "bench-oi."
SETUP_PREFIXES = ("/v2/brands", "/v2/categories", "/v2/variations")


def use_mapping_db(path: Path) -> None:
    """Point the mapping DB connection at ``path`` and migrate it now (not inside a measured run)."""
    from anymarket.mapping import get_mapping_db

    sqlite_connections(mapping=path)
    get_mapping_db(f"sqlite:///{path}")


def configure(tmp: Path, port: int) -> None:
    """The integration file and connections a task would read (``bench`` integration)."""
    (tmp / "integrations.yaml").write_text(
        "integrations:\n  bench:\n    name: Bench\n    alert_emails: [ops@bench.example]\n"
        "    products: {price_list: MARKETPLACES}\n"
    )
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(tmp / "integrations.yaml")
    os.environ["AIRFLOW_CONN_ANYMARKET_BENCH"] = json.dumps(
        {
            "conn_type": "http",
            "host": f"http://127.0.0.1:{port}/v2",
            "password": TOKEN,
            "extra": {"oi": OI, "timeout": 30, "requests_per_hour": 10_000_000},
        }
    )
    sqlite_connections(erp=tmp / "erp.db", mapping=tmp / "mapping.db")


def run_once(label: str, *, trace_memory: bool = False) -> tuple[dict[str, Any], float, int | None]:
    from anymarket.operators.sync_products import AnyMarketSyncProductsOperator

    operator = AnyMarketSyncProductsOperator(task_id="sync_products", integration_id="bench")
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    summary = operator.execute({"run_id": label, "params": {}})
    wall = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    if trace_memory:
        tracemalloc.stop()
    return summary, wall, peak


def split(requests: list[dict[str, Any]]) -> tuple[Counter[str], int, int, int]:
    """(requests per method+route shape, set-up requests, product requests, write requests)."""
    shapes: Counter[str] = Counter()
    setup = products = writes = 0
    for entry in requests:
        path = entry["path"]
        parts = ["{id}" if part.isdigit() else part for part in path.split("/")]
        shapes[f"{entry['method']} {'/'.join(parts)}"] += 1
        if path.startswith(SETUP_PREFIXES):
            setup += 1
        else:
            products += 1
        writes += entry["method"] in ("POST", "PUT", "DELETE", "PATCH")
    return shapes, setup, products, writes


def line(label: str, summary: dict[str, Any], wall: float, requests: list[dict[str, Any]]) -> None:
    counts = summary["counts"]
    _, setup, products, writes = split(requests)
    print(
        f"  {label:<24} requests={len(requests):<5} writes={writes:<5} set-up={setup:<4}"
        f" product={products:<5} created={counts.get('created', 0):<5} adopted={counts.get('adopted', 0):<3}"
        f" updated={counts.get('updated', 0):<4}"
        f" unchanged={counts.get('unchanged', 0):<5} rejected={counts.get('rejected', 0):<3}"
        f" wall={wall:7.2f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    tmp_dir, tmp = private_airflow("bench-sync-products-")

    import sqlalchemy as sa

    from anymarket.erp.database import ErpDatabase
    from anymarket_sandbox.admin import SandboxAdmin
    from anymarket_sandbox.demo_erp import seed_demo_erp

    port = free_port()
    sandbox = start_sandbox(port, token=TOKEN, oi=OI, SANDBOX_REQUESTS_PER_HOUR="10000000")
    admin = SandboxAdmin(f"http://127.0.0.1:{port}")
    try:
        configure(tmp, port)
        setup = time.perf_counter()
        counts = seed_demo_erp(f"sqlite:///{tmp / 'erp.db'}", products=args.products, seed=args.seed)
        erp = ErpDatabase(f"sqlite:///{tmp / 'erp.db'}")
        print(
            f"sync products bench: {counts['products']} products, {counts['skus']} SKUs, "
            f"{counts['product_images']} images, {counts['brands']} brands, "
            f"{counts['categories']} categories; sandbox latency {args.latency_ms:g} ms/request "
            f"(ERP seeded in {time.perf_counter() - setup:.1f} s)",
            flush=True,
        )
        admin.set_faults(latency_ms=args.latency_ms)

        # Imported and opened before measuring: a task process has them loaded already.
        import anymarket.catalog.sync
        import anymarket.hooks.anymarket  # noqa: F401

        use_mapping_db(tmp / "mapping.db")
        summary, wall, _ = run_once("first run")
        requests = admin.requests()
        line("first run", summary, wall, requests)
        shapes, setup_requests, product_requests, _ = split(requests)
        placed = summary["counts"].get("created", 0) + summary["counts"].get("adopted", 0)
        print(
            "    requests per new product once its brand/category exist: "
            f"{product_requests / max(placed, 1):.2f} (target <= 2); "
            f"brand/category/variation set-up: {setup_requests} requests in all",
        )
        print(f"    {placed / wall:.1f} products/s; by route: {dict(shapes.most_common())}", flush=True)
        record(
            "sync_products",
            "first run: requests per new product (brand/category existing)",
            product_requests / max(placed, 1),
            "requests/product",
            target=2,
            note=f"{product_requests} product requests / {placed} products; set-up {setup_requests} requests",
        )
        record(
            "sync_products",
            f"first run: wall time to create {placed} products",
            wall,
            "s",
            note=f"{placed / wall:.1f} products/s at {args.latency_ms:g} ms/request",
        )

        admin.clear_requests()
        summary, wall, _ = run_once("no change")
        line("no change", summary, wall, admin.requests())
        writes = split(admin.requests())[3]
        record("sync_products", "no change: write requests", writes, "requests", target=0, comparison="==")

        admin.clear_requests()
        with erp.engine.begin() as conn:
            codes = [row[0] for row in conn.execute(sa.text("SELECT code FROM products WHERE active"))]
            renamed = random.Random(args.seed).sample(codes, max(1, len(codes) // 100))
            conn.execute(
                sa.text("UPDATE products SET name = name || ' (nova)' WHERE code = :c"),
                [{"c": c} for c in renamed],
            )
        summary, wall, _ = run_once("1 % renamed")
        line(f"1 % renamed ({len(renamed)})", summary, wall, admin.requests())
        puts = sum(r["method"] == "PUT" for r in admin.requests())
        record(
            "sync_products",
            "1 % renamed: PUTs per renamed product",
            puts / len(renamed),
            "requests/product",
            target=1,
            comparison="==",
            note=f"{puts} PUTs / {len(renamed)} products",
        )

        admin.reset()
        use_mapping_db(tmp / "mapping-traced.db")
        summary, wall, peak = run_once("first run, traced", trace_memory=True)
        line("first run, traced (0 ms)", summary, wall, admin.requests())
        assert peak is not None
        print(f"    peak traced memory of creating the catalog: {peak / 2**20:.1f} MiB", flush=True)
        record("sync_products", "peak traced memory of creating the catalog", peak / 2**20, "MiB")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        tmp_dir.cleanup()


if __name__ == "__main__":
    main()
