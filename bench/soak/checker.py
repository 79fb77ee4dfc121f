"""The invariant checker: what must hold between AnyMarket (the sandbox), the ERP and the mapping DB.

Pure functions over a :class:`World` — a snapshot of the three parties taken by
:func:`bench.soak.snapshot.collect_world` after the soak's quiet period — so each invariant is
unit-tested on crafted states (``tests/soak/test_checker.py``) and the soak only adds the collecting.
Every invariant answers how many things it checked and the violations it found, each naming the
entity; :func:`check` runs them all and :func:`render` prints the table.

The expectations are computed independently of the code under test: from the sandbox's orders and
their status history, the integration's settings and mappings (configuration, not results), and the
stock rules of :mod:`anymarket.rules.send_stock` (the specification of what AnyMarket must show).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig

BRT = timezone(timedelta(hours=-3))
#: AnyMarket's lifecycle; CANCELED is terminal and reachable from anything.
RANK = {
    "PENDING": 0,
    "PAID_WAITING_SHIP": 1,
    "INVOICED": 2,
    "PAID_WAITING_DELIVERY": 3,
    "DELIVERY_ISSUE": 3,
    "CONCLUDED": 4,
}
ERP_STEPS = ("INVOICED", "PAID_WAITING_DELIVERY", "CONCLUDED")
#: The reference ERP vocabulary an order moves through (include/sql/erp/README.md).
ERP_TO_ANYMARKET = {
    "pending": "PENDING",
    "approved": "PAID_WAITING_SHIP",
    "invoiced": "INVOICED",
    "shipped": "PAID_WAITING_DELIVERY",
    "delivered": "CONCLUDED",
    "cancelled": "CANCELED",
}
#: Violations listed per invariant in the report (the count is always complete).
SHOWN = 5


@dataclass
class World:
    """A snapshot of the three parties (see :func:`bench.soak.snapshot.collect_world`).

    ERP rows carry codes rather than ids where a person would compare them (SKU and deposit codes).
    """

    settings: IntegrationConfig
    #: sandbox orders, each with ``statusHistory`` ``[{status, at, source: marketplace|api}]``
    orders: list[dict[str, Any]]
    #: sandbox stock rows (``GET /v2/stocks`` shape)
    stocks: list[dict[str, Any]]
    #: the sandbox request log of the integration's ``/v2`` requests during the soak
    requests: list[dict[str, Any]]
    #: requests per hour the sandbox enforced and the integration's connection allowed
    sandbox_requests_per_hour: int
    connection_requests_per_hour: int
    #: ``sales_orders`` rows + ``customer_document``, ``customer_name``
    erp_orders: list[dict[str, Any]]
    #: ``sales_order_items`` rows + ``sku_code``, ``deposit_code``
    erp_items: list[dict[str, Any]]
    #: ``stock_reservations`` rows + ``sku_code``, ``deposit_code``
    erp_reservations: list[dict[str, Any]]
    #: the send-stock queries' rows: ``list_deposits``, ``stock_skus``, ``stock_balances``,
    #: ``stock_reservations`` (open ones, summed), ``kit_components`` (absent: no kit)
    erp_stock: dict[str, list[dict[str, Any]]]
    deposit_mappings: dict[str, dict[str, Any]]
    carrier_mappings: dict[str, str]
    sku_links: dict[str, str]
    #: mapping DB ``order_imports`` rows by AnyMarket order id
    order_imports: dict[str, dict[str, Any]]
    #: mapping DB ``request_budget_usage`` as ``(unix minute, used)``
    budget_usage: list[tuple[int, int]]
    #: sandbox catalog (``products``, ``skus``) and ERP ``{sku code: product code}``, when the product
    #: sync is built; ``None`` otherwise (the catalog invariant is then not applicable)
    catalog: dict[str, list[dict[str, Any]]] | None = None
    erp_sku_products: dict[str, str] = field(default_factory=dict)
    #: the sandbox's OpenAPI report (``GET /_sandbox/conformance``) when it validated (the spec was on
    #: this machine); ``None`` otherwise (the invariant is then not applicable)
    conformance: dict[str, Any] | None = None
    #: ERP deposit codes mapped as a marketplace's Full stock (``fulfillment_deposit``): never sent
    fulfillment_deposits: set[str] = field(default_factory=set)


@dataclass
class Result:
    """One invariant's outcome."""

    name: str
    description: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def fail(self, message: str) -> None:
        self.violations.append(message)


