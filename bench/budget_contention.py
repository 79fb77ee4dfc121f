"""The request budget under contention: a new account's catalog load while the marketplace sells and
the ERP's stock moves — first come, first served (lanes off), then with budget lanes (lanes on).

One run, two phases, each from a fresh state (a new mapping DB, the sandbox reset, the ERP reseeded
— a copy of one seeded file): an ERP with ``--products`` demo products and nothing on AnyMarket yet;
the budget at a real rate (``--rate`` requests an hour, AnyMarket's 5 000) in a compressed window
(``--window`` seconds, on both sides: the sandbox's ``set_budget`` and the connection's
``requests_per_hour``/``budget_window_seconds``), so the limit per window is
``rate * window / 3600`` and the requests per second are AnyMarket's. In each phase, for
``--phase`` seconds (more than one window, so lanes off shows what happens when the window is
spent), the automations run in this process the way a scheduler would run them, each in a thread
calling the operator's ``execute()``:

* ``sync_products`` back to back: the catalog load (bulk). A run that ends ``waiting`` (its lane
  spent) is followed by the next one ``--restart`` seconds later, as the next scheduled run would;
* ``import_orders`` every ``--import-every`` seconds from the feed (``watch_seconds=0``, no
  callbacks: the callback URL is being reworked, the feed carries every order anyway);
* ``send_stock`` every ``--stock-run-every`` seconds, ``send_prices`` every ``--prices-every``;

while the sandbox sells (``admin.create_order`` of one ERP SKU every ``--order-every`` seconds) and
the ERP's clerk changes the default deposit's balance of a SKU already on AnyMarket every
``--change-every`` seconds. Sales and changes stop ``--quiet`` seconds before the phase ends so the
last ones have time to arrive; one still missing at the end counts at its age then (a lower bound).

Reported per phase: sale → ERP p50/p95 (order created on the sandbox → its row in the ERP, polled
every 0.5 s), stock change → AnyMarket p50/p95 (ERP change committed → the first accepted
``PUT /stocks`` carrying the new quantity, from the sandbox's request log), products created per
hour, budget used by lane (the mapping DB's ``request_budget_usage``), 429s (sandbox log), runs that
ended waiting or failed, and requests per new product across sync_products + send_prices +
send_stock (their summaries' ``requests_used``).

    .venv/bin/python bench/budget_contention.py [--products 5000] [--window 300] [--phase 450]
    .venv/bin/python bench/budget_contention.py --quick      # the pipeline in about a minute
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]
from figures import percentile, record  # noqa: E402 (bench/ is on the path when run as a script)
from harness import free_port, private_airflow, sqlite_connections, start_sandbox  # noqa: E402

SECTION = "budget_contention"
INTEGRATION = "bench"
TOKEN, OI = "bench-token", "bench-oi."
#: The default reserve (``budget.realtime_reserve``): what the lanes-on phase runs with.
RESERVE = 0.3
#: What sends one new product's requests: the issue's "requests per new product" sums these three.
PER_PRODUCT_AUTOMATIONS = ("sync_products", "send_prices", "send_stock")
#: Set when a phase ends: every request after it is refused (:func:`stop_requests_at_phase_end`).
PHASE_OVER = threading.Event()


class PhaseOver(Exception):
    """A run still under way when its phase ended: stopped at its next request, not counted."""


def stop_requests_at_phase_end() -> None:
    """Make every budget acquisition raise :class:`PhaseOver` once :data:`PHASE_OVER` is set, so a
    catalog load still running when the phase's clock stops ends at its next request instead of
    carrying on outside the measured time (a bench hook: the budget itself is unchanged)."""
    from anymarket.budget import RequestBudget

    original = RequestBudget.acquire

    def acquire(self: Any, n: int = 1, lane: Any = "realtime") -> int:
        if PHASE_OVER.is_set():
            raise PhaseOver("the phase is over")
        return original(self, n, lane)

    RequestBudget.acquire = acquire  # type: ignore[method-assign]


@dataclass(frozen=True)
class Scenario:
    products: int
    rate: int
    window: float
    phase: float
    order_every: float
    change_every: float
    import_every: float
    stock_run_every: float
    prices_every: float
    restart: float
    quiet: float
    seed: int

    @property
    def limit(self) -> int:
        """Requests per (compressed) window: AnyMarket's rate, a shorter window."""
        return max(1, round(self.rate * self.window / 3600))

    def realtime_need_per_hour(self) -> dict[str, float]:
        """What the realtime lane must carry, per hour, at most (see the module docstring):
        a feed read per import run, per sale its ``GET``, its partnerId ``PUT`` and an ack (one order
        per run at these rates, so no ack batching), and one ``PUT /stocks`` per send-stock run that
        has something to send (a sale, a clerk's change or new products' first stock)."""
        import_runs, sales = 3600 / self.import_every, 3600 / self.order_every
        stock_runs = 3600 / self.stock_run_every
        return {
            "import_orders": import_runs + 3 * sales,
            "send_stock": stock_runs,
            "send_prices": 0.0,  # a new product's price went with its POST; nothing else changes
        }


