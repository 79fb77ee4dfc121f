"""Full stock at scale: requests per 1 000 SKUs of a read, wall time and what a pass writes.

Seeds the local AnyMarket sandbox with ``--products`` products (``seed_large_catalog``), links every
SKU in a SQLite mapping DB as sync_products would, stores the listings listing health would have
stored (the sandbox's marketplaces publish every SKU on Mercado Livre, Americanas and Netshoes; then
the Mercado Livre listings of half the SKUs are dropped, so half are listed there), gives one SKU in
ten Full stock at Mercado Livre (three CDs; all of them listed there), builds a SQLite reference
ERP with the same SKUs and a Full deposit mapped to ``MERCADO_LIVRE``, makes the sandbox answer
every request ``--latency-ms`` late, and runs the fulfillment_stock operator as a task would
(``execute``), with a budget large enough not to pace it:

1. a first pass — one ``GET /stocks/fulfillment/MERCADO_LIVRE/{id}`` per SKU listed there;
2. a second pass (Param ``restart``) with nothing changed — the same requests, nothing written;
3. a run between passes — no request;
4. a pass with no listing stored (listing health off) — every linked SKU read;
5. a pass with ``B2W_NEW_API`` mapped too — the SKUs listed at B2W read there as well.

Figures only, no assertions::

    .venv/bin/python bench/fulfillment_stock.py [--products 1000] [--latency-ms 20]
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

CDS = (
    ("SP01 - Cajamar", "03007331011580"),
    ("SP02 - Louveira", "03007331012714"),
    ("BA01", "03007331012048"),
)


def run_once(label: str, skus: int, **params: Any) -> dict[str, Any]:
    from anymarket.operators.fulfillment_stock import AnyMarketFulfillmentStockOperator

    operator = AnyMarketFulfillmentStockOperator(task_id="fulfillment_stock", integration_id="bench")
    started = time.perf_counter()
    summary = operator.execute({"run_id": label, "params": params})
    wall = time.perf_counter() - started
    counts = summary["counts"]
    requests = summary.get("requests_used", 0)
    print(
        f"  {label:<40} wall={wall:7.1f} s  requests={requests:<5}"
        f" ({requests * 1000 / skus:.0f} per 1 000 SKUs)"
        f"  with Full stock={counts.get('skus_with_full_stock', 0)}"
        f" written={counts.get('balances_written', 0)}"
        f" unchanged={counts.get('balances_unchanged', 0)}",
        flush=True,
    )
    return {"summary": summary, "wall": wall, "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    tmp_dir, tmp = private_airflow("bench-fulfillment-stock-")
    (tmp / "integrations.yaml").write_text(
        "integrations:\n  bench:\n    name: Bench\n    alert_emails: [ops@bench.example]\n"
    )
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(tmp / "integrations.yaml")
    mapping_path, erp_path = tmp / "mapping.db", tmp / "erp.db"
    sqlite_connections(mapping=mapping_path, erp=erp_path)

    import sqlalchemy as sa

    from anymarket.erp.database import ErpDatabase
    from anymarket.mapping import get_mapping_db
    from anymarket.mapping import models as m
    from anymarket.mapping.database import utcnow
    from anymarket_sandbox.publishing import publish_catalog
    from anymarket_sandbox.routes.fulfillment import set_fulfillment
    from anymarket_sandbox.routes.marketplaces import listings_of
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
            publish_catalog(server.sandbox, account)
            codes = sorted(linked)
            # Only a SKU listed on Mercado Livre can be at its CDs: one in five of those listed there.
            full = codes[::10]
            for code in full:
                rows = [
                    {"document": doc, "description": name, "quantity": 3 + n, "reserved": n % 2}
                    for n, (name, doc) in enumerate(CDS)
                ]
                set_fulfillment(account, "MERCADO_LIVRE", int(linked[code]), rows)
            by_id = {sku_id: code for code, sku_id in linked.items()}
            half = set(codes[::2])
            stored = [
                (by_id[str(x["skuId"])], x["marketPlace"], str(x["id"]))
                for x in listings_of(account).values()
                if x["marketPlace"] != "MERCADO_LIVRE" or by_id[str(x["skuId"])] in half
            ]
        mapping = get_mapping_db(f"sqlite:///{mapping_path}")
        mapping.link_many(
            "bench",
            "sku",
            [
                {"erp_id": c, "anymarket_id": i, "payload_hash": None, "attributes": None}
                for c, i in linked.items()
            ],
        )
        now = utcnow()
        with mapping.begin() as conn:
            conn.execute(
                sa.insert(m.listings),
                [
                    {
                        "integration_id": "bench",
                        "listing_id": listing_id,
                        "sku_code": code,
                        "anymarket_sku_id": linked[code],
                        "marketplace": marketplace,
                        "health": "ok",
                        "data_hash": "bench",
                        "changed_at": now,
                    }
                    for code, marketplace, listing_id in stored
                ],
            )
        mapping.set_mapping("bench", "fulfillment_deposit", "MERCADO_LIVRE", "FULL-ML")
        erp = ErpDatabase(f"sqlite:///{erp_path}")
        erp.create_schema()
        with erp.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO deposits (id, code, name, is_default, active) VALUES "
                    "(1, 'SP', 'CD São Paulo', 1, 1), (8, 'FULL-B2W', 'Full B2W', 0, 1), "
                    "(9, 'FULL-ML', 'Full Mercado Livre', 0, 1)"
                )
            )
            conn.execute(sa.text("INSERT INTO products (id, code, name) VALUES (1, 'P', 'Bench')"))
            conn.execute(
                sa.text("INSERT INTO skus (id, product_id, code, name) VALUES (:i, 1, :c, :c)"),
                [{"i": i, "c": c} for i, c in enumerate(codes, start=1)],
            )
        skus = len(linked)
        print(
            f"Full stock bench: {args.products} products, {skus} SKUs ({len(half)} listed on Mercado Livre, "
            f"{len(full)} with Full stock at 3 CDs), sandbox latency {args.latency_ms:g} ms/request, "
            f"ERP and mapping DB on SQLite (setup {time.perf_counter() - setup:.1f} s)",
            flush=True,
        )
        server.admin.set_faults(latency_ms=args.latency_ms)
        first = run_once("1. first pass (ML mapped)", skus)
        second = run_once("2. second pass, nothing changed", skus, restart=True)
        between = run_once("3. between passes", skus)
        with mapping.begin() as conn:
            conn.execute(sa.delete(m.listings).where(m.listings.c.integration_id == "bench"))
        no_listings = run_once("4. no listing stored: every SKU", skus, restart=True)
        with mapping.begin() as conn:
            conn.execute(
                sa.insert(m.listings),
                [
                    {
                        "integration_id": "bench",
                        "listing_id": listing_id,
                        "sku_code": code,
                        "anymarket_sku_id": linked[code],
                        "marketplace": marketplace,
                        "health": "ok",
                        "data_hash": "bench",
                        "changed_at": now,
                    }
                    for code, marketplace, listing_id in stored
                ],
            )
        mapping.set_mapping("bench", "fulfillment_deposit", "B2W_NEW_API", "FULL-B2W")
        two = run_once("5. ML and B2W mapped", skus, restart=True)
    for label, run, target in (
        ("first pass, half the SKUs listed on ML", first, None),
        ("second pass (no change)", second, None),
        ("no listing stored (every linked SKU)", no_listings, 1000),
        ("ML and B2W mapped", two, None),
    ):
        record(
            "fulfillment_stock",
            f"{label}: requests per 1 000 SKUs",
            run["requests"] * 1000 / skus,
            "requests",
            target=target,
            note=f"{run['requests']} requests / {skus} SKUs",
        )
        record("fulfillment_stock", f"{label}: wall time", run["wall"], "s", note=f"{skus} SKUs")
    record(
        "fulfillment_stock",
        "first pass: balances written",
        first["summary"]["counts"].get("balances_written", 0),
        "balances",
        note=f"{len(full)} SKUs with Full stock",
    )
    record(
        "fulfillment_stock",
        "second pass (no change): balances written",
        second["summary"]["counts"].get("balances_written", 0),
        "balances",
        target=0,
        comparison="==",
    )
    record("fulfillment_stock", "between passes: requests", between["requests"], "requests", target=0)
    tmp_dir.cleanup()


if __name__ == "__main__":
    main()
