"""Listing health: each linked SKU's marketplace listings, their status and AnyMarket's warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.listing_health import AnyMarketListingHealthOperator

    AnyMarketListingHealthOperator(task_id="listing_health", integration_id=integration.id)


AUTOMATION = Automation(
    name="listing_health",
    title="Listing health",
    # Hourly: a pass over a large catalog spans several runs (it continues where the last stopped);
    # a finished pass starts over 6 hours later; the runs in between read only newly linked SKUs.
    default_schedule="20 * * * *",
    tags=("catalog",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.listing_health",
    helpers=("anymarket.listings.store", "anymarket.callbacks.inbox"),
    rules=("anymarket.listings.rules",),
    state_tables=("listings", "links", "sync_cursors", "callback_inbox", "callback_not_found"),
    params={
        "sku": Param(
            None,
            type=["null", "string"],
            title="Read one SKU",
            description="An ERP SKU code or AnyMarket SKU id: its listings are read now (e.g. after a fix).",
        ),
        "restart": Param(
            False,
            type="boolean",
            title="Start a new pass",
            description="Read every SKU again now, even if the last pass finished less than 6 hours ago.",
        ),
    },
    doc="""
Answers "why isn't it selling?": reads every linked SKU's marketplace listings ("anúncios") from
AnyMarket — status in AnyMarket (`publicationStatus`), status on the marketplace
(`marketplaceStatus`), AnyMarket's pending issues (`warnings`) and the link to the listing
(`permalink`) — and keeps them in the mapping DB. The ops page shows, per marketplace, the listings
by status and every listing refused or with warnings, with AnyMarket's messages; looking up a SKU
shows its listings.

- **Cost**: one `GET /skus/{id}/marketplaces` per SKU linked to AnyMarket (1 000 requests per
  1 000 SKUs; the spec offers no paged listing carrying warnings), in the **bulk** lane (README,
  "Budget lanes"): paced, and a run whose lane is spent ends waiting; the next run continues the
  pass where it stopped (the position is kept every 25 SKUs). A finished pass starts over 6 hours
  later; the runs in between read only the SKUs linked since — new products, and products
  sync_products sent again, so a fix made in the ERP shows at the next run — and otherwise send
  nothing.
- **Health**: a listing `UNPUBLISHED` or `CORRUPTED` is an **error** (refused or broken: it does not
  sell); one with `warnings` a **warning** (AnyMarket then only updates its price, stock and status);
  any other is ok — paused, closed and out-of-stock listings are counted by status, not flagged.
- **Only changes are written**: a listing is stored when it is new or differs from the stored one;
  one AnyMarket no longer returns is deleted; a listing turning error or warning (or back to ok) is
  written to its SKU's history with AnyMarket's messages. After a whole pass, the listings of SKUs
  no longer linked are forgotten.
- A SKU AnyMarket answers 404 for (deleted there) has no listings until sync_products places it again.
- **Callbacks**: a TRANSMISSION callback (AnyMarket saying a listing changed) is kept in the
  callback inbox while this automation is enabled, and the next run reads that listing's SKU again
  (one request per SKU, however many of its listings were named; at most 200 callbacks a run); a
  listing not stored yet waits for the pass. The integration registers its callback for orders
  only — every price or stock update changes a listing, so transmissions cost requests — so they
  arrive once transmissions are switched on for that callback in AnyMarket's panel.

Params: `sku` reads one SKU now (realtime lane; an ERP SKU code or AnyMarket SKU id); `restart`
starts a new pass at once. The run summary counts SKUs read, listings read, written, unchanged and
removed, and names the SKUs whose listings turned error or warning.
""",
)
