"""Kits: the requests a kit costs — its creation with kitComponents, its stock, a component's change.

A SQLite ERP holds ``--kits`` kit products, each made of two simple component products (2 x one + 1 x
the other), all balances in one default deposit; a SQLite mapping DB; the local sandbox answering
every request ``--latency-ms`` late. The sync_products and send_stock operators run as tasks would
(``execute``), with a budget large enough not to pace them:

1. the components first (the kits inactive: never sent), not measured;
2. the kits made active: one sync_products run creates them with their ``kitComponents`` (target: the
   2 requests of any new product — a lookup and the ``POST`` carrying its stock);
3. send stock right after: the kits' stock rode on their creation (target: 0 requests);
4. one component's balance changed in the ERP: send stock sends it and its kits' new quantity in one
   ``PUT /stocks`` (target: 1 request);
5. sync_products and send stock with nothing changed (target: 0 requests).

Figures only, no assertions::

    .venv/bin/python bench/kits.py [--kits 100] [--latency-ms 20]
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


def seed_erp(erp: Any, kits: int) -> None:
    """Brand, category, deposit; per kit two component products and the kit product (inactive)."""
    import sqlalchemy as sa

    products, skus, components, balances = [], [], [], []
    for number in range(1, kits + 1):
        for offset, (code, active) in enumerate(
            ((f"C{number:05d}A", True), (f"C{number:05d}B", True), (f"KIT{number:05d}", False))
        ):
            item = 3 * (number - 1) + offset + 1
            products.append({"i": item, "c": code, "n": f"Produto {code}", "a": active})
            skus.append(
                {
                    "i": item,
                    "p": item,
                    "c": code,
                    "n": f"Produto {code}",
                    "a": active,
                    "s": 10.0 * (offset + 1),
                }
            )
            if not code.startswith("KIT"):
                balances.append({"s": item, "q": 20 + number % 7})
        kit = 3 * number
        components += [{"k": kit, "c": kit - 2, "q": 2}, {"k": kit, "c": kit - 1, "q": 1}]
    with erp.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO brands (id, code, name) VALUES (1, 'MRC1', 'Marca')"))
        conn.execute(sa.text("INSERT INTO categories (id, code, name) VALUES (1, 'CAT1', 'Kits')"))
        conn.execute(
            sa.text("INSERT INTO deposits (id, code, name, is_default) VALUES (1, 'SP', 'CD SP', 1)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO products (id, code, name, description, brand_id, category_id, origin, "
                "height_cm, width_cm, length_cm, weight_kg, has_variations, active) "
                "VALUES (:i, :c, :n, :n, 1, 1, 0, 10, 10, 10, 1, 0, :a)"
            ),
            products,
        )
        conn.execute(
            sa.text(
                "INSERT INTO skus (id, product_id, code, name, sell_price, active) "
                "VALUES (:i, :p, :c, :n, :s, :a)"
            ),
            skus,
        )
        conn.execute(
            sa.text(
                "INSERT INTO kit_components (kit_sku_id, component_sku_id, quantity) VALUES (:k, :c, :q)"
            ),
            components,
        )
        conn.execute(
            sa.text("INSERT INTO stock_balances (sku_id, deposit_id, quantity) VALUES (:s, 1, :q)"), balances
        )


def run_once(label: str, operator: Any, server: Any, **params: Any) -> dict[str, Any]:
    """One run; its requests are counted in the sandbox's request log (the summary's
    ``requests_used`` is the lane's use over the budget's hour, every run so far)."""
    logged = server.admin.requests()
    before = logged[-1]["seq"] if logged else 0
    started = time.perf_counter()
    summary = operator.execute({"run_id": label, "params": params})
    wall = time.perf_counter() - started
    requests = len(server.admin.requests(since=before))
    counts = summary["counts"]
    print(
        f"  {label:<44} wall={wall:6.1f} s  requests={requests:<5} created={counts.get('created', 0)}"
        f" {json.dumps({k: v for k, v in counts.items() if v})}",
        flush=True,
    )
    return {"summary": summary, "wall": wall, "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kits", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    tmp_dir, tmp = private_airflow("bench-kits-")
    (tmp / "integrations.yaml").write_text(
        "integrations:\n  bench:\n    name: Bench\n    alert_emails: [ops@bench.example]\n"
        "    stock: {rule: default_deposit, balance: available}\n"
    )
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(tmp / "integrations.yaml")
    sqlite_connections(erp=tmp / "erp.db", mapping=tmp / "mapping.db")

    import sqlalchemy as sa

    from anymarket.erp.database import ErpDatabase
    from anymarket.operators.send_stock import AnyMarketSendStockOperator
    from anymarket.operators.sync_products import AnyMarketSyncProductsOperator
    from anymarket_sandbox.server import SandboxServer

    erp = ErpDatabase(f"sqlite:///{tmp / 'erp.db'}")
    erp.create_schema()
    seed_erp(erp, args.kits)
    sync = AnyMarketSyncProductsOperator(task_id="sync_products", integration_id="bench")
    stock = AnyMarketSendStockOperator(task_id="send_stock", integration_id="bench")
    with SandboxServer(requests_per_hour=10_000_000) as server:
        os.environ["AIRFLOW_CONN_ANYMARKET_BENCH"] = json.dumps(
            {
                "conn_type": "http",
                "host": server.base_url,
                "password": server.token,
                "extra": {"oi": server.oi, "requests_per_hour": 10_000_000},
            }
        )
        server.admin.create_stock_local("CD SP", default_local=True)
        print(
            f"kits bench: {args.kits} kits of 2 components ({2 * args.kits} component products), sandbox "
            f"latency {args.latency_ms:g} ms/request, ERP and mapping DB on SQLite",
            flush=True,
        )
        server.admin.set_faults(latency_ms=args.latency_ms)
        run_once("1. components (kits inactive)", sync, server)
        run_once("   their stock", stock, server, full_resend=False)
        with erp.engine.begin() as conn:
            conn.execute(sa.text("UPDATE products SET active = 1 WHERE code LIKE 'KIT%'"))
            conn.execute(sa.text("UPDATE skus SET active = 1 WHERE code LIKE 'KIT%'"))
        created = run_once("2. kits created with kitComponents", sync, server)
        kit_stock = run_once("3. send stock after the kits' creation", stock, server, full_resend=False)
        with erp.engine.begin() as conn:
            conn.execute(sa.text("UPDATE stock_balances SET quantity = quantity - 5 WHERE sku_id = 1"))
        changed = run_once("4. one component's balance changed", stock, server, full_resend=False)
        idle_sync = run_once("5. sync_products, nothing changed", sync, server)
        idle_stock = run_once("   send stock, nothing changed", stock, server, full_resend=False)
    kits_created = created["summary"]["counts"].get("created", 0)
    record(
        "kits",
        "kit creation (kitComponents, stock on the POST): requests per kit",
        created["requests"] / max(kits_created, 1),
        "requests",
        target=2,
        note=f"{created['requests']} requests / {kits_created} kits created",
    )
    record("kits", "kit creation: wall time", created["wall"], "s", note=f"{kits_created} kits")
    record(
        "kits",
        "send stock right after the kits' creation: requests",
        kit_stock["requests"],
        "requests",
        target=0,
        note="the creation carried each kit's derived stock",
    )
    record(
        "kits",
        "one component's balance changed: stock requests",
        changed["requests"],
        "requests",
        target=1,
        note=f"{changed['summary']['counts'].get('sent', 0)} rows sent (the component and its kit)",
    )
    record(
        "kits",
        "nothing changed: requests (sync_products + send stock)",
        idle_sync["requests"] + idle_stock["requests"],
        "requests",
        target=0,
    )
    tmp_dir.cleanup()


if __name__ == "__main__":
    main()
