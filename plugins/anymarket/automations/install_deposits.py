"""Deposit installer: imports AnyMarket warehouses and links ERP deposits of the same name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.install_deposits import AnyMarketInstallDepositsOperator

    AnyMarketInstallDepositsOperator(task_id="install_deposits", integration_id=integration.id)


AUTOMATION = Automation(
    name="install_deposits",
    title="Deposit installer",
    default_schedule="@daily",
    tags=("stock",),
    add_tasks=_add_tasks,
    doc="""
Imports AnyMarket's warehouses (`GET /stocks/locals`, one request) and links each ERP deposit to the
warehouse of the same name (case and accents ignored) as a `deposit` mapping that counts toward the
balance. Mappings made by hand or by an earlier run are never changed, so running it again is safe.
The run summary lists ERP deposits with no warehouse of that name, warehouses no deposit maps to, and
ambiguous names: map those by hand. Send stock uses these mappings with the "mapped deposits" rule.

ERP query: `include/sql/erp/queries/list_deposits.sql`.
""",
)
