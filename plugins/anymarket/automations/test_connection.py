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
    operator="anymarket.operators.test_connection",
    helpers=("anymarket.callbacks.registration",),
    doc="""
Validates the integration's AnyMarket credentials and OI and records the result (the run summary is
kept in the mapping DB; the ops page shows the last one). Two requests: `GET /stocks/locals` proves the
token; `GET /stocks` lets AnyMarket confirm the OI, which callbacks are validated against. Fails — and
e-mails the alert recipients — on a refused token, an unreachable API, a missing base URL or token, an
OI not in AnyMarket's form (it ends with a dot, e.g. `12345.`) or an OI that differs from the
account's: with a wrong OI every callback would be rejected. An account with no stock rows yet cannot
confirm its OI: the run succeeds and its summary says so.

When the connection has a `callback_base_url`, it also makes sure AnyMarket posts order callbacks to
the integration's secret URL and reports it (summary `callbacks`): one more request,
`GET /callbacks`, when all is in place; `POST /callbacks` the first time, `PUT /callbacks/{id}` after
a secret rotation, a `DELETE` per stale registration of ours. A connection without a
`callback_secret` is reported (not failed: the feed still brings every order) with the command that
makes one, `python -m anymarket.callbacks register --integration <id>`.

Settings: the AnyMarket connection (`host` = API base URL, `password` = token, extra `oi`; for
callbacks `callback_base_url` and `callback_secret`).
""",
)
