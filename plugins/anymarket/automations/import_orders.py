"""Import orders: AnyMarket → ERP from callbacks, the order feed and date-window backfills."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.import_orders import AnyMarketImportOrdersOperator

    AnyMarketImportOrdersOperator(
        task_id="import_orders",
        integration_id=integration.id,
    )  # created_from, created_to and order_id: read from the run's Params


AUTOMATION = Automation(
    name="import_orders",
    title="Import orders",
    # Every minute: the feed is read at least once a minute, and each run then serves callbacks for
    # orders.callback_watch_seconds, so a sale reaches the ERP in about a second when callbacks work.
    default_schedule="* * * * *",
    tags=("orders",),
    add_tasks=_add_tasks,
    params={
        "created_from": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Backfill from (created on or after)",
            description="First day of a backfill window (Brazilian time); never before the cutoff date.",
        ),
        "created_to": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Backfill to (created on or before)",
            description="Last day of the window; empty = today.",
        ),
        "order_id": Param(
            None,
            type=["null", "string"],
            title="Import one order",
            description="An AnyMarket order id to import (or update) now; leave empty otherwise.",
        ),
    },
    doc="""
Imports AnyMarket orders into the ERP exactly once per AnyMarket order id, from three sources:
**callbacks** (the `anymarket` api-server plugin stores them in the mapping DB inbox; each
run serves them for `orders.callback_watch_seconds`), the **order feed** (`GET /orders/feeds`, each
item acked only after its ERP transaction committed; a failed one stays in the feed) and **backfill**
(`GET /orders?createdAfter=&createdBefore=`, one day per listing, never before `orders.cutoff_date`):
trigger with *created_from*/*created_to*, or `airflow backfill create` (each run imports its logical
date's day). Once a day the last `orders.reconcile_days` days are listed again.

Each order, in one ERP transaction: the customer (by CPF/CNPJ), one sales order per shipping deposit
(Multi-CD, codes `AM-<id>`, `AM-<id>-2`…), items and stock reservations. An unmapped carrier, an
unknown SKU or an unmapped warehouse **holds** the order: it is listed in every run summary and
imported as soon as the mapping exists. Updates: paid, cancelled (reservations released), address;
statuses never move backwards unless `orders.allow_status_regression`. The ERP code is written back
with `PUT /orders/partnerid/{id}` (`orders.send_partner_id`). Orders failing 3 times in a row fail the
run once (alert e-mail) and stay queued.

Settings: `orders.*`, `stock.default_deposit`; mappings carrier, payment_method, sales_channel,
order_status_import, deposit. ERP queries: `include/sql/erp/queries/order_*.sql`.
""",
)
