"""The hostile tier: a stranger at the callback door of a running receiver (issue 14's probes).

The receiver is a real server process — ``python -m anymarket.callbacks serve``, the same app the
api-server plugin mounts — with loja1's connection (OI, ``callback_secret``) and a SQLite mapping
DB; the local AnyMarket (the sandbox) logs every request made to it. Each test posts its flood over
keep-alive connections from a few threads, prints its figure (``pytest -s`` shows them;
SECURITY.md quotes them) and checks it:

* 10 000 forged callbacks with the real OI and no or a wrong secret → 0 stored, 0 AnyMarket requests;
* 10 000 distinct unknown ids with the right secret → the waiting rows never pass the inbox cap;
* a 50 MB chunked body → refused, the receiver's RSS grows < 10 MB;
* deep nesting, a newline in the id → 400; types no automation reads → 200 "ignored", nothing stored
  (TRANSMISSION, which listing health reads, is stored under its own cap).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
import sqlalchemy as sa

from anymarket.mapping import models
from anymarket.mapping.database import MappingDatabase
from anymarket_sandbox.server import SandboxServer

REPO_ROOT = Path(__file__).resolve().parents[3]
SECRET = "hostile-tier-secret-Zq3vX8pL0aN7mK2wR5tY"
FLOOD = 10_000
THREADS = 4


@dataclass
class Door:
    host: str
    port: int
    path: str  # /anymarket/callbacks/loja1/<secret>
    oi: str
    process: subprocess.Popen[bytes]
    mapping: MappingDatabase
    sandbox: SandboxServer
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def rows(self, **where: str) -> int:
        table = models.callback_inbox
        query = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with self.mapping.engine.connect() as conn:
            return conn.execute(query).scalar_one()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def door(sandbox_server: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "integrations.yaml").write_text(
        "integrations:\n  loja1:\n    name: Loja 1\n    environment: sandbox\n"
        "    alert_emails: [ops@loja1.example]\n"
    )
    mapping_url = f"sqlite:///{tmp / 'mapping.db'}"
    mapping = MappingDatabase.from_url(mapping_url)
    mapping.upgrade()
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "plugins"), str(REPO_ROOT)]),
        "ANYMARKET_INTEGRATIONS_FILE": str(tmp / "integrations.yaml"),
        "AIRFLOW_CONN_ANYMARKET_MAPPING_DB": json.dumps(
            {"conn_type": "sqlite", "host": str(tmp / "mapping.db")}
        ),
        "AIRFLOW_CONN_ANYMARKET_LOJA1": json.dumps(
            {
                "conn_type": "http",
                "host": sandbox_server.base_url,
                "password": sandbox_server.token,
                "extra": {"oi": sandbox_server.oi, "callback_secret": SECRET},
            }
        ),
    }
    log = tmp / "receiver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "anymarket.callbacks",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/anymarket/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.1)
        yield Door("127.0.0.1", port, f"/anymarket/callbacks/loja1/{SECRET}", sandbox_server.oi, process,
                   mapping, sandbox_server, log)  # fmt: skip
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        mapping.engine.dispose()


@pytest.fixture(autouse=True)
def clean(door: Door) -> None:
    with door.mapping.begin() as conn:
        conn.execute(sa.delete(models.callback_inbox))
        conn.execute(sa.delete(models.callback_not_found))
    door.sandbox.admin.reset()


def flood(door: Door, requests_: list[tuple[str, bytes]]) -> tuple[dict[int, int], float]:
    """POST every ``(path, body)`` over ``THREADS`` keep-alive connections; ``({status: count}, seconds)``."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    shares = [requests_[i::THREADS] for i in range(THREADS)]

    def worker(share: list[tuple[str, bytes]]) -> None:
        conn = http.client.HTTPConnection(door.host, door.port, timeout=30)
        seen: dict[int, int] = {}
        for path, body in share:
            for attempt in range(2):  # the server may close a kept-alive connection: reopen once
                try:
                    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                    response = conn.getresponse()
                    response.read()
                    break
                except (http.client.HTTPException, ConnectionError):
                    conn.close()
                    conn = http.client.HTTPConnection(door.host, door.port, timeout=30)
                    if attempt:
                        raise
            seen[response.status] = seen.get(response.status, 0) + 1
        conn.close()
        with lock:
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, time.perf_counter() - started


