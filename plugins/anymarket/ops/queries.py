"""What the ops page shows, read from the mapping DB: one function per section, no HTML here.

Everything comes from tables the automations already write (run summaries, order import state,
rejections, history, the request budget), so the page costs no AnyMarket request and no ERP query.
Tables other automations add later (e.g. ``product_rejected``) appear on the page as soon as they are
declared in :mod:`anymarket.mapping.models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.mapping import models as m

if TYPE_CHECKING:
    from anymarket.connections import AnyMarketConnectionSettings
    from anymarket.mapping.database import MappingDatabase

#: The summary keys install_deposits fills for what a person still has to map.
DEPOSIT_REPORT_KEYS = {
    "unmatched_deposits": "ERP deposit with no AnyMarket warehouse of the same name",
    "ambiguous_deposits": "ERP deposit whose name matches several warehouses",
    "unmatched_warehouses": "AnyMarket warehouse no ERP deposit is mapped to",
    "linked_to_missing_warehouse": "mapped to a warehouse AnyMarket no longer has",
}
#: The mapping kind (CSV file) that releases an order held for each reason (the text before ':').
HOLD_FIXES = {
    "unmapped carrier": "carrier",
    "unmapped warehouse": "deposit",
    "unmapped intermediary": "intermediary",
    "unmapped sales channel": "sales_channel",
}


@dataclass(frozen=True)
class RejectionSource:
    """A table of things AnyMarket refused, with AnyMarket's message."""

    title: str
    table: str
    keys: tuple[str, ...]
    message: str
    at: str
    state: str | None = None  # only rows in this state (tables that also hold other states)


REJECTION_SOURCES = (
    RejectionSource("Products", "product_rejected", ("product_code",), "message", "rejected_at"),
    RejectionSource("Stock", "stock_rejected", ("sku_code", "stock_local_id"), "error", "rejected_at"),
    RejectionSource("Prices", "price_rejected", ("sku_code", "scope", "target"), "error", "rejected_at"),
    RejectionSource(
        "Order statuses", "order_status_sync", ("anymarket_order_id",), "reason", "updated_at", "rejected"
    ),
)


def last_runs(db: MappingDatabase, integration_id: str, automations: list[str]) -> list[dict[str, Any]]:
    """The latest run summary of each automation (``None`` fields for one that never ran)."""
    t = m.run_summaries
    latest = (
        sa.select(sa.func.max(t.c.id))
        .where(t.c.integration_id == integration_id, t.c.automation.in_(automations))
        .group_by(t.c.automation)
    )
    with db.engine.connect() as conn:
        rows = {r.automation: dict(r._mapping) for r in conn.execute(sa.select(t).where(t.c.id.in_(latest)))}
    return [rows.get(name) or {"automation": name, "outcome": None, "summary": {}} for name in automations]


def connection_status(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The last test_connection result, from the runs :func:`last_runs` read."""
    run = next((r for r in runs if r["automation"] == "test_connection"), None)
    if run is None or run["outcome"] is None:
        return {"state": "unknown", "detail": "test_connection has not run yet", "at": None}
    summary = run["summary"] or {}
    if run["outcome"] == "ok":
        detail = f"{summary.get('base_url', '')} — OI {summary.get('oi_check', 'checked')}".strip(" —")
        return {"state": "ok", "detail": detail, "at": run["finished_at"]}
    return {"state": "failed", "detail": summary.get("error") or "failed", "at": run["finished_at"]}


def held_orders(db: MappingDatabase, integration_id: str, limit: int = 500) -> dict[str, Any]:
    """Orders import_orders holds (``total``; the oldest ``limit`` as ``rows``), with the reason and
    the mapping kind whose file fixes it."""
    t = m.order_imports
    where = (t.c.integration_id == integration_id, t.c.state == "held")
    with db.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar() or 0
        rows = conn.execute(
            sa.select(
                t.c.anymarket_order_id, t.c.reason, t.c.anymarket_status, t.c.created_at, t.c.updated_at
            )
            .where(*where)
            .order_by(t.c.created_at, t.c.anymarket_order_id)
            .limit(limit)
        )
        held = []
        for r in rows:
            reason = r.reason or ""
            category = reason.split(":", 1)[0].strip() if ":" in reason else "held"
            held.append({**r._mapping, "category": category, "fix_kind": HOLD_FIXES.get(category)})
    return {"total": int(total), "rows": held}


def deposit_report(db: MappingDatabase, integration_id: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """What the last install_deposits run could not match, and warehouses no mapping points to now."""
    run = next((r for r in runs if r["automation"] == "install_deposits"), None)
    examples = ((run or {}).get("summary") or {}).get("examples") or {}
    problems = [
        {"kind": key, "label": label, "item": item}
        for key, label in DEPOSIT_REPORT_KEYS.items()
        for item in examples.get(key, [])
    ]
    w, mp = m.anymarket_warehouses, m.mappings
    mapped = sa.select(mp.c.value).where(mp.c.integration_id == integration_id, mp.c.kind == "deposit")
    with db.engine.connect() as conn:
        unmapped = conn.execute(
            sa.select(w.c.stock_local_id, w.c.name)
            .where(w.c.integration_id == integration_id, w.c.stock_local_id.not_in(mapped))
            .order_by(w.c.name)
        ).all()
    return {
        "ran_at": (run or {}).get("finished_at"),
        "outcome": (run or {}).get("outcome"),
        "problems": problems,
        "unmapped_warehouses": [dict(r._mapping) for r in unmapped],
    }


def rejections(db: MappingDatabase, integration_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """Everything AnyMarket refused (products, stock, prices, order statuses), newest first."""
    found: list[dict[str, Any]] = []
    with db.engine.connect() as conn:
        for source in REJECTION_SOURCES:
            table = m.metadata.tables.get(source.table)
            names = (*source.keys, source.message, source.at)
            if table is None or any(n not in table.c for n in names):
                continue  # that automation is not built (or not declared in models.py) yet
            query = sa.select(*(table.c[n] for n in names)).where(table.c.integration_id == integration_id)
            if source.state:
                query = query.where(table.c.state == source.state)
            for row in conn.execute(query.order_by(table.c[source.at].desc()).limit(limit)):
                found.append(
                    {
                        "what": source.title,
                        "key": " / ".join(str(row._mapping[k]) for k in source.keys if row._mapping[k]),
                        "message": row._mapping[source.message],
                        "at": row._mapping[source.at],
                    }
                )
    found.sort(key=lambda r: _sortable(r["at"]), reverse=True)
    return found[:limit]


def recent_errors(db: MappingDatabase, integration_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The latest failures (history outcome ``error``), newest first.

    Held and skipped entities carry their reason in the same column but are not errors: held orders
    have their own section, and a skip is a decision the settings made."""
    t = m.history
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.created_at, t.c.entity_type, t.c.entity_key, t.c.action, t.c.outcome, t.c.error)
            .where(t.c.integration_id == integration_id, t.c.outcome == "error")
            .order_by(t.c.id.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]


