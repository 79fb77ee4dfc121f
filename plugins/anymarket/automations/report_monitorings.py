"""Report monitorings: held orders, refused products and failed runs shown in AnyMarket's panel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.report_monitorings import AnyMarketReportMonitoringsOperator

    AnyMarketReportMonitoringsOperator(task_id="report_monitorings", integration_id=integration.id)


AUTOMATION = Automation(
    name="report_monitorings",
    title="Report to AnyMarket's panel",
    # Every 10 minutes: the panel follows the ops page closely enough; a run with nothing new sends
    # nothing.
    default_schedule="*/10 * * * *",
    tags=("alerts",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.report_monitorings",
    helpers=("anymarket.panel.report",),
    rules=("anymarket.rules.monitorings",),
    state_tables=("panel_monitorings", "order_imports", "product_rejected"),
    doc="""
Opt-in (setting `report_to_anymarket_panel: true`; off, a run does nothing): shows the integration's
problems in AnyMarket's own panel, where the seller looks first — each order `import_orders` holds
(with the reason, e.g. the unmapped carrier), each product AnyMarket refused (with its message) and
each automation whose last run failed (with its error) is posted once to `POST /monitorings`
(`type` `ALERT` for orders and products, `INTERNAL_ERROR` for runs; `status` `PENDING`), and posted
again with `status` `CONCLUDED` once it clears (the order imported, the product accepted, a run
succeeded). A problem that comes back is posted again.

- **Cost**: one request per problem appearing and one per problem clearing (realistic accounts:
  a few a day); a run with nothing new sends nothing. Bulk lane.
- `partnerId` is ours (`order:<id>`, `product:<code>`, `run:<automation>`), `origin` "Airflow
  (<integration name>)"; texts are cut to the spec's 500 (`message`) and 4 000 (`details`) characters.
- Each post is recorded (`panel_monitorings`) as soon as AnyMarket accepted it, so a run stopped
  half-way never posts the same problem twice.
""",
)
