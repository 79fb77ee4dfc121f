"""The callback inbox (``callback_inbox`` in the mapping DB): notifications waiting to be handled.

One row per integration x resource type x resource id. A notification for a resource that already
has a row makes it ``pending`` again with a fresh ``received_at``, so duplicates collapse while a
change that arrives *during* processing is never lost: the importer marks a row ``processed`` only if
``received_at`` is still the one it read.

The inbox is a public door's queue, so it is bounded: at most :data:`MAX_PENDING` rows of an
integration and type wait at once (a new one beyond that is refused with :class:`InboxFull`;
AnyMarket's order feed still carries every order, and the next listing-health pass every listing;
a flood of one type never blocks the other), and a duplicate never resets the failed attempts — only a
successful import does — so re-posting an id that keeps failing cannot make it be fetched forever.
Handled rows (processed or failed) are pruned :data:`RETENTION` after their last notification, so the
table holds what is waiting plus about a week of history, not every callback ever received.

An id whose ``GET`` answered 404 after a callback is remembered for :data:`NOT_FOUND_MEMORY`
(``callback_not_found``): a callback for it meanwhile is acknowledged and not stored, so re-posting
a forged id costs AnyMarket nothing more. A real order AnyMarket pushed before it was readable keeps
its own row (retried each run until its attempts are spent), and the feed carries it anyway.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa

from anymarket.errors import CALLBACK_MAX_ATTEMPTS
from anymarket.mapping import models as m
from anymarket.mapping.database import MappingDatabase, utcnow

T = m.callback_inbox
NF = m.callback_not_found
#: Pending notifications one integration may hold per type; real traffic stays far below (each is
#: handled within a run), a flood of forged or unknown ids stops here.
MAX_PENDING = 1000
#: How long a handled notification is kept after it last arrived: long enough to look it up on the
#: ops page and for a failed id's spent attempts to be remembered against re-posts.
RETENTION = timedelta(days=7)
#: How long an id whose GET answered 404 is remembered: a callback for it is answered 200, not stored.
NOT_FOUND_MEMORY = timedelta(hours=1)


class InboxFull(Exception):
    """The integration already has :data:`MAX_PENDING` notifications waiting; this new one is refused."""


@dataclass(frozen=True)
class Notification:
    id: int
    resource_id: str
    received_at: datetime
    attempts: int


@cache
def _store_statements() -> tuple[sa.Select, sa.Update, sa.Insert]:
    """The receiver's statements, built once (building them costs more than running them on SQLite):
    the 404 memory look-up, the re-arm of an existing row and the insert under the cap."""
    same = (
        T.c.integration_id == sa.bindparam("b_integration"),
        T.c.resource_type == sa.bindparam("b_type"),
        T.c.resource_id == sa.bindparam("b_id"),
    )
    remembered = sa.select(NF.c.resource_id).where(
        NF.c.integration_id == sa.bindparam("b_integration"),
        NF.c.resource_type == sa.bindparam("b_type"),
        NF.c.resource_id == sa.bindparam("b_id"),
        NF.c.not_found_at >= sa.bindparam("b_since", type_=NF.c.not_found_at.type),
    )
    rearm = (
        sa.update(T)
        .where(*same)
        .values(
            # A row whose attempts are spent stays failed: the feed and the reconcile window bring it.
            status=sa.case((T.c.attempts < CALLBACK_MAX_ATTEMPTS, "pending"), else_=T.c.status),
            event=sa.bindparam("b_event", type_=T.c.event.type),
            received_at=sa.bindparam("b_at", type_=T.c.received_at.type),
        )
    )
    waiting = (
        sa.select(sa.func.count())
        .select_from(T)
        .where(
            T.c.integration_id == sa.bindparam("b_integration"),
            T.c.resource_type == sa.bindparam("b_type"),
            T.c.status == "pending",
        )
        .scalar_subquery()
    )
    row = sa.select(
        sa.bindparam("b_integration", type_=T.c.integration_id.type),
        sa.bindparam("b_type", type_=T.c.resource_type.type),
        sa.bindparam("b_id", type_=T.c.resource_id.type),
        sa.literal("pending", type_=T.c.status.type),
        sa.bindparam("b_event", type_=T.c.event.type),
        sa.bindparam("b_at", type_=T.c.received_at.type),
        sa.literal(0, type_=T.c.attempts.type),
    ).where(waiting < sa.bindparam("b_cap", type_=sa.Integer))
    insert = sa.insert(T).from_select(
        ["integration_id", "resource_type", "resource_id", "status", "event", "received_at", "attempts"], row
    )
    return remembered, rearm, insert


def store(
    mapping: MappingDatabase, integration_id: str, resource_type: str, resource_id: str, event: str | None
) -> str:
    """Record one notification (idempotent: a duplicate re-arms the existing row, unless its attempts
    are spent) and return ``"stored"``; ``"not_found"`` (nothing written) for an id remembered as 404.
    Raises :class:`InboxFull` for a new row beyond :data:`MAX_PENDING`."""
    remembered, rearm, insert = _store_statements()
    now = utcnow()
    params = {
        "b_integration": integration_id,
        "b_type": resource_type,
        "b_id": resource_id,
        "b_event": event,
        "b_at": now,
        "b_since": now - NOT_FOUND_MEMORY,
        "b_cap": MAX_PENDING,
    }
    with mapping.engine.connect() as conn:
        if conn.execute(remembered, params).first() is not None:
            return "not_found"
    # One transaction: re-arm the row, else insert it only while fewer than MAX_PENDING wait — the
    # count and the insert are one statement, under the integration's lock on PostgreSQL (SQLite
    # runs one writer at a time), so concurrent callbacks cannot pass the cap together.
    try:
        with mapping.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"inbox:{integration_id}")))
                )
            if conn.execute(rearm, params).rowcount:
                return "stored"
            inserted = conn.execute(insert, params).rowcount
    except sa.exc.IntegrityError:
        # The same notification arrived twice at once: the other request stored it first.
        with mapping.begin() as conn:
            conn.execute(rearm, params)
        return "stored"
    if not inserted:
        raise InboxFull(
            f"{MAX_PENDING} {resource_type} callbacks of integration {integration_id} are waiting already"
        )
    return "stored"


def remember_not_found(
    mapping: MappingDatabase, integration_id: str, resource_type: str, resource_id: str
) -> None:
    """``GET`` of this resource answered 404: callbacks for it are not stored for
    :data:`NOT_FOUND_MEMORY`."""
    key = (
        NF.c.integration_id == integration_id,
        NF.c.resource_type == resource_type,
        NF.c.resource_id == resource_id,
    )
    with mapping.begin() as conn:
        if conn.execute(sa.update(NF).where(*key).values(not_found_at=utcnow())).rowcount:
            return
    try:
        with mapping.begin() as conn:
            conn.execute(
                sa.insert(NF).values(
                    integration_id=integration_id,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    not_found_at=utcnow(),
                )
            )
    except sa.exc.IntegrityError:
        pass  # remembered by a racing import a moment ago


def forget_not_found(
    mapping: MappingDatabase, integration_id: str, resource_type: str, resource_id: str
) -> None:
    """The resource was read after all: its callbacks are stored again."""
    with mapping.begin() as conn:
        conn.execute(
            sa.delete(NF).where(
                NF.c.integration_id == integration_id,
                NF.c.resource_type == resource_type,
                NF.c.resource_id == resource_id,
            )
        )


def recently_not_found(
    mapping: MappingDatabase,
    integration_id: str,
    resource_type: str,
    resource_id: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Did a ``GET`` of this resource answer 404 within :data:`NOT_FOUND_MEMORY`?"""
    with mapping.engine.connect() as conn:
        return (
            conn.execute(
                sa.select(NF.c.resource_id).where(
                    NF.c.integration_id == integration_id,
                    NF.c.resource_type == resource_type,
                    NF.c.resource_id == resource_id,
                    NF.c.not_found_at >= (now or utcnow()) - NOT_FOUND_MEMORY,
                )
            ).first()
            is not None
        )


