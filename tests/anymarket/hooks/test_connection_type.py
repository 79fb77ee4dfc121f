"""The ``anymarket`` connection type: its registration, its settings, and the UI's Test button.

The Test button's check (:meth:`AnyMarketHook.test_connection`) runs against the real sandbox over
HTTP; the provider info is validated against Airflow's own schema for providers. The installed wheel
in a real api-server is tests/packaging's.
"""

from __future__ import annotations

import json
from importlib import resources
from types import SimpleNamespace

import jsonschema
import pytest
import requests

from anymarket.connections import AnyMarketConnectionSettings
from anymarket.errors import ConfigurationError
from anymarket.hooks.anymarket import AnyMarketHook
from anymarket.provider import ANYMARKET_ENVIRONMENT_URLS, HOOK_CLASS, extra_default, get_provider_info
from anymarket_sandbox.testing import seed_catalog

CONN_ID = "anymarket_typetest"


def connection(
    *, host: str | None = "https://api.anymarket.com.br/v2", port: int | None = None, **extra: object
) -> SimpleNamespace:
    return SimpleNamespace(
        conn_id=CONN_ID,
        conn_type="anymarket",
        host=host,
        schema=None,
        port=port,
        password="tok",
        extra_dejson=extra,
    )


def set_connection(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "anymarket", **fields}))


# -- registration --------------------------------------------------------------------------------


def test_the_provider_info_is_valid_for_airflows_providers_manager() -> None:
    schema = json.loads((resources.files("airflow") / "provider_info.schema.json").read_text())
    info = get_provider_info()

    jsonschema.validate(info, schema)
    (conn_type,) = info["connection-types"]
    assert conn_type["connection-type"] == AnyMarketHook.conn_type == "anymarket"
    assert (
        conn_type["hook-class-name"] == HOOK_CLASS == f"{AnyMarketHook.__module__}.{AnyMarketHook.__name__}"
    )


def test_every_form_field_is_a_setting_the_connection_reads() -> None:
    (conn_type,) = get_provider_info()["connection-types"]
    fields = conn_type["conn-fields"]
    for key in fields:
        extra_default(key)  # KeyError: a form field nothing reads
    behaviour = conn_type["ui-field-behaviour"]
    assert set(behaviour["hidden-fields"]) == {"schema", "login"}
    assert behaviour["relabeling"] == {
        "host": "API base URL",
        "password": "gumgaToken",
        "port": "Port of the API",
    }
    assert set(behaviour["placeholders"]) - {"host", "password", "port"} <= set(fields)
    # The defaults the form names are the ones the code applies.
    assert f"(default {extra_default('requests_per_hour')})" in fields["requests_per_hour"]["description"]


