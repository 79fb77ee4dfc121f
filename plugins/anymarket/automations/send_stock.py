"""Send stock: the quantity AnyMarket shows, from the ERP's balances, only what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def stock_asset_alias(integration_id: str) -> str:
    """Name of the alias through which send stock emits ``anymarket://<integration>/stock``."""
    return f"anymarket_{integration_id}__stock"


def _add_tasks(integration: IntegrationConfig) -> None:
    from airflow.sdk import AssetAlias

    from anymarket.operators.send_stock import AnyMarketSendStockOperator

    AnyMarketSendStockOperator(
        task_id="send_stock",
        integration_id=integration.id,
        outlets=[AssetAlias(stock_asset_alias(integration.id))],
    )


AUTOMATION = Automation(
    name="send_stock",
    title="Send stock",
    # Every minute: a run with nothing changed costs ERP reads and no AnyMarket request.
    default_schedule="* * * * *",
    tags=("stock",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.send_stock",
    helpers=("anymarket.stock_levels",),
    rules=("anymarket.rules.send_stock", "anymarket.rules.changes", "anymarket.rules.kits"),
    erp_queries=("list_deposits", "stock_skus", "stock_balances", "stock_reservations", "kit_components"),
    state_tables=("stock_sent", "stock_rejected", "links", "mappings"),
    params={
        "full_resend": Param(
            False,
            type="boolean",
            title="Full resend",
            description="Send every linked SKU's stock, changed or not (after an AnyMarket outage).",
        )
    },
    doc="""
Computes the quantity AnyMarket must show for every SKU x warehouse and sends the rows that differ
from what AnyMarket last accepted, as `PUT /stocks` arrays of the connection's `stock_batch_size`
(default 100) rows. A run with no ERP change sends nothing.

- **Rule** (`stock.rule`): `default_deposit` — the integration's default deposit
  (`stock.default_deposit`, else the ERP default) to AnyMarket's default warehouse; `consolidated` —
  the sum of all active deposits to the default warehouse; `mapped_deposits` — each deposit mapped
  (by the deposit installer or by hand) to a warehouse *and* marked `counts_toward_balance`, to its
  `stockLocalId`; deposits mapped to the same warehouse are summed.
- **Balance** (`stock.balance`): `available` (physical - open reservations: every imported order
  lowers the next send) or `physical`.
- **Safety stock** (`stock.safety_stock` N): N or less is sent as 0, except made-to-order SKUs.
  Quantities are whole units, never negative; inactive SKUs are sent as 0.
- `cost` per `products.cost_field`; `additionalTime` = crossdocking days when
  `products.send_crossdocking`.
- **Kits** (the ERP's `kit_components`): a kit's quantity in each warehouse is the minimum over its
  components of ⌊component quantity / quantity per kit⌋, each component's quantity under the rules
  above; then the kit's own safety stock and active flag apply. Its own balance is never read. A
  component's change re-sends its kits' rows too (only those that changed).

A new product's creation carries its stock in AnyMarket's default warehouse (recorded as sent), so
a new SKU costs no stock request of its own — except under `mapped_deposits`, where the creation
carries 0 and this automation sends every warehouse. There the first rows of SKUs the product sync
created less than `stock.first_stock_wait_minutes` (default 5) ago may wait for a full batch: when
the last batch of a run would hold nothing but such rows, it waits for a later run to fill it (the
summary's `held_first_rows`). AnyMarket shows those SKUs at 0 meanwhile, so waiting can undersell for
minutes, never oversell; a change of a SKU AnyMarket already shows never waits. `0` switches it off.

SKUs the product sync has not linked to AnyMarket yet are skipped and counted. A batch AnyMarket
refuses is split until the refused rows are isolated: they are recorded in the SKU's history with
AnyMarket's message and not offered again until their values change; the rest goes through. A row
counts as sent only once AnyMarket accepted it, so a run stopped by the request budget or an outage
is continued by the next one. Trigger with `full_resend = true` to send every linked row again.
Emits the asset `anymarket://<integration>/stock` when anything was sent.
""",
)
