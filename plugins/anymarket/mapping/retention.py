"""Retention of the mapping DB: what grows with every run, pruned after the integration's setting.

Most of the mapping DB is state, one row per entity (links, what was sent, cursors), and stays. Four
tables grow with time instead:

* ``history`` — a row per entity per action (every send, import, refusal): the entity pages of the ops
  page read it;
* ``run_summaries`` — a row per automation run (five every-minute DAGs make 7 200 a day); the newest
  row of each automation is always kept, however old, since the ops page shows it as the last run;
* ``callback_inbox`` — handled notifications (``processed`` / ``failed``; ``pending`` ones always
  stay); the import prunes them after a week on its own (:mod:`anymarket.callbacks.inbox`), this
  covers an integration whose import stopped running;
* ``callback_not_found`` — remembered 404s (also forgotten by the import after a day).

The request budget's usage buckets prune themselves (a day: :mod:`anymarket.budget`). Rows are
deleted in batches of :data:`BATCH` so a first prune of a year of history never holds a long lock on
SQLite, where every writer waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow

if TYPE_CHECKING:
    from anymarket.mapping.database import MappingDatabase

__all__ = ["BATCH", "PruneResult", "prune"]

#: Rows deleted per statement (and transaction).
BATCH = 5000


@dataclass(frozen=True)
class PruneResult:
    """What a prune removed (or, for a dry run, would remove), per table, and the cutoff used."""

    cutoff: datetime
    deleted: dict[str, int]
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _old_history(integration_id: str, cutoff: datetime) -> sa.Select[tuple[int]]:
    t = m.history
    return sa.select(t.c.id).where(t.c.integration_id == integration_id, t.c.created_at < cutoff)


def _old_summaries(integration_id: str, cutoff: datetime) -> sa.Select[tuple[int]]:
    t = m.run_summaries
    newest = (
        sa.select(sa.func.max(t.c.id))
        .where(t.c.integration_id == integration_id)
        .group_by(t.c.automation)
        .scalar_subquery()
    )
    return sa.select(t.c.id).where(
        t.c.integration_id == integration_id, t.c.finished_at < cutoff, t.c.id.not_in(newest)
    )


def _old_callbacks(integration_id: str, cutoff: datetime) -> sa.Select[tuple[int]]:
    t = m.callback_inbox
    return sa.select(t.c.id).where(
        t.c.integration_id == integration_id,
        t.c.status.in_(("processed", "failed")),
        t.c.received_at < cutoff,
    )


def prune(
    mapping: MappingDatabase,
    integration_id: str,
    *,
    keep_days: int,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PruneResult:
    """Delete the integration's history, run summaries and handled callbacks older than ``keep_days``
    (see the module docstring for what stays); ``dry_run`` only counts. Other integrations' rows are
    never touched."""
    if keep_days < 1:
        raise ValueError(f"keep_days must be at least 1, got {keep_days}")
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    deleted: dict[str, int] = {}
    for table, select in (
        (m.history, _old_history(integration_id, cutoff)),
        (m.run_summaries, _old_summaries(integration_id, cutoff)),
        (m.callback_inbox, _old_callbacks(integration_id, cutoff)),
    ):
        deleted[table.name] = _delete_in_batches(mapping, table, select, dry_run=dry_run)
    nf = m.callback_not_found
    condition = sa.and_(nf.c.integration_id == integration_id, nf.c.not_found_at < cutoff)
    with mapping.begin() as conn:
        if dry_run:
            count = conn.execute(sa.select(sa.func.count()).select_from(nf).where(condition)).scalar_one()
        else:
            count = conn.execute(sa.delete(nf).where(condition)).rowcount
    deleted[nf.name] = int(count)
    return PruneResult(cutoff=cutoff, deleted=deleted, dry_run=dry_run)


def _delete_in_batches(
    mapping: MappingDatabase, table: sa.Table, select: sa.Select[tuple[int]], *, dry_run: bool
) -> int:
    if dry_run:
        with mapping.begin() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(select.subquery())).scalar_one())
    total = 0
    while True:
        with mapping.begin() as conn:
            ids = list(conn.execute(select.order_by(table.c.id).limit(BATCH)).scalars())
            if not ids:
                return total
            total += conn.execute(sa.delete(table).where(table.c.id.in_(ids))).rowcount
