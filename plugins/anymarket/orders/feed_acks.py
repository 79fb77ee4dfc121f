"""Acknowledging order-feed items in batches, after their orders are safely in the ERP.

An ack per item (``PUT /orders/feeds/{id}``) costs as much as fetching the order, so steady-state
import would spend 2 requests per order before the ERP order code is even written back. AnyMarket's
newer ``PUT /orders/feeds/batch`` takes ``[{id, token, type}]`` in chunks of 50, making an ack cost
0.02 requests. Whether every AnyMarket environment serves it is uncertain, so the first 404/405/501
switches the account to single acks, remembered for a day in the mapping DB, and nothing is lost:
an item is only queued here after its order's ERP transaction committed, and an item whose ack
fails simply comes back in the feed, where the import finds the order already done and acks again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from anymarket.errors import AnyMarketAPIError, row_level, unsupported

if TYPE_CHECKING:
    from anymarket.hooks.anymarket import AnyMarketHook
    from anymarket.mapping.database import MappingDatabase
    from anymarket.summary import RunSummary

log = logging.getLogger(__name__)

BATCH_ENDPOINT = "/orders/feeds/batch"
UNSUPPORTED_CURSOR = "orders_feed_batch_ack_unsupported_at"
RETRY_BATCH_AFTER = timedelta(days=1)


class FeedAcks:
    """Queue of committed feed items, flushed as batch acks (or single ones where unsupported)."""

    def __init__(
        self,
        *,
        hook: AnyMarketHook,
        mapping: MappingDatabase,
        integration_id: str,
        summary: RunSummary,
        batch_size: int,
    ) -> None:
        self.hook = hook
        self.mapping = mapping
        self.integration_id = integration_id
        self.summary = summary
        self.batch_size = batch_size
        self._queued: list[tuple[int, str]] = []
        self._batch_supported = batch_size > 0 and not self._recently_unsupported()

    def add(self, item_id: int, token: str) -> None:
        """Queue an item whose order is committed (or deliberately held/skipped) in the ERP."""
        self._queued.append((item_id, token))
        if self._batch_supported and len(self._queued) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Ack everything queued. Must run before the feed is read again, or acked items reappear."""
        while self._queued:
            if self._batch_supported:
                chunk, self._queued = self._queued[: self.batch_size], self._queued[self.batch_size :]
                self._ack_batch(chunk)
            else:
                chunk, self._queued = self._queued, []
                for item_id, token in chunk:
                    self._ack_one(item_id, token)

    def _ack_batch(self, chunk: list[tuple[int, str]]) -> None:
        body = [{"id": item_id, "token": token, "type": "ORDER"} for item_id, token in chunk]
        try:
            self.hook.put(BATCH_ENDPOINT, body)
        except AnyMarketAPIError as exc:
            if unsupported(exc):
                log.warning(
                    "AnyMarket answered %s to PUT %s: acking feed items one by one (trying the batch "
                    "again after %s).",
                    exc.status,
                    BATCH_ENDPOINT,
                    RETRY_BATCH_AFTER,
                )
                self._batch_supported = False
                now = datetime.now(UTC).isoformat()
                self.mapping.set_cursor(self.integration_id, UNSUPPORTED_CURSOR, now)
            elif not row_level(exc):
                raise  # token, or the hook's retries are spent: unacked items come back in the feed
            else:
                # One malformed item must not block the others: ack them one by one.
                log.warning("AnyMarket refused a batch ack (%s); acking these %d one by one", exc, len(chunk))
            for item_id, token in chunk:
                self._ack_one(item_id, token)
            return
        self.summary.count("acked", len(chunk))
        self.summary.count("ack_requests")

    def _ack_one(self, item_id: int, token: str) -> None:
        try:
            self.hook.put(f"/orders/feeds/{item_id}", {"token": token})
        except AnyMarketAPIError as exc:
            if not row_level(exc):
                raise
            # The order is in the ERP; the item comes back and is acked on a later run.
            log.warning("Could not ack feed item %s (%s); it will be acked when it comes back", item_id, exc)
            self.summary.count("ack_failed")
            return
        self.summary.count("acked")
        self.summary.count("ack_requests")

    def _recently_unsupported(self) -> bool:
        marked = self.mapping.get_cursor(self.integration_id, UNSUPPORTED_CURSOR)
        if not marked:
            return False
        return datetime.now(UTC) - datetime.fromisoformat(marked) < RETRY_BATCH_AFTER
