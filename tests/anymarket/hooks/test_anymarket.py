"""AnyMarketHook over real HTTP against the sandbox: paging, retries, errors, budget, masking."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException

from anymarket.budget import RequestBudget
from anymarket.errors import (
    AnyMarketAPIError,
    AnyMarketAuthError,
    AnyMarketFatalAPIError,
    AnyMarketUnavailableError,
    ErrorKind,
    RequestBudgetExhausted,
    classify,
)
from anymarket.hooks.anymarket import AnyMarketHook
from anymarket.mapping.database import MappingDatabase
from anymarket_sandbox import conformance

CONN_ID = "anymarket_hooktest"


class SleepRecorder:
    """Stands in for time.sleep so retry tests are instant yet show every wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def budget_db(tmp_path) -> MappingDatabase:
    db = MappingDatabase.from_url(f"sqlite:///{tmp_path / 'mapping.db'}")
    db.upgrade()
    return db


def make_hook(monkeypatch, budget_db, *, host: str, token: str, requests_per_hour: int = 5000, **extra):
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN_ID.upper()}",
        json.dumps(
            {
                "conn_type": "http",
                "host": host,
                "password": token,
                "extra": {"oi": "x.", "timeout": 5, "backoff_base": 0.2, "backoff_max": 1, **extra},
            }
        ),
    )
    sleep = SleepRecorder()
    budget = RequestBudget(budget_db.engine, account=f"acct-{token}", requests_per_hour=requests_per_hour)
    return AnyMarketHook(anymarket_conn_id=CONN_ID, budget=budget, sleep=sleep), sleep


@pytest.fixture
def hook(sandbox, budget_db, monkeypatch):
    return make_hook(monkeypatch, budget_db, host=sandbox.base_url, token=sandbox.token)


def seed_brands(sandbox, count: int) -> None:
    session = requests.Session()
    session.headers["gumgaToken"] = sandbox.token
    for n in range(count):
        response = session.post(
            f"{sandbox.base_url}/brands", json={"name": f"Marca {n:03d}", "partnerId": f"B{n:03d}"}, timeout=5
        )
        response.raise_for_status()
    sandbox.admin.clear_requests()


def test_paging_walks_250_items_in_three_requests(sandbox, hook) -> None:
    hook, _ = hook
    seed_brands(sandbox, 250)

    brands = list(hook.paginate("/brands"))

    assert len(brands) == 250
    assert len({b["id"] for b in brands}) == 250
    log = sandbox.admin.requests()
    assert [(r["method"], r["path"], r["query"].get("offset"), r["query"].get("limit")) for r in log] == [
        ("GET", "/v2/brands", "0", "100"),
        ("GET", "/v2/brands", "100", "100"),
        ("GET", "/v2/brands", "200", "100"),
    ]
    assert hook.requests_sent == 3


def test_paging_passes_filters(sandbox, hook) -> None:
    hook, _ = hook
    seed_brands(sandbox, 7)
    assert [b["partnerId"] for b in hook.paginate("/brands", {"partnerId": "B003"})] == ["B003"]


def test_429_with_retry_after_is_waited_out_then_succeeds(sandbox, hook) -> None:
    hook, sleep = hook
    sandbox.admin.set_faults(burst_429=1, burst_retry_after=3)

    assert hook.get("/stocks/locals") == []

    assert [r["status"] for r in sandbox.admin.requests()] == [429, 200]
    assert len(sleep.waits) == 1 and 3 <= sleep.waits[0] <= 3.3


def test_500_is_retried_with_backoff(sandbox, hook) -> None:
    hook, sleep = hook
    sandbox.admin.set_faults(error_burst=2, error_statuses=[500])

    assert hook.get("/stocks/locals") == []

    assert [r["status"] for r in sandbox.admin.requests()] == [500, 500, 200]
    assert len(sleep.waits) == 2
    assert 0.1 <= sleep.waits[0] <= 0.2 and 0.2 <= sleep.waits[1] <= 0.4  # doubling, with jitter


def test_httphook_run_goes_through_budget_and_retries(sandbox, hook) -> None:
    hook, sleep = hook
    sandbox.admin.set_faults(error_burst=1, error_statuses=[502])
    hook.method = "GET"

    response = hook.run("/stocks/locals")

    assert response.status_code == 200 and response.json() == []
    assert [r["status"] for r in sandbox.admin.requests()] == [502, 200]
    assert hook.budget.used_last_hour() == 2 and len(sleep.waits) == 1


def test_5xx_gives_up_after_max_retries(sandbox, budget_db, monkeypatch) -> None:
    hook, sleep = make_hook(monkeypatch, budget_db, host=sandbox.base_url, token=sandbox.token, max_retries=2)
    sandbox.admin.set_faults(error_burst=10, error_statuses=[503])

    with pytest.raises(AnyMarketAPIError) as caught:
        hook.get("/stocks/locals")

    assert caught.value.status == 503 and caught.value.retryable
    assert len(sandbox.admin.requests()) == 3 and len(sleep.waits) == 2


