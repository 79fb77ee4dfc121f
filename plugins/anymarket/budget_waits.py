"""Runs that ended waiting for the request budget: what waits, since when, and when to alert.

A task whose lane is spent ends its run cleanly (see :class:`anymarket.operators.base
.AnyMarketBaseOperator`): no failure, no retry, no e-mail — the next scheduled run continues where it
stopped. It records one row per integration and automation here, kept while run after run waits and
cleared by the first run that finishes without waiting. The ops page lists the rows ("what each lane
is waiting for"); :func:`should_alert` decides from the row when waiting is no longer normal.

Bulk work waiting is the design (it paces itself through its share), so it never alerts. Realtime
work waiting means orders or stock are late: one alert goes out when a realtime automation has been
waiting for longer than the integration's ``budget.realtime_alert_after_minutes`` without a single
run getting through — the realtime lane cannot keep up with what it must carry — and no more until
that streak ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import upsert_many, utcnow

if TYPE_CHECKING:
    from anymarket.mapping.database import MappingDatabase

T = m.budget_waits
REALTIME_LANES = frozenset({"realtime", "callback"})


@dataclass(frozen=True)
class BudgetWait:
    """One automation of one integration waiting for its budget lane."""

    integration_id: str
    automation: str
    lane: str
    since: datetime
    continues_at: datetime
    waiting: str
    alerted_at: datetime | None = None


def should_alert(wait: BudgetWait, *, alert_after: timedelta, now: datetime) -> bool:
    """A realtime wait older than ``alert_after`` that has not alerted yet in this streak."""
    return wait.lane in REALTIME_LANES and wait.alerted_at is None and now - wait.since >= alert_after


def record(
    mapping: MappingDatabase,
    integration_id: str,
    automation: str,
    *,
    lane: str,
    continues_at: datetime,
    waiting: str,
    now: datetime | None = None,
) -> BudgetWait:
    """Note that a run ended waiting; a streak keeps its first ``since`` and its alert."""
    now = now or utcnow()
    with mapping.begin() as conn:
        previous = conn.execute(
            sa.select(T.c.since, T.c.alerted_at).where(
                T.c.integration_id == integration_id, T.c.automation == automation
            )
        ).first()
        since = previous.since if previous is not None else now
        alerted_at = previous.alerted_at if previous is not None else None
        row = {
            "integration_id": integration_id,
            "automation": automation,
            "lane": lane,
            "since": since,
            "continues_at": continues_at,
            "waiting": waiting[:500],
            "alerted_at": alerted_at,
        }
        upsert_many(conn, T, [row], ("lane", "since", "continues_at", "waiting", "alerted_at"))
    return BudgetWait(
        integration_id, automation, lane, _aware(since), continues_at, waiting[:500], alerted_at
    )


def mark_alerted(mapping: MappingDatabase, integration_id: str, automation: str, *, now: datetime) -> None:
    with mapping.begin() as conn:
        conn.execute(
            sa.update(T)
            .where(T.c.integration_id == integration_id, T.c.automation == automation)
            .values(alerted_at=now)
        )


def clear(mapping: MappingDatabase, integration_id: str, automation: str) -> None:
    """A run finished without waiting: the streak is over."""
    with mapping.begin() as conn:
        conn.execute(sa.delete(T).where(T.c.integration_id == integration_id, T.c.automation == automation))


def current(mapping: MappingDatabase, integration_id: str) -> list[BudgetWait]:
    """Every automation of the integration waiting now, the longest wait first."""
    with mapping.engine.connect() as conn:
        rows = conn.execute(
            sa.select(T).where(T.c.integration_id == integration_id).order_by(T.c.since)
        ).all()
    return [
        BudgetWait(
            r.integration_id,
            r.automation,
            r.lane,
            _aware(r.since),
            _aware(r.continues_at),
            r.waiting,
            _aware(r.alerted_at) if r.alerted_at else None,
        )
        for r in rows
    ]


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
