"""Manage mappings: CSV export and import of every mapping kind, triggered by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation
from anymarket.mapping.models import MAPPING_KINDS

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.manage_mappings import AnyMarketManageMappingsOperator

    AnyMarketManageMappingsOperator(
        task_id="manage_mappings",
        integration_id=integration.id,
    )  # action, kind, path, csv_text, mode and dry_run: read from the run's Params


AUTOMATION = Automation(
    name="manage_mappings",
    title="Manage mappings (CSV)",
    default_schedule=None,  # an action a person takes: trigger with the form
    tags=("mappings",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.manage_mappings",
    helpers=("anymarket.mapping.csv_io",),
    erp_queries=("order_reference_data", "list_deposits"),
    state_tables=("mappings", "anymarket_warehouses"),
    params={
        "action": Param("export", enum=["export", "import"], title="Action"),
        "kind": Param(
            "all",
            enum=["all", *MAPPING_KINDS],
            title="Mapping kind",
            description="One kind, or all (export: every kind; import: the kind each file name says).",
        ),
        "path": Param(
            None,
            type=["null", "string"],
            title="File or folder",
            description=(
                "Export: the folder to write (default: a temp folder on the worker, also logged). "
                "Import: a .csv file or a folder of them, named after their kind (carriers.csv…)."
            ),
        ),
        "csv_text": Param(
            None,
            type=["null", "string"],
            format="multiline",
            title="CSV text (import)",
            description="Paste a file's text instead of giving a path (then pick its kind).",
        ),
        "mode": Param(
            "merge",
            enum=["merge", "replace"],
            title="Import mode",
            description="merge: add and update the file's rows; replace: also delete rows absent from it.",
        ),
        "dry_run": Param(False, type="boolean", title="Check only", description="Validate, apply nothing."),
    },
    doc="""
Exports the integration's mappings to CSV files, or imports edited files back — the same files the
ops page (`/anymarket/ops/<integration>/mappings`) downloads and uploads.

- **export**: one file per kind (`carriers.csv`, `deposits.csv`, `payment_methods.csv`…), or only
  *kind*'s, written to *path* (a folder, or a `.csv` file for one kind; default: a temp folder on
  the worker) and printed in the log.
- **import**: *path* (a file or a folder of them; each file's kind from its name unless *kind* is
  set) and/or *csv_text* (then pick its *kind*). `,` or `;` separated, UTF-8 or Windows-1252. ERP
  codes are checked against the ERP (carriers, payment methods, sales channels, deposits) and
  warehouse ids against the deposit installer's list; every error names the file, line and column,
  and a file with any error applies nothing and fails the task at once, without retries (the same
  file would fail the same way). All files apply in one transaction, recorded in the history with
  who triggered the run. Unchanged rows are left alone; *mode* `replace` also deletes rows missing
  from the file. *Check only* reports without applying.

An order held for an unmapped carrier or warehouse is imported by the next `import_orders` run
after its mapping is imported.
""",
)
