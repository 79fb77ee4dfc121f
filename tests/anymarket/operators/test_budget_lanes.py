"""Budget lanes seen from the operators: a spent lane ends a run cleanly, the next run continues,
and only realtime work waiting too long alerts — once per streak."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.budget import RequestBudget, account_key
from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow
from anymarket.operators.base import BudgetStarvedError
from anymarket.operators.import_orders import AnyMarketImportOrdersOperator
from tests.anymarket.conftest import INTEGRATIONS_YAML
from tests.anymarket.operators.test_sync_products import run as sync_products
from tests.anymarket.operators.test_sync_products import seed_erp


def budget_settings(tmp_path: Path, **budget: Any) -> None:
    lines = "".join(f"      {key}: {str(value).lower()}\n" for key, value in budget.items())
    (tmp_path / "integrations.yaml").write_text(f"{INTEGRATIONS_YAML}    budget:\n{lines}")


def waits(env: Any) -> dict[str, Any]:
    with env.mapping.engine.connect() as conn:
        return {r.automation: r for r in conn.execute(sa.select(m.budget_waits))}


def last_outcome(env: Any, automation: str) -> str:
    with env.mapping.engine.connect() as conn:
        return conn.execute(
            sa.select(m.run_summaries.c.outcome)
            .where(m.run_summaries.c.automation == automation)
            .order_by(m.run_summaries.c.id.desc())
            .limit(1)
        ).scalar_one()


def test_a_spent_bulk_lane_ends_the_run_cleanly_and_the_next_run_continues(
    integration_env: Any, tmp_path: Path, reconnect: Any
) -> None:
    env = integration_env
    seed_erp(env.erp)
    shop = {"env": env, "tmp": tmp_path}
    # 12 requests an hour: 4 kept for realtime, 8 for bulk, no pacing — brand (2 lookups + POST),
    # categories (tree + 2 POSTs), P1 (lookup + POST), and the lane is spent before P2.
    budget_settings(tmp_path, bulk_burst=1.0)
    reconnect(requests_per_hour=12)
    summary = sync_products(shop)  # no exception: not failed, not retried, no e-mail
    wait = summary["waiting_for_budget"]
    assert (wait["lane"], wait["reached"], wait["used"], wait["limit"]) == ("bulk", "the bulk lane", 8, 8)
    assert summary["budget_lane"] == "bulk" and summary["counts"]["created"] == 1
    assert wait["waiting"] == "1 of 2 products left"
    assert last_outcome(env, "sync_products") == "waiting"
    assert waits(env)["sync_products"].lane == "bulk"
    assert list(env.mapping.links_of("loja1", "product")) == ["P1"]
    # The reserve is still there for realtime work: 4 requests.
    budget = RequestBudget(
        env.mapping.engine, account=account_key(env.sandbox.base_url, env.sandbox.token), requests_per_hour=12
    )
    for _ in range(4):
        budget.acquire(lane="realtime")

    reconnect(requests_per_hour=100_000)
    summary = sync_products(shop)
    assert (summary["counts"]["unchanged"], summary["counts"]["created"]) == (1, 1)
    assert "waiting_for_budget" not in summary
    assert last_outcome(env, "sync_products") == "ok" and waits(env) == {}


def test_realtime_waiting_alerts_once_when_it_cannot_keep_up(
    integration_env: Any, tmp_path: Path, reconnect: Any
) -> None:
    env = integration_env
    budget_settings(tmp_path, realtime_alert_after_minutes=15)
    reconnect(requests_per_hour=10)
    budget = RequestBudget(
        env.mapping.engine, account=account_key(env.sandbox.base_url, env.sandbox.token), requests_per_hour=10
    )
    for _ in range(10):
        budget.acquire(lane="realtime")  # another worker's orders spent the whole hour

    def import_orders() -> dict[str, Any]:
        operator = AnyMarketImportOrdersOperator(
            task_id="import_orders", integration_id="loja1", watch_seconds=0
        )
        return operator.execute({"run_id": "test", "params": {}})

    summary = import_orders()
    assert summary["waiting_for_budget"]["lane"] == "realtime"
    assert last_outcome(env, "import_orders") == "waiting"
    first_since = waits(env)["import_orders"].since
    assert (
        import_orders()["waiting_for_budget"]["waiting_since"]
        == summary["waiting_for_budget"]["waiting_since"]
    )

    # Sixteen minutes of waiting without one run getting through: the realtime lane cannot keep up.
    with env.mapping.begin() as conn:
        conn.execute(sa.update(m.budget_waits).values(since=first_since - timedelta(minutes=16)))
    with pytest.raises(BudgetStarvedError, match=r"cannot keep up: import_orders has waited 16 min"):
        import_orders()
    assert last_outcome(env, "import_orders") == "failed"
    assert import_orders()["waiting_for_budget"]["lane"] == "realtime"  # one alert per streak

    reconnect(requests_per_hour=100_000)
    summary = import_orders()
    assert "waiting_for_budget" not in summary and waits(env) == {}
    assert last_outcome(env, "import_orders") == "ok"


def test_bulk_waiting_never_alerts(integration_env: Any, tmp_path: Path, reconnect: Any) -> None:
    env = integration_env
    seed_erp(env.erp)
    budget_settings(tmp_path, realtime_alert_after_minutes=1)
    reconnect(requests_per_hour=10)
    shop = {"env": env, "tmp": tmp_path}
    sync_products(shop)
    with env.mapping.begin() as conn:
        conn.execute(sa.update(m.budget_waits).values(since=utcnow() - timedelta(hours=3)))
    assert sync_products(shop)["waiting_for_budget"]["lane"] == "bulk"


def test_a_full_resend_or_a_backfill_is_bulk_work(integration_env: Any) -> None:
    operator = AnyMarketImportOrdersOperator(task_id="import_orders", integration_id="loja1")
    assert operator.budget_lane({"params": {}}) == "realtime"
    assert operator.budget_lane({"params": {"created_from": "2026-01-01"}}) == "bulk"
    assert operator.budget_lane({"params": {"order_id": "12"}}) == "realtime"
    from anymarket.operators.send_prices import AnyMarketSendPricesOperator
    from anymarket.operators.send_stock import AnyMarketSendStockOperator
    from anymarket.operators.sync_products import AnyMarketSyncProductsOperator

    for cls in (AnyMarketSendStockOperator, AnyMarketSendPricesOperator):
        op = cls(task_id="t", integration_id="loja1")
        assert op.budget_lane({"params": {}}) == "realtime"
        assert op.budget_lane({"params": {"full_resend": True}}) == "bulk"
    products = AnyMarketSyncProductsOperator(task_id="t", integration_id="loja1")
    assert products.budget_lane({"params": {}}) == "bulk"
    assert products.budget_lane({"params": {"product_code": "P1"}}) == "realtime"


def test_callbacks_spend_only_their_share_and_the_feed_brings_the_rest(
    integration_env: Any, tmp_path: Path, reconnect: Any
) -> None:
    from anymarket.callbacks import inbox
    from tests.anymarket.operators.test_import_orders import Shop, order_spec

    env = integration_env
    shop = Shop(env, tmp_path)
    orders = [env.sandbox.admin.create_order(**order_spec()) for _ in range(10)]
    for order in orders:  # ten callbacks, genuine or not: the door cannot tell
        assert inbox.store(env.mapping, "loja1", "ORDER", str(order["id"]), None) == "stored"
    # 40 requests an hour: a 12-request reserve, of which callback lookups may use half.
    reconnect(requests_per_hour=40)
    summary = shop.run()

    assert summary["callbacks_waiting_for_budget"] == 4
    budget = RequestBudget(
        env.mapping.engine, account=account_key(env.sandbox.base_url, env.sandbox.token), requests_per_hour=40
    )
    assert budget.used_last_hour("callback") == 6
    assert all(len(shop.orders(order["id"])) == 1 for order in orders)  # the feed brought the other 4
    waiting = inbox.pending(env.mapping, "loja1", "ORDER")
    assert len(waiting) == 4 and {n.attempts for n in waiting} == {0}  # waiting, not failed
    assert "waiting_for_budget" not in summary  # the run itself was not stopped
