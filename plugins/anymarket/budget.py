"""The hourly request budget of an AnyMarket account, shared by every task and worker.

AnyMarket allows 5 000 requests per hour per token and answers 429 past that. Counting in the
mapping database (not in memory) makes the limit hold across tasks, DAGs, integrations sharing a
token, and Celery workers on other machines. Usage is kept per minute, and the sum over the last 60
minutes is compared with the limit: a sliding hour, so a burst at 10:59 plus one at 11:00 cannot
spend twice the allowance.

Each acquisition first updates the account's row: on PostgreSQL that takes a row lock, on SQLite the
database write lock, so concurrent acquirers are serialised on both and the check-then-spend below
cannot be raced.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from anymarket.errors import RequestBudgetExhausted
from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow

WINDOW_MINUTES = 60


def account_key(base_url: str, token: str) -> str:
    """A stable, non-reversible key for an account: the token itself is never stored."""
    return hashlib.sha256(f"{base_url.rstrip('/')}|{token}".encode()).hexdigest()[:24]


class RequestBudget:
    """Spend and inspect one account's sliding-hour request budget."""

    def __init__(
        self,
        engine: Engine,
        *,
        account: str,
        requests_per_hour: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if requests_per_hour <= 0:
            raise ValueError("requests_per_hour must be positive")
        self.engine = engine
        self.account = account
        self.requests_per_hour = requests_per_hour
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

    def acquire(self, n: int = 1) -> int:
        """Spend ``n`` requests or raise :class:`RequestBudgetExhausted`; returns the hour's usage."""
        self._ensure_row()
        now = self.clock()
        minute = int(now // 60)
        oldest_counted = minute - WINDOW_MINUTES + 1
        usage = m.request_budget_usage
        with self.engine.begin() as c:
            # The lock: see the module docstring.
            c.execute(
                sa.update(m.request_budgets)
                .where(m.request_budgets.c.account_key == self.account)
                .values(requests_per_hour=self.requests_per_hour, updated_at=utcnow())
            )
            c.execute(
                sa.delete(usage).where(usage.c.account_key == self.account, usage.c.minute < oldest_counted)
            )
            buckets = c.execute(
                sa.select(usage.c.minute, usage.c.used)
                .where(usage.c.account_key == self.account)
                .order_by(usage.c.minute)
            ).all()
            used = sum(b.used for b in buckets)
            if used + n > self.requests_per_hour:
                raise RequestBudgetExhausted(
                    account=self.account,
                    used=used,
                    limit=self.requests_per_hour,
                    retry_after=self._seconds_until_room(buckets, used, n, now),
                )
            spent = c.execute(
                sa.update(usage)
                .where(usage.c.account_key == self.account, usage.c.minute == minute)
                .values(used=usage.c.used + n)
            ).rowcount
            if not spent:
                c.execute(sa.insert(usage).values(account_key=self.account, minute=minute, used=n))
        return used + n

    def used_last_hour(self) -> int:
        oldest_counted = int(self.clock() // 60) - WINDOW_MINUTES + 1
        usage = m.request_budget_usage
        with self.engine.connect() as c:
            total = c.execute(
                sa.select(sa.func.coalesce(sa.func.sum(usage.c.used), 0)).where(
                    usage.c.account_key == self.account, usage.c.minute >= oldest_counted
                )
            ).scalar()
        return int(total or 0)

    def _seconds_until_room(self, buckets: list, used: int, n: int, now: float) -> float:
        """Time until enough old minutes leave the window for ``n`` more requests."""
        excess = used + n - self.requests_per_hour
        for bucket in buckets:
            excess -= bucket.used
            if excess <= 0:
                return max(1.0, (bucket.minute + WINDOW_MINUTES) * 60 - now)
        return float(WINDOW_MINUTES * 60)  # n alone exceeds the limit
