"""Per-order status sync state in the mapping DB (``order_status_sync``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import upsert, upsert_many, utcnow

if TYPE_CHECKING:
    from anymarket.mapping.database import MappingDatabase

T = m.order_status_sync


@dataclass(frozen=True)
class StatusState:
    """One ``order_status_sync`` row."""

    anymarket_order_id: str
    state: str
    reason: str | None
    anymarket_status: str | None
    confirmed_at: datetime | None
    data_hash: str | None
    marketplace: str | None
    need_invoice_xml: bool | None
    nfe_sent_key: str | None


def remember_order_facts(
    mapping: MappingDatabase, integration_id: str, order: dict[str, Any], *, conn: sa.Connection | None = None
) -> None:
    """Keep what the status sync needs from an order JSON the import read anyway (no extra request).

    ``marketPlace`` and ``metadata.needInvoiceXML`` decide whether the NF-e XML goes before INVOICED.
    """
    metadata = order.get("metadata") or {}
    need = metadata.get("needInvoiceXML")
    values = {
        "marketplace": order.get("marketPlace"),
        "need_invoice_xml": str(need).lower() == "true" if need is not None else False,
    }
    now = utcnow()
    row = {"integration_id": integration_id, "anymarket_order_id": str(order["id"]), **values}
    # One INSERT ... ON CONFLICT: the callback, the feed and a backfill may import one order at once.
    with mapping._conn(conn) as c:
        upsert_many(c, T, [{**row, "state": "new", "created_at": now, "updated_at": now}], tuple(values))


class StatusStates:
    """Read and write ``order_status_sync`` rows of one integration."""

    def __init__(self, *, mapping: MappingDatabase, integration_id: str) -> None:
        self.mapping = mapping
        self.integration_id = integration_id

    def get_many(self, order_ids: list[str]) -> dict[str, StatusState]:
        with self.mapping.engine.connect() as c:
            rows = c.execute(
                sa.select(T).where(
                    T.c.integration_id == self.integration_id, T.c.anymarket_order_id.in_(order_ids)
                )
            )
            return {r.anymarket_order_id: _state(r) for r in rows}

    def ids_in_state(self, state: str) -> list[str]:
        with self.mapping.engine.connect() as c:
            return list(
                c.execute(
                    sa.select(T.c.anymarket_order_id).where(
                        T.c.integration_id == self.integration_id, T.c.state == state
                    )
                ).scalars()
            )

    def imported_statuses(self, order_ids: list[str]) -> dict[str, tuple[str | None, datetime]]:
        """AnyMarket status as the import last read it, with when: ``{id: (status, updated_at)}``."""
        t = m.order_imports
        with self.mapping.engine.connect() as c:
            rows = c.execute(
                sa.select(t.c.anymarket_order_id, t.c.anymarket_status, t.c.updated_at).where(
                    t.c.integration_id == self.integration_id, t.c.anymarket_order_id.in_(order_ids)
                )
            )
            return {r.anymarket_order_id: (r.anymarket_status, r.updated_at) for r in rows}

    def save(self, anymarket_order_id: str, *, conn: sa.Connection | None = None, **values: Any) -> None:
        """Update (or create) the row with the given columns."""
        with self.mapping._conn(conn) as c:
            upsert(
                c,
                T,
                {"integration_id": self.integration_id, "anymarket_order_id": anymarket_order_id},
                values,
            )


def _state(row: Any) -> StatusState:
    return StatusState(
        anymarket_order_id=row.anymarket_order_id,
        state=row.state,
        reason=row.reason,
        anymarket_status=row.anymarket_status,
        confirmed_at=row.confirmed_at,
        data_hash=row.data_hash,
        marketplace=row.marketplace,
        need_invoice_xml=row.need_invoice_xml,
        nfe_sent_key=row.nfe_sent_key,
    )
