"""Test connection: validates the integration's token and OI, records the result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.test_connection import AnyMarketTestConnectionOperator

    AnyMarketTestConnectionOperator(task_id="test_connection", integration_id=integration.id)


AUTOMATION = Automation(
    name="test_connection",
    title="Test connection",
    default_schedule="0 * * * *",
    tags=("connection",),
    add_tasks=_add_tasks,
    doc="""
Validates the integration's AnyMarket credentials and OI and records the result (the run summary is
kept in the mapping DB). Two requests: `GET /stocks/locals` proves the token; `GET /stocks` lets
AnyMarket confirm the OI, which callbacks are validated against. Fails — and e-mails the alert
recipients — on a refused token, an unreachable API, a malformed OI or an OI that differs from the
account's.

Settings: the AnyMarket connection (`host` = API base URL, `password` = token, extra `oi`).
""",
)
