"""The DAG files: one DAG per automation per integration, with the project's standard wiring."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from anymarket import automations

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS = REPO_ROOT / "dags"


def dagbag(monkeypatch: pytest.MonkeyPatch, integrations: Path | None = None) -> DagBag:
    if integrations:
        monkeypatch.setenv("ANYMARKET_INTEGRATIONS_FILE", str(integrations))
    return DagBag(dag_folder=str(DAGS))


def test_demo_dags_load_without_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    bag = dagbag(monkeypatch)
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == [
        "anymarket_demo__check_erp",
        "anymarket_demo__check_images",
        "anymarket_demo__fulfillment_stock",
        "anymarket_demo__import_catalog",
        "anymarket_demo__import_orders",
        "anymarket_demo__install_deposits",
        "anymarket_demo__listing_health",
        "anymarket_demo__manage_mappings",
        "anymarket_demo__prune_history",
        "anymarket_demo__report_monitorings",
        "anymarket_demo__send_prices",
        "anymarket_demo__send_stock",
        "anymarket_demo__sync_order_status",
        "anymarket_demo__sync_products",
        "anymarket_demo__test_connection",
    ]


def test_every_dag_has_the_standard_wiring(monkeypatch: pytest.MonkeyPatch) -> None:
    for dag in dagbag(monkeypatch).dags.values():
        assert dag.max_active_runs == 1
        assert dag.catchup is False
        assert "anymarket" in dag.tags and "integration:demo" in dag.tags
        assert dag.doc_md and "Integration `demo`" in dag.doc_md
        for task in dag.tasks:
            assert task.pool == "anymarket_demo"
            assert task.retries == 3 and task.retry_exponential_backoff
            notifiers = task.on_failure_callback
            assert isinstance(notifiers, list) and isinstance(notifiers[0], SmtpNotifier)
            assert notifiers[0].to == ["ops@example.com"]


def test_each_integration_gets_its_own_dags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "integrations.yaml"
    config.write_text(
        "integrations:\n"
        "  loja1:\n    name: Loja 1\n    alert_emails: [a@b.com]\n"
        "    schedules: {test_connection: null}\n"
        "  loja2:\n    name: Loja 2\n    alert_emails: [c@d.com]\n    automations: [install_deposits]\n"
    )
    bag = dagbag(monkeypatch, config)
    assert sorted(bag.dag_ids) == [
        "anymarket_loja1__check_erp",
        "anymarket_loja1__check_images",
        "anymarket_loja1__fulfillment_stock",
        "anymarket_loja1__import_catalog",
        "anymarket_loja1__import_orders",
        "anymarket_loja1__install_deposits",
        "anymarket_loja1__listing_health",
        "anymarket_loja1__manage_mappings",
        "anymarket_loja1__prune_history",
        "anymarket_loja1__report_monitorings",
        "anymarket_loja1__send_prices",
        "anymarket_loja1__send_stock",
        "anymarket_loja1__sync_order_status",
        "anymarket_loja1__sync_products",
        "anymarket_loja1__test_connection",
        "anymarket_loja2__install_deposits",
    ]
    assert type(bag.dags["anymarket_loja1__test_connection"].timetable).__name__ == "NullTimetable"
    assert bag.dags["anymarket_loja2__install_deposits"].tasks[0].pool == "anymarket_loja2"


def test_invalid_settings_surface_as_an_import_error_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """loja1's entry is broken: it has no DAG and an import error says why; loja2 runs on."""
    config = tmp_path / "integrations.yaml"
    config.write_text(
        "integrations:\n  loja1:\n    name: Loja 1\n    alert_emails: [a@b.com]\n    stock: {rule: x}\n"
        "  loja2:\n    name: Loja 2\n    alert_emails: [a@b.com]\n"
    )
    bag = dagbag(monkeypatch, config)
    assert {dag_id.split("__")[0] for dag_id in bag.dag_ids} == {"anymarket_loja2"}
    assert len(bag.dag_ids) == len(automations.names())
    [(file, error)] = bag.import_errors.items()
    assert file.endswith("dags/integrations_settings.py")
    assert "integrations.loja1.stock.rule: Input should be" in error and "line 5)" in error


def test_every_automation_has_its_dag_file_and_no_other_file_exists() -> None:
    from anymarket import automations

    files = sorted(p.stem.removeprefix("anymarket_") for p in DAGS.glob("anymarket_*.py"))
    assert files == sorted(automations.names())
    others = {p.name for p in DAGS.glob("*.py")} - {f"anymarket_{name}.py" for name in files}
    assert others == {"integrations_settings.py"}  # broken settings show there
    for name in automations.names():
        assert automations.get(name).name == name


def test_send_stock_runs_every_minute_with_a_full_resend_param(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import AssetAlias

    dag = dagbag(monkeypatch).dags["anymarket_demo__send_stock"]
    assert dag.schedule == "* * * * *"
    assert dag.params["full_resend"] is False
    (task,) = dag.tasks
    assert task.outlets == [AssetAlias("anymarket_demo__stock")]