def test_422_is_not_retried_and_carries_anymarkets_message(sandbox, hook) -> None:
    hook, sleep = hook

    with pytest.raises(AnyMarketAPIError) as caught:
        hook.post("/brands", {"partnerId": "B1"})  # name is required

    error = caught.value
    assert error.status == 422 and error.code == "422" and not error.retryable
    assert error.message and error.message in str(error)
    assert "POST /brands" in str(error)
    assert len(sandbox.admin.requests()) == 1 and sleep.waits == []


def test_401_raises_a_clear_error_without_retry(sandbox, budget_db, monkeypatch) -> None:
    hook, sleep = make_hook(monkeypatch, budget_db, host=sandbox.base_url, token="not-the-token")

    with pytest.raises(AnyMarketAuthError) as caught:
        hook.get("/stocks/locals")

    message = str(caught.value)
    assert f"connection '{CONN_ID}'" in message and "gumgaToken" in message and "HTTP 401" in message
    assert sleep.waits == []
    ok, text = hook.test_connection()
    assert not ok and "refused the token" in text


def test_501_is_fatal_and_not_retried(sandbox, hook) -> None:
    hook, sleep = hook
    sandbox.admin.set_faults(error_burst=3, error_statuses=[501])

    with pytest.raises(AnyMarketFatalAPIError) as caught:
        hook.get("/stocks/locals")

    assert caught.value.status == 501 and classify(caught.value) is ErrorKind.FATAL
    assert isinstance(caught.value, AirflowFailException)
    assert [r["status"] for r in sandbox.admin.requests()] == [501] and sleep.waits == []
    assert hook.requests_sent == 1 and hook.budget.used_last_hour() == 1


def test_401_fails_the_task_naming_the_connection(sandbox, budget_db, monkeypatch) -> None:
    hook, sleep = make_hook(monkeypatch, budget_db, host=sandbox.base_url, token="not-the-token")

    with pytest.raises(AnyMarketAuthError) as caught:
        hook.post("/brands", {"name": "Marca", "partnerId": "B1"})

    assert isinstance(caught.value, AirflowFailException)  # Airflow fails the task without retrying
    assert caught.value.conn_id == CONN_ID and f"'{CONN_ID}'" in str(caught.value)
    assert len(sandbox.admin.requests()) == 1 and sleep.waits == []


def test_429_asking_longer_than_max_retry_after_is_raised_at_once(sandbox, budget_db, monkeypatch) -> None:
    hook, sleep = make_hook(
        monkeypatch, budget_db, host=sandbox.base_url, token=sandbox.token, max_retry_after=10
    )
    sandbox.admin.set_faults(burst_429=2, burst_retry_after=11)

    with pytest.raises(AnyMarketAPIError) as caught:
        hook.get("/stocks/locals")

    assert caught.value.status == 429 and caught.value.retry_after == 11 and caught.value.retryable
    assert [r["status"] for r in sandbox.admin.requests()] == [429] and sleep.waits == []


def test_a_malformed_paging_envelope_fails_the_task(sandbox, hook) -> None:
    hook, sleep = hook
    sandbox.admin.set_faults(raw_responses={"GET /v2/brands": json.dumps([{"id": 1}])})

    with pytest.raises(AnyMarketFatalAPIError, match="expected AnyMarket's paging envelope") as caught:
        list(hook.paginate("/brands"))

    assert caught.value.status == 200 and isinstance(caught.value, AirflowFailException)
    assert len(sandbox.admin.requests()) == 1 and sleep.waits == []


def test_malformed_warehouses_fail_the_task(sandbox, hook) -> None:
    hook, _ = hook
    sandbox.admin.set_faults(raw_responses={"GET /v2/stocks/locals": json.dumps([{"id": "x"}])})

    with pytest.raises(AnyMarketFatalAPIError, match="malformed warehouses"):
        hook.stock_locals()


def test_the_session_carries_the_token_and_pools_connections(sandbox, hook) -> None:
    hook, _ = hook
    session = hook.get_conn()

    assert session.headers["gumgaToken"] == sandbox.token
    assert session.get_adapter(sandbox.base_url).max_retries.total == 0  # retries are the hook's
    assert hook.base_url == sandbox.base_url.rstrip("/")