# -- which orders belong in the ERP -------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """What the ERP must hold for one sandbox order: ``present``, ``absent``, ``held`` or ``either``."""

    kind: str
    why: str


def expectation(world: World, order: dict[str, Any]) -> Expectation:
    """Decide from the order, its history and the settings whether it must be in the ERP."""
    settings = world.settings.orders
    created = _parse_time(order.get("createdAt"))
    cutoff = settings.cutoff_date
    if cutoff is not None and created is not None and created < datetime.combine(cutoff, time(0), tzinfo=BRT):
        return Expectation("absent", "created before the cutoff date")
    if order.get("fulfillment") and not settings.import_fulfillment:
        return Expectation("absent", "fulfillment order")
    statuses = [h["status"] for h in order.get("statusHistory") or []] or [order["status"]]
    importable = {"PENDING"} if settings.import_statuses == "paid_and_pending" else set()
    importable |= set(RANK) - {"PENDING"}
    if not any(s in importable for s in statuses):
        return Expectation("absent", "never paid" if "PENDING" in statuses else "never importable")
    hold = hold_reason(world, order)
    if order["status"] == "CANCELED":
        # Paid, then cancelled: imported if a run saw it paid, skipped if it first saw it cancelled.
        return Expectation("either", "cancelled after payment")
    if hold is not None:
        return Expectation("held", hold)
    return Expectation("present", "paid")


def hold_reason(world: World, order: dict[str, Any]) -> str | None:
    """Why the importer must hold the order (a required mapping missing), from the configuration."""
    shipping = next((s for i in order.get("items") or [] for s in i.get("shippings") or []), {})
    candidates = [
        str(shipping.get("shippingCarrierNormalized") or "").strip(),
        str(shipping.get("shippingtype") or shipping.get("shippingCarrierTypeNormalized") or "").strip(),
    ]
    if not any(c and c in world.carrier_mappings for c in candidates):
        return f"unmapped carrier {candidates[0]!r}"
    known = {str(r["code"]) for r in world.erp_stock.get("stock_skus", [])}
    for item in order.get("items") or []:
        if sku_code(world, item) not in known:
            return f"unknown SKU {sku_code(world, item)!r}"
        for stock in item.get("stocks") or []:
            if deposit_of(world, stock.get("stockLocalId")) is None:
                return f"unmapped warehouse {stock.get('stockLocalId')}"
    return None


def sku_code(world: World, item: dict[str, Any]) -> str:
    """The ERP SKU code of an order item: the SKU link first, the partnerId otherwise."""
    sku = item.get("sku") or {}
    by_anymarket = {v: k for k, v in world.sku_links.items()}
    return by_anymarket.get(str(sku.get("id"))) or str(sku.get("partnerId") or "")


def deposit_of(world: World, stock_local_id: Any) -> str | None:
    """The ERP deposit code of an AnyMarket warehouse; the default deposit for ``None``."""
    if stock_local_id is None:
        wanted = world.settings.stock.default_deposit
        if wanted:
            return wanted
        return next(
            (str(d["code"]) for d in world.erp_stock.get("list_deposits", []) if int(d["is_default"])), None
        )
    for code, mapping in world.deposit_mappings.items():
        if str(mapping["value"]) == str(stock_local_id):
            return code
    return None


def expected_lines(world: World, order: dict[str, Any]) -> Counter[tuple[str, str]]:
    """``{(sku code, deposit code): quantity}`` the ERP must hold for the order (Multi-CD aware)."""
    lines: Counter[tuple[str, str]] = Counter()
    for item in order.get("items") or []:
        quantity = _dec(item.get("amount") or 1, "0.001")
        stocks = [s for s in item.get("stocks") or [] if s.get("stockLocalId") is not None]
        if not stocks or sum(_dec(s.get("amount") or 0, "0.001") for s in stocks) != quantity:
            stocks = [{"stockLocalId": stocks[0]["stockLocalId"] if stocks else None, "amount": quantity}]
        for stock in stocks:
            deposit = deposit_of(world, stock.get("stockLocalId")) or "?"
            lines[(sku_code(world, item), deposit)] += _dec(stock.get("amount") or quantity, "0.001")
    return lines


