"""The retention automation: prunes the integration's old history by its setting or the run's Params."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow
from anymarket.operators.prune_history import AnyMarketPruneHistoryOperator


def _age_history(env, days: int) -> None:
    with env.mapping.begin() as conn:
        conn.execute(sa.update(m.history).values(created_at=utcnow() - timedelta(days=days)))


def _run(env, **params) -> dict:
    operator = AnyMarketPruneHistoryOperator(task_id="prune_history", integration_id=env.integration_id)
    return operator.execute({"run_id": "manual__prune", "params": params})


def test_prunes_by_the_setting_and_the_run_params(integration_env) -> None:
    env = integration_env
    for key in ("A", "B"):
        env.mapping.record_history("loja1", entity_type="sku", entity_key=key, action="x", outcome="ok")
    _age_history(env, 60)

    # The setting (retention_days 90 by default) keeps them; a dry run with keep_days 30 counts them.
    assert _run(env)["deleted_history"] == 0
    summary = _run(env, keep_days=30, dry_run=True)
    assert summary["would_delete_history"] == 2 and summary["dry_run"] is True
    assert len(env.mapping.history_of("loja1", "sku", "A")) == 1

    summary = _run(env, keep_days=30)
    assert summary["deleted_history"] == 2 and summary["keep_days"] == 30
    assert env.mapping.history_of("loja1", "sku", "A") == []
    assert env.sandbox.admin.requests() == []


def test_a_bad_keep_days_is_refused(integration_env) -> None:
    from anymarket.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="keep_days"):
        _run(integration_env, keep_days="thirty")