#: The lanes in the chart, bottom to top, with their colours (shared by the bars and the legend).
LANE_COLOURS = {"realtime": "#2f6fde", "callback": "#8fb8f5", "bulk": "#d9932b"}
CHART_HOURS = 24


def budget_used(
    db: MappingDatabase,
    params: AnyMarketConnectionSettings,
    shares: Any = None,
    *,
    integration_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The account's budget as the page shows it: the window's usage per lane against each lane's
    limit, the last 24 hours per lane and hour (for the chart), and what waits for which lane."""
    import time

    from anymarket import budget_waits
    from anymarket.budget import LaneShares, RequestBudget, account_key

    budget = RequestBudget(
        db.engine,
        account=account_key(params.base_url, params.token),
        requests_per_hour=params.requests_per_hour,
        window_seconds=params.budget_window_seconds,
        shares=shares or LaneShares(),
    )
    now = time.time() if now is None else now
    oldest_counted = budget.oldest_counted(budget.bucket(now))
    t = m.request_budget_usage
    day_start = int(now // 3600) * 3600 - (CHART_HOURS - 1) * 3600
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.minute, t.c.lane, t.c.used).where(
                t.c.account_key == budget.account, t.c.minute >= budget.bucket(day_start)
            )
        ).all()
    window = {lane: 0 for lane in LANE_COLOURS}
    hours = [{lane: 0 for lane in LANE_COLOURS} for _ in range(CHART_HOURS)]
    for row in rows:
        if row.minute >= oldest_counted:
            window[row.lane] = window.get(row.lane, 0) + row.used
        index = int((row.minute * budget.bucket_seconds - day_start) // 3600)
        if 0 <= index < CHART_HOURS:
            hours[index][row.lane] = hours[index].get(row.lane, 0) + row.used
    used = sum(window.values())
    limits = budget.limits
    return {
        "used": used,
        "limit": params.requests_per_hour,
        "percent": round(100 * used / params.requests_per_hour),
        "window_seconds": params.budget_window_seconds,
        "lanes_on": budget.shares.lanes,
        "lanes": [
            {
                "lane": "realtime",
                "used": window["realtime"],
                "limit": limits.total,
                "note": "may use the whole budget",
            },
            {
                "lane": "callback",
                "used": window["callback"],
                "limit": limits.callback,
                "note": "part of realtime",
            },
            {
                "lane": "bulk",
                "used": window["bulk"],
                "limit": limits.bulk,
                "note": f"reserve {limits.reserve} kept",
            },
        ],
        "chart": budget_chart(
            hours, day_start=day_start, limit=params.requests_per_hour * 3600 / budget.window_seconds
        ),
        "waits": budget_waits.current(db, integration_id) if integration_id else [],
    }


def budget_chart(hours: list[dict[str, int]], *, day_start: float, limit: float) -> dict[str, Any]:
    """Stacked bars (one per hour, lanes bottom to top) in SVG coordinates, for the template."""
    from datetime import UTC

    width, height, gap = 20, 120, 2
    top = max([limit, *(sum(h.values()) for h in hours)]) or 1
    bars = []
    for index, hour in enumerate(hours):
        y: float = height
        label = datetime.fromtimestamp(day_start + index * 3600, UTC).strftime("%H:00")
        segments = []
        for lane, colour in LANE_COLOURS.items():
            size = height * hour.get(lane, 0) / top
            y -= size
            segments.append(
                {
                    "lane": lane,
                    "y": round(y, 1),
                    "height": round(size, 1),
                    "colour": colour,
                    "n": hour.get(lane, 0),
                }
            )
        bars.append(
            {
                "x": index * (width + gap),
                "width": width,
                "label": label,
                "segments": segments,
                "total": sum(hour.values()),
            }
        )
    return {
        "bars": bars,
        "width": len(hours) * (width + gap),
        "height": height,
        "limit_y": round(height - height * limit / top, 1),
        "limit": round(limit),
        "colours": LANE_COLOURS,
    }


def mapping_counts(db: MappingDatabase, integration_id: str) -> dict[str, int]:
    t = m.mappings
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.kind, sa.func.count())
            .where(t.c.integration_id == integration_id)
            .group_by(t.c.kind)
        )
        counts = {r[0]: int(r[1]) for r in rows}
    return {kind: counts.get(kind, 0) for kind in m.MAPPING_KINDS}


def lookup(db: MappingDatabase, integration_id: str, term: str, limit: int = 100) -> dict[str, Any]:
    """Everything the mapping DB knows about one SKU/product code or AnyMarket/ERP id.

    Exact matches on: links (ERP or AnyMarket side, any entity), order import and status state,
    stock rows, mappings (key or value) and history rows (entity key) — newest history first.
    """
    term = term.strip()
    links, hist, mp = m.links, m.history, m.mappings
    oi, oss = m.order_imports, m.order_status_sync
    with db.engine.connect() as conn:
        found_links = conn.execute(
            sa.select(links.c.entity_type, links.c.erp_id, links.c.anymarket_id, links.c.updated_at)
            .where(links.c.integration_id == integration_id)
            .where(sa.or_(links.c.erp_id == term, links.c.anymarket_id == term))
            .order_by(links.c.entity_type)
        ).all()
        # The history of the entity under all its names: "SKU-1" and its AnyMarket id alike.
        keys = {term} | {r.erp_id for r in found_links} | {r.anymarket_id for r in found_links}
        order = conn.execute(
            sa.select(
                oi.c.state,
                oi.c.reason,
                oi.c.anymarket_status,
                oi.c.erp_order_codes,
                oi.c.failures,
                oi.c.updated_at,
            ).where(oi.c.integration_id == integration_id, oi.c.anymarket_order_id == term)
        ).first()
        status = conn.execute(
            sa.select(oss.c.state, oss.c.reason, oss.c.anymarket_status, oss.c.updated_at).where(
                oss.c.integration_id == integration_id, oss.c.anymarket_order_id == term
            )
        ).first()
        stock = conn.execute(
            sa.select(m.stock_sent).where(
                m.stock_sent.c.integration_id == integration_id, m.stock_sent.c.sku_code == term
            )
        ).all()
        mappings = conn.execute(
            sa.select(mp.c.kind, mp.c.key, mp.c.value, mp.c.source)
            .where(mp.c.integration_id == integration_id, sa.or_(mp.c.key == term, mp.c.value == term))
            .order_by(mp.c.kind, mp.c.key)
        ).all()
        # What the order was imported with (sales operation, intermediary, channel, fees): the import
        # keeps it in the order's history, so showing it needs no ERP query.
        imported = conn.execute(
            sa.select(hist.c.response)
            .where(
                hist.c.integration_id == integration_id,
                hist.c.entity_type == "order",
                hist.c.entity_key == term,
                hist.c.action.like("import:%"),
            )
            .order_by(hist.c.id.desc())
            .limit(20)
        ).all()
        history = conn.execute(
            sa.select(
                hist.c.created_at,
                hist.c.entity_type,
                hist.c.entity_key,
                hist.c.action,
                hist.c.outcome,
                hist.c.error,
                hist.c.run_id,
            )
            .where(hist.c.integration_id == integration_id, hist.c.entity_key.in_(keys))
            .order_by(hist.c.id.desc())
            .limit(limit)
        ).all()
    result = {
        "term": term,
        "links": [dict(r._mapping) for r in found_links],
        "order": dict(order._mapping) if order else None,
        "commercial": next(
            (
                r.response["commercial"]
                for r in imported
                if isinstance(r.response, dict) and r.response.get("commercial")
            ),
            None,
        ),
        "status": dict(status._mapping) if status else None,
        "stock": [dict(r._mapping) for r in stock],
        "mappings": [dict(r._mapping) for r in mappings],
        "history": [dict(r._mapping) for r in history],
    }
    result["found"] = any(result[k] for k in ("links", "order", "status", "stock", "mappings", "history"))
    return result


def _sortable(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")