def order(door: Door, order_id: Any, **extra: Any) -> bytes:
    return json.dumps({"type": "ORDER", "content": {"id": order_id, "oi": door.oi}, **extra}).encode()


def test_forged_callbacks_store_nothing_and_cost_nothing(door: Door) -> None:
    base = door.path.rsplit("/", 1)[0]
    forged = []
    for n in range(FLOOD):
        target = (
            base,  # no secret: the old URL
            f"{base}/{'A' * len(SECRET)}",  # a wrong secret of the right length
            f"{base}/{SECRET[:-1]}{chr(ord(SECRET[-1]) + 1)}",  # one character off
            f"{base}/guess-{n}",
        )[n % 4]
        forged.append((target, order(door, str(990_000_000_000 + n))))

    statuses, seconds = flood(door, forged)

    stored, calls = door.rows(), len(door.sandbox.admin.requests())
    print(
        f"\nforged callbacks: {FLOOD} posted with the real OI and no or a wrong secret, answers {statuses}, "
        f"{stored} stored, {calls} AnyMarket requests, {FLOOD / seconds:.0f}/s"
    )
    assert statuses == {404: FLOOD}
    assert stored == 0 and calls == 0
    assert door.process.poll() is None


def test_unknown_ids_with_the_right_secret_never_pass_the_cap(door: Door) -> None:
    from anymarket.callbacks import inbox

    cap = inbox.MAX_PENDING
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], door.rows(status="pending"))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        statuses, seconds = flood(
            door, [(door.path, order(door, str(880_000_000_000 + n))) for n in range(FLOOD)]
        )
    finally:
        done.set()
        sampler.join()
    pending = door.rows(status="pending")
    peak[0] = max(peak[0], pending)
    calls = len(door.sandbox.admin.requests())
    print(
        f"\nunknown ids with the right secret: {FLOOD} posted, answers {statuses}, {pending} waiting "
        f"(peak {peak[0]}, cap {cap}), {calls} AnyMarket requests at the door, {FLOOD / seconds:.0f}/s"
    )
    assert statuses == {200: cap, 429: FLOOD - cap}
    assert pending == cap and peak[0] <= cap
    assert calls == 0  # the door never calls AnyMarket; the import spends its lane on these later
    log_lines = len(door.log.read_text().splitlines())
    assert log_lines < 20, f"{log_lines} log lines for one flood"