def test_timeouts_are_retried_then_reported(sandbox, budget_db, monkeypatch) -> None:
    hook, sleep = make_hook(
        monkeypatch, budget_db, host=sandbox.base_url, token=sandbox.token, timeout=0.3, max_retries=1
    )
    sandbox.admin.set_faults(timeout_rate=1.0, timeout_seconds=1.0)

    with pytest.raises(AnyMarketUnavailableError, match="timed out on GET /stocks/locals after 2 attempts"):
        hook.get("/stocks/locals")
    assert len(sleep.waits) == 1
    # The sandbox still answers both requests after its sleep; let it, so they are not logged in the
    # next test's request log.
    deadline = time.monotonic() + 5
    while len(sandbox.admin.requests()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)


def test_connection_refused_is_reported(budget_db, monkeypatch) -> None:
    hook, _ = make_hook(monkeypatch, budget_db, host="http://127.0.0.1:9/v2", token="t", max_retries=1)
    with pytest.raises(AnyMarketUnavailableError, match="could not connect"):
        hook.get("/stocks/locals")


def test_budget_stops_a_burst_before_anymarket_answers_429(sandbox, budget_db, monkeypatch) -> None:
    sandbox.admin.set_budget(requests_per_hour=30)
    hook, _ = make_hook(
        monkeypatch, budget_db, host=sandbox.base_url, token=sandbox.token, requests_per_hour=20
    )

    sent = 0
    with pytest.raises(RequestBudgetExhausted) as caught:
        for _ in range(25):
            hook.get("/stocks/locals")
            sent += 1

    assert sent == 20
    assert caught.value.used == 20 and caught.value.limit == 20
    statuses = [r["status"] for r in sandbox.admin.requests()]
    assert statuses == [200] * 20  # AnyMarket never had to say 429


def test_budget_is_shared_by_hooks_of_one_account(sandbox, budget_db, monkeypatch) -> None:
    first, _ = make_hook(
        monkeypatch, budget_db, host=sandbox.base_url, token=sandbox.token, requests_per_hour=4
    )
    second, _ = make_hook(
        monkeypatch, budget_db, host=sandbox.base_url, token=sandbox.token, requests_per_hour=4
    )
    first.get("/stocks/locals")
    first.get("/stocks/locals")
    second.get("/stocks/locals")
    second.get("/stocks/locals")
    with pytest.raises(RequestBudgetExhausted):
        first.get("/stocks/locals")


def test_the_token_never_reaches_a_log_line(sandbox, budget_db, monkeypatch, caplog, capfd) -> None:
    secret = "tok-SECRET-4242"
    sandbox.admin.add_token(secret, "secret-oi.")
    caplog.set_level(logging.DEBUG)
    hook, _ = make_hook(monkeypatch, budget_db, host=sandbox.base_url, token=secret)
    sandbox.admin.set_faults(burst_429=1, burst_retry_after=0)
    hook.get("/stocks/locals")
    with pytest.raises(AnyMarketAPIError) as caught:
        hook.post("/brands", {})
    assert hook.test_connection()[0]
    bad, _ = make_hook(monkeypatch, budget_db, host=sandbox.base_url, token=secret + "-wrong")
    with pytest.raises(AnyMarketAuthError) as refused:
        bad.get("/stocks/locals")

    captured = capfd.readouterr()
    assert caplog.records, "expected the hook to log something"
    for text in (caplog.text, captured.out, captured.err, str(caught.value), str(refused.value)):
        assert secret not in text
    for entry in sandbox.admin.requests():
        assert secret not in json.dumps(entry)


def test_repeating_pages_do_not_loop_forever(budget_db, monkeypatch) -> None:
    """A server whose every page is the same (and whose next link repeats) is read once."""

    class SamePage(BaseHTTPRequestHandler):
        hits = 0

        def do_GET(self):
            SamePage.hits += 1
            body = json.dumps(
                {
                    "links": [{"rel": "next", "href": "http://x/v2/brands?limit=100&offset=0"}],
                    "content": [{"id": 1}, {"id": 2}],
                    "page": {"size": 2, "totalElements": 999, "totalPages": 500, "number": 1},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SamePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        hook, _ = make_hook(
            monkeypatch, budget_db, host=f"http://127.0.0.1:{server.server_port}/v2", token="t"
        )
        assert [b["id"] for b in hook.paginate("/brands")] == [1, 2]
        assert SamePage.hits == 1
    finally:
        server.shutdown()


@conformance.requires_spec
def test_the_hooks_requests_fit_anymarkets_openapi(sandbox, hook) -> None:
    hook, _ = hook
    seed_brands(sandbox, 3)
    hook.post("/brands", {"name": "Marca Nova", "reducedName": "Nova", "partnerId": "BN"})
    list(hook.paginate("/brands", {"partnerId": "BN"}))
    hook.get("/stocks/locals")
    hook.get("/stocks", {"limit": 5, "offset": 0})
    log = sandbox.admin.requests()
    assert len(log) == 4
    assert conformance.assert_requests_conform(log) == 4