def test_the_providers_manager_registers_the_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the api-server sees it: Airflow's ProvidersManager fed our provider info (in a checkout the
    distribution may be installed editable or not at all; tests/packaging covers the entry point)."""
    from airflow.providers_manager import ProviderInfo, ProvidersManager

    manager = ProvidersManager()
    manager._provider_dict["airflow-provider-anymarket"] = ProviderInfo("1.0.0", get_provider_info())
    manager._load_ui_metadata()

    assert manager._hook_name_dict["anymarket"] == "AnyMarket"
    assert manager._field_behaviours["anymarket"]["relabeling"]["host"] == "API base URL"
    widget = manager._connection_form_widgets["extra__anymarket__oi"]
    assert widget.field_name == "oi" and widget.field["schema"]["title"] == "OI"
    assert manager._connection_form_widgets["extra__anymarket__callback_secret"].is_sensitive


# -- settings ------------------------------------------------------------------------------------


def test_fields_left_empty_in_the_form_take_the_defaults() -> None:
    settings = AnyMarketConnectionSettings.from_connection(
        connection(oi="1.", timeout=None, requests_per_hour="", stock_batch_size=None, environment="")
    )
    assert settings.timeout == extra_default("timeout")
    assert settings.requests_per_hour == extra_default("requests_per_hour")
    assert settings.stock_batch_size == extra_default("stock_batch_size")


def test_the_environment_gives_the_base_url_when_the_host_is_empty() -> None:
    settings = AnyMarketConnectionSettings.from_connection(connection(host="", environment="sandbox"))
    assert settings.base_url == ANYMARKET_ENVIRONMENT_URLS["sandbox"]


def test_a_host_of_the_other_environment_is_refused() -> None:
    with pytest.raises(
        ConfigurationError, match=r"environment 'sandbox' but its host .* AnyMarket's production"
    ):
        AnyMarketConnectionSettings.from_connection(connection(environment="sandbox"))
    # A host that is neither (a proxy, the local sandbox) is the operator's choice.
    settings = AnyMarketConnectionSettings.from_connection(
        connection(host="http://127.0.0.1:8765/v2", environment="production")
    )
    assert settings.base_url == "http://127.0.0.1:8765/v2"


def test_a_port_beside_the_base_url_must_agree_with_it() -> None:
    for host, port in (("https://api.anymarket.com.br/v2", 443), ("http://127.0.0.1:8765/v2", 8765)):
        assert AnyMarketConnectionSettings.from_connection(connection(host=host, port=port)).base_url == host
    with pytest.raises(ConfigurationError, match=r"port is 8080 but its API base URL .* is on port 443"):
        AnyMarketConnectionSettings.from_connection(connection(port=8080))


def test_an_unknown_environment_names_the_choices() -> None:
    with pytest.raises(
        ConfigurationError, match=r"extra 'environment' is 'staging'; use production or sandbox"
    ):
        AnyMarketConnectionSettings.from_connection(connection(environment="staging"))


def test_no_host_and_no_environment_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError, match=r"has no host: .* or set its extra 'environment'"):
        AnyMarketConnectionSettings.from_connection(connection(host=None))


# -- the Test button -----------------------------------------------------------------------------


def test_good_token_and_oi_pass_without_the_mapping_db(sandbox, monkeypatch) -> None:
    """No ``anymarket_mapping_db`` connection exists here: the check must not touch the budget (the
    api-server need not reach the mapping DB), nor retry."""
    monkeypatch.delenv("AIRFLOW_CONN_ANYMARKET_MAPPING_DB", raising=False)
    seed_catalog(sandbox, skus=("SKU-1",), with_stock=True)
    set_connection(monkeypatch, host=sandbox.base_url, password=sandbox.token, extra={"oi": sandbox.oi})
    sandbox.admin.clear_requests()

    ok, message = AnyMarketHook(CONN_ID).test_connection()

    assert ok, message
    requests_sent = [(r["method"], r["path"]) for r in sandbox.admin.requests()]
    warehouses = requests.get(
        f"{sandbox.base_url}/stocks/locals", headers={"gumgaToken": sandbox.token}, timeout=10
    ).json()
    assert message.startswith(
        f"Connected to {sandbox.base_url}: the token is accepted ({len(warehouses)} warehouse(s))"
    )
    assert message.endswith(f"OI {sandbox.oi} confirmed by AnyMarket.")
    assert requests_sent == [
        ("GET", "/v2/stocks/locals"),
        ("GET", "/v2/stocks"),
    ]


def test_an_account_without_stock_cannot_confirm_the_oi_yet(sandbox, monkeypatch) -> None:
    set_connection(monkeypatch, host=sandbox.base_url, password=sandbox.token, extra={"oi": sandbox.oi})

    ok, message = AnyMarketHook(CONN_ID).test_connection()

    assert ok and "not confirmable yet (the account has no stock rows)" in message


def test_a_wrong_token_fails_naming_the_token(sandbox, monkeypatch) -> None:
    set_connection(monkeypatch, host=sandbox.base_url, password="not-the-token", extra={"oi": sandbox.oi})
    sandbox.admin.clear_requests()

    ok, message = AnyMarketHook(CONN_ID).test_connection()

    assert not ok
    assert f"AnyMarket refused the token of connection '{CONN_ID}' (HTTP 401" in message
    assert "gumgaToken" in message
    assert len(sandbox.admin.requests()) == 1  # no retry of a refused token


def test_an_oi_other_than_the_accounts_fails(sandbox, monkeypatch) -> None:
    seed_catalog(sandbox, skus=("SKU-1",), with_stock=True)
    set_connection(monkeypatch, host=sandbox.base_url, password=sandbox.token, extra={"oi": "99999."})

    ok, message = AnyMarketHook(CONN_ID).test_connection()

    assert not ok
    assert f"AnyMarket reports OI '{sandbox.oi}' for this token, not '99999.'" in message


def test_a_malformed_oi_fails_before_any_request(sandbox, monkeypatch) -> None:
    set_connection(monkeypatch, host=sandbox.base_url, password=sandbox.token, extra={"oi": "12345"})
    sandbox.admin.clear_requests()

    ok, message = AnyMarketHook(CONN_ID).test_connection()

    assert not ok and "ending with a dot" in message
    assert sandbox.admin.requests() == []


def test_an_unreachable_api_names_the_base_url(monkeypatch) -> None:
    set_connection(
        monkeypatch, host="http://127.0.0.1:9/v2", password="tok", extra={"oi": "1.", "timeout": 2}
    )

    ok, message = AnyMarketHook(CONN_ID).test_connection()

    assert not ok and "on GET /stocks/locals" in message and "check the connection's API base URL" in message
