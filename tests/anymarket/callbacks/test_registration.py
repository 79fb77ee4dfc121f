"""The integration registers its callback URL (secret included) with AnyMarket — the real sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from anymarket.callbacks import registration
from anymarket.callbacks.__main__ import main
from anymarket.connections import AnyMarketConnectionSettings, get_connection
from anymarket.hooks.anymarket import AnyMarketHook
from tests.anymarket.conftest import CALLBACK_SECRET

BASE = "https://airflow.loja1.example"


@pytest.fixture(autouse=True)
def server_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command marks its process as Airflow's server side; the mark is undone after each test."""
    monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", "server")


def listed(env: Any) -> list[dict[str, Any]]:
    return requests.get(
        f"{env.sandbox.base_url}/callbacks", headers={"gumgaToken": env.sandbox.token}, timeout=5
    ).json()


def hook() -> AnyMarketHook:
    return AnyMarketHook(anymarket_conn_id="anymarket_loja1")


def calls(env: Any) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in env.sandbox.admin.requests()]


def test_the_url_carries_the_secret_and_a_new_secret_is_random() -> None:
    url = registration.callback_url(BASE + "/", "loja1", "s3cr3t")
    assert url == f"{BASE}/anymarket/callbacks/loja1/s3cr3t"
    assert registration.is_ours(url, BASE, "loja1")
    assert registration.is_ours(f"{BASE}/anymarket/callbacks/loja1", BASE, "loja1")  # the old one
    assert not registration.is_ours(f"{BASE}/anymarket/callbacks/loja12/x", BASE, "loja1")
    assert not registration.is_ours("https://other.example/anymarket/callbacks/loja1/x", BASE, "loja1")
    secrets = {registration.new_secret() for _ in range(50)}
    assert len(secrets) == 50 and all(len(s) == 43 for s in secrets)


def test_register_once_then_nothing_to_do(integration_env: Any, reconnect: Any) -> None:
    env = integration_env
    reconnect(callback_base_url=BASE)
    first = registration.ensure_registered(hook(), "loja1")
    assert first.status == "created"
    assert CALLBACK_SECRET not in first.describe()
    [cb] = listed(env)
    assert cb["url"] == f"{BASE}/anymarket/callbacks/loja1/{CALLBACK_SECRET}"
    assert (cb["orderActive"], cb["productActive"], cb["transmissionActive"], cb["questionActive"]) == (
        True,
        False,
        False,
        False,
    )
    assert cb["token"] == env.sandbox.token
    env.sandbox.admin.clear_requests()
    again = registration.ensure_registered(hook(), "loja1")
    assert (again.status, again.callback_id) == ("registered", cb["id"])
    assert calls(env) == [("GET", "/v2/callbacks")]
    assert registration.registration_status(hook(), "loja1").status == "registered"


def test_a_rotated_secret_replaces_the_old_registrations_and_leaves_others_alone(
    integration_env: Any, reconnect: Any
) -> None:
    env = integration_env
    api = {"headers": {"gumgaToken": env.sandbox.token}, "timeout": 5}
    for url in (
        f"{BASE}/anymarket/callbacks/loja1/{CALLBACK_SECRET}",  # registered before the rotation
        f"{BASE}/anymarket/callbacks/loja1",  # the old secretless URL, from before secrets
        "https://other-system.example/hooks/anymarket",  # someone else's: never touched
    ):
        requests.post(f"{env.sandbox.base_url}/callbacks", json={"url": url, "orderActive": True}, **api)
    new = "a-new-secret-after-rotation-0123456789"
    reconnect(callback_base_url=BASE, callback_secret=new, callback_secret_previous=CALLBACK_SECRET)
    assert registration.registration_status(hook(), "loja1").status == "missing"
    env.sandbox.admin.clear_requests()
    result = registration.ensure_registered(hook(), "loja1")
    assert (result.status, result.removed) == ("updated", 1)
    assert [m for m, _ in calls(env)] == ["GET", "PUT", "DELETE"]
    assert sorted(cb["url"] for cb in listed(env)) == [
        f"{BASE}/anymarket/callbacks/loja1/{new}",
        "https://other-system.example/hooks/anymarket",
    ]


