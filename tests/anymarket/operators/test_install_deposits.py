"""The deposit installer over the real sandbox, a real ERP and the mapping DB (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa

from anymarket.operators.install_deposits import AnyMarketInstallDepositsOperator


def add_deposits(erp, *rows: tuple[str, str, bool]) -> None:
    with erp.engine.begin() as conn:
        for code, name, is_default in rows:
            conn.execute(
                sa.text("INSERT INTO deposits (code, name, is_default, active) VALUES (:c, :n, :d, 1)"),
                {"c": code, "n": name, "d": is_default},
            )


def run_installer(env) -> dict:
    operator = AnyMarketInstallDepositsOperator(task_id="install_deposits", integration_id=env.integration_id)
    return operator.execute({"run_id": "test-run"})


def test_links_same_names_reports_the_rest_and_is_idempotent(integration_env) -> None:
    env = integration_env
    add_deposits(
        env.erp, ("SP", "CD São Paulo", True), ("REC", "CD Recife", False), ("CWB", "Loja Curitiba", False)
    )
    sp = env.sandbox.admin.create_stock_local("CD SAO PAULO", default_local=True)
    recife = env.sandbox.admin.create_stock_local("CD Recife")
    env.sandbox.admin.create_stock_local("Full Mercado Livre", virtual=True)
    env.sandbox.admin.clear_requests()

    summary = run_installer(env)

    assert summary["counts"] == {"linked": 2, "unmatched_deposits": 1, "unmatched_warehouses": 1}
    assert summary["examples"]["unmatched_deposits"] == ["Loja Curitiba (CWB)"]
    assert summary["examples"]["unmatched_warehouses"][0].startswith("Full Mercado Livre")
    assert summary["requests_used"] == 1
    assert [(r["method"], r["path"]) for r in env.sandbox.admin.requests()] == [("GET", "/v2/stocks/locals")]
    mappings = env.mapping.mappings_of("loja1", "deposit")
    assert {code: row["value"] for code, row in mappings.items()} == {
        "SP": str(sp["id"]),
        "REC": str(recife["id"]),
    }
    assert mappings["SP"]["source"] == "auto"
    assert mappings["SP"]["attributes"]["counts_toward_balance"] is True
    history = env.mapping.history_of("loja1", "deposit", "CWB")
    assert (
        history[-1]["outcome"] == "skipped"
        and "no AnyMarket warehouse named 'Loja Curitiba'" in history[-1]["error"]
    )
    with env.mapping.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT name, is_default, is_virtual FROM anymarket_warehouses ORDER BY name")
        )
        assert [tuple(r) for r in stored] == [
            ("CD Recife", False, False),
            ("CD SAO PAULO", True, False),
            ("Full Mercado Livre", False, True),
        ]

    again = run_installer(env)
    assert again["counts"] == {"already_linked": 2, "unmatched_deposits": 1, "unmatched_warehouses": 1}
    assert env.mapping.mappings_of("loja1", "deposit") == mappings
    last = env.mapping.last_run_summary("loja1", "install_deposits")
    assert last["outcome"] == "ok" and last["summary"]["counts"]["already_linked"] == 2


def test_manual_mappings_win_and_stale_ones_are_reported(integration_env) -> None:
    env = integration_env
    add_deposits(
        env.erp, ("SP", "CD São Paulo", True), ("CWB", "Loja Curitiba", False), ("REC", "CD Recife", False)
    )
    env.sandbox.admin.create_stock_local("CD São Paulo", default_local=True)
    full = env.sandbox.admin.create_stock_local("Full Mercado Livre", virtual=True)
    env.sandbox.admin.create_stock_local("CD Recife")
    env.mapping.set_mapping(
        "loja1", "deposit", "CWB", str(full["id"]), attributes={"counts_toward_balance": False}
    )
    env.mapping.set_mapping("loja1", "deposit", "REC", "999999")

    summary = run_installer(env)

    assert summary["counts"] == {
        "linked": 1,
        "already_linked": 1,
        "linked_to_missing_warehouse": 1,
        "unmatched_warehouses": 1,
    }
    assert env.mapping.mappings_of("loja1", "deposit")["CWB"] == {
        "value": str(full["id"]),
        "attributes": {"counts_toward_balance": False},
        "source": "manual",
    }
    assert env.mapping.history_of("loja1", "deposit", "REC")[-1]["action"] == "stale_link"


def test_ambiguous_names_are_not_guessed(integration_env) -> None:
    env = integration_env
    add_deposits(env.erp, ("REC", "CD Recife", True))
    env.sandbox.admin.create_stock_local("CD Recife", default_local=True)
    env.sandbox.admin.create_stock_local("cd  recife")

    summary = run_installer(env)

    assert summary["counts"] == {"ambiguous_deposits": 1, "unmatched_warehouses": 2}
    assert env.mapping.mappings_of("loja1", "deposit") == {}


def test_inactive_deposits_are_ignored(integration_env) -> None:
    env = integration_env
    add_deposits(env.erp, ("SP", "CD São Paulo", True))
    with env.erp.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO deposits (code, name, is_default, active) VALUES ('OLD', 'Antigo', 0, 0)")
        )
    env.sandbox.admin.create_stock_local("CD São Paulo", default_local=True)

    summary = run_installer(env)

    assert summary["erp_deposits"] == 1 and summary["counts"] == {"linked": 1}
