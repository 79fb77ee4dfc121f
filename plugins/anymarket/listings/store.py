"""Read a SKU's listings from AnyMarket and keep them in the mapping DB, writing only what changed.

One ``GET /skus/{id}/marketplaces`` per SKU — the spec has no listing of every listing with their
warnings (``GET /transmissions`` is paged but carries neither ``warnings`` nor ``permalink``), so a
pass over the catalog costs one request per linked SKU. The answer is compared with the stored rows
(:func:`anymarket.listings.rules.changes`): new or different listings are written, listings gone
from AnyMarket deleted, unchanged ones not touched. A listing turning ``error`` or ``warning``, or
back to ``ok``, gets a history entry on its SKU with AnyMarket's messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.errors import AnyMarketAPIError
from anymarket.listings.rules import changes, parse_listing
from anymarket.mapping import models as m
from anymarket.mapping.database import upsert_many, utcnow

if TYPE_CHECKING:
    from anymarket.hooks.anymarket import AnyMarketHook
    from anymarket.mapping.database import MappingDatabase
    from anymarket.summary import RunSummary

ACTION = "listing_health"


class ListingStore:
    """The listings of one integration: refreshed from AnyMarket per SKU, read back for the page."""

    def __init__(
        self,
        *,
        hook: AnyMarketHook | None,
        mapping: MappingDatabase,
        integration_id: str,
        summary: RunSummary,
        record_history: Callable[..., None],
    ) -> None:
        """:param hook: the client requests go through (``None`` for a store that only cleans up).
        :param record_history: the operator's ``record_history`` (one row per health change)."""
        self.hook = hook
        self.mapping = mapping
        self.integration_id = integration_id
        self.summary = summary
        self.record_history = record_history

    def refresh(self, sku_code: str, anymarket_sku_id: str) -> None:
        """Read the SKU's listings (one request) and store what changed."""
        assert self.hook is not None, "a store that refreshes needs the hook"
        try:
            answer = self.hook.get(f"/skus/{anymarket_sku_id}/marketplaces")
        except AnyMarketAPIError as exc:
            if exc.status != 404:
                raise
            # Gone from AnyMarket (deleted there): no listings until sync_products places it again.
            self.summary.note("skus_not_found", sku_code)
            answer = []
        self.summary.count("skus_read")
        items = answer if isinstance(answer, list) else []
        read = [parse_listing(sku_code, anymarket_sku_id, item) for item in items]
        malformed = sum(1 for listing in read if listing is None)
        if malformed:
            self.summary.note("listings_without_id", f"{sku_code} ({malformed})")
        found = [listing for listing in read if listing is not None]
        table = m.listings
        mine = table.c.integration_id == self.integration_id
        with self.mapping.begin() as conn:
            stored = {
                r.listing_id: (r.data_hash, r.health)
                for r in conn.execute(
                    sa.select(table.c.listing_id, table.c.data_hash, table.c.health).where(
                        mine, table.c.sku_code == sku_code
                    )
                )
            }
            diff = changes({k: v[0] for k, v in stored.items()}, found)
            self.summary.count("listings_read", len(found))
            self.summary.count("listings_unchanged", diff.unchanged)
            if diff.write:
                now = utcnow()
                upsert_many(
                    conn,
                    table,
                    [
                        {
                            "integration_id": self.integration_id,
                            "listing_id": x.listing_id,
                            **x.row,
                            "data_hash": x.data_hash,
                            "changed_at": now,
                        }
                        for x in diff.write
                    ],
                    (*diff.write[0].row.keys(), "data_hash", "changed_at"),
                )
                self.summary.count("listings_written", len(diff.write))
            if diff.delete:
                conn.execute(sa.delete(table).where(mine, table.c.listing_id.in_(diff.delete)))
                self.summary.count("listings_removed", len(diff.delete))
            for listing in diff.write:
                before = stored.get(listing.listing_id, (None, None))[1]
                self._health_changed(listing.row, listing.listing_id, before, conn)

    def skus_of_listings(self, listing_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Stored listing id → ``(SKU code, AnyMarket SKU id)`` for those of ``listing_ids`` known."""
        table = m.listings
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(table.c.listing_id, table.c.sku_code, table.c.anymarket_sku_id).where(
                    table.c.integration_id == self.integration_id, table.c.listing_id.in_(listing_ids)
                )
            )
            return {r.listing_id: (r.sku_code, r.anymarket_sku_id) for r in rows}

    def _health_changed(self, row: dict[str, Any], listing_id: str, before: str | None, conn: Any) -> None:
        now = row["health"]
        if now == before or (before is None and now == "ok"):
            return
        where = f"{row['marketplace']} listing {listing_id}"
        if now == "ok":
            self.record_history(
                entity_type="sku",
                entity_key=row["sku_code"],
                action=ACTION,
                outcome="ok",
                response={"listing": listing_id, "publicationStatus": row["publication_status"]},
                conn=conn,
            )
            return
        self.summary.note(f"listings_{now}", f"{row['sku_code']} @ {row['marketplace']}")
        messages = "; ".join(row["warnings"]) or f"publication status {row['publication_status']}"
        self.record_history(
            entity_type="sku",
            entity_key=row["sku_code"],
            action=ACTION,
            outcome="error" if now == "error" else "warning",
            response={
                "listing": listing_id,
                "publicationStatus": row["publication_status"],
                "marketplaceStatus": row["marketplace_status"],
                "warnings": row["warnings"],
            },
            error=f"{where} ({row['publication_status']}): {messages}",
            conn=conn,
        )

    def linked_since(self, since: datetime) -> list[tuple[str, str, datetime]]:
        """SKUs linked (or re-linked to another AnyMarket id) after ``since``: (code, AnyMarket id,
        when), oldest first — what sync_products placed since a pass started."""
        links = m.links.c
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(links.erp_id, links.anymarket_id, links.updated_at)
                .where(
                    links.integration_id == self.integration_id,
                    links.entity_type == "sku",
                    links.updated_at > since,
                )
                .order_by(links.updated_at, links.erp_id)
            ).all()
        return [(r.erp_id, r.anymarket_id, _aware(r.updated_at)) for r in rows]

    def forget_unlinked(self, linked_codes: set[str]) -> int:
        """Delete the listings of SKUs no longer linked to AnyMarket (after a whole pass)."""
        table = m.listings
        with self.mapping.begin() as conn:
            codes = {
                r[0]
                for r in conn.execute(
                    sa.select(table.c.sku_code)
                    .where(table.c.integration_id == self.integration_id)
                    .distinct()
                )
            }
            gone = sorted(codes - linked_codes)
            for start in range(0, len(gone), 500):  # bound the IN list (SQLite's variable limit)
                conn.execute(
                    sa.delete(table).where(
                        table.c.integration_id == self.integration_id,
                        table.c.sku_code.in_(gone[start : start + 500]),
                    )
                )
        if gone:
            self.summary.count("skus_unlinked_forgotten", len(gone))
        return len(gone)


def _aware(value: datetime) -> datetime:
    """Times are stored in UTC: naive on SQLite, aware on PostgreSQL."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
