"""The panel report over the real sandbox and the mapping DB (SQLite and PostgreSQL): each problem
posted to POST /monitorings once, solved once when it clears, nothing when the setting is off."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow
from anymarket.operators.report_monitorings import AnyMarketReportMonitoringsOperator
from tests.anymarket.conftest import INTEGRATIONS_YAML


def run(env) -> dict[str, Any]:
    operator = AnyMarketReportMonitoringsOperator(task_id="report_monitorings", integration_id="loja1")
    summary = operator.execute({"run_id": "test-run"})
    summary.setdefault("requests_used", 0)
    return summary


def panel(env) -> dict[str, dict[str, Any]]:
    sb = env.sandbox.sandbox
    with sb.state.lock:
        return {e["partnerId"]: dict(e) for e in sb.state.account().monitorings.values()}


@pytest.fixture
def env(integration_env, tmp_path):
    (tmp_path / "integrations.yaml").write_text(INTEGRATIONS_YAML + "    report_to_anymarket_panel: true\n")
    db = integration_env.mapping
    now = utcnow()
    with db.begin() as conn:
        conn.execute(
            m.order_imports.insert().values(
                integration_id="loja1",
                anymarket_order_id="5001",
                state="held",
                reason="unmapped carrier: 'Amazon Logistics' (add it to carriers.csv)",
                failures=0,
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            m.product_rejected.insert().values(
                integration_id="loja1",
                product_code="P1",
                data_hash="h",
                status=422,
                message="O título deve ter no máximo 150 caracteres.",
                rejected_at=now,
            )
        )
    db.record_run_summary(
        "loja1",
        "send_stock",
        run_id="r1",
        outcome="failed",
        summary={"error": "ERP unreachable"},
        started_at=now,
    )
    db.record_run_summary("loja1", "send_prices", run_id="r1", outcome="ok", summary={}, started_at=now)
    return integration_env


def test_each_problem_is_posted_once_then_solved_once(env) -> None:
    first = run(env)
    assert first["requests_used"] == 3 and first["counts"]["posted"] == 3
    shown = panel(env)
    assert set(shown) == {"order:5001", "product:P1", "run:send_stock"}
    order = shown["order:5001"]
    assert (order["type"], order["status"]) == ("ALERT", "PENDING")
    assert "Amazon Logistics" in order["message"] and order["origin"] == "Airflow (Loja 1)"
    assert (
        shown["run:send_stock"]["type"] == "INTERNAL_ERROR"
        and "ERP unreachable" in shown["run:send_stock"]["message"]
    )
    assert run(env)["requests_used"] == 0  # posted once

    # They clear: the order imported, the product accepted, send_stock succeeds.
    now = utcnow()
    with env.mapping.begin() as conn:
        conn.execute(sa.update(m.order_imports).values(state="imported", reason=None))
        conn.execute(sa.delete(m.product_rejected))
    env.mapping.record_run_summary(
        "loja1", "send_stock", run_id="r2", outcome="ok", summary={}, started_at=now
    )
    solved = run(env)
    assert solved["requests_used"] == 3 and solved["counts"]["solved"] == 3
    assert {e["status"] for e in panel(env).values()} == {"CONCLUDED"} and len(
        panel(env)
    ) == 3  # same entries
    assert run(env)["requests_used"] == 0

    # A problem that comes back is posted again.
    env.mapping.record_run_summary(
        "loja1", "send_stock", run_id="r3", outcome="failed", summary={"error": "x"}, started_at=now
    )
    again = run(env)
    assert (
        again["examples"]["posted"] == ["run:send_stock"]
        and panel(env)["run:send_stock"]["status"] == "PENDING"
    )
    with env.mapping.engine.connect() as conn:
        rows = {r.partner_id: r.status for r in conn.execute(sa.select(m.panel_monitorings))}
    assert rows == {"order:5001": "CONCLUDED", "product:P1": "CONCLUDED", "run:send_stock": "PENDING"}


def test_off_by_default_nothing_is_posted(integration_env) -> None:
    now = utcnow()
    integration_env.mapping.record_run_summary(
        "loja1", "send_stock", run_id="r1", outcome="failed", summary={"error": "x"}, started_at=now
    )
    summary = run(integration_env)
    assert summary["requests_used"] == 0 and "report_to_anymarket_panel is off" in summary["disabled"]
    assert panel(integration_env) == {}
