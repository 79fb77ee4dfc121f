"""Prune history: keeps the mapping DB from growing forever (history, run summaries, callbacks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.prune_history import AnyMarketPruneHistoryOperator

    AnyMarketPruneHistoryOperator(task_id="prune_history", integration_id=integration.id)


AUTOMATION = Automation(
    name="prune_history",
    title="Prune history",
    # Daily at 03:17 UTC: off the hour, when the every-minute DAGs and people are quiet.
    default_schedule="17 3 * * *",
    tags=("maintenance",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.prune_history",
    helpers=("anymarket.mapping.retention",),
    state_tables=("callback_inbox", "callback_not_found"),
    params={
        "keep_days": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            title="Keep days",
            description="Override the integration's retention_days for this run (empty: the setting).",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Only count what would be deleted (the run summary says how many per table).",
        ),
    },
    doc="""
Deletes the integration's rows of the mapping DB that only grow, once older than the integration's
`retention_days` setting (default 90): the **history** of every entity (what was sent, imported,
refused), the **run summaries** (five every-minute DAGs write 7 200 a day; the newest of each
automation always stays, as the ops page shows it) and the **handled callbacks** (processed or failed;
pending ones always stay) with the remembered 404s. State — links, mappings, what AnyMarket last
accepted, cursors — is never pruned. Rows go in batches of 5 000, each its own transaction, so the
first run on a big history never blocks the other DAGs for long. Other integrations' rows are left to
their own DAG.

Params: `keep_days` (this run only) and `dry_run` (count, delete nothing). The run summary says how
many rows went per table and the cutoff. Airflow's own metadata (DAG runs, task instances, XComs, logs)
is not the mapping DB: see the README's "Retention" section for `airflow db clean` and log retention.

Settings: `retention_days`.
""",
)