def expected_total(world: World, order: dict[str, Any]) -> Decimal:
    """The order total the ERP parts must add up to under the import settings."""
    s = world.settings.orders
    items = order.get("items") or []
    gross = sum((_dec(i.get("gross") or 0) for i in items), Decimal(0))
    item_discounts = sum((_dec(i.get("discount") or 0) for i in items), Decimal(0))
    order_discount = max(Decimal(0), _dec(order.get("discount") or 0) - item_discounts)
    total = gross
    if s.import_discounts:
        total -= item_discounts + order_discount
    if s.import_freight:
        total += _dec(order.get("freight") or 0)
    if s.import_interest:
        total += _dec(order.get("interestValue") or 0)
    return total


# -- the invariants -----------------------------------------------------------------------------


def check_orders_imported_once(world: World) -> Result:
    result = Result(
        "orders_imported_once",
        "every paid sandbox order after the cutoff is in the ERP exactly once (one sales order per deposit)",
    )
    parts = _parts_by_order(world)
    for order in world.orders:
        expect = expectation(world, order)
        if expect.kind not in ("present", "either"):
            continue
        order_id = int(order["id"])
        mine = parts.get(order_id, [])
        if expect.kind == "either" and not mine:
            continue
        result.checked += 1
        if not mine:
            result.fail(f"order {order_id} ({order['status']}, {expect.why}) is missing in the ERP")
            continue
        deposits = {deposit for _, deposit in expected_lines(world, order)}
        count = len(deposits) if world.settings.orders.split_multi_cd else 1
        wanted = [f"AM-{order_id}"] + [f"AM-{order_id}-{n}" for n in range(2, count + 1)]
        codes = sorted((str(p["code"]) for p in mine), key=_code_order)
        if codes != wanted:
            result.fail(f"order {order_id}: ERP sales orders {codes}, expected {wanted}")
    return result


def check_no_unexpected_erp_orders(world: World) -> Result:
    result = Result(
        "no_unexpected_erp_orders",
        "no ERP order for a sandbox order that must not be imported (unknown, unpaid, fulfillment, held)",
    )
    by_id = {int(o["id"]): o for o in world.orders}
    for order_id, mine in _parts_by_order(world).items():
        result.checked += 1
        order = by_id.get(order_id)
        if order is None:
            result.fail(
                f"ERP {[p['code'] for p in mine]} for AnyMarket order {order_id}, unknown to AnyMarket"
            )
            continue
        expect = expectation(world, order)
        if expect.kind in ("absent", "held"):
            result.fail(f"order {order_id} is in the ERP ({mine[0]['code']}) but must not be: {expect.why}")
    return result


def check_held_orders_recorded(world: World) -> Result:
    result = Result(
        "held_orders_recorded", "orders missing a required mapping are held in the mapping DB, not lost"
    )
    for order in world.orders:
        expect = expectation(world, order)
        if expect.kind != "held":
            continue
        result.checked += 1
        state = world.order_imports.get(str(order["id"]))
        if state is None or state.get("state") != "held":
            found = state.get("state") if state else "no record"
            result.fail(f"order {order['id']} ({expect.why}) must be held; mapping DB says {found}")
    return result


def check_order_contents(world: World) -> Result:
    result = Result("order_contents", "imported orders have the right items, totals and customer")
    parts, items_by_part = _parts_by_order(world), _items_by_part(world)
    for order in world.orders:
        mine = parts.get(int(order["id"]))
        if not mine:
            continue
        result.checked += 1
        label = f"order {order['id']}"
        erp_lines = sum((items_by_part.get(int(part["id"]), Counter()) for part in mine), Counter())
        wanted = expected_lines(world, order)
        if erp_lines != wanted:
            result.fail(f"{label}: ERP items {_lines_text(erp_lines)}, AnyMarket has {_lines_text(wanted)}")
        total = sum((_dec(p["total"]) for p in mine), Decimal(0))
        if total != expected_total(world, order):
            result.fail(f"{label}: ERP total {total}, AnyMarket total {expected_total(world, order)}")
        buyer = order.get("buyer") or {}
        document = re.sub(r"\D", "", str(buyer.get("document") or ""))
        for part in mine:
            if str(part["customer_document"]) != document:
                result.fail(f"{label}: {part['code']} customer {part['customer_document']}, buyer {document}")
            elif str(part["customer_name"]).strip() != str(buyer.get("name") or "").strip()[:255]:
                result.fail(
                    f"{label}: {part['code']} customer {part['customer_name']!r} ≠ {buyer.get('name')!r}"
                )
    return result


