"""One DAG per automation per integration, from the integrations file.

A DAG file in ``dags/`` is two lines: it asks for one automation's DAGs, e.g.
``register_automation_dags("install_deposits", globals())``. Each automation declares its schedule,
documentation, tasks and where it lives once, in :mod:`anymarket.automations` (the DAG doc is its
``doc`` plus a footer generated from those declarations); every integration gets its own copy with id
``anymarket_<integration>__<automation>``, its pool, retries with backoff
(:data:`anymarket.errors.TASK_RETRY_ARGS`), ``max_active_runs=1`` and a failure e-mail to its alert
recipients.

Parse time matters (the DAG processor re-imports these files constantly): nothing here does I/O
beyond reading the small YAML file, and operators import their heavy dependencies in ``execute``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from anymarket import automations
from anymarket.errors import TASK_RETRY_ARGS

if TYPE_CHECKING:
    from airflow.sdk import DAG

    from anymarket.automations import Automation
    from anymarket.settings import IntegrationConfig

START_DATE = datetime(2024, 1, 1, tzinfo=UTC)


def build_dag(integration: IntegrationConfig, automation: Automation) -> DAG:
    """The DAG of one automation for one integration."""
    from airflow.sdk import DAG

    from anymarket.automations._docs import dag_doc_footer
    from anymarket.notifications import failure_notifier

    schedule = integration.schedules.get(automation.name, automation.default_schedule)
    doc_md = (
        f"# {automation.title} — {integration.name}\n"
        f"Integration `{integration.id}` ({integration.environment}), AnyMarket connection "
        f"`{integration.anymarket_conn_id}`, ERP connection `{integration.erp_conn_id}`, pool "
        f"`{integration.pool}`. Failures e-mail {', '.join(integration.alert_emails)}.\n"
        f"{automation.doc}"
        f"{dag_doc_footer(automation)}"
    )
    with DAG(
        dag_id=f"anymarket_{integration.id}__{automation.name}",
        description=f"{automation.title} for {integration.name}",
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        doc_md=doc_md,
        tags=["anymarket", f"integration:{integration.id}", *automation.tags],
        params=automation.params,
        default_args={
            "owner": "anymarket",
            "pool": integration.pool,
            # Retryable failures only: a FatalError (bad token, broken setting) fails at once.
            **TASK_RETRY_ARGS,
            "execution_timeout": timedelta(hours=1),
            "on_failure_callback": failure_notifier(integration),
        },
    ) as dag:
        automation.add_tasks(integration)
    return dag


def register_automation_dags(automation_name: str, namespace: MutableMapping[str, Any]) -> list[str]:
    """Put the DAG of ``automation_name`` of every integration that enables it into ``namespace``."""
    from anymarket.settings import load_integrations

    automation = automations.get(automation_name)
    dag_ids = []
    for integration in load_integrations().values():
        if integration.automations is not None and automation_name not in integration.automations:
            continue
        dag = build_dag(integration, automation)
        namespace[dag.dag_id] = dag
        dag_ids.append(dag.dag_id)
    return dag_ids
