"""Requests per new product in `make demo`'s first minutes, across every automation.

Needs a freshly started `make demo` (same SANDBOX_PORT/SANDBOX_TOKEN): the demo ERP's catalog reaches a
new sandbox account through sync_products (bulk lane, paced) while send_prices and send_stock run on
their schedules and the store sells. After ``--minutes`` since the account's first request, it reads
the sandbox's request log and counts what the catalog cost end to end — product lookups and POSTs,
SKU and product PUTs, price PUTs, stock PUTs (and the rows they carried), brands and categories —
per product created or adopted. The issue's target: at most 2 + stock rows / batch size per product
(a lookup and a POST, plus the product's share of the stock batches), against 5.6 before budget lanes
and "nothing sent twice".

    .venv/bin/python bench/demo_first_minutes.py [--minutes 7]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from figures import record  # noqa: E402

from anymarket_sandbox.admin import SandboxAdmin  # noqa: E402

#: What each catalog request is, by method and path (the first match wins).
#: Only what sync_products, send_prices and send_stock send: listing health's
#: ``GET /skus/{id}/marketplaces``, the image read-back's ``GET /products/{id}/images`` and the Full
#: stock reads are other automations' work and are left out.
KINDS = (
    ("product lookup", "GET", r"^/v2/(products(/\d+)?|skus/partnerId/[^/]+)$"),
    ("product POST", "POST", r"^/v2/products$"),
    ("SKU PUT (price or data)", "PUT", r"^/v2/products/\d+/skus/\d+$"),
    ("SKU POST", "POST", r"^/v2/products/\d+/skus$"),
    ("product PUT", "PUT", r"^/v2/products/\d+$"),
    ("image", "POST", r"^/v2/products/\d+/images"),
    ("image", "PUT", r"^/v2/products/\d+/images"),
    ("image", "DELETE", r"^/v2/products/\d+/images"),
    ("price PUT", "PUT", r"^/v2/(skus|products)/.*/prices?"),
    ("stock PUT", "PUT", r"^/v2/stocks$"),
    ("brand or category", "", r"^/v2/(brands|categories|variations)"),
)


def kind_of(method: str, path: str) -> str | None:
    for kind, kind_method, pattern in KINDS:
        if (not kind_method or kind_method == method) and re.search(pattern, path):
            return kind
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=7.0)
    parser.add_argument("--stock-batch-size", type=int, default=100, help="the connection's stock_batch_size")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT', '8765')}"
    admin = SandboxAdmin(base)

    first = None
    while first is None:
        logged = admin.requests()
        first = logged[0]["time"] if logged else None
        if first is None:
            time.sleep(2)
    remaining = first + args.minutes * 60 - time.time()
    print(
        f"the account's first request was {time.time() - first:.0f} s ago; waiting {max(0, remaining):.0f} s"
    )
    if remaining > 0:
        time.sleep(remaining)
    entries = [e for e in admin.requests() if e["time"] <= first + args.minutes * 60]

    kinds: Counter[str] = Counter()
    stock_rows = 0
    created = 0
    in_flight = 0  # lookups after the last creation: products the cut at --minutes caught half-made
    for entry in entries:
        kind = kind_of(entry["method"], entry["path"])
        if kind is None:
            continue
        kinds[kind] += 1
        if kind == "product POST" and entry["status"] == 201:
            created += 1
            in_flight = 0
        elif kind == "product lookup":
            in_flight += 1
        if kind == "stock PUT" and isinstance(entry.get("body"), list):
            stock_rows += len(entry["body"])
    catalog_requests = sum(kinds.values()) - in_flight
    setup = kinds["brand or category"]  # once per brand, category and variation value, not per product
    print(f"{len(entries)} requests in the first {args.minutes:g} min; catalog and stock: {catalog_requests}")
    for kind, n in kinds.most_common():
        print(f"  {kind:28} {n:6}")
    print(
        f"  products created: {created}; stock rows sent: {stock_rows}; "
        f"lookups of products not yet created at the cut (left out): {in_flight}"
    )
    if not created:
        raise SystemExit("no product was created: is sync_products unpaused in the demo?")
    # The fewest stock PUTs those rows allow: full batches.
    stock_batches = math.ceil(stock_rows / args.stock_batch_size)
    per_product = (catalog_requests - setup) / created
    target = 2 + stock_batches / created
    breakdown = ", ".join(f"{k}: {n}" for k, n in kinds.most_common())
    record(
        "budget_contention",
        f"make demo, first {args.minutes:g} min: requests per new product (every automation)",
        round(per_product, 3),
        "requests",
        target=round(target, 3),
        note=(
            f"{catalog_requests - setup} product, price and stock requests for {created} products created "
            f"({breakdown}; brand/category/variation set-up left out, below; {in_flight} lookups of "
            "products still being made at the cut left out); target 2 + "
            f"{stock_batches} full batches of {stock_rows} stock rows / {created}"
        ),
    )
    record(
        "budget_contention",
        f"make demo, first {args.minutes:g} min: requests per new product, set-up included",
        round(catalog_requests / created, 2),
        "requests",
        note=f"{catalog_requests} / {created}, {setup} of them brand/category/variation set-up; before: 5.6",
    )
    record(
        "budget_contention",
        f"make demo, first {args.minutes:g} min: requests",
        len(entries),
        "requests",
        note="every request of the demo account (orders, status, deposits included)",
    )
    print(
        f"requests per new product: {per_product:.3f} without set-up (target ≤ {target:.3f}); "
        f"{catalog_requests / created:.2f} with it"
    )


if __name__ == "__main__":
    main()