def check_open_orders_reserve(world: World) -> Result:
    result = Result(
        "open_orders_reserve_stock", "every imported order still open in the ERP holds exactly its items"
    )
    open_by_part, items_by_part = _open_reservations(world), _items_by_part(world, kits_as_components=True)
    for part in world.erp_orders:
        if part["status"] != "approved" or int(part["fulfillment"] or 0):
            continue
        result.checked += 1
        held = open_by_part.get(int(part["id"]), Counter())
        if held != items_by_part.get(int(part["id"]), Counter()):
            result.fail(
                f"{part['code']}: open reservations {_lines_text(held)}, items "
                f"{_lines_text(items_by_part.get(int(part['id']), Counter()))}"
            )
    return result


def check_cancellations_released(world: World) -> Result:
    result = Result("cancellations_released_stock", "every cancelled ERP order released all its reservations")
    open_by_part = _open_reservations(world)
    for part in world.erp_orders:
        if part["status"] != "cancelled":
            continue
        result.checked += 1
        held = open_by_part.get(int(part["id"]))
        if held:
            result.fail(f"{part['code']} is cancelled but still reserves {_lines_text(held)}")
    return result


def check_stock_matches_rules(world: World) -> Result:
    result = Result(
        "stock_matches_rules",
        "AnyMarket's stock of every linked SKU x warehouse is what the stock rules compute",
    )
    import pandas as pd

    from anymarket.rules import kits as kit_rules
    from anymarket.rules import send_stock as stock_rules

    frames = {name: pd.DataFrame(rows) for name, rows in world.erp_stock.items()}
    reservations = frames["stock_reservations"]
    if reservations.empty:
        reservations = pd.DataFrame(columns=["sku_id", "deposit_id", "quantity"])
    targets = stock_rules.deposit_targets(
        frames["list_deposits"],
        world.deposit_mappings,
        world.settings.stock,
        fulfillment=world.fulfillment_deposits,
    )
    desired = stock_rules.desired_stock(
        skus=frames["stock_skus"],
        balances=frames["stock_balances"],
        reservations=reservations,
        targets=targets.targets,
        stock=world.settings.stock,
        products=world.settings.products,
    )
    # A kit shows what its scarcest component allows (the rules' kit stock), never its own balance.
    kits = frames.get("kit_components", pd.DataFrame())
    desired = kit_rules.kit_stock(desired, kits, frames["stock_skus"], world.settings.stock)
    shown = {
        (str(row["stockKeepingUnit"]["id"]), str(row["stockLocal"]["id"])): row["amount"]
        for row in world.stocks
    }
    default_local = next(
        (str(r["stockLocal"]["id"]) for r in world.stocks if r["stockLocal"].get("defaultLocal")), ""
    )
    for row in desired.itertuples():
        anymarket_id = world.sku_links.get(str(row.sku_code))
        if anymarket_id is None:
            continue  # not on AnyMarket (send stock skips unlinked SKUs)
        result.checked += 1
        local = str(row.stock_local_id) or default_local
        actual = shown.get((anymarket_id, local), 0)
        if int(actual) != int(row.quantity):
            result.fail(
                f"{row.sku_code} @ warehouse {local}: AnyMarket shows {actual}, rules say {row.quantity}"
            )
    return result


def check_status_reached_anymarket(world: World) -> Result:
    result = Result(
        "status_reached_anymarket", "AnyMarket's status of every imported order is what its ERP orders say"
    )
    by_id = {int(o["id"]): o for o in world.orders}
    for order_id, mine in _parts_by_order(world).items():
        order = by_id.get(order_id)
        if order is None:
            continue
        result.checked += 1
        target = erp_target(mine)
        if order["status"] != target:
            statuses = ", ".join(f"{p['code']}={p['status']}" for p in mine)
            result.fail(
                f"order {order_id}: AnyMarket has {order['status']}, the ERP says {target} ({statuses})"
            )
    return result