def test_without_a_base_url_or_a_secret_it_says_what_to_set(integration_env: Any, reconnect: Any) -> None:
    from anymarket.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="callback_base_url"):
        registration.ensure_registered(hook(), "loja1")
    reconnect(callback_base_url=BASE, callback_secret=None)
    with pytest.raises(ConfigurationError, match=r"anymarket\.callbacks register --integration loja1"):
        registration.ensure_registered(hook(), "loja1")
    assert integration_env.sandbox.admin.requests() == []


def test_a_weak_or_malformed_secret_is_refused(integration_env: Any, reconnect: Any) -> None:
    from anymarket.errors import ConfigurationError

    for bad in ("short", "has/a/slash-0123456789abcdef", 12345678901234567890123):
        reconnect(callback_secret=bad)
        with pytest.raises(ConfigurationError, match="callback_secret"):
            AnyMarketConnectionSettings.from_connection(get_connection("anymarket_loja1"))


def test_the_secret_never_shows_in_a_repr(integration_env: Any) -> None:
    settings = AnyMarketConnectionSettings.from_connection(get_connection("anymarket_loja1"))
    assert settings.callback_secret == CALLBACK_SECRET and CALLBACK_SECRET not in repr(settings)


# -- the command ----------------------------------------------------------------------------------


def test_cli_registers_and_checks(integration_env: Any, reconnect: Any, capsys: Any) -> None:
    reconnect(callback_base_url=BASE)
    assert main(["register", "--integration", "loja1", "--check"]) == 1
    assert "NOT registered" in capsys.readouterr().out
    assert main(["register", "--integration", "loja1"]) == 0
    out = capsys.readouterr().out
    assert "registered now" in out and CALLBACK_SECRET not in out
    assert main(["register", "--integration", "loja1", "--check"]) == 0
    assert len(listed(integration_env)) == 1


def test_cli_rotation_of_a_connection_from_the_environment_prints_what_to_set(
    integration_env: Any, reconnect: Any, capsys: Any
) -> None:
    reconnect(callback_base_url=BASE)
    assert main(["register", "--integration", "loja1", "--rotate"]) == 3
    out = capsys.readouterr().out
    assert "AIRFLOW_CONN_ANYMARKET_LOJA1" in out
    keys = json.loads(out.splitlines()[1])
    assert keys["callback_secret_previous"] == CALLBACK_SECRET
    assert len(keys["callback_secret"]) == 43 and keys["callback_secret"] != CALLBACK_SECRET
    assert "callback_secret_previous_until" in keys
    assert "python -m anymarket.callbacks register --integration loja1" in out
    assert integration_env.sandbox.admin.requests() == []  # nothing registered before it is stored


def test_cli_rotation_of_a_connection_in_the_metadata_db_stores_and_registers(
    integration_env: Any, monkeypatch: pytest.MonkeyPatch, airflow_metadata_db: None, capsys: Any
) -> None:
    from airflow.models import Connection
    from airflow.utils.session import create_session

    env = integration_env
    monkeypatch.delenv("AIRFLOW_CONN_ANYMARKET_LOJA1")
    extra = {"oi": env.sandbox.oi, "callback_base_url": BASE, "callback_secret": CALLBACK_SECRET}
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == "anymarket_loja1").delete()
        session.add(
            Connection(
                conn_id="anymarket_loja1",
                conn_type="http",
                host=env.sandbox.base_url,
                password=env.sandbox.token,
                extra=json.dumps(extra),
            )
        )
    try:
        assert main(["register", "--integration", "loja1"]) == 0
        assert main(["register", "--integration", "loja1", "--rotate"]) == 0
        out = capsys.readouterr().out
        assert "New callback secret stored" in out and "registration updated" in out
        settings = AnyMarketConnectionSettings.from_connection(get_connection("anymarket_loja1"))
        assert settings.callback_secret != CALLBACK_SECRET
        assert settings.callback_secrets() == (settings.callback_secret, CALLBACK_SECRET)  # the grace
        [cb] = listed(env)
        assert cb["url"] == f"{BASE}/anymarket/callbacks/loja1/{settings.callback_secret}"
    finally:
        with create_session() as session:
            session.query(Connection).filter(Connection.conn_id == "anymarket_loja1").delete()
