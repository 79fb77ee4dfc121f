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
    operator="anymarket.operators.import_orders",
    helpers=(
        "anymarket.orders.importer",
        "anymarket.orders.state",
        "anymarket.orders.feed_acks",
        "anymarket.orders.status_state",
        "anymarket.callbacks.inbox",
    ),
    rules=("anymarket.orders.validation", "anymarket.orders.fiscal", "anymarket.rules.kits"),
    erp_queries=(
        "order_reference_data",
        "list_deposits",
        "order_find_by_anymarket_id",
        "order_skus_by_code",
        "order_upsert_customer",
        "order_insert",
        "order_insert_payment",
        "order_insert_item",
        "order_reserve_stock",
        "kit_components",
        "order_items_of",
        "order_update_status",
        "order_update_shipping",
        "order_release_stock",
    ),
    state_tables=(
        "order_imports",
        "order_status_sync",
        "callback_inbox",
        "callback_not_found",
        "sync_cursors",
        "links",
        "mappings",
    ),
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
**callbacks** (the `anymarket` api-server plugin stores them in the mapping DB inbox; each run serves
them for `orders.callback_watch_seconds`, importing a new one within about a second), the **order
feed** (`GET /orders/feeds`, read until drained) and **backfill**
(`GET /orders?createdAfter=&createdBefore=`, one Brazilian day per listing, never before
`orders.cutoff_date`). Once a day the last `orders.reconcile_days` days are listed again.

Each order, in one ERP transaction: the customer (by CPF/CNPJ), one sales order per shipping deposit
(Multi-CD, codes `AM-<id>`, `AM-<id>-2`…), items and stock reservations (an item that is a kit stays
the kit, and reserves its components: item quantity x each one's quantity per kit), and what the ERP needs to
invoice it untouched: the natureza de operação by rule (`orders.contributor_sales_operation` for a
buyer with a state tax id, `orders.sales_operation_by_channel`, `orders.default_sales_operation`),
the intermediador of a marketplace sale (the `intermediary` mapping: CNPJ and name; the seller's id
from the order's `intermediateRegistrationId`), every payment with its installments and the
marketplace and gateway fees, the sales channel. An unmapped carrier, an unknown SKU, an unmapped
warehouse — and, when the settings require them, a missing intermediary mapping
(`orders.require_intermediary`), sales channel (`orders.require_sales_channel`) or ERP sales
operation — **holds** the order: it is listed in every run summary and imported as soon as the
mapping exists, never half-ready. Updates: paid, cancelled (reservations released), address;
statuses never move backwards unless `orders.allow_status_regression`. The ERP code is written back
with `PUT /orders/partnerid/{id}` (`orders.send_partner_id`, one request per new order).

- **Feed**: an item is acked only after its order's ERP transaction committed (a held or skipped
  order once its state is stored in the mapping DB); a failed one stays in the feed and comes back.
  Acks go in `PUT /orders/feeds/batch` requests of the connection's `feed_ack_batch_size` items (one
  `PUT /orders/feeds/{id}` each where AnyMarket lacks the batch endpoint).
- **Every run** also re-checks the held orders against the current mappings (no request) and imports
  the freed ones, and reads again the orders still pending payment, every
  `orders.pending_recheck_minutes`, until they are paid or cancelled.
- **Requests**: one `GET /orders/{id}` per callback, feed item, freed or re-checked order (a listing
  brings its orders along); a run with nothing new costs one `GET /orders/feeds`.
- **Params**: *order_id* imports (or updates) that one order now. *created_from* (and *created_to*,
  default today) backfills that window instead; such a run does only the backfill (no feed, no
  callbacks). `airflow backfill create` works too: each of its runs imports its logical date's day,
  and a day an earlier run of the same backfill imported is skipped.

Orders failing 3 times in a row fail the run once (alert e-mail) and stay queued (feed item unacked),
retried every run; a callback is tried 5 times, then left to the feed and the daily reconcile. A feed
item AnyMarket sends without a sound id and token fails the run at once.

Settings: `orders.*`, `stock.default_deposit`; mappings carrier, payment_method, sales_channel,
order_status_import, deposit, intermediary.
""",
)