def check_status_history(world: World) -> Result:
    result = Result(
        "status_history_in_order",
        "status changes sent to AnyMarket never went backwards and came in lifecycle order, none skipped",
    )
    parts = _parts_by_order(world)
    for order in world.orders:
        history = order.get("statusHistory") or []
        sent = [h["status"] for h in history if h.get("source") == "api"]
        if not sent:
            continue
        result.checked += 1
        label = f"order {order['id']}"
        previous: str | None = None
        for entry in history:
            status = entry["status"]
            if entry.get("source") == "api" and _backwards(previous, status):
                result.fail(f"{label}: we moved it {previous} → {status} (backwards)")
            previous = status
        mine = parts.get(int(order["id"]))
        target = erp_target(mine) if mine else None
        if target is not None and target != "CANCELED":
            wanted = [s for s in ERP_STEPS if RANK[s] <= RANK[target]]
            if sent != wanted:
                result.fail(f"{label}: we sent {sent}, the ERP steps to {target} are {wanted}")
    return result


def check_request_budget(world: World) -> Result:
    result = Result(
        "request_budget",
        "the integration never exceeded the request budget (sandbox log and mapping DB) nor bypassed it",
    )
    limit = min(world.sandbox_requests_per_hour, world.connection_requests_per_hour)
    result.checked = len(world.requests)
    refused = [r for r in world.requests if r.get("status") == 429 and not r.get("fault")]
    if refused:
        result.fail(
            f"the sandbox's budget answered 429 to {len(refused)} request(s), e.g. {refused[0]['path']}"
        )
    peak = _peak_per_window([float(r["time"]) for r in world.requests], 3600.0)
    if peak > limit:
        result.fail(f"{peak} requests reached the sandbox within one hour (limit {limit})")
    usage = sorted(world.budget_usage)
    counted_peak = max((sum(u for m, u in usage if start <= m < start + 60) for start, _ in usage), default=0)
    if counted_peak > world.connection_requests_per_hour:
        result.fail(f"the mapping DB counted {counted_peak} requests in one hour (limit {limit})")
    counted = sum(u for _, u in usage)
    if counted < len(world.requests):
        result.fail(
            f"the sandbox saw {len(world.requests)} requests but the budget counted only {counted}: "
            "some bypassed the budget"
        )
    return result


def check_catalog_unique(world: World) -> Result:
    result = Result("catalog_no_duplicates", "no product or SKU exists twice on AnyMarket")
    if world.catalog is None:
        return result
    skus = world.catalog.get("skus") or []
    result.checked = len(skus)
    for partner_id, count in Counter(str(s.get("partnerId")) for s in skus).items():
        if count > 1:
            result.fail(f"SKU {partner_id} exists {count} times on AnyMarket")
    products_of: dict[str, set[Any]] = defaultdict(set)
    for sku in skus:
        product_code = world.erp_sku_products.get(str(sku.get("partnerId")))
        if product_code is not None:
            products_of[product_code].add(sku.get("productId"))
    for product_code, ids in sorted(products_of.items()):
        if len(ids) > 1:
            result.fail(f"ERP product {product_code} is {len(ids)} AnyMarket products: {sorted(ids)}")
    return result


def check_openapi_conformance(world: World) -> Result:
    """Every request the integration sent and every answer it got, checked by the sandbox against
    AnyMarket's OpenAPI export: none outside the export's known errors (``conformance.TOLERATED``)."""
    result = Result("openapi_conformance", "every exchange fits AnyMarket's OpenAPI spec")
    if world.conformance is None:
        return result
    result.checked = int(world.conformance.get("checked", 0))
    lines = Counter(
        f"{v['operation']} → {v['status']}, {v['side']} {v['message']}"
        for v in world.conformance.get("violations", [])
    )
    for line, count in sorted(lines.items()):
        result.fail(line if count == 1 else f"{line} ({count} times)")
    return result


