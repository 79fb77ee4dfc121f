"""The scale-out tier: Airflow's CeleryExecutor topology as processes, two workers racing.

The same topology as ``docker-compose.yaml``, without Docker: PostgreSQL (Airflow's metadata DB, the
mapping DB and the reference ERP as separate databases of the private test cluster), Redis as the
broker (``scripts/redis.sh``), ``airflow api-server``, ``scheduler``, ``dag-processor`` and two
``airflow celery worker`` processes with their own names, one task at a time each, so two tasks
queued together run on both. Tasks reach the api-server's execution API with the shared JWT secret.

A manual run and a backfill run of the same import DAG may run at once (Airflow counts backfill
runs apart from ``max_active_runs``): an ops person backfilling a day while the regular import
runs. Here both import the same day's orders at the same moment on the two workers.
"""

from __future__ import annotations

import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.budget import RequestBudget, account_key
from anymarket.mapping import models as m
from anymarket.settings import load_integrations
from anymarket_sandbox.server import SandboxServer
from tests.e2e.shop import (
    connections_env,
    create_orders,
    erp_order_counts,
    seed_databases,
    write_integrations,
)
from tests.e2e.topology import REPO_ROOT, WORKER_NAME_ENV, AirflowTopology, wait_until

pytestmark = [pytest.mark.celery, pytest.mark.slow]

WORKERS = ("worker-1", "worker-2")
#: Integration ``race`` imports from the sandbox's primary account; ``budget`` from a second one
#: whose connection allows only BUDGET requests per hour.
BUDGET = 25
BUDGET_TOKEN, BUDGET_OI = "budget-token", "budget-oi."
DAY = "2026-03-10"


def unpause_and_finish_first_run(airflow: AirflowTopology, dag_id: str) -> None:
    """Unpausing starts the latest scheduled run (``catchup=False``); it drains the order feed, so it
    must be over before the tests create their orders (they race only the runs they start)."""
    airflow.unpause(dag_id)
    [first] = wait_until(
        f"the first scheduled run of {dag_id}",
        lambda: [r for r in airflow.dag_runs(dag_id) if r["run_type"] == "scheduled"],
        timeout=60,
    )
    airflow.wait_for_run(dag_id, first["dag_run_id"])


@dataclass
class CeleryEnv:
    airflow: AirflowTopology
    sandbox: SandboxServer
    erp_url: str
    mapping_url: str
    sku: str


@pytest.fixture(scope="module")
def databases(postgres_server_url: str) -> Iterator[dict[str, str]]:
    """Airflow's metadata DB, the mapping DB and the ERP: three databases of the test cluster."""
    prefix = f"e2e_{uuid.uuid4().hex[:8]}"
    names = {role: f"{prefix}_{role}" for role in ("airflow", "mapping", "erp")}
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for name in names.values():
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server = postgres_server_url.rsplit("/", 1)[0]
    try:
        yield {role: f"{server}/{name}" for role, name in names.items()}
    finally:
        with admin.connect() as c:
            for name in names.values():
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def redis_url() -> str:
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "redis.sh"), "start"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"could not start Redis: {result.stderr.strip()}")
    url = result.stdout.strip().splitlines()[-1]
    import redis

    redis.Redis.from_url(url).flushdb()  # no task message left over from an earlier, killed run
    return url


