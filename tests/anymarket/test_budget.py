"""The shared request budget: a sliding hour, exact under concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from anymarket.budget import Lane, LaneLimits, LaneShares, RequestBudget, account_key
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
    # The 6 requests of the first minute stop counting 41 minutes later: any hour-long stretch
    # touches 61 minute buckets, so a minute counts until 61 minutes after it began.
    assert 40 * 60 <= error.retry_after <= 41 * 60
    assert "10/10" in str(error) and "requests_per_hour" in str(error)


def test_window_slides(mapping_db: MappingDatabase) -> None:
    clock = FakeClock()
    budget = RequestBudget(mapping_db.engine, account="acct", requests_per_hour=5, clock=clock)
    for _ in range(5):
        budget.acquire()
    clock.now += 60 * 60  # an hour later the first minute still counts (a fixed hour from 10:00:30 would)
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


# -- lanes ---------------------------------------------------------------------------------------


def lanes_budget(
    mapping_db: MappingDatabase, clock: FakeClock, limit: int = 100, **shares: object
) -> RequestBudget:
    return RequestBudget(
        mapping_db.engine,
        account="acct",
        requests_per_hour=limit,
        shares=LaneShares(**shares),  # type: ignore[arg-type]
        clock=clock,
    )


def spend(budget: RequestBudget, lane: Lane, n: int) -> int:
    """Spend up to ``n`` single requests in ``lane``; how many were granted."""
    granted = 0
    for _ in range(n):
        try:
            budget.acquire(lane=lane)
        except RequestBudgetExhausted:
            break
        granted += 1
    return granted


@pytest.mark.parametrize(
    ("limit", "shares", "expected"),
    [
        # total, reserve, callback cap, bulk cap, bulk burst
        (5000, {}, (5000, 1500, 750, 3500, 350)),
        (100, {"realtime_reserve": 0.5, "callback_share": 0.2, "bulk_burst": 1.0}, (100, 50, 10, 50, 50)),
        (10, {"realtime_reserve": 0.05}, (10, 1, 1, 9, 1)),
        (100, {"lanes": False}, (100, 0, 100, 100, 100)),
    ],
)
def test_lane_limits_from_shares(limit: int, shares: dict, expected: tuple[int, ...]) -> None:
    limits = LaneLimits.of(limit, 3600, LaneShares(**shares))
    assert (limits.total, limits.reserve, limits.callback, limits.bulk, limits.bulk_burst) == expected


def test_bulk_never_eats_the_reserve_and_realtime_uses_what_bulk_leaves(mapping_db: MappingDatabase) -> None:
    clock = FakeClock()
    budget = lanes_budget(mapping_db, clock, bulk_burst=1.0)  # no pacing: only the shares matter here
    assert spend(budget, Lane.BULK, 100) == 70
    assert spend(budget, Lane.REALTIME, 100) == 30  # the reserve was there
    other = lanes_budget(mapping_db, FakeClock(clock.now + 7200), bulk_burst=1.0)
    assert spend(other, Lane.REALTIME, 100) == 100  # bulk idle: realtime may take everything
    assert spend(other, Lane.BULK, 1) == 0  # ... and the budget is never exceeded
    assert other.used_last_hour() == 100 and other.used_last_hour(Lane.REALTIME) == 100


def test_realtime_spending_bulks_share_shrinks_bulk_not_the_reserve(mapping_db: MappingDatabase) -> None:
    clock = FakeClock()
    budget = lanes_budget(mapping_db, clock, bulk_burst=1.0)
    assert spend(budget, Lane.REALTIME, 50) == 50
    assert spend(budget, Lane.BULK, 100) == 50  # the total caps bulk below its share
    assert spend(budget, Lane.REALTIME, 100) == 0


def test_callbacks_spend_realtime_but_only_their_share(mapping_db: MappingDatabase) -> None:
    clock = FakeClock()
    budget = lanes_budget(mapping_db, clock)
    assert spend(budget, Lane.CALLBACK, 100) == 15  # half the 30-request reserve
    with pytest.raises(RequestBudgetExhausted) as caught:
        budget.acquire(lane=Lane.CALLBACK)
    assert caught.value.lane == "callback" and caught.value.what == "the callback share"
    assert spend(budget, Lane.REALTIME, 100) == 85  # the feed and stock still have the rest
    assert budget.used_last_hour(Lane.CALLBACK) == 15


def test_bulk_paces_itself_after_its_burst(mapping_db: MappingDatabase) -> None:
    clock = FakeClock()
    budget = lanes_budget(mapping_db, clock, limit=3600, realtime_reserve=0.5)  # bulk: 1 800/h = 0.5/s
    assert spend(budget, Lane.BULK, 1000) == 180  # the burst: 10 % of bulk's share
    with pytest.raises(RequestBudgetExhausted) as caught:
        budget.acquire(lane=Lane.BULK)
    assert caught.value.what == "the bulk lane's pace"
    assert caught.value.retry_after == pytest.approx(2.0)  # one token every 2 s
    clock.now += 20
    assert spend(budget, Lane.BULK, 1000) == 10
    assert spend(budget, Lane.REALTIME, 5) == 5  # realtime is never paced
    clock.now += 3600  # a quiet hour refills the burst, never more
    assert spend(budget, Lane.BULK, 1000) == 180


def test_lanes_off_is_first_come_first_served(mapping_db: MappingDatabase) -> None:
    clock = FakeClock()
    budget = lanes_budget(mapping_db, clock, lanes=False)
    assert spend(budget, Lane.BULK, 200) == 100  # no reserve, no pacing
    assert spend(budget, Lane.REALTIME, 1) == 0


def test_a_spent_bulk_lane_says_when_it_has_room_again(mapping_db: MappingDatabase) -> None:
    clock = FakeClock(1_800_000_000.0 - 1_800_000_000.0 % 60)
    budget = lanes_budget(mapping_db, clock, bulk_burst=1.0)
    assert spend(budget, Lane.BULK, 70) == 70
    clock.now += 10 * 60
    assert spend(budget, Lane.REALTIME, 10) == 10
    with pytest.raises(RequestBudgetExhausted) as caught:
        budget.acquire(lane=Lane.BULK)
    error = caught.value
    assert (error.lane, error.what, error.used, error.limit) == ("bulk", "the bulk lane", 70, 70)
    assert error.retry_after == pytest.approx(51 * 60)  # when the first minute's 70 stop counting
    assert "bulk lane" in str(error) and "next run continues" in str(error)


def test_a_compressed_window_slides_in_its_own_buckets(mapping_db: MappingDatabase) -> None:
    clock = FakeClock(1_800_000_000.0)
    budget = RequestBudget(
        mapping_db.engine, account="acct", requests_per_hour=10, window_seconds=60, clock=clock
    )
    assert spend(budget, Lane.REALTIME, 20) == 10
    with pytest.raises(RequestBudgetExhausted) as caught:
        budget.acquire()
    assert caught.value.retry_after == pytest.approx(61)  # 61 one-second buckets, as minutes of an hour
    assert "60 s" in str(caught.value)
    clock.now += 61
    assert spend(budget, Lane.REALTIME, 20) == 10


def test_history_is_kept_a_day_but_only_the_window_counts(mapping_db: MappingDatabase) -> None:
    import sqlalchemy as sa

    from anymarket.mapping import models as m

    clock = FakeClock()
    budget = lanes_budget(mapping_db, clock)
    budget.acquire(lane=Lane.BULK)
    clock.now += 3 * 3600
    budget.acquire(lane=Lane.REALTIME)
    assert budget.used_last_hour() == 1
    with mapping_db.engine.connect() as c:
        assert c.execute(sa.select(sa.func.sum(m.request_budget_usage.c.used))).scalar() == 2
    clock.now += 25 * 3600
    budget.acquire()
    with mapping_db.engine.connect() as c:
        assert c.execute(sa.select(sa.func.sum(m.request_budget_usage.c.used))).scalar() == 1


def test_reserve_holds_when_bulk_and_realtime_race(database_url: str) -> None:
    db = MappingDatabase.from_url(database_url)
    db.upgrade()
    limit = 60
    granted = {Lane.BULK: 0, Lane.REALTIME: 0}
    lock = threading.Lock()

    def worker(lane: Lane, attempts: int) -> None:
        budget = RequestBudget(
            MappingDatabase.from_url(database_url).engine,
            account="race",
            requests_per_hour=limit,
            shares=LaneShares(bulk_burst=1.0),
        )
        for _ in range(attempts):
            try:
                budget.acquire(lane=lane)
            except RequestBudgetExhausted:
                continue
            with lock:
                granted[lane] += 1

    # Two bulk workers want far more than their share; realtime wants exactly the reserve, whenever
    # it gets its turn.
    plan = [(Lane.BULK, 60), (Lane.BULK, 60), (Lane.REALTIME, 18)]
    pool = [threading.Thread(target=worker, args=args) for args in plan]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert granted[Lane.BULK] == 42  # 70 % of 60, never more however the race went
    assert granted[Lane.REALTIME] == 18
