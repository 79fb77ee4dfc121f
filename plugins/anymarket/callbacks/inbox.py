"""The callback inbox (``callback_inbox`` in the mapping DB): notifications waiting to be handled.

One row per integration x resource type x resource id. A notification for a resource that already
has a row makes it ``pending`` again with a fresh ``received_at``, so duplicates collapse while a
change that arrives *during* processing is never lost: the importer marks a row ``processed`` only if
``received_at`` is still the one it read.

The inbox is a public door's queue, so it is bounded: at most :data:`MAX_PENDING` rows of an
integration wait at once (a new one beyond that is refused with :class:`InboxFull`; AnyMarket's
order feed still carries every order), and a duplicate never resets the failed attempts — only a
successful import does — so re-posting an id that keeps failing cannot make it be fetched forever.
Handled rows (processed or failed) are pruned :data:`RETENTION` after their last notification, so the
table holds what is waiting plus about a week of history, not every callback ever received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from anymarket.errors import CALLBACK_MAX_ATTEMPTS
from anymarket.mapping import models as m
from anymarket.mapping.database import MappingDatabase, utcnow

T = m.callback_inbox
#: Pending notifications one integration may hold; real traffic stays far below (each is imported
#: within seconds), a flood of forged or unknown ids stops here.
MAX_PENDING = 1000
#: How long a handled notification is kept after it last arrived: long enough to look it up on the
#: ops page and for a failed id's spent attempts to be remembered against re-posts.
RETENTION = timedelta(days=7)


class InboxFull(Exception):
    """The integration already has :data:`MAX_PENDING` notifications waiting; this new one is refused."""


@dataclass(frozen=True)
class Notification:
    id: int
    resource_id: str
    received_at: datetime
    attempts: int


def store(
    mapping: MappingDatabase, integration_id: str, resource_type: str, resource_id: str, event: str | None
) -> None:
    """Record one notification (idempotent: a duplicate re-arms the existing row, unless its attempts
    are spent). Raises :class:`InboxFull` for a new row beyond :data:`MAX_PENDING`."""
    key = (
        T.c.integration_id == integration_id,
        T.c.resource_type == resource_type,
        T.c.resource_id == resource_id,
    )
    rearm = {
        # A row whose attempts are spent stays failed: the feed and the reconcile window bring it.
        "status": sa.case((T.c.attempts < CALLBACK_MAX_ATTEMPTS, "pending"), else_=T.c.status),
        "event": event,
        "received_at": utcnow(),
    }
    with mapping.begin() as conn:
        if conn.execute(sa.update(T).where(*key).values(**rearm)).rowcount:
            return
    with mapping.engine.connect() as conn:
        waiting = conn.execute(
            sa.select(sa.func.count())
            .select_from(T)
            .where(T.c.integration_id == integration_id, T.c.status == "pending")
        ).scalar_one()
    if waiting >= MAX_PENDING:
        raise InboxFull(f"{waiting} callbacks of integration {integration_id} are waiting already")
    try:
        with mapping.begin() as conn:
            conn.execute(
                sa.insert(T).values(
                    integration_id=integration_id,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    status="pending",
                    event=event,
                    received_at=utcnow(),
                    attempts=0,
                )
            )
    except sa.exc.IntegrityError:
        # The same notification arrived twice at once: the other request stored it first.
        with mapping.begin() as conn:
            conn.execute(sa.update(T).where(*key).values(**rearm))


def pending(
    mapping: MappingDatabase, integration_id: str, resource_type: str, *, limit: int = 200
) -> list[Notification]:
    """Pending notifications, oldest first."""
    with mapping.engine.connect() as conn:
        rows = conn.execute(
            sa.select(T.c.id, T.c.resource_id, T.c.received_at, T.c.attempts)
            .where(
                T.c.integration_id == integration_id,
                T.c.resource_type == resource_type,
                T.c.status == "pending",
            )
            .order_by(T.c.received_at, T.c.id)
            .limit(limit)
        )
        return [Notification(r.id, r.resource_id, r.received_at, r.attempts) for r in rows]


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
    :data:`RETENTION`; pending ones always stay. Returns how many went."""
    cutoff = (now or utcnow()) - RETENTION
    with mapping.begin() as conn:
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