@dataclass
class Phase:
    name: str
    lanes: bool
    started: float = 0.0
    ended: float = 0.0
    sales: dict[int, float] = field(default_factory=dict)  # order id → created at
    sale_seen: dict[int, float] = field(default_factory=dict)  # order id → its row in the ERP
    changes: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    requests_used: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    products: int = 0
    skus: int = 0
    last: dict[str, Any] = field(default_factory=dict)  # automation → its last run's summary
    sold: set[str] = field(default_factory=set)  # the SKUs the sandbox sells


# --- the world ---------------------------------------------------------------------------------


def configure(directory: Path, port: int, scenario: Scenario, *, lanes: bool) -> None:
    """The integrations file and connections of one phase (integration ``bench``)."""
    budget: dict[str, Any] = {"lanes": lanes}
    if lanes:
        budget["realtime_reserve"] = RESERVE
    settings = {
        "integrations": {
            INTEGRATION: {
                "name": "Budget contention bench",
                "environment": "sandbox",
                "alert_emails": ["ops@bench.example"],
                "budget": budget,
            }
        }
    }
    (directory / "integrations.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    os.environ["ANYMARKET_INTEGRATIONS_FILE"] = str(directory / "integrations.yaml")
    os.environ["AIRFLOW_CONN_ANYMARKET_BENCH"] = json.dumps(
        {
            "conn_type": "http",
            "host": f"http://127.0.0.1:{port}/v2",
            "password": TOKEN,
            "extra": {
                "oi": OI,
                "timeout": 30,
                "requests_per_hour": scenario.limit,
                "budget_window_seconds": scenario.window,
            },
        }
    )
    sqlite_connections(erp=directory / "erp.db", mapping=directory / "mapping.db")


def prepare_mapping(path: Path) -> Any:
    """A new mapping DB with the mappings an ops team sets up first (the demo's carriers and
    payment methods), so every sale can be imported."""
    from anymarket.mapping import get_mapping_db

    mapping = get_mapping_db(f"sqlite:///{path}")
    mappings = yaml.safe_load((ROOT / "anymarket_sandbox" / "demo_mappings.yaml").read_text())
    for kind, pairs in mappings.items():
        for key, value in pairs.items():
            mapping.set_mapping(INTEGRATION, kind, str(key), str(value))
    return mapping


# --- the actors --------------------------------------------------------------------------------


class Clock:
    def __init__(self, ends_at: float) -> None:
        self.ends_at = ends_at
        self.stop = threading.Event()

    def left(self) -> float:
        return self.ends_at - time.time()

    def sleep_until(self, when: float) -> bool:
        """Sleep until ``when`` (or the phase's end); False once the phase is over."""
        self.stop.wait(max(0.0, min(when, self.ends_at) - time.time()))
        return not self.over()

    def over(self) -> bool:
        return self.stop.is_set() or time.time() >= self.ends_at


def automation_loop(
    phase: Phase, clock: Clock, name: str, every: float, *, restart: float | None = None
) -> None:
    """Run one automation as its schedule would: a run every ``every`` seconds (``restart``: the
    next run that long after the last one ended — back to back, like a catalog load)."""
    from anymarket.operators.import_orders import AnyMarketImportOrdersOperator
    from anymarket.operators.send_prices import AnyMarketSendPricesOperator
    from anymarket.operators.send_stock import AnyMarketSendStockOperator
    from anymarket.operators.sync_products import AnyMarketSyncProductsOperator

    classes = {
        "sync_products": (AnyMarketSyncProductsOperator, {}),
        "import_orders": (AnyMarketImportOrdersOperator, {"watch_seconds": 0}),
        "send_stock": (AnyMarketSendStockOperator, {}),
        "send_prices": (AnyMarketSendPricesOperator, {}),
    }
    cls, kwargs = classes[name]
    number = 0
    next_start = time.time()
    while clock.sleep_until(next_start):
        number += 1
        started = time.time()
        operator = cls(task_id=name, integration_id=INTEGRATION, **kwargs)
        try:
            summary = operator.execute({"run_id": f"{phase.name}-{name}-{number}", "params": {}})
            phase.runs[name]["waiting" if "waiting_for_budget" in summary else "ok"] += 1
            phase.last[name] = summary
            phase.requests_used[name] += int(summary.get("requests_used") or 0)
        except Exception as exc:  # a failed run: counted, and the schedule goes on
            if "hook" in operator.__dict__:
                phase.requests_used[name] += operator.hook.requests_sent
            if PHASE_OVER.is_set():
                return
            phase.runs[name]["failed"] += 1
            phase.errors.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
        next_start = time.time() + restart if restart is not None else max(started + every, time.time())


def seller(phase: Phase, clock: Clock, admin: Any, skus: list[str], every: float, quiet: float) -> None:
    """The marketplace: one sale of an ERP SKU every ``every`` seconds, until ``quiet`` s are left."""
    rng = random.Random(1)
    next_sale = time.time()
    while clock.sleep_until(next_sale) and clock.left() > quiet:
        code = rng.choice(skus)
        try:
            order = admin.create_order(
                items=[{"partnerId": code, "quantity": 1, "unitPrice": 50.0}],
                buyer={"name": "Ana Silva", "document": "529.982.247-25", "documentType": "CPF"},
                freight=12.5,
            )
            phase.sales[int(order["id"])] = time.time()
        except Exception as exc:
            phase.errors.append(f"seller: {exc}"[:300])
        next_sale += every


def order_watcher(phase: Phase, clock: Clock, erp_engine: Any) -> None:
    """Poll the ERP every 0.5 s for the sales not seen yet: sale → ERP latency."""
    import sqlalchemy as sa

    while not clock.over():
        waiting = [order_id for order_id in list(phase.sales) if order_id not in phase.sale_seen]
        if waiting:
            try:
                with erp_engine.connect() as conn:
                    found = conn.execute(
                        sa.text(
                            "SELECT DISTINCT anymarket_order_id FROM sales_orders "
                            "WHERE anymarket_order_id IN :ids"
                        ).bindparams(sa.bindparam("ids", expanding=True)),
                        {"ids": [str(i) for i in waiting]},
                    ).scalars()
                    now = time.time()
                    for order_id in found:
                        phase.sale_seen.setdefault(int(order_id), now)
            except sa.exc.OperationalError:
                pass  # the ERP is busy (SQLite's write lock): the next poll sees it
        clock.stop.wait(0.5)


def clerk(
    phase: Phase,
    clock: Clock,
    erp_engine: Any,
    mapping: Any,
    excluded: set[str],
    every: float,
    quiet: float,
) -> None:
    """The ERP: every ``every`` seconds, the default deposit's balance of one SKU already on AnyMarket
    changes; what AnyMarket must then show is recorded with the commit time."""
    import sqlalchemy as sa

    rng = random.Random(2)
    next_change = time.time()
    changed: set[str] = set()
    while clock.sleep_until(next_change) and clock.left() > quiet:
        next_change += every
        linked = mapping.links_of(INTEGRATION, "sku")
        candidates = sorted(set(linked) - excluded - changed)
        if not candidates:
            continue
        code = rng.choice(candidates)
        delta = rng.randint(3, 40)
        try:
            with erp_engine.begin() as conn:
                row = conn.execute(
                    sa.text(
                        "SELECT b.id, b.quantity, s.id AS sku_id, b.deposit_id FROM stock_balances b "
                        "JOIN skus s ON s.id = b.sku_id JOIN deposits d ON d.id = b.deposit_id "
                        "WHERE s.code = :c AND d.is_default"
                    ),
                    {"c": code},
                ).one_or_none()
                if row is None:
                    continue
                physical = float(row.quantity) + delta
                conn.execute(
                    sa.text("UPDATE stock_balances SET quantity = :q WHERE id = :i"),
                    {"q": physical, "i": row.id},
                )
                reserved = conn.execute(
                    sa.text(
                        "SELECT COALESCE(SUM(quantity), 0) FROM stock_reservations "
                        "WHERE sku_id = :s AND deposit_id = :d AND released_at IS NULL"
                    ),
                    {"s": row.sku_id, "d": row.deposit_id},
                ).scalar()
            changed.add(code)
            phase.changes.append(
                {
                    "code": code,
                    "anymarket_id": str(linked[code]),
                    "expected": max(0.0, math.floor(physical - float(reserved or 0))),
                    "at": time.time(),
                }
            )
        except sa.exc.OperationalError as exc:
            phase.errors.append(f"clerk: {exc}"[:300])


# --- one phase ---------------------------------------------------------------------------------


def pick_skus(erp_url: str, count: int) -> list[str]:
    """SKUs with stock in the default deposit the sandbox sells (the last of the catalog: the load
    does not reach them, so a sale never competes with a clerk's change of the same SKU)."""
    import sqlalchemy as sa

    engine = sa.create_engine(erp_url)
    with engine.connect() as conn:
        codes = conn.execute(
            sa.text(
                "SELECT s.code FROM skus s JOIN stock_balances b ON b.sku_id = s.id "
                "JOIN deposits d ON d.id = b.deposit_id "
                "WHERE s.active AND d.is_default AND b.quantity >= 20 ORDER BY s.id DESC LIMIT :n"
            ),
            {"n": count},
        ).scalars()
        found = list(codes)
    engine.dispose()
    return found


def run_phase(phase: Phase, scenario: Scenario, admin: Any, port: int, workdir: Path) -> Phase:
    import sqlalchemy as sa

    from anymarket.mapping import models as m
    from anymarket.operators.install_deposits import AnyMarketInstallDepositsOperator
    from anymarket_sandbox.demo_erp import seed_demo_erp

    directory = workdir / phase.name.replace(" ", "-")
    directory.mkdir(parents=True)
    erp_url = f"sqlite:///{directory / 'erp.db'}"
    seeded = time.perf_counter()
    counts = seed_demo_erp(erp_url, products=scenario.products, seed=scenario.seed)
    print(
        f"\n{phase.name}: ERP seeded with {counts['products']} products, {counts['skus']} SKUs in "
        f"{time.perf_counter() - seeded:.0f} s",
        flush=True,
    )
    configure(directory, port, scenario, lanes=phase.lanes)
    mapping = prepare_mapping(directory / "mapping.db")
    erp_engine = sa.create_engine(erp_url, connect_args={"timeout": 30})
    with erp_engine.connect() as conn:
        default = conn.execute(sa.text("SELECT name FROM deposits WHERE is_default AND active")).scalar_one()
    # A new account: its default warehouse only, linked to the ERP's default deposit by the installer
    # (sales reserve stock there); nothing else on AnyMarket.
    admin.reset()
    admin.create_stock_local(default, default_local=True)
    AnyMarketInstallDepositsOperator(task_id="install_deposits", integration_id=INTEGRATION).execute(
        {"run_id": f"{phase.name}-setup", "params": {}}
    )
    admin.clear_requests()
    admin.set_budget(requests_per_hour=scenario.limit, window_seconds=scenario.window, clear_usage=True)
    with mapping.engine.begin() as conn:  # the set-up's requests are not the phase's
        conn.execute(sa.delete(m.request_budget_usage))
    sold = pick_skus(erp_url, 40)
    phase.sold = set(sold)

    phase.started = time.time()
    clock = Clock(phase.started + scenario.phase)
    threads = [
        threading.Thread(
            target=automation_loop,
            args=(phase, clock, "sync_products", 0.0),
            kwargs={"restart": scenario.restart},
        ),
        threading.Thread(target=automation_loop, args=(phase, clock, "import_orders", scenario.import_every)),
        threading.Thread(target=automation_loop, args=(phase, clock, "send_stock", scenario.stock_run_every)),
        threading.Thread(target=automation_loop, args=(phase, clock, "send_prices", scenario.prices_every)),
        threading.Thread(
            target=seller, args=(phase, clock, admin, sold, scenario.order_every, scenario.quiet)
        ),
        threading.Thread(target=order_watcher, args=(phase, clock, erp_engine)),
        threading.Thread(
            target=clerk,
            args=(phase, clock, erp_engine, mapping, set(sold), scenario.change_every, scenario.quiet),
        ),
    ]
    print(
        f"{phase.name}: {scenario.phase:.0f} s, budget {scenario.limit} requests per "
        f"{scenario.window:g} s window ({scenario.rate}/h), lanes {'on' if phase.lanes else 'off'}",
        flush=True,
    )
    for thread in threads:
        thread.daemon = True
        thread.start()
    while not clock.over():
        time.sleep(min(30.0, max(0.1, clock.left())))
        if not clock.over():
            print(
                f"  t+{time.time() - phase.started:4.0f} s: {len(mapping.links_of(INTEGRATION, 'product'))} "
                f"products created, sales {len(phase.sale_seen)}/{len(phase.sales)} in the ERP, "
                f"runs {dict((k, dict(v)) for k, v in phase.runs.items())}",
                flush=True,
            )
    phase.ended = time.time()
    PHASE_OVER.set()  # runs under way stop at their next request
    clock.stop.set()
    phase.products = len(mapping.links_of(INTEGRATION, "product"))
    phase.skus = len(mapping.links_of(INTEGRATION, "sku"))
    for thread in threads:
        thread.join(timeout=120)
    PHASE_OVER.clear()
    measure(phase, scenario, admin, mapping, erp_engine)
    erp_engine.dispose()
    return phase


def measure(phase: Phase, scenario: Scenario, admin: Any, mapping: Any, erp_engine: Any) -> None:
    import sqlalchemy as sa

    from anymarket.mapping import models as m

    seconds = phase.ended - phase.started
    log = [entry for entry in admin.requests() if entry["time"] <= phase.ended]
    # Sale → ERP: a sale never seen counts at its age when the phase ended (a lower bound).
    sale_latencies = [phase.sale_seen.get(order_id, phase.ended) - at for order_id, at in phase.sales.items()]
    # Stock change → AnyMarket: the first accepted PUT /stocks at or after the change carrying the
    # SKU with the new quantity.
    puts = [
        entry
        for entry in log
        if entry["method"] == "PUT"
        and entry["path"].endswith("/stocks")
        and (entry["status"] or 0) < 300
        and isinstance(entry["body"], list)
    ]
    stock_latencies, stock_seen = [], 0
    for change in phase.changes:
        arrived = None
        for entry in puts:
            if entry["time"] < change["at"]:
                continue
            for row in entry["body"]:
                same_sku = str(row.get("id")) == change["anymarket_id"] or (
                    row.get("partnerId") == change["code"]
                )
                if same_sku and float(row.get("quantity", -1)) == change["expected"]:
                    arrived = entry["time"]
                    break
            if arrived is not None:
                break
        stock_seen += arrived is not None
        stock_latencies.append((arrived if arrived is not None else phase.ended) - change["at"])

    with mapping.engine.connect() as conn:
        by_lane = dict(
            conn.execute(
                sa.select(m.request_budget_usage.c.lane, sa.func.sum(m.request_budget_usage.c.used)).group_by(
                    m.request_budget_usage.c.lane
                )
            ).all()
        )
    outcomes = Counter(
        {(name, outcome): count for name, counts in phase.runs.items() for outcome, count in counts.items()}
    )
    products, skus = phase.products, phase.skus
    budget_429 = sum(1 for entry in log if entry["status"] == 429)
    # PUT /stocks carrying a new product's stock (a row for a SKU neither sold nor changed by the
    # clerk); the others carry only what sales and the clerk changed, not a new product's cost.
    code_of = {str(anymarket_id): code for code, anymarket_id in mapping.links_of(INTEGRATION, "sku").items()}
    moved = phase.sold | {change["code"] for change in phase.changes}
    all_stock_puts = [e for e in log if e["method"] == "PUT" and e["path"].endswith("/stocks")]
    new_product_puts = sum(
        1
        for entry in all_stock_puts
        if isinstance(entry["body"], list)
        and any(
            (row.get("partnerId") or code_of.get(str(row.get("id")))) not in moved for row in entry["body"]
        )
    )
    per_product = sum(phase.requests_used[name] for name in PER_PRODUCT_AUTOMATIONS)
    batch = 100  # the connection's stock_batch_size (default)
    by_path: Counter[str] = Counter()
    for entry in log:
        parts = ["{id}" if part.isdigit() else part for part in entry["path"].split("/")]
        by_path[f"{entry['method']} {'/'.join(parts)}"] += 1
    phase.results = {
        "seconds": seconds,
        "sale_latencies": sale_latencies,
        "sales_seen": len(phase.sale_seen),
        "stock_latencies": stock_latencies,
        "stock_seen": stock_seen,
        "by_lane": {lane: int(used) for lane, used in by_lane.items()},
        "outcomes": outcomes,
        "products": products,
        "skus": skus,
        "products_per_hour": products / seconds * 3600,
        "budget_429": budget_429,
        "requests_logged": len(log),
        "per_product_requests": per_product,
        "stock_puts": len(all_stock_puts),
        "new_product_stock_puts": new_product_puts,
        "per_product_target": 2 + (skus / max(products, 1)) / batch,
        "by_path": by_path,
    }


# --- the report --------------------------------------------------------------------------------


def stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    if not ordered:
        return math.nan, math.nan
    return statistics.median(ordered), percentile(ordered, 0.95)


SETUP_PREFIXES = ("/v2/brands", "/v2/categories", "/v2/variations")


def report(phase: Phase, scenario: Scenario) -> list[dict[str, Any]]:
    """Print one phase's figures; return them as ``record`` keyword arguments, in the table's order."""
    r = phase.results
    label = f"lanes {'on' if phase.lanes else 'off'}"
    lanes_on = phase.lanes
    seconds = r["seconds"]
    total = sum(r["by_lane"].values())
    at_rate = scenario.rate * seconds / 3600  # what the rate allows over the phase
    waiting = sum(count for (_, outcome), count in r["outcomes"].items() if outcome == "waiting")
    failed = sum(count for (_, outcome), count in r["outcomes"].items() if outcome == "failed")
    waiting_by = ", ".join(
        f"{automation} {count}"
        for (automation, outcome), count in sorted(r["outcomes"].items())
        if outcome == "waiting"
    )
    setup = sum(
        count for route, count in r["by_path"].items() if route.split(" ")[1].startswith(SETUP_PREFIXES)
    )
    per_product = r["per_product_requests"] - setup
    # The same less the PUT /stocks that carried only sold or clerk-changed SKUs (realtime work).
    own = per_product - (r["stock_puts"] - r["new_product_stock_puts"])
    products = r["products"]
    sale_p50, sale_p95 = stats(r["sale_latencies"])
    stock_p50, stock_p95 = stats(r["stock_latencies"])
    print(
        f"\n== {label} ({seconds:.0f} s) ==\n"
        f"  sale → ERP: {r['sales_seen']}/{len(r['sale_latencies'])} seen, p50 {sale_p50:.1f} s, "
        f"p95 {sale_p95:.1f} s\n  stock → AnyMarket: {r['stock_seen']}/{len(r['stock_latencies'])} seen, "
        f"p50 {stock_p50:.1f} s, p95 {stock_p95:.1f} s\n"
        f"  products created: {products} ({r['skus']} SKUs), {r['products_per_hour']:.0f}/h\n"
        f"  budget by lane: {r['by_lane']} = {total}; the rate allows {at_rate:.0f} over the phase\n"
        f"  429s: {r['budget_429']}; runs waiting: {waiting} ({waiting_by}); failed: {failed}\n"
        f"  requests per new product (sync_products + send_prices + send_stock, set-up excluded): "
        f"{per_product} / {products} = {per_product / max(products, 1):.2f} "
        f"(≤ {r['per_product_target']:.2f}); by automation {dict(phase.requests_used)}; set-up {setup}; "
        f"PUT /stocks {r['stock_puts']}, {r['new_product_stock_puts']} of them with a new product's stock "
        f"→ {own / max(products, 1):.2f} per new product without the sales' and clerk's stock\n"
        f"  requests by route: {dict(r['by_path'].most_common())}",
        flush=True,
    )
    for error in phase.errors[:10]:
        print(f"  error: {error}")
    for name, summary in sorted(phase.last.items()):
        print(f"  last {name} summary: {json.dumps(summary, default=str)[:400]}")

    found: list[dict[str, Any]] = []

    def add(name: str, value: float, unit: str, **kwargs: Any) -> None:
        found.append({"name": f"{label}: {name}", "value": value, "unit": unit, **kwargs})

    sale_note = (
        f"{r['sales_seen']} of {len(r['sale_latencies'])} sales in the ERP, 1 every "
        f"{scenario.order_every:g} s; import_orders every {scenario.import_every:g} s"
    )
    if r["sales_seen"] < len(r["sale_latencies"]):
        sale_note += "; the others counted at their age when the phase ended (a lower bound)"
    stock_note = (
        f"{r['stock_seen']} of {len(r['stock_latencies'])} changes on AnyMarket, 1 every "
        f"{scenario.change_every:g} s; send_stock every {scenario.stock_run_every:g} s"
    )
    if r["stock_seen"] < len(r["stock_latencies"]):
        stock_note += "; the others counted at their age when the phase ended (a lower bound)"
    if r["sale_latencies"]:
        add("sale → ERP p50", sale_p50, "s", note=sale_note)
        add("sale → ERP p95", sale_p95, "s", target=30 if lanes_on else None, comparison="<", note=sale_note)
    if r["stock_latencies"]:
        add("stock change → AnyMarket p50", stock_p50, "s", note=stock_note)
        add(
            "stock change → AnyMarket p95",
            stock_p95,
            "s",
            target=90 if lanes_on else None,
            comparison="<",
            note=stock_note,
        )
    add(
        "products created per hour",
        r["products_per_hour"],
        "products/h",
        note=f"{products} products ({r['skus']} SKUs) in {seconds:.0f} s at {scenario.rate} requests/h",
    )
    for lane in ("realtime", "callback", "bulk"):
        used = r["by_lane"].get(lane, 0)
        add(
            f"budget used by {lane}",
            used / seconds * 3600,
            "requests/h",
            note=f"{used} requests in {seconds:.0f} s ({used / max(at_rate, 1):.0%} of rate x time)",
        )
    share = at_rate * (1 - RESERVE)
    bulk = r["by_lane"].get("bulk", 0)
    add(
        f"bulk's use of its {1 - RESERVE:.0%} share",
        bulk / max(share, 1),
        "",
        target=1.0 if lanes_on else None,
        comparison=">=",
        note=f"{bulk} bulk requests / {share:.0f} = {1 - RESERVE:.0%} of rate x time "
        + ("(its first burst included)" if lanes_on else "(no share with lanes off: for comparison)"),
    )
    add(
        "429s received",
        r["budget_429"],
        "",
        target=0 if lanes_on else None,
        comparison="==",
        note=f"of {r['requests_logged']} requests in the sandbox's log",
    )
    add("runs that ended waiting", waiting, "runs", note=waiting_by or "none")
    kinds = sorted({" ".join(error.split(": ")[:2]) for error in phase.errors if error.count(": ") >= 2})
    add(
        "failed runs",
        failed,
        "runs",
        target=0 if lanes_on else None,
        comparison="==",
        note="; ".join(kinds)[:200] or "none",
    )
    add(
        "requests per new product (sync_products + send_prices + send_stock)",
        per_product / max(products, 1),
        "requests/product",
        note=(
            "no target: it counts the sales' and the clerk's stock PUTs, realtime work of the account; "
            f"{per_product} requests / {products} products "
            f"({', '.join(f'{n} {phase.requests_used[n]}' for n in PER_PRODUCT_AUTOMATIONS)}, less "
            f"{setup} brand/category/variation set-up); the next figure, without those PUTs, has the "
            f"target: 2 + {r['skus']} SKUs / {products} products / batch 100"
        ),
    )
    add(
        "requests per new product, without stock PUTs of sales and ERP changes",
        own / max(products, 1),
        "requests/product",
        target=r["per_product_target"],
        note=(
            f"{own} requests / {products} products: the above less "
            f"{r['stock_puts'] - r['new_product_stock_puts']} of {r['stock_puts']} PUT /stocks whose rows "
            "were all SKUs sold or changed by the clerk"
        ),
    )
    return found


def record_all(phases: list[Phase], scenario: Scenario) -> None:
    """Each figure of both phases next to each other (lanes off, then on), in one table."""
    per_phase = [report(phase, scenario) for phase in phases]
    names = {}
    for found in per_phase:
        for figure in found:
            names.setdefault(figure["name"].split(": ", 1)[1], None)
    for name in names:
        for found in per_phase:
            for figure in found:
                if figure["name"].split(": ", 1)[1] == name:
                    record(SECTION, **figure)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few hundred products, short phases")
    parser.add_argument("--products", type=int)
    parser.add_argument("--rate", type=int, default=5000, help="requests an hour (AnyMarket's)")
    parser.add_argument("--window", type=float, help="the compressed budget window, seconds")
    parser.add_argument("--phase", type=float, help="seconds per phase")
    parser.add_argument("--order-every", type=float, default=15.0)
    parser.add_argument("--change-every", type=float, default=20.0)
    parser.add_argument("--import-every", type=float, default=12.0)
    parser.add_argument("--stock-run-every", type=float, default=15.0)
    parser.add_argument("--prices-every", type=float, default=60.0)
    parser.add_argument("--restart", type=float, default=5.0, help="sync_products: next run after a run")
    parser.add_argument("--quiet", type=float, help="seconds without sales/changes before a phase ends")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    quick = args.quick
    scenario = Scenario(
        products=args.products or (300 if quick else 5000),
        rate=args.rate,
        window=args.window or (30.0 if quick else 300.0),
        phase=args.phase or (40.0 if quick else 450.0),
        order_every=args.order_every if not quick else min(args.order_every, 6.0),
        change_every=args.change_every if not quick else min(args.change_every, 6.0),
        import_every=args.import_every if not quick else min(args.import_every, 5.0),
        stock_run_every=args.stock_run_every if not quick else min(args.stock_run_every, 5.0),
        prices_every=args.prices_every if not quick else min(args.prices_every, 20.0),
        restart=args.restart if not quick else min(args.restart, 2.0),
        quiet=args.quiet if args.quiet is not None else (10.0 if quick else 60.0),
        seed=args.seed,
    )
    if quick:  # a short window needs a rate that leaves realtime room at the quick cadences
        scenario = Scenario(**{**scenario.__dict__, "rate": max(scenario.rate, 20000)})

    tmp_dir, tmp = private_airflow("bench-budget-contention-")
    from anymarket_sandbox.admin import SandboxAdmin

    need = scenario.realtime_need_per_hour()
    reserve = scenario.rate * RESERVE
    print(
        f"budget contention bench: {scenario.products} products to create; {scenario.rate} requests/h "
        f"in a {scenario.window:g} s window ({scenario.limit} per window); {scenario.phase:g} s per phase\n"
        f"realtime needs at most {sum(need.values()):.0f} requests/h "
        f"({', '.join(f'{k} {v:.0f}' for k, v in need.items())}) "
        f"against a reserve of {reserve:.0f}/h ({RESERVE:.0%})",
        flush=True,
    )
    port = free_port()
    sandbox = start_sandbox(port, token=TOKEN, oi=OI)
    admin = SandboxAdmin(f"http://127.0.0.1:{port}", timeout=60)
    try:
        import anymarket.catalog.sync
        import anymarket.hooks.anymarket  # noqa: F401

        stop_requests_at_phase_end()
        phases = [Phase("lanes off", lanes=False), Phase("lanes on", lanes=True)]
        for phase in phases:
            run_phase(phase, scenario, admin, port, tmp / "phases")
        record_all(phases, scenario)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        tmp_dir.cleanup()


if __name__ == "__main__":
    main()
