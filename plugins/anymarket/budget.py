"""The request budget of an AnyMarket account, shared by every task and worker, in lanes.

AnyMarket allows 5 000 requests per hour per token and answers 429 past that. Counting in the
mapping database (not in memory) makes the limit hold across tasks, DAGs, integrations sharing a
token, and Celery workers on other machines. Usage is kept per bucket (a sixtieth of the window: a
minute of AnyMarket's hour) and the sum over the last 61 buckets — the current one and the 60
before it — is compared with the limit: a sliding window, so a burst at 10:59 plus one at 11:00
cannot spend twice the allowance. Sixty-one, not sixty, because any window-long stretch of time
(an hour starting at 10:00:30, say) touches 61 buckets: so no window AnyMarket may count, fixed or
sliding, ever holds more than the limit (the contention bench met 429s with 60).

**Lanes** keep a catalog load from starving live orders. Every request is spent in one lane:

* ``realtime`` — order import, status sync, stock and price changes: what a buyer or a marketplace
  waits for. It may use the whole budget, including whatever bulk leaves idle.
* ``callback`` — the order lookups a callback asks for: realtime work, counted with it, but never
  more than ``callback_share`` of the realtime reserve, so strangers posting ids (or a flood of
  genuine callbacks) cannot spend what the feed and stock need.
* ``bulk`` — product create/update, full price and stock resends, catalog import, order backfills.
  It may use only ``1 - realtime_reserve`` of the budget, whatever realtime does, so the reserve is
  always there for realtime work; and it **paces itself**: a token bucket refilled at its share of
  the window, holding at most ``bulk_burst`` of that share, so a load spreads over the window
  instead of spending the hour in its first minutes. A paced request waits about a second; a spent
  lane is reported with the time room returns (see :class:`anymarket.errors.RequestBudgetExhausted`).

With lanes off (``budget.lanes: false`` in the integration's settings) every request is first come,
first served against the whole limit, as before lanes existed. Either way the limit is never
exceeded.

Each acquisition first updates the account's row: on PostgreSQL that takes a row lock, on SQLite the
database write lock, so concurrent acquirers are serialised on both and the check-then-spend below
cannot be raced.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from anymarket.errors import RequestBudgetExhausted
from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow

#: Buckets per window: the window slides one bucket at a time.
BUCKETS_PER_WINDOW = 60
#: Buckets counted against the limit: any window-long stretch touches this many (module docstring).
COUNTED_BUCKETS = BUCKETS_PER_WINDOW + 1
#: How long spent buckets are kept: the ops page charts the last day.
HISTORY_SECONDS = 24 * 3600
DEFAULT_WINDOW_SECONDS = 3600
#: The limits a :class:`RequestBudgetExhausted` names (its ``what``).
WHOLE_BUDGET = "the budget"
BULK_SHARE = "the bulk lane"
BULK_PACE = "the bulk lane's pace"
CALLBACK_SHARE = "the callback share"


class Lane(StrEnum):
    """The lane a request is spent in (see the module docstring)."""

    REALTIME = "realtime"
    CALLBACK = "callback"
    BULK = "bulk"


@dataclass(frozen=True)
class LaneShares:
    """How the budget is split; the integration's ``budget`` settings, with a seller's defaults.

    :param lanes: off = first come, first served against the whole limit.
    :param realtime_reserve: share of the limit bulk work may never use.
    :param callback_share: share of that reserve callback lookups may use.
    :param bulk_burst: share of bulk's allowance it may spend back to back before pacing.
    """

    lanes: bool = True
    realtime_reserve: float = 0.3
    callback_share: float = 0.5
    bulk_burst: float = 0.1


@dataclass(frozen=True)
class LaneLimits:
    """The shares turned into request counts for one limit and window."""

    total: int
    reserve: int
    callback: int
    bulk: int
    bulk_burst: int
    bulk_per_second: float

    @classmethod
    def of(cls, limit: int, window_seconds: float, shares: LaneShares) -> LaneLimits:
        if not shares.lanes:
            return cls(limit, 0, limit, limit, limit, math.inf)
        reserve = min(limit, math.ceil(limit * shares.realtime_reserve))
        bulk = limit - reserve
        return cls(
            total=limit,
            reserve=reserve,
            callback=max(1, math.floor(reserve * shares.callback_share)) if reserve else limit,
            bulk=bulk,
            bulk_burst=max(1, math.floor(bulk * shares.bulk_burst)),
            bulk_per_second=bulk / window_seconds,
        )


def account_key(base_url: str, token: str) -> str:
    """A stable, non-reversible key for an account: the token itself is never stored."""
    return hashlib.sha256(f"{base_url.rstrip('/')}|{token}".encode()).hexdigest()[:24]


class RequestBudget:
    """Spend and inspect one account's sliding-window request budget, lane by lane.

    :param requests_per_hour: the limit per window (AnyMarket's is per hour, hence the name).
    :param window_seconds: the window; an hour unless a bench compresses it.
    :param shares: how the lanes split the limit.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        account: str,
        requests_per_hour: int,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        shares: LaneShares = LaneShares(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        if requests_per_hour <= 0:
            raise ValueError("requests_per_hour must be positive")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.engine = engine
        self.account = account
        self.requests_per_hour = requests_per_hour
        self.window_seconds = float(window_seconds)
        self.bucket_seconds = self.window_seconds / BUCKETS_PER_WINDOW
        self.shares = shares
        self.limits = LaneLimits.of(requests_per_hour, self.window_seconds, shares)
        self.clock = clock
        self._row_ensured = False

    def _ensure_row(self) -> None:
        if self._row_ensured:
            return
        insert = (
            sa.dialects.postgresql if self.engine.dialect.name == "postgresql" else sa.dialects.sqlite
        ).insert
        with self.engine.begin() as c:
            c.execute(
                insert(m.request_budgets)
                .values(
                    account_key=self.account, requests_per_hour=self.requests_per_hour, updated_at=utcnow()
                )
                .on_conflict_do_nothing()
            )
        self._row_ensured = True

    def bucket(self, now: float) -> int:
        return int(now // self.bucket_seconds)

    @staticmethod
    def oldest_counted(bucket: int) -> int:
        """The first bucket counted against the limit when ``bucket`` is the current one."""
        return bucket - COUNTED_BUCKETS + 1

    def acquire(self, n: int = 1, lane: Lane | str = Lane.REALTIME) -> int:
        """Spend ``n`` requests in ``lane`` or raise :class:`RequestBudgetExhausted`; returns the
        window's usage (all lanes) after spending."""
        lane = Lane(lane)
        self._ensure_row()
        now = self.clock()
        bucket = self.bucket(now)
        oldest_counted = self.oldest_counted(bucket)
        usage = m.request_budget_usage
        with self.engine.begin() as c:
            # The lock: see the module docstring.
            budget_row = c.execute(
                sa.update(m.request_budgets)
                .where(m.request_budgets.c.account_key == self.account)
                .values(requests_per_hour=self.requests_per_hour, updated_at=utcnow())
                .returning(m.request_budgets.c.bulk_tokens, m.request_budgets.c.bulk_tokens_at)
            ).one()
            c.execute(
                sa.delete(usage).where(
                    usage.c.account_key == self.account,
                    usage.c.minute < self.bucket(now - max(HISTORY_SECONDS, self.window_seconds)),
                )
            )
            buckets = c.execute(
                sa.select(usage.c.minute, usage.c.lane, usage.c.used)
                .where(usage.c.account_key == self.account, usage.c.minute >= oldest_counted)
                .order_by(usage.c.minute)
            ).all()
            self._check_room(buckets, n, lane, now)
            if lane is Lane.BULK and self.shares.lanes:
                self._take_bulk_tokens(c, budget_row, n, now, buckets)
            spent = c.execute(
                sa.update(usage)
                .where(usage.c.account_key == self.account, usage.c.minute == bucket, usage.c.lane == lane)
                .values(used=usage.c.used + n)
            ).rowcount
            if not spent:
                c.execute(sa.insert(usage).values(account_key=self.account, minute=bucket, lane=lane, used=n))
        return sum(b.used for b in buckets) + n

    def _check_room(self, buckets: Sequence[Any], n: int, lane: Lane, now: float) -> None:
        """Raise :class:`RequestBudgetExhausted` for the first limit ``n`` more requests would cross."""
        limits = self.limits
        checks: list[tuple[str, int, Iterable]] = [(WHOLE_BUDGET, limits.total, buckets)]
        if self.shares.lanes and lane is Lane.BULK:
            checks.append((BULK_SHARE, limits.bulk, [b for b in buckets if b.lane == Lane.BULK]))
        if self.shares.lanes and lane is Lane.CALLBACK:
            checks.append(
                (CALLBACK_SHARE, limits.callback, [b for b in buckets if b.lane == Lane.CALLBACK])
            )
        for what, limit, counted in checks:
            counted = list(counted)
            used = sum(b.used for b in counted)
            if used + n > limit:
                raise RequestBudgetExhausted(
                    account=self.account,
                    used=used,
                    limit=limit,
                    retry_after=self._seconds_until_room(counted, used + n - limit, now),
                    lane=str(lane),
                    what=what,
                    window_seconds=self.window_seconds,
                )

    def _take_bulk_tokens(
        self, c: Connection, row: sa.Row, n: int, now: float, buckets: Sequence[Any]
    ) -> None:
        """The bulk lane's pacing: refill the bucket for the time passed, then take ``n`` tokens."""
        limits = self.limits
        if row.bulk_tokens is None or row.bulk_tokens_at is None:
            tokens = float(limits.bulk_burst)  # a first bulk request starts with a full burst
        else:
            elapsed = max(0.0, now - row.bulk_tokens_at)
            tokens = min(float(limits.bulk_burst), row.bulk_tokens + elapsed * limits.bulk_per_second)
        if tokens < n:
            raise RequestBudgetExhausted(
                account=self.account,
                used=sum(b.used for b in buckets if b.lane == Lane.BULK),
                limit=limits.bulk,
                retry_after=(n - tokens) / limits.bulk_per_second,
                lane=str(Lane.BULK),
                what=BULK_PACE,
                window_seconds=self.window_seconds,
            )
        c.execute(
            sa.update(m.request_budgets)
            .where(m.request_budgets.c.account_key == self.account)
            .values(bulk_tokens=tokens - n, bulk_tokens_at=now)
        )

    def used_last_hour(self, lane: Lane | str | None = None) -> int:
        """Requests spent in the current window, in ``lane`` or in all lanes."""
        oldest_counted = self.oldest_counted(self.bucket(self.clock()))
        usage = m.request_budget_usage
        query = sa.select(sa.func.coalesce(sa.func.sum(usage.c.used), 0)).where(
            usage.c.account_key == self.account, usage.c.minute >= oldest_counted
        )
        if lane is not None:
            query = query.where(usage.c.lane == str(lane))
        with self.engine.connect() as c:
            return int(c.execute(query).scalar() or 0)

    def _seconds_until_room(self, buckets: list, excess: int, now: float) -> float:
        """Time until enough old buckets leave the window to remove ``excess`` requests."""
        for row in buckets:
            excess -= row.used
            if excess <= 0:
                return max(1.0, (row.minute + COUNTED_BUCKETS) * self.bucket_seconds - now)
        return self.window_seconds  # more than the limit was asked for at once
