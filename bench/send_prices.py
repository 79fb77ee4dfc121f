"""Send prices at catalog scale: requests per changed SKU in each price scope, and of an idle run.

Builds the catalog of ``bench/send_stock.py`` (``--skus`` SKUs in products of 100, 3 deposits, SKUs
and deposits linked in a SQLite mapping DB) plus product links, random ERP prices and
``--listings`` marketplace listings per SKU in the sandbox, then per price scope (``SKU``, ``COST``,
``SKU_MARKETPLACE``), starting from "never sent", runs the send-prices operator as a task would:

1. first full send (SKU_MARKETPLACE: includes one listing read per SKU);
2. 1 % of the SKUs' prices changed — requests per changed SKU (SKU: 1 PUT each, the API has no
   batch; COST: ``PUT /stocks`` batches; SKU_MARKETPLACE: ``PUT /skus/marketplaces/prices`` batches);
3. no change — target 0 requests.

Figures only, no assertions::

    .venv/bin/python bench/send_prices.py [--skus 1000] [--listings 2] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from figures import record  # noqa: E402
from harness import private_airflow, sqlite_connections  # noqa: E402

from bench.send_stock import SKUS_PER_PRODUCT, seed_erp, seed_mapping, seed_sandbox  # noqa: E402

SCOPES = ("SKU", "COST", "SKU_MARKETPLACE")
MARKETPLACES = ("MERCADO_LIVRE", "NETSHOES", "B2W_NEW_API", "MAGAZINE_LUIZA")


def link_products(api: Any, mapping: Any) -> list[int]:
    """Link ERP product ``P<n>`` to the sandbox product holding ``SKU-<n*100..>``; returns the ids."""
    products = []
    offset = 0
    while page := api.get("/products", params={"limit": 100, "offset": offset}).json()["content"]:
        products += page
        offset += len(page)
    for product in products:
        first = int(product["skus"][0]["partnerId"].split("-")[1])
        mapping.link("bench", "product", f"P{first // SKUS_PER_PRODUCT}", str(product["id"]))
    return [product["id"] for product in products]


def seed_prices(erp: Any, rng: random.Random) -> None:
    import sqlalchemy as sa

    with erp.engine.begin() as conn:
        ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM skus"))]
        conn.execute(
            sa.text("UPDATE skus SET sell_price = :s, list_price = :l WHERE id = :i"),
            [{"i": i, "s": (sell := round(rng.uniform(5, 500), 2)), "l": round(sell * 1.2, 2)} for i in ids],
        )


def seed_listings(server: Any, ids: dict[str, str], per_sku: int) -> None:
    admin = server.admin
    for anymarket_id in ids.values():
        for marketplace in MARKETPLACES[:per_sku]:
            response = admin.session.post(
                f"{admin.root_url}/_sandbox/skus/{anymarket_id}/marketplaces",
                json={"marketPlace": marketplace, "price": 1, "discountPrice": 1},
                timeout=10,
            )
            response.raise_for_status()


def change_prices(erp: Any, share: float, rng: random.Random) -> int:
    import sqlalchemy as sa

    with erp.engine.begin() as conn:
        ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM skus"))]
        chosen = rng.sample(ids, round(len(ids) * share))
        conn.execute(
            sa.text("UPDATE skus SET sell_price = sell_price + 1, list_price = list_price + 1 WHERE id = :i"),
            [{"i": i} for i in chosen],
        )
    return len(chosen)


def configure(tmp: Path, server: Any, scope: str) -> None:
    (tmp / "integrations.yaml").write_text(
        "integrations:\n  bench:\n    name: Bench\n    alert_emails: [ops@bench.example]\n"
        "    stock: {rule: mapped_deposits, balance: available}\n"
        f"    products: {{price_scope: {scope}, price_format: markup, price_factor: 1.1, cost_field: none}}\n"
    )
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(tmp / "integrations.yaml")
    os.environ["AIRFLOW_CONN_ANYMARKET_BENCH"] = json.dumps(
        {
            "conn_type": "http",
            "host": server.base_url,
            "password": server.token,
            "extra": {"oi": server.oi, "timeout": 30, "stock_batch_size": 200},
        }
    )


def run_once(label: str, changed_skus: int | None = None) -> dict[str, Any]:
    from anymarket.operators.send_prices import AnyMarketSendPricesOperator

    operator = AnyMarketSendPricesOperator(task_id="send_prices", integration_id="bench")
    started = time.perf_counter()
    summary = operator.execute({"run_id": label, "params": {}})
    wall = time.perf_counter() - started
    counts = summary["counts"]
    used = summary.get("requests_used", 0)
    per_sku = f"requests/changed SKU={used / changed_skus:.3f}" if changed_skus else ""
    summary["wall_seconds"] = wall
    print(
        f"  {label:<24} requests={used:<5} (PUT {counts.get('put_requests', 0)}, listing reads "
        f"{counts.get('listing_reads', 0)}) rows sent={counts['sent']:<5} failed={counts['failed']:<2}"
        f" wall={wall:6.2f} s read={summary['read_seconds']:.2f} s {per_sku}",
        flush=True,
    )
    return summary


#: Requests per changed SKU the price scope allows: ``SKU`` has no batch endpoint (one PUT per SKU);
#: the others are batched, so fewer requests than changed SKUs.
PER_CHANGED_SKU_TARGET = {"SKU": (1, "<="), "COST": (1, "<"), "SKU_MARKETPLACE": (1, "<")}


def record_scope(
    scope: str, skus: int, first: dict[str, Any], delta: dict[str, Any], changed: int, idle: dict[str, Any]
) -> None:
    """The scope's figures for BENCHMARKS.md."""
    fig, label = "send_prices", f"price_scope {scope}"
    first_used = first.get("requests_used", 0)
    record(
        fig,
        f"{label}: first full send, requests per SKU",
        first_used / skus,
        "requests/SKU",
        note=f"{first_used} requests / {skus} SKUs in {first['wall_seconds']:.1f} s",
    )
    used = delta.get("requests_used", 0)
    target, comparison = PER_CHANGED_SKU_TARGET[scope]
    record(
        fig,
        f"{label}: 1 % of prices changed, requests per changed SKU",
        used / max(changed, 1),
        "requests/SKU",
        target=target,
        comparison=comparison,
        note=f"{used} requests / {changed} SKUs changed",
    )
    record(
        fig,
        f"{label}: no change, requests",
        idle.get("requests_used", 0),
        "requests",
        target=0,
        comparison="==",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1_000)
    parser.add_argument("--listings", type=int, default=2, help="marketplace listings per SKU (max 4)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    tmp_dir, tmp = private_airflow("bench-send-prices-")

    import sqlalchemy as sa

    from anymarket.erp.database import ErpDatabase
    from anymarket.mapping import get_mapping_db
    from anymarket.mapping import models as m
    from anymarket_sandbox.server import SandboxServer
    from anymarket_sandbox.testing import Api

    rng = random.Random(args.seed)
    erp_path, mapping_path = tmp / "erp.db", tmp / "mapping.db"
    sqlite_connections(erp=erp_path, mapping=mapping_path)

    with SandboxServer(requests_per_hour=10_000_000) as server:
        api = Api(server.base_url, server.token)
        setup = time.perf_counter()
        ids, locals_ = seed_sandbox(api, args.skus)
        erp = ErpDatabase(f"sqlite:///{erp_path}")
        seed_erp(erp, args.skus, rng)
        seed_prices(erp, rng)
        mapping = get_mapping_db(f"sqlite:///{mapping_path}")
        seed_mapping(mapping, ids, locals_)
        product_ids = link_products(api, mapping)
        seed_listings(server, ids, args.listings)
        print(
            f"send prices bench: {args.skus} SKUs, {len(locals_)} warehouses (COST: one stock row per SKU x "
            f"warehouse), {args.listings} listings per SKU, sandbox latency {args.latency_ms:g} ms/request "
            f"(setup {time.perf_counter() - setup:.1f} s)",
            flush=True,
        )
        server.admin.set_faults(latency_ms=args.latency_ms)
        for scope in SCOPES:
            product_scope = "SKU_MARKETPLACE" if scope == "SKU_MARKETPLACE" else "SKU"
            for product_id in product_ids:
                api.put(f"/products/{product_id}", json={"definitionPriceScope": product_scope})
            with mapping.begin() as conn:  # each scope starts from "never sent"
                for table in (m.price_sent, m.price_rejected, m.price_listings):
                    conn.execute(sa.delete(table))
            configure(tmp, server, scope)
            server.admin.clear_requests()
            print(f"\nprice_scope={scope}", flush=True)
            first = run_once("first full send")
            changed = change_prices(erp, 0.01, rng)
            delta = run_once(f"{changed} SKUs changed (1 %)", changed_skus=changed)
            idle = run_once("no change (target 0)")
            record_scope(scope, args.skus, first, delta, changed, idle)
            print(
                f"  first send: {first.get('requests_used', 0) / args.skus:.3f} requests per SKU; "
                f"idle run: {idle.get('requests_used', 0)} requests",
                flush=True,
            )
    tmp_dir.cleanup()


if __name__ == "__main__":
    main()
