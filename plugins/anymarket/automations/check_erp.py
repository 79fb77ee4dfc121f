"""Check ERP contract: runs every named ERP query read-only and reports per file what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.check_erp import AnyMarketCheckErpOperator

    AnyMarketCheckErpOperator(task_id="check_erp", integration_id=integration.id)


AUTOMATION = Automation(
    name="check_erp",
    title="Check ERP contract",
    # Manual: run it after adapting include/sql/erp (or $ANYMARKET_ERP_SQL_DIR) and after ERP upgrades.
    default_schedule=None,
    tags=("erp", "maintenance"),
    add_tasks=_add_tasks,
    operator="anymarket.operators.check_erp",
    helpers=("anymarket.erp.checker",),
    doc="""
Checks that the integration's ERP answers every named query of the SQL contract (`include/sql/erp/`,
or the folder `ANYMARKET_ERP_SQL_DIR` names) the way the automations need, without changing its data.
Run it by hand after adapting the SQL files to a new ERP, and after an ERP upgrade. The same check from
a shell: `python -m anymarket.erp check --conn-id <erp connection> [--sql-dir DIR]`.

Every query file runs against the ERP inside one transaction that is rolled back at the end: reads
with sample parameters taken from the ERP's own rows, writes (the catalog import's upserts, the order
import's inserts and updates) on a test product, customer and order that the later reads find again.
The columns each file returns and the type of their values are compared with the contract. The task
log lists every file: **OK**, **DEFECT** — the file is missing, the database refused it (syntax error,
missing table or column: the database's own message), a column is missing or holds the wrong type, or
it uses a parameter the integration never passes — or **SKIPPED** (a write that needs the id of a
write that failed), each with the section of `include/sql/erp/README.md` that documents it. Any file
not OK fails the run (no retry) and e-mails the defects. A rollback cannot rewind PostgreSQL sequences
or MariaDB auto-increment counters: ERP ids skip a few numbers.

Settings: the integration's ERP connection.
""",
)
