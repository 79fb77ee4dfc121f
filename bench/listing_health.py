"""Listing health at scale: requests per 1 000 SKUs, wall time and what a pass writes.

Seeds the local AnyMarket sandbox with ``--products`` products (``seed_large_catalog``), links every
SKU in a SQLite mapping DB as sync_products would, lets the sandbox's marketplaces publish them
(three listings per SKU: Mercado Livre, Americanas, Netshoes — refused or warned by the sandbox's
rules), makes the sandbox answer every request ``--latency-ms`` late, and runs the listing_health
operator as a task would (``execute``), with a budget large enough not to pace it:

1. a first pass — one ``GET /skus/{id}/marketplaces`` per SKU, every listing written;
2. a second pass (Param ``restart``) with nothing changed — the same requests, nothing written;
3. a run between passes with no SKU linked since — no request.

Figures only, no assertions::

    .venv/bin/python bench/listing_health.py [--products 1000] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]
from figures import record  # noqa: E402 (bench/ is on the path when run as a script)
from harness import private_airflow, sqlite_connections  # noqa: E402


def run_once(label: str, skus: int, **params: Any) -> dict[str, Any]:
    from anymarket.operators.listing_health import AnyMarketListingHealthOperator

    operator = AnyMarketListingHealthOperator(task_id="listing_health", integration_id="bench")
    started = time.perf_counter()
    summary = operator.execute({"run_id": label, "params": params})
    wall = time.perf_counter() - started
    counts = summary["counts"]
    requests = summary.get("requests_used", 0)
    print(
        f"  {label:<32} wall={wall:7.1f} s  requests={requests:<5}"
        f" ({requests * 1000 / skus:.0f} per 1 000 SKUs)"
        f"  listings read={counts.get('listings_read', 0)} written={counts.get('listings_written', 0)}"
        f" unchanged={counts.get('listings_unchanged', 0)}",
        flush=True,
    )
    return {"summary": summary, "wall": wall, "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    tmp_dir, tmp = private_airflow("bench-listing-health-")
    (tmp / "integrations.yaml").write_text(
        "integrations:\n  bench:\n    name: Bench\n    alert_emails: [ops@bench.example]\n"
    )
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(tmp / "integrations.yaml")
    mapping_path = tmp / "mapping.db"
    sqlite_connections(mapping=mapping_path)

    from anymarket.mapping import get_mapping_db
    from anymarket_sandbox.publishing import publish_catalog
    from anymarket_sandbox.server import SandboxServer
    from anymarket_sandbox.testing import seed_large_catalog

    with SandboxServer(requests_per_hour=10_000_000) as server:
        os.environ["AIRFLOW_CONN_ANYMARKET_BENCH"] = json.dumps(
            {
                "conn_type": "http",
                "host": server.base_url,
                "password": server.token,
                # The bulk lane's pace (one request a second at 5 000/hour) is not what is measured.
                "extra": {"oi": server.oi, "requests_per_hour": 10_000_000},
            }
        )
        setup = time.perf_counter()
        seed_large_catalog(server, args.products)
        state = server.sandbox.state
        with state.lock:
            account = state.account()
            linked = {s["partnerId"]: str(s["id"]) for s in account.skus.values()}
            published = publish_catalog(server.sandbox, account)
        mapping = get_mapping_db(f"sqlite:///{mapping_path}")
        mapping.link_many(
            "bench",
            "sku",
            [
                {"erp_id": c, "anymarket_id": i, "payload_hash": None, "attributes": None}
                for c, i in linked.items()
            ],
        )
        skus = len(linked)
        print(
            f"listing health bench: {args.products} products, {skus} SKUs, {published['created']} listings, "
            f"sandbox latency {args.latency_ms:g} ms/request, mapping DB on SQLite "
            f"(setup {time.perf_counter() - setup:.1f} s)",
            flush=True,
        )
        server.admin.set_faults(latency_ms=args.latency_ms)
        first = run_once("1. first pass", skus)
        second = run_once("2. second pass, nothing changed", skus, restart=True)
        between = run_once("3. between passes, nothing new", skus)
    for label, run in (("first pass", first), ("second pass (no change)", second)):
        record(
            "listing_health",
            f"{label}: requests per 1 000 SKUs",
            run["requests"] * 1000 / skus,
            "requests",
            target=1000,
            note=f"{run['requests']} requests / {skus} SKUs",
        )
        record("listing_health", f"{label}: wall time", run["wall"], "s", note=f"{skus} SKUs")
    record(
        "listing_health",
        "second pass (no change): listings written",
        second["summary"]["counts"].get("listings_written", 0),
        "listings",
        target=0,
        comparison="==",
    )
    record(
        "listing_health", "between passes, nothing new: requests", between["requests"], "requests", target=0
    )
    tmp_dir.cleanup()


if __name__ == "__main__":
    main()