def pending(
    mapping: MappingDatabase,
    integration_id: str,
    resource_type: str,
    *,
    limit: int = 200,
    exclude: Collection[int] = (),
) -> list[Notification]:
    """Pending notifications, those that never failed first, then oldest first; ``exclude``: row ids
    the caller already tried (a run skips what failed in it, and must still reach what is behind)."""
    query = sa.select(T.c.id, T.c.resource_id, T.c.received_at, T.c.attempts).where(
        T.c.integration_id == integration_id,
        T.c.resource_type == resource_type,
        T.c.status == "pending",
    )
    if exclude:
        query = query.where(T.c.id.not_in(list(exclude)))
    with mapping.engine.connect() as conn:
        rows = conn.execute(query.order_by(T.c.attempts, T.c.received_at, T.c.id).limit(limit))
        return [Notification(r.id, r.resource_id, r.received_at, r.attempts) for r in rows]


def count_pending(mapping: MappingDatabase, integration_id: str, resource_type: str) -> int:
    """How many notifications of the type wait (for a summary; :func:`pending` reads a batch)."""
    with mapping.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).where(
                T.c.integration_id == integration_id,
                T.c.resource_type == resource_type,
                T.c.status == "pending",
            )
        ).scalar_one()


def mark_processed(mapping: MappingDatabase, notification: Notification) -> None:
    """Done — unless a newer notification re-armed the row meanwhile (then it stays pending). A success
    is what gives a row its attempts back."""
    with mapping.begin() as conn:
        conn.execute(
            sa.update(T)
            .where(T.c.id == notification.id, T.c.received_at == notification.received_at)
            .values(status="processed", processed_at=utcnow(), attempts=0, last_error=None)
        )


def prune(mapping: MappingDatabase, integration_id: str, *, now: datetime | None = None) -> int:
    """Delete the integration's handled rows (processed or failed) last notified before
    :data:`RETENTION`; pending ones always stay. Returns how many went. Forgets the 404s older than
    :data:`NOT_FOUND_MEMORY` too (not counted)."""
    now = now or utcnow()
    cutoff = now - RETENTION
    with mapping.begin() as conn:
        conn.execute(
            sa.delete(NF).where(
                NF.c.integration_id == integration_id, NF.c.not_found_at < now - NOT_FOUND_MEMORY
            )
        )
        return conn.execute(
            sa.delete(T).where(
                T.c.integration_id == integration_id,
                T.c.status.in_(("processed", "failed")),
                T.c.received_at < cutoff,
            )
        ).rowcount


def mark_failed_attempt(mapping: MappingDatabase, notification: Notification, error: str) -> None:
    """Count a failed attempt; the row stays pending (retried next run) until ``CALLBACK_MAX_ATTEMPTS``
    (then parked as ``failed``: the feed and the reconcile window still bring the order)."""
    attempts = notification.attempts + 1
    with mapping.begin() as conn:
        conn.execute(
            sa.update(T)
            .where(T.c.id == notification.id, T.c.received_at == notification.received_at)
            .values(
                attempts=attempts,
                last_error=error[:2000],
                status="failed" if attempts >= CALLBACK_MAX_ATTEMPTS else "pending",
            )
        )