def test_a_50_mb_chunked_body_is_refused_without_growing_the_receiver(door: Door) -> None:
    process = psutil.Process(door.process.pid)
    baseline, peak, done = process.memory_info().rss, [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            done.wait(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    chunk = b"[" * (1024 * 1024)
    try:
        response = requests.post(door.url, data=(chunk for _ in range(50)), timeout=30)
    except requests.ConnectionError:
        response = None  # the server may close the connection rather than drain the rest
    finally:
        done.set()
        sampler.join()
    growth_mb = (max(peak[0], baseline) - baseline) / 2**20
    answer = f"{response.status_code} {response.json()['message']!r}" if response is not None else "closed"
    print(f"\nchunked 50 MB body: {answer}; receiver process RSS growth {growth_mb:.1f} MB")
    if response is not None:
        assert response.status_code == 400 and "body larger than" in response.json()["message"]
    assert growth_mb < 10
    assert door.rows() == 0
    assert requests.get(f"http://{door.host}:{door.port}/anymarket/health", timeout=5).ok


def test_deep_nesting_newline_ids_and_other_types(door: Door) -> None:
    before = door.rows()
    cases = {
        "deep nesting": ('{"type": "ORDER", "content": ' + "[" * 1900 + "]" * 1900 + "}").encode(),
        "newline id": order(door, "990000000002\n"),
        "object id": order(door, {"id": 1}),
        "not JSON": b"\x00\xff garbage",
        **{
            f"{kind} type": json.dumps({"type": kind, "content": {"id": "7", "oi": door.oi}}).encode()
            for kind in ("PRODUCT", "TRANSMISSION", "QUESTION", "INBOUND_NFE")
        },
    }
    answers = {}
    for name, body in cases.items():
        response = requests.post(door.url, data=body, headers={"Content-Type": "application/json"}, timeout=5)
        answers[name] = (response.status_code, response.json().get("message") or response.json()["status"])
    print(
        "\nodd bodies: " + "; ".join(f"{name} → {status} {what}" for name, (status, what) in answers.items())
    )
    assert answers["deep nesting"] == (400, "body nests deeper than a notification")
    assert answers["newline id"] == (400, "content.id must be a numeric id")
    assert answers["object id"][0] == 400 and answers["not JSON"] == (400, "body is not JSON")
    for kind in ("PRODUCT", "QUESTION", "INBOUND_NFE"):
        assert answers[f"{kind} type"] == (200, "ignored")
    # listing_health reads TRANSMISSION (a listing changed): kept, under its own cap.
    assert answers["TRANSMISSION type"] == (200, "stored")
    assert door.rows() == before + 1 and door.rows(resource_type="TRANSMISSION") == 1
    assert "Traceback" not in door.log.read_text()


def test_a_flood_of_unknown_ids_spends_only_the_callback_share(
    door: Door, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import that follows a full inbox of made-up ids: their GETs stop at the callback share of
    the realtime reserve (750 of 5 000 an hour), the run goes on with the feed, and the rest of the
    account's budget is still there for every other automation."""
    from anymarket.budget import Lane, RequestBudget, account_key
    from anymarket.callbacks import inbox
    from anymarket.erp.database import ErpDatabase
    from anymarket.operators.import_orders import AnyMarketImportOrdersOperator

    statuses, _ = flood(door, [(door.path, order(door, str(770_000_000_000 + n))) for n in range(1500)])
    assert statuses == {200: inbox.MAX_PENDING, 429: 1500 - inbox.MAX_PENDING}
    ErpDatabase(f"sqlite:///{tmp_path / 'erp.db'}").create_schema()
    settings = tmp_path / "integrations.yaml"
    settings.write_text(
        "integrations:\n  loja1:\n    name: Loja 1\n    environment: sandbox\n"
        "    alert_emails: [ops@loja1.example]\n    orders: {reconcile_days: 0}\n"
    )
    monkeypatch.setenv("ANYMARKET_INTEGRATIONS_FILE", str(settings))
    monkeypatch.setenv(
        "AIRFLOW_CONN_ANYMARKET_MAPPING_DB",
        json.dumps({"conn_type": "sqlite", "host": door.mapping.engine.url.database}),
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_ANYMARKET_LOJA1_ERP",
        json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "erp.db")}),
    )
    sandbox = door.sandbox
    monkeypatch.setenv(
        "AIRFLOW_CONN_ANYMARKET_LOJA1",
        json.dumps(
            {
                "conn_type": "http",
                "host": sandbox.base_url,
                "password": sandbox.token,
                "extra": {"oi": sandbox.oi, "callback_secret": SECRET, "timeout": 5},
            }
        ),
    )
    with door.mapping.begin() as conn:
        conn.execute(sa.delete(models.request_budget_usage))

    started = time.perf_counter()
    summary = AnyMarketImportOrdersOperator(
        task_id="import_orders", integration_id="loja1", watch_seconds=0
    ).execute({"run_id": "hostile", "params": {}})
    seconds = time.perf_counter() - started

    budget = RequestBudget(
        door.mapping.engine, account=account_key(sandbox.base_url, sandbox.token), requests_per_hour=5000
    )
    share = budget.limits.callback
    logged = sandbox.admin.requests()
    lookups = [
        r
        for r in logged
        if r["method"] == "GET" and r["path"].startswith("/v2/orders/") and r["path"][11:].isdigit()
    ]
    after_lookups = [r["path"] for r in logged[len(lookups) :]]
    print(
        f"\na full inbox of unknown ids imported: {len(lookups)} GET /orders/{{id}} (callback share {share} "
        f"of the {budget.limits.reserve}-request reserve), {summary['callbacks_waiting_for_budget']} left "
        f"waiting, then {after_lookups}; the run {summary.get('waiting_for_budget', 'went on')}; "
        f"{budget.used_last_hour()} of 5000 requests spent, in {seconds:.0f} s"
    )
    assert len(lookups) == share == budget.used_last_hour(Lane.CALLBACK)
    assert summary["callbacks_waiting_for_budget"] == inbox.MAX_PENDING - share
    assert "/v2/orders/feeds" in after_lookups  # the feed, realtime work, still ran
    assert "waiting_for_budget" not in summary and "error" not in summary
    for _ in range(100):  # and every other automation still finds room
        budget.acquire(lane=Lane.REALTIME)
    # The next callback for one of those ids is acknowledged without being stored or looked up.
    answer = requests.post(door.url, data=order(door, lookups[0]["path"][11:]), timeout=5)
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