@pytest.fixture(scope="module")
def celery_env(
    tmp_path_factory: pytest.TempPathFactory,
    e2e_sandbox: SandboxServer,
    databases: dict[str, str],
    redis_url: str,
) -> Iterator[CeleryEnv]:
    home = tmp_path_factory.mktemp("airflow-celery")
    erp_url, mapping_url = databases["erp"], databases["mapping"]
    sku = seed_databases(erp_url, mapping_url, ["race", "budget"])[0]
    e2e_sandbox.admin.add_token(BUDGET_TOKEN, BUDGET_OI)
    daily = {"import_orders": "0 3 * * *"}  # one backfill run per Brazilian day
    integrations = write_integrations(
        home / "integrations.yaml",
        {
            integration_id: {
                "name": f"{integration_id} (e2e)",
                "environment": "sandbox",
                "alert_emails": ["ops@shop.example"],
                "automations": ["import_orders"],
                "schedules": daily,
                "orders": {"callback_watch_seconds": 1, "reconcile_days": 0},
                # No pacing: the bulk lane may burst its whole share, so the test shows the shares.
                "budget": {"bulk_burst": 1.0},
            }
            for integration_id in ("race", "budget")
        },
    )
    connections = {
        **connections_env(
            "race",
            sandbox=e2e_sandbox,
            token=e2e_sandbox.token,
            oi=e2e_sandbox.oi,
            erp_url=erp_url,
            mapping_url=mapping_url,
        ),
        **connections_env(
            "budget",
            sandbox=e2e_sandbox,
            token=BUDGET_TOKEN,
            oi=BUDGET_OI,
            erp_url=erp_url,
            mapping_url=mapping_url,
            requests_per_hour=BUDGET,
        ),
    }
    metadata = databases["airflow"]
    config = {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__CELERY__BROKER_URL": redis_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
        "ANYMARKET_INTEGRATIONS_FILE": str(integrations),
        **connections,
    }
    airflow = AirflowTopology(home, config)
    try:
        airflow.airflow("db", "migrate")
        for component in ("api-server", "scheduler", "dag-processor"):
            airflow.start(component, component)
        for worker in WORKERS:
            airflow.start(
                worker,
                "celery",
                "worker",
                "--celery-hostname",
                f"{worker}@%h",
                "--queues",
                "default",
                "--skip-serve-logs",
                env={WORKER_NAME_ENV: worker},
            )
        airflow.wait_for_api()
        for integration in load_integrations(integrations).values():
            airflow.create_pool(integration.pool, integration.pool_slots)
        dag_ids = ["anymarket_race__import_orders", "anymarket_budget__import_orders"]
        airflow.wait_for_dags(dag_ids)
        for dag_id in dag_ids:
            unpause_and_finish_first_run(airflow, dag_id)
        yield CeleryEnv(airflow, e2e_sandbox, erp_url, mapping_url, sku)
    finally:
        airflow.stop()


