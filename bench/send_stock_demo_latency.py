"""ERP-change-to-AnyMarket latency of send stock while `make demo` runs it on its schedule.

Needs a running `make demo` (same SANDBOX_PORT/SANDBOX_TOKEN; DEMO_RUN_DIR if not .run/demo). Until the
product sync exists, the demo catalog is not on the sandbox, so this script first does what that sync
would do for ``--skus`` demo SKUs: creates them on the sandbox and links them in the demo mapping DB.
Then it changes the physical balance of one of those SKUs in the demo ERP's default deposit every
``--interval`` seconds and polls the sandbox (``GET /stocks?sku=``) until the warehouse mapped to that
deposit shows the expected quantity (physical minus open reservations). Prints p50/p95/max against the
target (p95 under 90 s).

    .venv/bin/python bench/send_stock_demo_latency.py [--changes 12] [--interval 10]
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
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from figures import record_latencies  # noqa: E402

from anymarket.mapping.database import MappingDatabase  # noqa: E402
from anymarket_sandbox.testing import Api  # noqa: E402

# The demo's ERP and mapping DB; bench/report.py runs a demo of its own elsewhere.
RUN = Path(os.environ.get("DEMO_RUN_DIR", ROOT / ".run" / "demo"))
INTEGRATION = "demo"


def publish_skus(api: Api, codes: list[str]) -> dict[str, str]:
    """Put the SKUs on the sandbox (one simple product each); ``{code: AnyMarket SKU id}``."""
    brand = api.post("/brands", json={"name": "Bench", "partnerId": "BENCH"}).json()
    category = api.post("/categories", json={"name": "Bench", "partnerId": "BENCH"}).json()
    ids = {}
    for code in codes:
        found = api.get("/products", params={"sku": code}).json()["content"]
        if not found:
            response = api.post(
                "/products",
                json={
                    "title": f"Bench {code}",
                    "description": "bench",
                    "category": {"id": category["id"]},
                    "brand": {"id": brand["id"]},
                    "warrantyTime": 1,
                    "height": 1,
                    "width": 1,
                    "length": 1,
                    "weight": 0.1,
                    "priceFactor": 1,
                    "calculatedPrice": False,
                    "definitionPriceScope": "SKU",
                    "hasVariations": False,
                    "images": [{"index": 1, "main": True, "url": "https://img.example.com/b.jpg"}],
                    "skus": [
                        {
                            "title": code,
                            "partnerId": code,
                            "price": 10,
                            "sellPrice": 9,
                            "amount": 0,
                            "additionalTime": 0,
                        }
                    ],
                },
            )
            response.raise_for_status()
            found = [response.json()]
        sku = next(s for s in found[0]["skus"] if s["partnerId"] == code)
        ids[code] = str(sku["id"])
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skus", type=int, default=10)
    parser.add_argument("--changes", type=int, default=12)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT', '8765')}/v2"
    api = Api(base, os.environ.get("SANDBOX_TOKEN", "sandbox-token"))
    erp = sa.create_engine(f"sqlite:///{RUN / 'erp.db'}", connect_args={"timeout": 30})
    mapping = MappingDatabase.from_url(f"sqlite:///{RUN / 'mapping.db'}")

    deposit = mapping.mappings_of(INTEGRATION, "deposit")
    with erp.connect() as conn:
        default = conn.execute(sa.text("SELECT id, code, name FROM deposits WHERE is_default")).one()
        rows = conn.execute(
            sa.text(
                "SELECT s.id, s.code FROM skus s JOIN stock_balances b ON b.sku_id = s.id "
                "WHERE b.deposit_id = :d AND s.active ORDER BY s.code LIMIT :n"
            ),
            {"d": default.id, "n": args.skus},
        ).all()
    if default.code not in deposit:
        raise SystemExit(f"deposit {default.code} is not mapped yet: let install_deposits run first")
    warehouse = deposit[default.code]["value"]
    ids = publish_skus(api, [r.code for r in rows])
    for code, anymarket_id in ids.items():
        mapping.link(INTEGRATION, "sku", code, anymarket_id)
    print(
        f"{len(ids)} demo SKUs on the sandbox and linked; "
        f"default deposit {default.name} → warehouse {warehouse}"
    )

    latencies: list[float] = []
    lock = threading.Lock()

    def watch(code: str, sku_id: int, physical: int, started: float) -> None:
        while time.monotonic() - started < args.timeout:
            with erp.connect() as conn:
                reserved = conn.execute(
                    sa.text(
                        "SELECT COALESCE(SUM(quantity), 0) FROM stock_reservations "
                        "WHERE sku_id = :s AND deposit_id = :d AND released_at IS NULL"
                    ),
                    {"s": sku_id, "d": default.id},
                ).scalar()
            expected = int(physical - float(reserved))
            content = api.get("/stocks", params={"sku": code, "limit": 100}).json()["content"]
            shown = [r["amount"] for r in content if str(r["stockLocal"]["id"]) == str(warehouse)]
            if shown and shown[0] == expected:
                with lock:
                    latencies.append(time.monotonic() - started)
                return
            time.sleep(1)
        print(f"  {code}: not seen within {args.timeout:.0f} s")

    watchers = []
    for n in range(args.changes):
        sku_id, code = rows[n % len(rows)]
        physical = 500 + n
        with erp.begin() as conn:
            conn.execute(
                sa.text("UPDATE stock_balances SET quantity = :q WHERE sku_id = :s AND deposit_id = :d"),
                {"q": physical, "s": sku_id, "d": default.id},
            )
        watcher = threading.Thread(target=watch, args=(code, sku_id, physical, time.monotonic()))
        watcher.start()
        watchers.append(watcher)
        time.sleep(args.interval)
    for watcher in watchers:
        watcher.join()

    record_latencies(
        "send_stock",
        "ERP change → AnyMarket stock in make demo",
        latencies,
        expected=args.changes,
        p95_target=90,
        note=f"{args.changes} balance changes {args.interval:g} s apart, DAG every minute",
    )
    if not latencies:
        raise SystemExit("no change reached the sandbox: is send_stock unpaused in the demo?")


if __name__ == "__main__":
    main()
