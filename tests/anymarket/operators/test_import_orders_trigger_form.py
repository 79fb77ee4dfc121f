"""A backfill started from the trigger form: a real ``dag.test`` run with the form's conf."""

from __future__ import annotations

from typing import Any

from anymarket import automations
from anymarket.dag_factory import build_dag
from anymarket.settings import get_integration
from tests.anymarket.operators.test_import_orders import Shop, order_spec


def test_trigger_form_backfill_imports_that_window(
    integration_env: Any, tmp_path: Any, airflow_metadata_db: None
) -> None:
    shop = Shop(integration_env, tmp_path)
    shop.configure(reconcile_days=0, callback_watch_seconds=0, cutoff_date="2026-03-02")
    admin = integration_env.sandbox.admin
    before = admin.create_order(**order_spec(createdAt="2026-03-01T12:00:00-03:00"))
    inside = admin.create_order(**order_spec(createdAt="2026-03-02T23:30:00-03:00"))
    later = admin.create_order(**order_spec(createdAt="2026-03-05T10:00:00-03:00"))

    dag = build_dag(get_integration("loja1"), automations.get("import_orders"))
    # What the trigger form sends: the date pickers' values as the run's conf (the Params).
    run = dag.test(run_conf={"created_from": "2026-02-28", "created_to": "2026-03-03"})

    assert run.state == "success"
    assert shop.orders(before["id"]) == [] and shop.orders(later["id"]) == []
    assert len(shop.orders(inside["id"])) == 1
    listings = admin.requests(method="GET", path="/v2/orders")
    assert [r["query"]["createdAfter"] for r in listings] == [
        "2026-03-02T00:00:00.000-03:00",
        "2026-03-03T00:00:00.000-03:00",
    ]
