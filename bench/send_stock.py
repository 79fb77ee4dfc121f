"""Send stock at catalog scale: requests, wall time, compute time and memory of real runs.

Generates a SQLite reference ERP with ``--skus`` SKUs x 3 deposits (balances, ~2 % of them with an
open reservation), the same SKUs in the local AnyMarket sandbox (linked in a SQLite mapping DB, the
3 deposits mapped to 3 warehouses), makes the sandbox answer every request ``--latency-ms`` late, and
runs the send-stock operator as a task would (``execute``), per scenario:

1. first full send — target: at most ceil(rows / batch) + 2 requests;
2. 1 % of the SKUs changed (one deposit balance each) — target: at most 3 requests; then 1 % of all
   SKU x deposit balances changed (3x as many rows with Multi-CD), reported against rows / batch;
3. no change — 0 requests; run again under ``tracemalloc`` for the peak memory of a run (read,
   compute, compare), which slows that run down.

For every run: requests, ``PUT /stocks`` rows, wall time, ERP/state read time and the compute time of
step 2 (rules + comparison, pandas; target under 3 s). Figures only, no assertions::

    .venv/bin/python bench/send_stock.py [--skus 20000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from figures import record
from harness import private_airflow, sqlite_connections

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

DEPOSITS = [(1, "SP", "CD São Paulo", 1), (2, "REC", "CD Recife", 0), (3, "CWB", "Loja Curitiba", 0)]
SKUS_PER_PRODUCT = 100
# (rule, stock_batch_size): Multi-CD at AnyMarket's maximum batch, and one warehouse at the default.
SCENARIOS = [("mapped_deposits", 200), ("consolidated", 100)]


def seed_sandbox(api: Any, sku_count: int) -> tuple[dict[str, str], dict[str, int]]:
    """The catalog on AnyMarket: ``{sku code: AnyMarket id}`` and ``{deposit code: stockLocalId}``."""
    locals_ = {
        code: api.post("/stocks/locals", json={"name": name, "defaultLocal": bool(default)}).json()["data"][
            "id"
        ]
        for _, code, name, default in DEPOSITS
    }
    brand = api.post("/brands", json={"name": "Marca", "partnerId": "B1"}).json()
    category = api.post("/categories", json={"name": "Geral", "partnerId": "C1"}).json()
    api.post(
        "/variations", json={"name": "Modelo", "visualVariation": False, "values": [{"description": "M0"}]}
    )
    ids: dict[str, str] = {}
    for first in range(0, sku_count, SKUS_PER_PRODUCT):
        codes = [f"SKU-{n:06d}" for n in range(first, min(first + SKUS_PER_PRODUCT, sku_count))]
        response = api.post(
            "/products",
            json={
                "title": f"Produto {first}",
                "category": {"id": category["id"]},
                "brand": {"id": brand["id"]},
                "priceFactor": 1,
                "calculatedPrice": False,
                "definitionPriceScope": "SKU",
                "hasVariations": True,
                "skus": [
                    {
                        "title": code,
                        "partnerId": code,
                        "price": 10,
                        "sellPrice": 9,
                        "amount": 0,
                        "additionalTime": 0,
                        # Values shared across products: the sandbox looks values up by scanning them.
                        "variations": {"Modelo": f"M{index}"},
                    }
                    for index, code in enumerate(codes)
                ],
            },
        )
        response.raise_for_status()
        ids.update({sku["partnerId"]: str(sku["id"]) for sku in response.json()["skus"]})
    return ids, locals_


def seed_erp(erp: Any, sku_count: int, rng: random.Random) -> None:
    import sqlalchemy as sa

    erp.create_schema()
    with erp.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO deposits (id, code, name, is_default, active) VALUES (:i, :c, :n, :d, 1)"),
            [{"i": i, "c": c, "n": n, "d": d} for i, c, n, d in DEPOSITS],
        )
        products = range(math.ceil(sku_count / SKUS_PER_PRODUCT))
        conn.execute(
            sa.text("INSERT INTO products (id, code, name) VALUES (:i, :c, :c)"),
            [{"i": p + 1, "c": f"P{p}"} for p in products],
        )
        conn.execute(
            sa.text(
                "INSERT INTO skus (id, product_id, code, name, made_to_order, crossdocking_days, sell_price) "
                "VALUES (:i, :p, :c, :c, :m, :x, 9)"
            ),
            [
                {
                    "i": n + 1,
                    "p": n // SKUS_PER_PRODUCT + 1,
                    "c": f"SKU-{n:06d}",
                    "m": int(rng.random() < 0.02),
                    "x": rng.choice((0, 0, 1, 3)),
                }
                for n in range(sku_count)
            ],
        )
        conn.execute(
            sa.text("INSERT INTO stock_balances (sku_id, deposit_id, quantity) VALUES (:s, :d, :q)"),
            [
                {"s": n + 1, "d": d, "q": 0 if rng.random() < 0.1 else rng.randint(1, 60)}
                for n in range(sku_count)
                for d, *_ in DEPOSITS
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO customers (id, name, document, document_type) "
                "VALUES (1, 'Ana', '12345678909', 'CPF')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO sales_orders (id, code, customer_id, order_date) "
                "VALUES (1, 'PV-1', 1, '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO stock_reservations (sku_id, deposit_id, sales_order_id, quantity) "
                "VALUES (:s, :d, 1, :q)"
            ),
            [
                {"s": n + 1, "d": d, "q": rng.randint(1, 3)}
                for n in range(sku_count)
                for d, *_ in DEPOSITS
                if rng.random() < 0.02
            ],
        )


def seed_mapping(mapping: Any, ids: dict[str, str], locals_: dict[str, int]) -> None:
    import sqlalchemy as sa

    from anymarket.mapping import models as m
    from anymarket.mapping.database import utcnow

    now = utcnow()
    with mapping.begin() as conn:
        conn.execute(
            sa.insert(m.links),
            [
                {
                    "integration_id": "bench",
                    "entity_type": "sku",
                    "erp_id": code,
                    "anymarket_id": anymarket_id,
                    "created_at": now,
                    "updated_at": now,
                }
                for code, anymarket_id in ids.items()
            ],
        )
    for code, local_id in locals_.items():
        mapping.set_mapping(
            "bench", "deposit", code, str(local_id), attributes={"counts_toward_balance": True}
        )


def change_balances(erp: Any, share: float, rng: random.Random) -> int:
    """Add 7 units to ``share`` of the SKU x deposit balances; returns how many changed."""
    import sqlalchemy as sa

    with erp.engine.begin() as conn:
        ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM stock_balances"))]
        chosen = rng.sample(ids, round(len(ids) * share))
        conn.execute(
            sa.text("UPDATE stock_balances SET quantity = quantity + 7 WHERE id = :i"),
            [{"i": i} for i in chosen],
        )
    return len(chosen)


def change_skus(erp: Any, share: float, rng: random.Random) -> int:
    """Add 5 units to one deposit's balance of ``share`` of the SKUs; returns how many SKUs changed."""
    import sqlalchemy as sa

    with erp.engine.begin() as conn:
        skus = [row[0] for row in conn.execute(sa.text("SELECT DISTINCT sku_id FROM stock_balances"))]
        chosen = rng.sample(skus, round(len(skus) * share))
        conn.execute(
            sa.text(
                "UPDATE stock_balances SET quantity = quantity + 5 WHERE id = "
                "(SELECT MIN(id) FROM stock_balances WHERE sku_id = :s)"
            ),
            [{"s": s} for s in chosen],
        )
    return len(chosen)


