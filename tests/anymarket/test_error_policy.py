"""What a whole task does with each kind of error (anymarket.errors), run as Airflow runs it.

Each case runs the send-stock DAG with ``dag.test()`` (a real metadata DB, the real sandbox, a real
ERP and mapping DB) and its standard wiring: 3 retries, the failure e-mail. The retry delay is set
to zero so that a task Airflow retries shows up as more tries within the test, not as a wait.
"""

from __future__ import annotations

import html
import json
from datetime import timedelta
from typing import Any

import pytest

from tests.anymarket.operators.test_send_stock import SKU_CODES, set_balances, settings, shop  # noqa: F401
from tests.anymarket.test_failure_email import Inbox, smtp_inbox  # noqa: F401

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def run_dag(shop: dict[str, Any]) -> Any:  # noqa: F811
    """One run of loja1's send-stock DAG; returns its task instance once the run has ended."""
    from anymarket import automations
    from anymarket.dag_factory import build_dag
    from anymarket.settings import get_integration

    dag = build_dag(get_integration("loja1"), automations.get("send_stock"))
    for task in dag.tasks:
        assert task.retries == 3  # the standard wiring, which a fatal error must bypass
        task.retry_delay = timedelta(0)
        task.retry_exponential_backoff = 0
    run = dag.test()
    return run.get_task_instance("send_stock")


def mail_body(inbox: Inbox) -> str:
    (mail,) = inbox.messages
    return html.unescape(
        next(
            part.get_payload(decode=True).decode()
            for part in mail.walk()
            if part.get_content_type() == "text/html"
        )
    )


def test_a_refused_token_fails_the_task_on_its_first_try_naming_the_connection(
    shop: dict[str, Any],  # noqa: F811
    smtp_inbox: Inbox,  # noqa: F811
    airflow_metadata_db: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = shop["env"]
    settings(shop, rule="default_deposit")
    set_balances(env.erp, ("SKU-1", "SP", 5))
    monkeypatch.setenv(
        "AIRFLOW_CONN_ANYMARKET_LOJA1",
        json.dumps(
            {
                "conn_type": "http",
                "host": env.sandbox.base_url,
                "password": "not-the-token",
                "extra": {"oi": env.sandbox.oi, "timeout": 5, "backoff_base": 0.01, "backoff_max": 0.05},
            }
        ),
    )

    ti = run_dag(shop)

    assert ti.state == "failed" and ti.try_number == 1
    assert [r["status"] for r in env.sandbox.admin.requests()] == [401]  # nor did the hook retry
    body = mail_body(smtp_inbox)
    assert "refused the token of connection 'anymarket_loja1'" in body


def test_a_malformed_setting_fails_the_task_on_its_first_try_naming_the_setting(
    shop: dict[str, Any],  # noqa: F811
    smtp_inbox: Inbox,  # noqa: F811
    airflow_metadata_db: None,
) -> None:
    settings(shop, rule="default_deposit", default_deposit="NOPE")

    ti = run_dag(shop)

    assert ti.state == "failed" and ti.try_number == 1
    assert shop["env"].sandbox.admin.requests() == []
    assert "stock.default_deposit is 'NOPE'" in mail_body(smtp_inbox)


def test_a_422_on_one_sku_is_recorded_and_the_run_succeeds(
    shop: dict[str, Any],  # noqa: F811
    smtp_inbox: Inbox,  # noqa: F811
    airflow_metadata_db: None,
) -> None:
    env = shop["env"]
    settings(shop, rule="default_deposit")
    env.mapping.link("loja1", "sku", "SKU-3", "999999")  # gone from AnyMarket: a 422 for that row
    set_balances(env.erp, *((code, "SP", 5) for code in SKU_CODES))

    ti = run_dag(shop)

    assert ti.state == "success" and ti.try_number == 1
    assert smtp_inbox.messages == []
    (rejected,) = [h for h in env.mapping.history_of("loja1", "sku", "SKU-3") if h["outcome"] == "error"]
    assert rejected["response"]["status"] == 422 and "999999" in rejected["response"]["message"]
    statuses = [r["status"] for r in env.sandbox.admin.requests(method="PUT", path="/v2/stocks")]
    assert statuses.count(204) >= 1 and statuses[-1] == 204


def test_a_503_is_retried_by_the_hook_then_by_airflow(
    shop: dict[str, Any],  # noqa: F811
    smtp_inbox: Inbox,  # noqa: F811
    airflow_metadata_db: None,
    reconnect: Any,
) -> None:
    env = shop["env"]
    settings(shop, rule="default_deposit")
    set_balances(env.erp, ("SKU-1", "SP", 5))
    reconnect(max_retries=1)
    # 2 tries x 2 requests answered 503: the hook retries once, then Airflow retries the task; the
    # third try gets through.
    env.sandbox.admin.set_faults(error_burst=4, error_statuses=[503])

    ti = run_dag(shop)

    assert ti.state == "success" and ti.try_number == 3
    assert [r["status"] for r in env.sandbox.admin.requests(method="PUT", path="/v2/stocks")] == [
        503,
        503,
        503,
        503,
        204,
    ]
    assert smtp_inbox.messages == []
