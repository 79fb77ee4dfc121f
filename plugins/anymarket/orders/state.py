"""Per-order import state in the mapping DB (``order_imports``).

The ERP is the source of truth for *whether* an order was imported (its sales orders carry the
AnyMarket id); this table remembers everything else: orders held behind a missing mapping (with the
order JSON, so holds are re-checked every run without requests), orders waiting for payment (re-read
from ``next_check_at`` on), what was last applied (``payload_hash``: an unchanged order costs no ERP
work) and consecutive failures (an alert is raised once when an order keeps failing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import MappingDatabase, utcnow

T = m.order_imports


@dataclass(frozen=True)
class OrderState:
    """One ``order_imports`` row."""

    anymarket_order_id: str
    state: str
    reason: str | None
    anymarket_status: str | None
    payload_hash: str | None
    payload: dict[str, Any] | None
    erp_order_codes: list[str]
    partner_id_sent: str | None
    failures: int
    next_check_at: datetime | None


class OrderStateStore:
    """Read and write the import state of one integration's orders."""

    def __init__(self, *, mapping: MappingDatabase, integration_id: str) -> None:
        self.mapping = mapping
        self.integration_id = integration_id

    def get(self, anymarket_order_id: str) -> OrderState | None:
        with self.mapping.engine.connect() as conn:
            row = conn.execute(
                sa.select(T).where(
                    T.c.integration_id == self.integration_id,
                    T.c.anymarket_order_id == str(anymarket_order_id),
                )
            ).first()
        return _state(row) if row is not None else None

    def in_state(self, state: str, *, limit: int = 1000) -> list[OrderState]:
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(T)
                .where(T.c.integration_id == self.integration_id, T.c.state == state)
                .order_by(T.c.updated_at)
                .limit(limit)
            )
            return [_state(r) for r in rows]

    def due_for_recheck(self, *, now: datetime, limit: int = 100) -> list[OrderState]:
        """Orders pending payment (imported or waiting) whose re-read time has come, oldest first."""
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(T)
                .where(
                    T.c.integration_id == self.integration_id,
                    T.c.next_check_at.is_not(None),
                    T.c.next_check_at <= now,
                )
                .order_by(T.c.next_check_at)
                .limit(limit)
            )
            return [_state(r) for r in rows]

    def held_reasons(self) -> dict[str, str]:
        """``{order id: reason}`` of every held order (shown in each run summary)."""
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(T.c.anymarket_order_id, T.c.reason).where(
                    T.c.integration_id == self.integration_id, T.c.state == "held"
                )
            )
            return {r.anymarket_order_id: r.reason or "" for r in rows}

    def save(
        self,
        anymarket_order_id: str,
        *,
        state: str,
        reason: str | None = None,
        anymarket_status: str | None = None,
        payload_hash: str | None = None,
        payload: dict[str, Any] | None = None,
        erp_order_codes: list[str] | None = None,
        next_check_at: datetime | None = None,
    ) -> None:
        """Record the outcome of a successful attempt (failures reset to 0)."""
        values: dict[str, Any] = {
            "state": state,
            "reason": reason,
            "anymarket_status": anymarket_status,
            "payload_hash": payload_hash,
            "payload": payload,
            "failures": 0,
            "next_check_at": next_check_at,
        }
        if erp_order_codes is not None:
            values["erp_order_codes"] = erp_order_codes
        self._upsert(str(anymarket_order_id), values)

    def claim_partner_id(self, anymarket_order_id: str, code: str) -> bool:
        """Take the write-back of ERP order ``code`` to AnyMarket for this (stored) order.

        A compare-and-set on ``partner_id_sent``: ``False`` when that code was sent already or another
        import, on any worker, is sending it right now — so two imports racing on one order send one
        ``PUT /orders/partnerid``. The claimer sends, then keeps the claim, or gives it back with
        :meth:`release_partner_id` when the write-back failed."""
        with self.mapping.begin() as conn:
            claimed = conn.execute(
                sa.update(T)
                .where(
                    *self._key(anymarket_order_id),
                    sa.or_(T.c.partner_id_sent.is_(None), T.c.partner_id_sent != code),
                )
                .values(partner_id_sent=code, updated_at=utcnow())
            ).rowcount
        return bool(claimed)

    def release_partner_id(self, anymarket_order_id: str, code: str) -> None:
        """Give back a claim whose write-back failed, so a later touch of the order sends it again."""
        with self.mapping.begin() as conn:
            conn.execute(
                sa.update(T)
                .where(*self._key(anymarket_order_id), T.c.partner_id_sent == code)
                .values(partner_id_sent=None, updated_at=utcnow())
            )

    def record_failure(self, anymarket_order_id: str, error: str) -> int:
        """Count one more consecutive failure; returns the new count. The state is left as it was."""
        key = str(anymarket_order_id)
        where = (T.c.integration_id == self.integration_id, T.c.anymarket_order_id == key)
        with self.mapping.begin() as conn:
            updated = conn.execute(
                sa.update(T)
                .where(*where)
                .values(failures=T.c.failures + 1, reason=error[:2000], updated_at=utcnow())
            ).rowcount
            if not updated:
                self._insert(conn, key, {"state": "failed", "reason": error[:2000], "failures": 1})
            return int(conn.execute(sa.select(T.c.failures).where(*where)).scalar() or 1)

    def counts(self) -> dict[str, int]:
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(T.c.state, sa.func.count())
                .where(T.c.integration_id == self.integration_id)
                .group_by(T.c.state)
            )
            return {r[0]: int(r[1]) for r in rows}

    # -- internals ----------------------------------------------------------------------------

    def _key(self, anymarket_order_id: str) -> tuple[sa.ColumnElement[bool], ...]:
        return (T.c.integration_id == self.integration_id, T.c.anymarket_order_id == str(anymarket_order_id))

    def _upsert(self, key: str, values: dict[str, Any], *, insert_state: str | None = None) -> None:
        where = (T.c.integration_id == self.integration_id, T.c.anymarket_order_id == key)
        with self.mapping.begin() as conn:
            if conn.execute(sa.update(T).where(*where).values(**values, updated_at=utcnow())).rowcount:
                return
        try:
            with self.mapping.begin() as conn:
                self._insert(conn, key, {"state": insert_state, "failures": 0, **values})
        except sa.exc.IntegrityError:
            # Another import of the same order inserted the row first: ours is the newer outcome.
            with self.mapping.begin() as conn:
                conn.execute(sa.update(T).where(*where).values(**values, updated_at=utcnow()))

    def _insert(self, conn: sa.Connection, key: str, values: dict[str, Any]) -> None:
        now = utcnow()
        conn.execute(
            sa.insert(T).values(
                integration_id=self.integration_id,
                anymarket_order_id=key,
                created_at=now,
                updated_at=now,
                **values,
            )
        )


def _state(row: Any) -> OrderState:
    return OrderState(
        anymarket_order_id=row.anymarket_order_id,
        state=row.state,
        reason=row.reason,
        anymarket_status=row.anymarket_status,
        payload_hash=row.payload_hash,
        payload=row.payload,
        erp_order_codes=list(row.erp_order_codes or []),
        partner_id_sent=row.partner_id_sent,
        failures=row.failures,
        next_check_at=row.next_check_at,
    )
