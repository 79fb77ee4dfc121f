"""The ERP contract check automation: OK on the demo ERP, a failed run naming the defect otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from anymarket.erp import SQL_DIR_ENV
from anymarket.erp.contract import CONTRACT
from anymarket.errors import ConfigurationError
from anymarket.operators.check_erp import AnyMarketCheckErpOperator
from anymarket_sandbox.demo_erp import seed_demo_erp


def _operator(env) -> AnyMarketCheckErpOperator:
    return AnyMarketCheckErpOperator(task_id="check_erp", integration_id=env.integration_id)


def test_the_demo_erp_passes(integration_env) -> None:
    env = integration_env
    seed_demo_erp(env.erp, products=15, seed=5)
    summary = _operator(env).execute({"run_id": "manual__check"})
    assert summary["counts"] == {"ok": len(CONTRACT)}
    assert summary["dialect"] == "sqlite"
    assert env.mapping.last_run_summary("loja1", "check_erp")["outcome"] == "ok"
    assert env.sandbox.admin.requests() == []  # the ERP only: no AnyMarket request


def test_a_missing_file_fails_the_run_with_the_defect(
    integration_env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = integration_env
    seed_demo_erp(env.erp, products=15, seed=5)
    copy = tmp_path / "erp_sql"
    shutil.copytree(env.erp.sql_dir, copy)
    (copy / "queries" / "stock_skus.sql").unlink()
    monkeypatch.setenv(SQL_DIR_ENV, str(copy))

    with pytest.raises(ConfigurationError, match=r"1 of \d+ query files are not OK.*stock_skus\.sql: miss"):
        _operator(env).execute({"run_id": "manual__check"})

    stored = env.mapping.last_run_summary("loja1", "check_erp")
    assert stored["outcome"] == "failed"
    assert stored["summary"]["counts"] == {"ok": len(CONTRACT) - 1, "defect": 1}
    assert stored["summary"]["examples"]["defect"][0].startswith("DEFECT  stock_skus.sql: missing")
