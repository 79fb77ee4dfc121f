"""The shared request budget: a sliding hour, exact under concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from anymarket.budget import RequestBudget, account_key
from anymarket.errors import RequestBudgetExhausted
from anymarket.mapping.database import MappingDatabase


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def mapping_db(database_url: str) -> MappingDatabase:
    db = MappingDatabase.from_url(database_url)
    db.upgrade()
    return db


def test_account_key_hides_the_token() -> None:
    key = account_key("https://api.anymarket.com.br/v2/", "secret-token")
    assert "secret" not in key and len(key) == 24
    assert key == account_key("https://api.anymarket.com.br/v2", "secret-token")


def test_budget_stops_at_the_limit_and_says_when_room_returns(mapping_db: MappingDatabase) -> None:
    clock = FakeClock()
    budget = RequestBudget(mapping_db.engine, account="acct", requests_per_hour=10, clock=clock)
    for expected in range(1, 7):
        assert budget.acquire() == expected
    clock.now += 20 * 60
    for _ in range(4):
        budget.acquire()
    with pytest.raises(RequestBudgetExhausted) as caught:
        budget.acquire()
    error = caught.value
    assert (error.used, error.limit) == (10, 10)
    # The 6 requests of the first minute leave the window 40 minutes later.
    assert 39 * 60 <= error.retry_after <= 40 * 60
    assert "10/10" in str(error) and "requests_per_hour" in str(error)


def test_window_slides(mapping_db: MappingDatabase) -> None:
    clock = FakeClock()
    budget = RequestBudget(mapping_db.engine, account="acct", requests_per_hour=5, clock=clock)
    for _ in range(5):
        budget.acquire()
    clock.now += 59 * 60
    with pytest.raises(RequestBudgetExhausted):
        budget.acquire()
    clock.now += 60
    assert budget.acquire() == 1
    assert budget.used_last_hour() == 1


def test_two_budgets_of_one_account_share_the_count(mapping_db: MappingDatabase) -> None:
    first = RequestBudget(mapping_db.engine, account="acct", requests_per_hour=3)
    second = RequestBudget(mapping_db.engine, account="acct", requests_per_hour=3)
    other = RequestBudget(mapping_db.engine, account="other", requests_per_hour=3)
    first.acquire()
    second.acquire()
    first.acquire()
    with pytest.raises(RequestBudgetExhausted):
        second.acquire()
    other.acquire()


def test_concurrent_acquirers_never_overspend(database_url: str) -> None:
    db = MappingDatabase.from_url(database_url)
    db.upgrade()
    limit, threads, attempts = 60, 4, 25
    granted: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        # Each thread has its own engine, as separate worker processes would.
        budget = RequestBudget(
            MappingDatabase.from_url(database_url).engine, account="acct", requests_per_hour=limit
        )
        for _ in range(attempts):
            try:
                budget.acquire()
                outcome = granted
            except RequestBudgetExhausted:
                outcome = refused
            with lock:
                outcome.append(1)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert len(granted) == limit
    assert len(refused) == threads * attempts - limit
