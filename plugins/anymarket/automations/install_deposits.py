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
    operator="anymarket.operators.install_deposits",
    erp_queries=("list_deposits",),
    state_tables=("anymarket_warehouses", "mappings"),
    doc="""
Imports AnyMarket's warehouses (`GET /stocks/locals`, one request) and links each active ERP deposit
to the warehouse of the same name (case, accents and spacing ignored) as a `deposit` mapping (source
`auto`) that counts toward the balance. Mappings made by hand or by an earlier run are never changed,
so running it again is safe. Send stock uses these mappings with the "mapped deposits" rule.

The warehouse list it keeps is the one mapping files are checked against (a warehouse AnyMarket no
longer has leaves it). The run summary lists ERP deposits with no warehouse of that name, names
matching several warehouses, deposits mapped to a warehouse AnyMarket no longer has (each of those
also in the deposit's history) and warehouses no deposit maps to: map those by hand.
""",
)