INVARIANTS: tuple[Callable[[World], Result], ...] = (
    check_orders_imported_once,
    check_no_unexpected_erp_orders,
    check_held_orders_recorded,
    check_order_contents,
    check_open_orders_reserve,
    check_cancellations_released,
    check_stock_matches_rules,
    check_status_reached_anymarket,
    check_status_history,
    check_request_budget,
    check_catalog_unique,
    check_openapi_conformance,
)


def check(world: World) -> list[Result]:
    """Every invariant over ``world``."""
    return [invariant(world) for invariant in INVARIANTS]


def render(results: Iterable[Result]) -> str:
    """The invariant table, then up to :data:`SHOWN` violations of each failing invariant."""
    results = list(results)
    width = max(len(r.name) for r in results)
    lines = [f"{'invariant':<{width}}  {'checked':>8}  {'violations':>10}  result"]
    for r in results:
        verdict = "ok" if r.ok else "FAIL"
        if r.ok and r.checked == 0:
            verdict = "n/a (nothing to check)"
        lines.append(f"{r.name:<{width}}  {r.checked:>8}  {len(r.violations):>10}  {verdict}")
    for r in results:
        if r.violations:
            lines.append(f"\n{r.name}: {r.description}")
            lines.extend(f"  - {v}" for v in r.violations[:SHOWN])
            if len(r.violations) > SHOWN:
                lines.append(f"  ... and {len(r.violations) - SHOWN} more")
    return "\n".join(lines)


# -- helpers ------------------------------------------------------------------------------------


def erp_target(parts: list[dict[str, Any]]) -> str:
    """The AnyMarket status the ERP parts of one order say: CANCELED if any is, else the least advanced."""
    statuses = [ERP_TO_ANYMARKET.get(str(p["status"]), str(p["status"])) for p in parts]
    if "CANCELED" in statuses:
        return "CANCELED"
    return min(statuses, key=lambda s: RANK.get(s, 99))


def _backwards(previous: str | None, status: str) -> bool:
    """Whether moving from ``previous`` to ``status`` goes back in the lifecycle (or out of CANCELED)."""
    if previous is None:
        return False
    if previous == "CANCELED":
        return True
    return status != "CANCELED" and RANK.get(status, -1) <= RANK.get(previous, -1)


def _parts_by_order(world: World) -> dict[int, list[dict[str, Any]]]:
    parts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in world.erp_orders:
        if row.get("anymarket_order_id") is not None:
            parts[int(row["anymarket_order_id"])].append(row)
    return parts


def _items_by_part(world: World, *, kits_as_components: bool = False) -> dict[int, Counter[tuple[str, str]]]:
    """Each ERP order's items; ``kits_as_components``: what it must hold in stock — a kit's item as its
    components (item quantity x each one's quantity per kit)."""
    parts: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for row in world.erp_stock.get("kit_components", []) if kits_as_components else []:
        parts[str(row["kit_code"])].append((str(row["component_code"]), Decimal(str(row["quantity"]))))
    lines: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
    for item in world.erp_items:
        quantity = Decimal(str(item["quantity"]))
        for sku, per_kit in parts.get(str(item["sku_code"])) or [(str(item["sku_code"]), Decimal(1))]:
            key = (sku, str(item["deposit_code"]))
            lines[int(item["sales_order_id"])][key] += _dec(quantity * per_kit, "0.001")
    return lines


def _open_reservations(world: World) -> dict[int, Counter[tuple[str, str]]]:
    held: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
    for row in world.erp_reservations:
        if row.get("released_at") is None:
            key = (str(row["sku_code"]), str(row["deposit_code"]))
            held[int(row["sales_order_id"])][key] += _dec(row["quantity"], "0.001")
    return held


def _peak_per_window(times: list[float], window: float) -> int:
    """The most events inside any ``window`` seconds (two pointers over the sorted times)."""
    times = sorted(times)
    peak, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def _code_order(code: str) -> tuple[int, str]:
    suffix = code.rsplit("-", 1)[-1]
    return (int(suffix) if code.count("-") > 1 and suffix.isdigit() else 1, code)


def _lines_text(lines: Counter[tuple[str, str]]) -> str:
    return (
        ", ".join(f"{sku}@{dep} x {qty.normalize()}" for (sku, dep), qty in sorted(lines.items())) or "none"
    )


def _dec(value: Any, quantum: str = "0.01") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(quantum), ROUND_HALF_UP)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
