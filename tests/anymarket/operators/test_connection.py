"""Test connection over the real sandbox: good credentials, refused token, wrong or malformed OI."""

from __future__ import annotations

import pytest

from anymarket.errors import AnyMarketAuthError, ConfigurationError
from anymarket.operators.test_connection import AnyMarketTestConnectionOperator
from anymarket_sandbox import openapi_check
from anymarket_sandbox.testing import seed_catalog


def run_test_connection(env) -> dict:
    operator = AnyMarketTestConnectionOperator(task_id="test_connection", integration_id=env.integration_id)
    return operator.execute({"run_id": "test-run"})


def test_good_credentials_on_an_empty_account(integration_env) -> None:
    env = integration_env
    env.sandbox.admin.create_stock_local("CD São Paulo", default_local=True)

    summary = run_test_connection(env)

    assert summary["warehouses"] == 1
    assert summary["oi_check"].startswith("not confirmable")
    assert summary["requests_used"] == 2
    last = env.mapping.last_run_summary("loja1", "test_connection")
    assert last["outcome"] == "ok"
    assert env.mapping.history_of("loja1", "connection", "anymarket_loja1")[-1]["outcome"] == "ok"


def test_oi_confirmed_by_the_account_stock(integration_env) -> None:
    env = integration_env
    seed_catalog(env.sandbox, skus=("SKU-1",), with_stock=True)
    env.sandbox.admin.clear_requests()

    summary = run_test_connection(env)

    assert summary["oi_check"] == "confirmed by AnyMarket"
    log = env.sandbox.admin.requests()
    assert [(r["method"], r["path"]) for r in log] == [("GET", "/v2/stocks/locals"), ("GET", "/v2/stocks")]
    if openapi_check.spec_available():
        openapi_check.validate_logged_requests(log)


def test_an_oi_other_than_the_accounts_fails(integration_env, reconnect) -> None:
    env = integration_env
    seed_catalog(env.sandbox, skus=("SKU-1",), with_stock=True)
    reconnect(oi="99999.")

    with pytest.raises(ConfigurationError, match=r"says OI '99999.' but AnyMarket reports 'sandbox-oi.'"):
        run_test_connection(env)
    last = env.mapping.last_run_summary("loja1", "test_connection")
    assert last["outcome"] == "failed" and "99999." in last["summary"]["error"]


def test_malformed_oi_fails_before_any_request(integration_env, reconnect) -> None:
    env = integration_env
    reconnect(oi="12345")

    with pytest.raises(ConfigurationError, match=r"extra 'oi' is '12345'.*ending with a dot"):
        run_test_connection(env)
    assert env.sandbox.admin.requests() == []


def test_refused_token_fails_with_a_clear_message(integration_env, monkeypatch) -> None:
    env = integration_env
    monkeypatch.setenv(
        "AIRFLOW_CONN_ANYMARKET_LOJA1",
        f'{{"conn_type":"http","host":"{env.sandbox.base_url}","password":"wrong","extra":{{"oi":"x."}}}}',
    )

    with pytest.raises(AnyMarketAuthError, match="refused the token of connection 'anymarket_loja1'"):
        run_test_connection(env)
    assert env.mapping.last_run_summary("loja1", "test_connection")["outcome"] == "failed"
