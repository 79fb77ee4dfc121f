"""Send prices: what AnyMarket charges, from the ERP's price list or SKU prices, only what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.send_prices import AnyMarketSendPricesOperator

    AnyMarketSendPricesOperator(task_id="send_prices", integration_id=integration.id)


AUTOMATION = Automation(
    name="send_prices",
    title="Send prices",
    # Every minute: a run with nothing changed costs ERP reads and no AnyMarket request.
    default_schedule="* * * * *",
    tags=("prices", "catalog"),
    add_tasks=_add_tasks,
    operator="anymarket.operators.send_prices",
    rules=("anymarket.rules.send_prices", "anymarket.rules.send_stock", "anymarket.rules.changes"),
    erp_queries=(
        "price_skus",
        "price_lists",
        "price_list_items",
        # the COST scope sends the stock rule's quantity with each cost
        "list_deposits",
        "stock_skus",
        "stock_balances",
        "stock_reservations",
    ),
    state_tables=("price_sent", "price_rejected", "price_listings", "stock_sent", "links", "mappings"),
    params={
        "full_resend": Param(
            False,
            type="boolean",
            title="Full resend",
            description="Send every linked SKU's price, changed or not (and re-read marketplace listings).",
        ),
        "sku": Param(
            None,
            type=["null", "string"],
            title="Send one SKU or product",
            description="An ERP SKU code, or a product code for all its SKUs: sent now, changed or not.",
        ),
    },
    doc="""
Computes the price AnyMarket must show for every SKU linked to AnyMarket and sends those that differ
from what AnyMarket last accepted. A run with no ERP change sends nothing.

- **Source** (`products.price_list`): that ERP price list's prices (a SKU missing from the list is
  not sent and is reported), or, when not set, the SKU's own `sell_price` / `list_price`. "Preço de"
  is never below "preço por" (a missing or lower list price is sent as the sell price).
- **Format** (`products.price_format`): `fixed` sends the prices as they are; `markup` multiplies
  them by `products.price_factor` (AnyMarket `priceFactor`) — except in the COST scope, where
  AnyMarket applies the product's `priceFactor` to the cost itself. Rounded half up to cents;
  a zero or negative price is never sent (reported).
- **Scope** (`products.price_scope`, AnyMarket `definitionPriceScope`):
  - `SKU`: `PUT /products/{id}/skus/{id}` `{price, sellPrice}`, one request per changed SKU (the
    product's AnyMarket id comes from the product sync's link, else from one
    `GET /skus/partnerId/{code}`, then kept);
  - `COST`: the price as `cost` on the SKU's stock rows, `PUT /stocks` in batches of the
    connection's `stock_batch_size`; each row carries the quantity the stock rule gives now
    (AnyMarket requires it) and is recorded as sent stock as well. Needs `products.cost_field: none`
    (send stock would overwrite the cost otherwise);
  - `SKU_MARKETPLACE`: per listing, `PUT /skus/marketplaces/prices` `[{id, price, discountPrice}]`,
    100 listings per request. Listings come from `GET /skus/{id}/marketplaces`, read once per SKU and
    kept in the mapping DB; re-read when the SKU is re-linked, when its price changes and they are
    over a day old, and on a full resend.

SKUs the product sync has not linked yet are skipped and counted. Refused prices (AnyMarket's 422,
a SKU it no longer has, a listing's `errorMsg`) are recorded in the SKU's history with AnyMarket's
message and not offered again until the price changes; the rest goes through. A price counts as
sent only once AnyMarket accepted it, so a run stopped by an outage or the request budget is
continued by the next one. Params: `full_resend`, and `sku` (an ERP SKU or product code) to send
one SKU's or product's prices now. The COST scope also reads the ERP's stock (the stock queries).
""",
)