def configure(tmp: Path, server: Any, rule: str, batch: int) -> None:
    """The integration file and connections a task would read (``bench`` integration)."""
    (tmp / "integrations.yaml").write_text(
        "integrations:\n  bench:\n    name: Bench\n    alert_emails: [ops@bench.example]\n"
        f"    stock: {{rule: {rule}, balance: available, safety_stock: 1}}\n"
        "    products: {send_crossdocking: true}\n"
    )
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(tmp / "integrations.yaml")
    os.environ["AIRFLOW_CONN_ANYMARKET_BENCH"] = json.dumps(
        {
            "conn_type": "http",
            "host": server.base_url,
            "password": server.token,
            "extra": {"oi": server.oi, "timeout": 30, "stock_batch_size": batch},
        }
    )


def run_once(label: str, rows_hint: str, *, trace_memory: bool = False) -> dict[str, Any]:
    from anymarket.operators.send_stock import AnyMarketSendStockOperator

    operator = AnyMarketSendStockOperator(task_id="send_stock", integration_id="bench")
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    summary = operator.execute({"run_id": label, "params": {}})
    wall = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    if trace_memory:
        tracemalloc.stop()
    counts = summary["counts"]
    line = (
        f"  {label:<22} requests={summary['requests_used']:<4} {rows_hint:<22} rows sent={counts['sent']:<6}"
        f" changed={counts['changed']:<6} failed={counts['failed']:<3} wall={wall:6.2f} s"
        f"  read={summary['read_seconds']:.2f} s  compute(step 2)={summary['compute_seconds']:.2f} s"
    )
    if peak is not None:
        line += f"  peak traced memory={peak / 2**20:.0f} MiB"
    print(line, flush=True)
    return {**summary, "wall_seconds": wall, "peak_traced_bytes": peak}


