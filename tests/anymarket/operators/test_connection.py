"""Test connection over the real sandbox: good credentials, refused token, wrong or malformed OI."""

from __future__ import annotations

import pytest

from anymarket.errors import AnyMarketAuthError, ConfigurationError
from anymarket.operators.test_connection import AnyMarketTestConnectionOperator
from anymarket_sandbox import conformance
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
    if conformance.spec_available():
        conformance.assert_requests_conform(log)


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


def test_callbacks_off_without_a_public_base_url(integration_env) -> None:
    summary = run_test_connection(integration_env)
    assert summary["callbacks"].startswith("off")
    paths = [r["path"] for r in integration_env.sandbox.admin.requests()]
    assert paths == ["/v2/stocks/locals", "/v2/stocks"]


def test_the_callback_url_is_registered_and_reported(integration_env, reconnect) -> None:
    env = integration_env
    reconnect(callback_base_url="https://airflow.loja1.example")

    first = run_test_connection(env)
    second = run_test_connection(env)

    shown = "https://airflow.loja1.example/anymarket/callbacks/loja1/<secret>"
    assert first["callbacks"].startswith(f"{shown}: registered now")
    assert second["callbacks"].startswith(f"{shown}: registered, callback id")
    assert (first["requests_used"], second["requests_used"]) == (4, 3)  # + GET (and POST) /callbacks
    [registered] = _callbacks(env)
    assert registered["url"].startswith("https://airflow.loja1.example/anymarket/callbacks/loja1/")
    assert "test-callback-secret" not in str(first)
    history = env.mapping.history_of("loja1", "connection", "anymarket_loja1")
    assert history[-1]["response"]["callbacks"] == "registered"


def test_a_missing_callback_secret_is_reported_not_fatal(integration_env, reconnect) -> None:
    env = integration_env
    reconnect(callback_base_url="https://airflow.loja1.example", callback_secret=None)

    summary = run_test_connection(env)

    assert "NOT registered" in summary["callbacks"]
    assert "python -m anymarket.callbacks register --integration loja1" in summary["callbacks"]
    assert _callbacks(env) == []


def _callbacks(env) -> list[dict]:
    import requests

    return requests.get(
        f"{env.sandbox.base_url}/callbacks", headers={"gumgaToken": env.sandbox.token}, timeout=5
    ).json()
