"""Full stock: what each SKU holds in a marketplace's own warehouses, imported into an ERP deposit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.fulfillment_stock import AnyMarketFulfillmentStockOperator

    AnyMarketFulfillmentStockOperator(task_id="fulfillment_stock", integration_id=integration.id)


AUTOMATION = Automation(
    name="fulfillment_stock",
    title="Full stock",
    # Hourly: a pass over a large catalog spans several runs (it continues where the last stopped);
    # a finished pass starts over 4 hours later.
    default_schedule="40 * * * *",
    tags=("stock",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.fulfillment_stock",
    helpers=("anymarket.fulfillment.importer",),
    rules=("anymarket.fulfillment.rules",),
    erp_queries=("list_deposits", "stock_skus", "stock_balances", "catalog_import_upsert_stock_balance"),
    state_tables=("links", "listings", "mappings", "sync_cursors"),
    params={
        "sku": Param(
            None,
            type=["null", "string"],
            title="Read one SKU",
            description="An ERP SKU code or AnyMarket SKU id: its Full stock is read now.",
        ),
        "restart": Param(
            False,
            type="boolean",
            title="Start a new pass",
            description="Read every SKU again now, even if the last pass finished less than 4 hours ago.",
        ),
    },
    doc="""
Sellers on Mercado Livre Full (and B2W's and others' fulfillment) keep stock in the marketplace's
own warehouses, which the ERP never sees. This reads each SKU's Full stock per marketplace
(`GET /stocks/fulfillment/{marketplace}/{idSku}`: one row per distribution centre) and keeps it
in the ERP deposit mapped to that marketplace — mapping kind `fulfillment_deposit`
(`fulfillment_deposits.csv`: `MERCADO_LIVRE`, `B2W_NEW_API` or `OUTROS` → ERP deposit code),
as that deposit's physical balance: the sum of `fulfillment_quantity_stock` over the CDs.

- **Never sent back**: a deposit mapped as Full is left out of send stock (and send prices' stock)
  under every rule — `consolidated`, `mapped_deposits` even if marked counting, and
  `default_deposit` refuses it — since that stock sells only at the marketplace. Orders the
  marketplace ships from Full (`fulfillment: true`, imported only with
  `orders.import_fulfillment`) reserve nothing in the seller's deposits.
- **Which SKUs**: only a SKU listed on that marketplace can be in its warehouses, so with listing
  health on, the SKUs with a listing there (`MERCADO_LIVRE` ↔ Mercado Livre listings,
  `B2W_NEW_API` ↔ B2W/Americanas/Submarino/Shoptime, `OUTROS` ↔ any other), plus the SKUs the
  ERP still holds Full stock for (so one no longer listed goes back to 0); without listing
  health's data, every linked SKU.
- **Cost**: one request per SKU read per mapped marketplace — at most 1 000 per 1 000 SKUs per
  marketplace, fewer when only some are listed there — in the **bulk** lane: paced, and a run
  whose lane is spent ends waiting; the next run continues the pass (the position is kept every
  25 SKUs). A finished pass starts over 4 hours later; the runs in between read only the SKUs
  whose listing on a mapped marketplace listing health stored or changed since (a SKU newly listed
  may already sit in the CDs), and otherwise send nothing. The ERP is read once per run
  (`list_deposits`, `stock_skus`, `stock_balances`).
- **Only changes are written**: a balance equal to what the ERP holds is not written
  (`catalog_import_upsert_stock_balance`, the catalog import's query); each balance written is
  recorded in its SKU's history (before, after, marketplace). A SKU AnyMarket answers 404 for,
  or whose answer is not the spec's array, is skipped and named in the summary.

Params: `sku` reads one SKU now (realtime lane; an ERP SKU code or AnyMarket SKU id) at every
mapped marketplace; `restart` starts a new pass at once. The run summary counts SKUs read, SKUs
with Full stock, balances written and unchanged.
""",
)
