"""Sync order status: ERP → AnyMarket invoiced (NF-e), shipped (tracking), delivered, cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.sync_order_status import AnyMarketSyncOrderStatusOperator

    AnyMarketSyncOrderStatusOperator(task_id="sync_order_status", integration_id=integration.id)


AUTOMATION = Automation(
    name="sync_order_status",
    title="Sync order status",
    # Every minute: marketplaces penalise late invoice/tracking updates; an idle run costs ERP reads
    # of the last two minutes' changes and no AnyMarket request.
    default_schedule="* * * * *",
    tags=("orders",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.sync_order_status",
    helpers=("anymarket.orders.status_state",),
    rules=("anymarket.orders.status",),
    erp_queries=("status_changed_orders", "status_order_parts"),
    state_tables=("order_status_sync", "order_imports", "sync_cursors", "mappings"),
    doc="""
Tells AnyMarket what the ERP did with the orders it imported — invoiced with the NF-e, shipped with
tracking, delivered, cancelled — forward along AnyMarket's lifecycle (PENDING → PAID_WAITING_SHIP →
INVOICED → PAID_WAITING_DELIVERY → CONCLUDED; CANCELED from any). One request per status change (two
with the NF-e XML); a run with no ERP change sends nothing.

- **INVOICED** with the authorized NF-e (`accessKey`, number, series, date, CFOP, buyer's state tax
  id, link) — never without the access key; the XML goes first (`PUT /orders/{id}/nfe`) when the
  order's `metadata.needInvoiceXML` is true or `orders.send_nfe_xml_mercado_livre` /
  `orders.send_nfe_xml_other_marketplaces` ask. `orders.invoiced_when: nfe_authorized` sends it as
  soon as an NF-e is authorized; `nfe_authorized_and_fulfilled` also waits for the ERP status.
- **PAID_WAITING_DELIVERY** with tracking (code, carrier, document, dates; the URL from the
  shipment, else the carrier mapping's `tracking_url_template`, else the ERP carrier's); the NF-e
  number as tracking code when `orders.nfe_number_as_tracking`; right after INVOICED when
  `orders.shipped_after_invoicing`.
- **CONCLUDED** with the delivered date; **CANCELED** with `cancelDetails` (one cancelled Multi-CD
  part cancels the whole AnyMarket order).

Each run looks at the orders imported from AnyMarket whose ERP status, NF-e or shipment changed since
the previous run, and at those whose last attempt failed on an outage. Skipped steps are sent in order;
a Multi-CD order moves only as far as its least advanced part (the difference is recorded in the
order's history); a backwards move is refused and recorded unless `orders.allow_status_regression`.
Missing data *holds* the order with the reason; a 4xx from AnyMarket is recorded with its message;
both are tried again only once the ERP data (or the settings and mappings used) change. 429/5xx are
retried by the hook; when they persist the run fails (alert e-mail) and the order is tried again by
the next run. A status counts as sent only once AnyMarket accepted it; what AnyMarket holds is known
without asking, so a re-run sends nothing.

Mappings: `order_status_export` (ERP status → AnyMarket status; the reference ERP statuses map by
default), `carrier`.
""",
)
