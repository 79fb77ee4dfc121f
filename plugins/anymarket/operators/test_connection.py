"""Test connection: are the integration's token and OI good? Recorded for the ops page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anymarket.errors import ConfigurationError
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.summary import RunSummary


class AnyMarketTestConnectionOperator(AnyMarketBaseOperator):
    """The operator of the connection test.

    What it does, for the person running it: :mod:`anymarket.automations.test_connection`.

    Inside: the base URL and token are checked when the hook reads the connection
    (:class:`~anymarket.connections.AnyMarketConnectionSettings`), the OI's form here; the token is
    proven by :meth:`~anymarket.hooks.anymarket.AnyMarketHook.stock_locals`, and the OI is read from
    ``stockLocal.oi.value`` of the first ``GET /stocks`` rows (``_oi_seen_on_stock_rows``); the
    callback registration is checked and made good by ``_check_callbacks``. Problems
    raise :class:`~anymarket.errors.ConfigurationError` (fatal: no retry); a success is recorded as
    a ``connection`` history row.

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "test_connection"

    def run(self, context: Context, summary: RunSummary) -> None:
        params = self.hook.connection_settings
        oi = (params.oi or "").strip()
        if not oi or not oi.endswith("."):
            raise ConfigurationError(
                f"Connection '{params.conn_id}' extra 'oi' is {params.oi!r}: set it to the account's OI as "
                'AnyMarket shows it, ending with a dot (e.g. "12345."); callbacks are checked against it.'
            )
        summary.set("base_url", params.base_url)
        summary.set("environment", self.integration.environment)
        warehouses = self.hook.stock_locals()
        summary.set("warehouses", len(warehouses))
        account_oi = self._oi_seen_on_stock_rows()
        if account_oi is None:
            summary.set("oi_check", "not confirmable: the account has no stock rows yet; format is valid")
        elif account_oi != oi:
            raise ConfigurationError(
                f"Connection '{params.conn_id}' says OI {oi!r} but AnyMarket reports {account_oi!r} for this "
                "token: fix the extra 'oi' or the token, otherwise every callback would be rejected."
            )
        else:
            summary.set("oi_check", "confirmed by AnyMarket")
        callbacks = self._check_callbacks(summary)
        self.record_history(
            entity_type="connection",
            entity_key=params.conn_id,
            action="test_connection",
            outcome="ok",
            response={"warehouses": len(warehouses), "oi": oi, "callbacks": callbacks},
        )

    def _check_callbacks(self, summary: RunSummary) -> str:
        """When the connection has a ``callback_base_url``, make sure AnyMarket posts order callbacks
        to this integration's secret URL (:func:`anymarket.callbacks.registration.ensure_registered`)
        and say so. A missing secret does not fail the run (the feed still brings every order): the
        summary says what to run."""
        from anymarket.callbacks import registration

        if not self.hook.connection_settings.callback_base_url:
            summary.set("callbacks", "off: the connection has no callback_base_url (the feed brings orders)")
            return "off"
        if not self.hook.connection_settings.callback_secret:
            text = (
                "NOT registered: the connection has no callback_secret; run `python -m anymarket.callbacks "
                f"register --integration {self.integration.id}`"
            )
            self.log.warning("Callbacks: %s", text)
            summary.set("callbacks", text)
            return "no secret"
        result = registration.ensure_registered(self.hook, self.integration.id)
        summary.set("callbacks", result.describe())
        return result.status

    def _oi_seen_on_stock_rows(self) -> str | None:
        body: dict[str, Any] = self.hook.get("/stocks", {"limit": 5, "offset": 0}) or {}
        for row in body.get("content") or []:
            value = ((row.get("stockLocal") or {}).get("oi") or {}).get("value")
            if value:
                return str(value)
        return None