def race(
    airflow: AirflowTopology, dag_id: str, settled: set[str], manual_conf: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Start a manual run (importing DAY through the trigger form's Params, unless ``manual_conf``
    says otherwise) and a backfill of DAY together; return the import task of both once each is in a
    ``settled`` state."""
    airflow.trigger(dag_id, {"created_from": DAY, "created_to": DAY} if manual_conf is None else manual_conf)
    airflow.api(
        "POST",
        "/api/v2/backfills",
        json={
            "dag_id": dag_id,
            "from_date": f"{DAY}T00:00:00Z",
            "to_date": f"{DAY}T12:00:00Z",
            "max_active_runs": 1,
            "reprocess_behavior": "none",
        },
    )

    def done() -> list[dict[str, Any]] | None:
        airflow.check_running()
        runs = [r for r in airflow.dag_runs(dag_id) if r["run_type"] in ("manual", "backfill")]
        tis = [ti for run in runs for ti in airflow.task_instances(dag_id, run["dag_run_id"])]
        return tis if len(tis) == 2 and all(ti["state"] in settled for ti in tis) else None

    return wait_until(f"both import runs of {dag_id}", done, timeout=180, interval=2)


@contextmanager
def racing_listings(sandbox: SandboxServer, *, latency_ms: int) -> Iterator[None]:
    """Both imports' order listings are held by the sandbox until the other one arrives, so they
    race on the same orders at the same moment whenever the scheduler happens to queue them (a
    worker runs one task at a time, so the two are on different workers); every request is slowed
    by ``latency_ms`` so they stay busy together."""
    sandbox.admin.set_faults(latency_ms=latency_ms, rendezvous={"GET /v2/orders": 2})
    try:
        yield
    finally:
        sandbox.admin.set_faults(latency_ms=0, rendezvous={})


def overlap(tis: list[dict[str, Any]]) -> bool:
    (a_start, a_end), (b_start, b_end) = (
        (datetime.fromisoformat(ti["start_date"]), datetime.fromisoformat(ti["end_date"])) for ti in tis
    )
    return a_start < b_end and b_start < a_end


def test_two_workers_racing_on_the_same_orders_import_each_once(celery_env: CeleryEnv) -> None:
    sandbox, airflow = celery_env.sandbox, celery_env.airflow
    order_ids = create_orders(sandbox, celery_env.sku, f"{DAY}T10:00:00-03:00", count=20)
    # Slow AnyMarket down a little, so both imports are still busy with the same orders together.
    with racing_listings(sandbox, latency_ms=50):
        tis = race(airflow, "anymarket_race__import_orders", {"success", "failed"})

    assert [ti["state"] for ti in tis] == ["success", "success"], airflow.home / "logs"
    assert {ti["hostname"] for ti in tis} == set(WORKERS)  # one import on each worker...
    assert overlap(tis), tis  # ...at the same time
    # Both listed the day's orders...
    listings = [r for r in sandbox.admin.requests(method="GET", path="/v2/orders") if r["oi"] == sandbox.oi]
    assert [r["fault"] for r in listings] == ["rendezvous", "rendezvous"]  # listed together
    # ...and every AnyMarket order is in the ERP exactly once, its ERP code written back once.
    assert erp_order_counts(celery_env.erp_url, order_ids) == dict.fromkeys(order_ids, 1)
    write_backs = Counter(
        r["path"].rsplit("/", 1)[1]
        for r in sandbox.admin.requests(method="PUT")
        if r["oi"] == sandbox.oi and r["path"].startswith("/v2/orders/partnerid/")
    )
    assert write_backs == Counter({str(order_id): 1 for order_id in order_ids})


def test_request_budget_and_its_realtime_reserve_hold_across_workers(celery_env: CeleryEnv) -> None:
    """A backfill (bulk lane) and a feed import (realtime lane) of one account spend its budget on
    the two workers at once: together never more than the budget, the backfill never more than
    bulk's share (17 of 25: 8 stay reserved), and both end cleanly waiting — no failure, no retry."""
    sandbox, airflow = celery_env.sandbox, celery_env.airflow
    dag_id = "anymarket_budget__import_orders"
    # Each import alone wants a request or two per order: far more than the budget of 25.
    order_ids = create_orders(sandbox, celery_env.sku, f"{DAY}T11:00:00-03:00", count=40, oi=BUDGET_OI)
    sandbox.admin.set_faults(latency_ms=500)  # slow enough that both runs are spending together
    try:
        # The regular import (no Params: the feed, realtime) and a backfill of the day (bulk).
        tis = race(airflow, dag_id, {"success", "failed", "up_for_retry"}, manual_conf={})
    finally:
        sandbox.admin.set_faults(latency_ms=0)

    assert {ti["hostname"] for ti in tis} == set(WORKERS)
    assert {ti["state"] for ti in tis} == {"success"}  # a spent lane is not a failure
    sent = [r for r in sandbox.admin.requests() if r["oi"] == BUDGET_OI]
    # Every request the budget allowed (the first scheduled run's included), and not one more.
    assert len(sent) == BUDGET
    assert not [r for r in sent if r["status"] == 429]
    engine = sa.create_engine(celery_env.mapping_url)
    try:
        budget = RequestBudget(
            engine, account=account_key(sandbox.base_url, BUDGET_TOKEN), requests_per_hour=BUDGET
        )
        assert budget.used_last_hour() == BUDGET
        bulk, realtime = budget.used_last_hour("bulk"), budget.used_last_hour("realtime")
        assert 0 < bulk <= BUDGET - budget.limits.reserve == 17
        assert realtime >= budget.limits.reserve == 8
        with engine.connect() as conn:
            outcomes = conn.execute(
                sa.select(m.run_summaries.c.summary["budget_lane"].as_string(), m.run_summaries.c.outcome)
                .where(m.run_summaries.c.integration_id == "budget")
                .order_by(m.run_summaries.c.id.desc())
                .limit(2)
            ).all()
        assert sorted(outcomes) == [("bulk", "waiting"), ("realtime", "waiting")]
    finally:
        engine.dispose()
    imported = erp_order_counts(celery_env.erp_url, order_ids)
    assert set(imported.values()) <= {0, 1} and 0 < sum(imported.values()) < len(order_ids)
