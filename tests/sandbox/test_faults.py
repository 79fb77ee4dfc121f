"""Hourly budget (429 + Retry-After), 429 burst, random 5xx, timeouts, latency."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from anymarket_sandbox.admin import SandboxAdminError
from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api


def test_hourly_budget_answers_429_with_retry_after(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_budget(requests_per_hour=3)
    assert [api.get("/stocks/locals").status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get("/stocks/locals")
    assert limited.status_code == 429 and limited.json()["code"] == "429"
    assert 3000 < int(limited.headers["Retry-After"]) <= 3600
    usage = sandbox.admin.budget()
    assert usage["requestsPerHour"] == 3 and usage["usage"][0] == {
        **usage["usage"][0],
        "oi": sandbox.oi,
        "used": 3,
    }
    # the budget is per token: a second account still has its own
    sandbox.admin.add_token("other", "other-oi.")
    assert Api(sandbox.base_url, "other").get("/stocks/locals").status_code == 200
    # 401s are not budgeted; admin calls are never limited
    assert requests.get(sandbox.base_url + "/brands", timeout=5).status_code == 401
    assert sandbox.admin.health()["status"] == "ok"


def test_budget_window_rolls_over(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_budget(requests_per_hour=1, window_seconds=0.3)
    assert api.get("/brands").status_code == 200
    limited = api.get("/brands")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    time.sleep(0.35)
    assert api.get("/brands").status_code == 200


def test_429_burst(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(burst_429=2, burst_retry_after=7)
    first, second, third = (api.get("/brands") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "7"
    log = sandbox.admin.requests()
    assert [e["fault"] for e in log] == ["burst_429", "burst_429", None]
    assert [e["status"] for e in log] == [429, 429, 200]


def test_error_rate_faults_are_seeded_and_do_not_apply_writes(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(error_rate=1.0)
    statuses = {api.post("/brands", json={"name": f"B{i}"}).status_code for i in range(20)}
    assert statuses <= {500, 502, 503} and len(statuses) > 1
    sandbox.admin.set_faults(error_rate=0.0)
    assert api.get("/brands").json()["content"] == []

    def run() -> list[int]:
        sandbox.admin.set_faults(error_rate=0.5, seed=42)
        return [api.get("/brands").status_code for _ in range(20)]

    assert run() == run()  # same seed, same faults
    assert 200 in run() and any(s >= 500 for s in run())


def test_error_burst_is_deterministic(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(error_burst=3, error_statuses=[503, 500])
    assert [api.get("/brands").status_code for _ in range(4)] == [503, 500, 503, 200]
    assert [e["fault"] for e in sandbox.admin.requests()] == ["error", "error", "error", None]


def test_timeout_fault_sleeps_then_applies_the_request(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(timeout_rate=1.0, timeout_seconds=0.6)
    with pytest.raises(requests.Timeout):
        api.post("/brands", json={"name": "Aplicada mesmo assim"}, timeout=0.2)
    sandbox.admin.set_faults(timeout_rate=0.0)
    time.sleep(0.6)
    assert api.get("/brands").json()["content"][0]["name"] == "Aplicada mesmo assim"


def test_latency_applies_to_v2_only(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(latency_ms=150)
    started = time.monotonic()
    api.get("/brands")
    assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    sandbox.admin.health()
    assert time.monotonic() - started < 0.15


def test_unknown_fault_setting_is_rejected(sandbox: SandboxServer) -> None:
    with pytest.raises(SandboxAdminError, match="error_rat"):
        sandbox.admin.set_faults(error_rat=1.0)


def test_reset_clears_faults_budget_and_log(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(error_rate=1.0)
    sandbox.admin.set_budget(requests_per_hour=1)
    api.get("/brands")
    sandbox.admin.reset()
    assert sandbox.admin.faults()["error_rate"] == 0.0
    assert sandbox.admin.budget()["requestsPerHour"] == 5000
    assert sandbox.admin.requests() == []
    assert api.get("/brands").status_code == 200


def test_request_log_records_bodies_and_can_be_cleared(sandbox: SandboxServer, api: Api) -> None:
    api.put("/stocks", json=[{"partnerId": "NOPE", "quantity": 1}])
    (entry,) = sandbox.admin.requests(method="PUT")
    assert entry["path"] == "/v2/stocks" and entry["status"] == 422
    assert entry["body"] == [{"partnerId": "NOPE", "quantity": 1}]
    api.get("/brands")
    assert len(sandbox.admin.requests(since=entry["seq"])) == 1
    assert len(sandbox.admin.requests(path_prefix="/v2/br")) == 1
    sandbox.admin.clear_requests()
    assert sandbox.admin.requests() == []


def test_concurrent_requests_are_consistent(sandbox: SandboxServer, api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(i: int) -> int:
        return requests.post(
            sandbox.base_url + "/brands",
            json={"name": f"Conc {i}"},
            headers={"gumgaToken": sandbox.token},
            timeout=10,
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(create, range(80)))
    assert statuses == [200] * 80
    ids = [b["id"] for b in api.get("/brands", params={"limit": 100}).json()["content"]]
    assert len(ids) == len(set(ids)) == 80


def test_rendezvous_holds_requests_until_the_group_is_complete(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(rendezvous={"GET /v2/brands": 2}, rendezvous_timeout_seconds=5)
    finished: list[float] = []

    def get_brands() -> None:
        assert api.get("/brands").status_code == 200
        finished.append(time.monotonic())

    first = threading.Thread(target=get_brands)
    first.start()
    time.sleep(0.5)
    assert finished == []  # alone, the first request waits for its partner...
    assert api.get("/stocks/locals").status_code == 200  # ...other endpoints are not held
    partner_sent = time.monotonic()
    get_brands()
    first.join(timeout=5)
    assert len(finished) == 2 and min(finished) >= partner_sent  # ...then both go together
    assert [e["fault"] for e in sandbox.admin.requests(path="/v2/brands")] == ["rendezvous"] * 2


def test_rendezvous_lets_a_lone_request_go_after_the_timeout(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.set_faults(rendezvous={"GET /v2/brands": 2}, rendezvous_timeout_seconds=0.3)
    started = time.monotonic()
    assert api.get("/brands").status_code == 200
    assert time.monotonic() - started >= 0.3
    # the lone request left its group: the next one waits for a partner of its own, not for a ghost
    assert api.get("/brands").status_code == 200
    assert [e["fault"] for e in sandbox.admin.requests(path="/v2/brands")] == ["rendezvous_timeout"] * 2
