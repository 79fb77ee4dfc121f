"""The manage_mappings DAG: CSV export to a folder and import back, as triggered from the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket import automations
from anymarket.dag_factory import build_dag
from anymarket.errors import ConfigurationError
from anymarket.mapping import models as m
from anymarket.operators.manage_mappings import AnyMarketManageMappingsOperator
from anymarket.settings import get_integration
from tests.anymarket.conftest import IntegrationEnv


@pytest.fixture
def env(integration_env: IntegrationEnv) -> IntegrationEnv:
    with integration_env.erp.engine.begin() as c:
        c.execute(sa.text("INSERT INTO carriers (id, code, name) VALUES (1, 'CORREIOS', 'Correios')"))
        c.execute(sa.text("INSERT INTO carriers (id, code, name) VALUES (2, 'JADLOG', 'Jadlog')"))
        c.execute(sa.text("INSERT INTO payment_methods (id, code, name) VALUES (1, 'PIX', 'Pix')"))
    integration_env.mapping.set_mapping(
        "loja1",
        "carrier",
        "Correios",
        "CORREIOS",
        attributes={"tracking_url_template": "https://c.example/{tracking_code}"},
    )
    integration_env.mapping.set_mapping("loja1", "payment_method", "*", "PIX")
    return integration_env


def trigger(conf: dict[str, Any]) -> Any:
    dag = build_dag(get_integration("loja1"), automations.get("manage_mappings"))
    return dag.test(run_conf=conf)


def test_dag_has_no_schedule_and_the_form_params() -> None:
    automation = automations.get("manage_mappings")
    assert automation.default_schedule is None
    assert set(automation.params) == {"action", "kind", "path", "csv_text", "mode", "dry_run"}


def test_export_then_import_edited_folder(
    env: IntegrationEnv, tmp_path: Path, airflow_metadata_db: None
) -> None:
    folder = tmp_path / "export"
    run = trigger({"action": "export", "path": str(folder)})
    assert run.state == "success"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{name}.csv"
        for name in (
            "categories",
            "brands",
            "attributes",
            "variation_types",
            "variation_values",
            "deposits",
            "fulfillment_deposits",
            "order_statuses_import",
            "order_statuses_export",
            "payment_methods",
            "carriers",
            "sales_channels",
            "intermediaries",
        )
    )
    carriers = folder / "carriers.csv"
    assert carriers.read_text() == (
        "anymarket_carrier,erp_code,tracking_url_template,source\n"
        "Correios,CORREIOS,https://c.example/{tracking_code},manual\n"
    )

    # Unchanged files change nothing; the edited one adds its row.
    carriers.write_text(carriers.read_text() + "Amazon Logistics,JADLOG,,\n")
    run = trigger({"action": "import", "path": str(folder)})
    assert run.state == "success"
    assert env.mapping.mappings_of("loja1", "carrier")["Amazon Logistics"]["value"] == "JADLOG"
    summary = env.mapping.last_run_summary("loja1", "manage_mappings")
    assert summary is not None and summary["outcome"] == "ok"
    assert (summary["summary"]["counts"]["added"], summary["summary"]["counts"]["unchanged"]) == (1, 2)
    [entry] = env.mapping.history_of("loja1", "mapping", "carrier")
    assert entry["run_id"] == run.run_id and entry["request"]["user"]


def test_import_with_an_error_fails_at_once_and_applies_nothing(
    env: IntegrationEnv, tmp_path: Path, airflow_metadata_db: None
) -> None:
    text = "anymarket_carrier,erp_code\nAmazon Logistics,JADLOG\nAzul,XYZ\n"
    run = trigger({"action": "import", "kind": "carrier", "csv_text": text})
    assert run.state == "failed"
    [ti] = run.get_task_instances()
    assert ti.state == "failed"  # not up_for_retry: the same file would fail the same way
    assert set(env.mapping.mappings_of("loja1", "carrier")) == {"Correios"}
    summary = env.mapping.last_run_summary("loja1", "manage_mappings")
    assert summary is not None and summary["summary"]["errors"] == [
        "csv_text line 3, column erp_code: unknown ERP carrier 'XYZ' (known: CORREIOS, JADLOG)"
    ]


def run_operator(params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    op = AnyMarketManageMappingsOperator(task_id="manage_mappings", integration_id="loja1", **kwargs)
    return op.execute({"run_id": "manual-1", "params": params or {}})


def test_operator_csv_text_dry_run_and_one_kind_export(env: IntegrationEnv, tmp_path: Path) -> None:
    text = "anymarket_payment;erp_code\nPIX;PIX\n*;PIX\n"
    summary = run_operator(action="import", kind="payment_method", csv_text=text, dry_run="True")
    assert summary["counts"] == {"added": 1, "updated": 0, "deleted": 0, "unchanged": 1}
    assert set(env.mapping.mappings_of("loja1", "payment_method")) == {"*"}

    summary = run_operator(
        action="import", kind="payment_method", csv_text=text, mode="replace", dry_run="False"
    )
    assert set(env.mapping.mappings_of("loja1", "payment_method")) == {"*", "PIX"}

    target = tmp_path / "pm.csv"
    summary = run_operator(action="export", kind="payment_method", path=str(target))
    assert target.read_text() == "anymarket_payment,erp_code,source\n*,PIX,manual\nPIX,PIX,manual\n"
    assert summary["examples"]["exported"] == [f"payment_method: 2 rows → {target}"]


def test_operator_names_what_is_missing(env: IntegrationEnv, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="import needs a path"):
        run_operator(action="import")
    # The trigger form's empty fields are None in the run's Params, never the string "None".
    with pytest.raises(ConfigurationError, match="import needs a path"):
        run_operator({"action": "import", "kind": None, "path": None, "csv_text": " ", "dry_run": False})
    with pytest.raises(ConfigurationError, match="csv_text needs a kind"):
        run_operator(action="import", kind="all", csv_text="a,b")
    with pytest.raises(ConfigurationError, match="does not exist on this worker"):
        run_operator(action="import", path=str(tmp_path / "missing.csv"))
    with pytest.raises(ConfigurationError, match="use export or import"):
        run_operator(action="delete")
    with pytest.raises(ConfigurationError, match="give a folder"):
        run_operator(action="export", path=str(tmp_path / "all.csv"))
    with env.mapping.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(m.history)).scalar() == 0
