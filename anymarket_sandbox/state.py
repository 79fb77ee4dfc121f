"""In-memory state of the sandbox: accounts (one per OI) and their resources, the request log.

One re-entrant lock guards everything. Handlers are short in-memory operations, so a single lock is
simpler than fine-grained ones and cannot deadlock; the callback threads and the demo thread take
the same lock.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

BRT = timezone(timedelta(hours=-3))
REQUEST_LOG_LIMIT = 20000


def now_iso() -> str:
    """Now in the API's date format (Brasília offset, milliseconds)."""
    return datetime.now(BRT).isoformat(timespec="milliseconds")


@dataclass
class FeedItem:
    """One entry of the order feed: the current token and whether that token was acked."""

    token: str
    acked: bool = False
    seq: int = 0


@dataclass
class Account:
    """Everything that belongs to one AnyMarket account (OI)."""

    oi: str
    brands: dict[int, dict[str, Any]] = field(default_factory=dict)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    variation_types: dict[int, dict[str, Any]] = field(default_factory=dict)
    variation_values: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    skus: dict[int, dict[str, Any]] = field(default_factory=dict)
    # partnerId -> SKU id: stock batches resolve every row by partnerId, so this must not be a scan.
    sku_index: dict[str, int] = field(default_factory=dict)
    images: dict[int, dict[str, Any]] = field(default_factory=dict)
    stock_locals: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (sku id, stock local id) -> {amount, reservation, cost, additionalTime, updatedAt}
    stocks: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    reserved_orders: set[int] = field(default_factory=set)
    feed: OrderedDict[int, FeedItem] = field(default_factory=OrderedDict)
    callbacks: dict[int, dict[str, Any]] = field(default_factory=dict)
    nfe: dict[int, str] = field(default_factory=dict)
    # order id -> [{"status", "at", "source": "marketplace" | "api"}], oldest first: every status the
    # order went through and who moved it (admin/demo = marketplace, PUT /v2/orders = the client).
    status_history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # partnerId -> (sku id, product id) of SKUs sold but absent from the catalog (stable per partnerId).
    unlisted_skus: dict[str, tuple[int, int]] = field(default_factory=dict)
    # POST /monitorings entries.
    monitorings: dict[int, dict[str, Any]] = field(default_factory=dict)
    # order id -> time.monotonic() of its creation (for the order_read_delay_seconds fault).
    created_monotonic: dict[int, float] = field(default_factory=dict)

    def record_status(self, order_id: int, status: str, source: str) -> None:
        """Append one status to the order's history."""
        self.status_history.setdefault(order_id, []).append(
            {"status": status, "at": now_iso(), "source": source}
        )

    def readable(self, order_id: int, delay_seconds: float) -> bool:
        """Whether the order may be read yet under the ``order_read_delay_seconds`` fault."""
        created = self.created_monotonic.get(order_id)
        return delay_seconds <= 0 or created is None or time.monotonic() - created >= delay_seconds

    def sku_by_partner_id(self, partner_id: str) -> dict[str, Any] | None:
        sku_id = self.sku_index.get(partner_id)
        return self.skus.get(sku_id) if sku_id is not None else None

    def default_local(self) -> dict[str, Any] | None:
        for local in self.stock_locals.values():
            if local.get("defaultLocal"):
                return local
        return None


class SandboxState:
    """All accounts, the token table, id generation and the request log."""

    def __init__(self, token: str, oi: str) -> None:
        self.lock = threading.RLock()
        self.primary_token = token
        self.primary_oi = oi
        self.generation = 0  # bumped by reset so background work started before it is discarded
        self._init(token, oi)

    def _init(self, token: str, oi: str) -> None:
        self.tokens: dict[str, str] = {token: oi}
        self.accounts: dict[str, Account] = {oi: Account(oi)}
        self._ids = itertools.count(1001)
        self._feed_seq = itertools.count(1)
        self._log_seq = itertools.count(1)
        self.request_log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.deliveries: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Forget every account, resource, log entry and extra token."""
        with self.lock:
            self.generation += 1
            self._init(self.primary_token, self.primary_oi)

    # -- accounts -----------------------------------------------------------------------------
    def add_token(self, token: str, oi: str) -> None:
        with self.lock:
            self.tokens[token] = oi
            self.accounts.setdefault(oi, Account(oi))

    def oi_for_token(self, token: str | None) -> str | None:
        if not token:
            return None
        return self.tokens.get(token)

    def account(self, oi: str | None = None) -> Account:
        with self.lock:
            oi = oi or self.primary_oi
            if oi not in self.accounts:
                self.accounts[oi] = Account(oi)
            return self.accounts[oi]

    def find_order(self, order_id: int) -> tuple[Account, dict[str, Any]] | None:
        """The account and order for a global order id (admin endpoints do not name the account)."""
        with self.lock:
            for account in self.accounts.values():
                if order_id in account.orders:
                    return account, account.orders[order_id]
        return None

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # -- feed ---------------------------------------------------------------------------------
    def touch_feed(self, account: Account, order_id: int) -> str:
        """Record a change of an order: a fresh token that must be acked again."""
        with self.lock:
            token = str(uuid.uuid4())
            account.feed[order_id] = FeedItem(token=token, seq=next(self._feed_seq))
            account.feed.move_to_end(order_id)
            return token

    # -- request log --------------------------------------------------------------------------
    def log_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            entry["seq"] = next(self._log_seq)
            entry["time"] = time.time()
            self.request_log.append(entry)

    def record_delivery(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.deliveries.append(entry)