def record_scenario(
    label: str,
    *,
    rows: int,
    batch: int,
    runs: dict[str, dict[str, Any]],
    traced: dict[str, Any],
    changed_skus: int,
    changed_balances: int,
) -> None:
    """The scenario's figures for BENCHMARKS.md, each against the issue's target."""
    first = runs["first"]
    fig = "send_stock"
    record(
        fig,
        f"{label}: first full send, requests",
        first["requests_used"],
        "requests",
        target=math.ceil(rows / batch) + 2,
        note=f"{first['counts']['sent']} rows sent; target ceil(rows / batch) + 2",
    )
    record(fig, f"{label}: first full send, wall time", first["wall_seconds"], "s")
    record(
        fig,
        f"{label}: first full send, throughput",
        first["counts"]["sent"] / max(first["send_seconds"], 1e-9),
        "rows/s",
        note=f"{first['counts']['sent']} rows / {first['send_seconds']:.1f} s sending",
    )
    record(
        fig,
        f"{label}: 1 % of SKUs changed, requests",
        runs["skus"]["requests_used"],
        "requests",
        target=3,
        note=f"{changed_skus} SKUs changed, {runs['skus']['counts']['sent']} rows sent",
    )
    record(
        fig,
        f"{label}: 1 % of all SKU x deposit balances changed, requests",
        runs["balances"]["requests_used"],
        "requests",
        target=math.ceil(changed_balances / batch),
        note=(
            f"{changed_balances} balances changed, {runs['balances']['counts']['sent']} rows sent; "
            "bounded by changed rows / batch (the issue's <= 3 is the 1 %-of-SKUs row)"
        ),
    )
    record(
        fig,
        f"{label}: no change, requests",
        runs["idle"]["requests_used"],
        "requests",
        target=0,
        comparison="==",
    )
    record(
        fig,
        f"{label}: compute time of step 2 (slowest run)",
        max(run["compute_seconds"] for run in runs.values()),
        "s",
        target=3,
        comparison="<",
        note="rules + comparison in pandas, max over the 4 untraced runs",
    )
    record(
        fig,
        f"{label}: peak traced memory of a run",
        traced["peak_traced_bytes"] / 2**20,
        "MiB",
        note="tracemalloc over read, compute and compare of a no-change run",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    tmp_dir, tmp = private_airflow("bench-send-stock-")

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
        setup = time.perf_counter()
        ids, locals_ = seed_sandbox(Api(server.base_url, server.token), args.skus)
        erp = ErpDatabase(f"sqlite:///{erp_path}")
        seed_erp(erp, args.skus, rng)
        mapping = get_mapping_db(f"sqlite:///{mapping_path}")
        seed_mapping(mapping, ids, locals_)
        print(
            f"send stock bench: {args.skus} SKUs x {len(DEPOSITS)} deposits, sandbox latency "
            f"{args.latency_ms:g} ms/request (setup {time.perf_counter() - setup:.1f} s)",
            flush=True,
        )
        server.admin.set_faults(latency_ms=args.latency_ms)

        for rule, batch in SCENARIOS:
            with mapping.begin() as conn:  # each scenario starts from "never sent"
                conn.execute(sa.delete(m.stock_sent))
            configure(tmp, server, rule, batch)
            rows = args.skus * (len(DEPOSITS) if rule == "mapped_deposits" else 1)
            print(f"\nrule={rule}, stock_batch_size={batch}, {rows} SKU x warehouse rows", flush=True)
            first = run_once("first full send", f"(target <= {math.ceil(rows / batch) + 2})")
            changed_skus = change_skus(erp, 0.01, rng)
            skus_run = run_once("1 % of SKUs changed", "(target <= 3)")
            changed = change_balances(erp, 0.01, rng)
            balances_run = run_once(
                "1 % of balances changed", f"(rows / batch: {math.ceil(changed / batch)})"
            )
            idle = run_once("no change", "(target 0)")
            traced = run_once("no change, traced", "(tracemalloc: slower)", trace_memory=True)
            record_scenario(
                f"{rule}, batch {batch}, {rows} rows",
                rows=rows,
                batch=batch,
                runs={"first": first, "skus": skus_run, "balances": balances_run, "idle": idle},
                traced=traced,
                changed_skus=changed_skus,
                changed_balances=changed,
            )
            puts = len(server.admin.requests(method="PUT", path="/v2/stocks"))
            server.admin.clear_requests()
            print(
                f"  ({changed_skus} SKUs, then {changed} SKU x deposit balances changed; "
                f"{puts} PUT /stocks in the scenario; "
                f"first send {first['counts']['sent'] / max(first['send_seconds'], 1e-9):.0f} rows/s)",
                flush=True,
            )
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS (bench + in-process sandbox): {max_rss:.0f} MiB")
    record("send_stock", "process peak RSS (bench + in-process sandbox)", max_rss, "MiB")
    print("ERP-change-to-sandbox latency in `make demo`: bench/send_stock_demo_latency.py")
    tmp_dir.cleanup()


if __name__ == "__main__":
    main()
