"""Send stock: ERP balances → AnyMarket ``PUT /stocks``, only what changed, in batches."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.errors import AnyMarketAPIError, row_level
from anymarket.mapping import models as m
from anymarket.mapping.database import upsert_many, utcnow
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    import pandas as pd
    from airflow.sdk import Context

    from anymarket.summary import RunSummary

_STATE_COLUMNS = ("sku_code", "stock_local_id", "anymarket_id", "quantity", "cost", "additional_time")


def stock_asset_uri(integration_id: str) -> str:
    """The asset updated whenever AnyMarket accepted stock of this integration."""
    return f"anymarket://{integration_id}/stock"


class AnyMarketSendStockOperator(AnyMarketBaseOperator):
    """The operator of send stock.

    What it does, for the person running it: :mod:`anymarket.automations.send_stock`.

    Inside: the ERP rows are read as pandas frames (open reservations only for the ``available``
    balance) and every rule is applied by :mod:`anymarket.rules.send_stock` —
    :func:`~anymarket.rules.send_stock.deposit_targets`, then
    :func:`~anymarket.rules.send_stock.desired_stock` (one row per SKU x warehouse), then
    :func:`~anymarket.rules.send_stock.select_changes` against ``stock_sent`` / ``stock_rejected``
    read back as frames (``_state``). Reading, computing and sending are timed apart in the summary
    (``read_seconds``, ``compute_seconds``, ``send_seconds``). ``_send`` bisects a batch refused for a
    row-level reason (:func:`anymarket.errors.row_level`) down to single rows; ``_confirm`` records an
    accepted batch in ``stock_sent`` and clears its ``stock_rejected`` rows in one transaction. The
    asset event goes through the :class:`~airflow.sdk.AssetAlias` in ``outlets`` — an alias, not the
    asset, so that a run that sent nothing emits nothing.

    Constructor: the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`); ``outlets`` holds the alias named by
    :func:`anymarket.automations.send_stock.stock_asset_alias`.
    """

    automation = "send_stock"
    ui_color = "#c9e7ff"

    def budget_lane(self, context: Context) -> str:
        """A stock change is realtime work; a full resend of every row is bulk."""
        return "bulk" if self.run_param(context, "full_resend") else "realtime"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.rules import send_stock as stock_rules
        from anymarket.stock_levels import read_stock_levels

        started = time.perf_counter()
        settings = self.integration
        full_resend = bool(self.run_param(context, "full_resend"))
        summary.set("rule", settings.stock.rule)
        summary.set("balance", settings.stock.balance)
        summary.set("full_resend", full_resend)

        levels = read_stock_levels(erp=self.erp, mapping=self.mapping, integration=settings)
        for label in levels.deposits.not_mapped:
            summary.note("deposits_not_mapped", label)
        for label in levels.deposits.not_counted:
            summary.note("deposits_not_counting", label)
        for label in levels.deposits.fulfillment:
            summary.note("deposits_full_not_sent", label)
        links = self.mapping.links_of(settings.id, "sku")
        sent_state, rejected_state = self._state(m.stock_sent), self._state(m.stock_rejected)
        read_seconds = time.perf_counter() - started - levels.compute_seconds

        # Step 2, timed on its own: pure pandas over what was read above.
        computing = time.perf_counter()
        desired = levels.desired
        desired["anymarket_id"] = desired["sku_code"].map(links)
        unlinked = desired["anymarket_id"].isna()
        changes = stock_rules.select_changes(
            desired[~unlinked], sent_state, rejected_state, full_resend=full_resend
        )
        compute_seconds = levels.compute_seconds + time.perf_counter() - computing

        summary.count("considered", len(desired))
        summary.count("unchanged", changes.unchanged)
        summary.count("changed", len(changes.to_send))
        summary.count("sent", 0)  # present even when nothing goes out: "sent: 0" is the answer
        summary.count("failed", 0)
        summary.note_many("skipped_unlinked_skus", desired.loc[unlinked, "sku_code"].unique())
        if unlinked.any():
            summary.count("skipped_unlinked_rows", int(unlinked.sum()))
        summary.note_many(
            "skipped_rejected_unchanged",
            (
                changes.rejected_unchanged["sku_code"] + "@" + changes.rejected_unchanged["stock_local_id"]
            ).tolist(),
        )
        summary.set("read_seconds", round(read_seconds, 3))
        summary.set("compute_seconds", round(compute_seconds, 3))

        batch_size = self.hook.connection_settings.stock_batch_size
        to_send, may_wait = self._first_rows_that_may_wait(changes.to_send, sent_state, full_resend)
        plan = stock_rules.batch_rows(to_send, may_wait=may_wait, batch_size=batch_size)
        if len(plan.held):
            summary.count("held_first_rows", len(plan.held))
            summary.set(
                "held_first_rows_until",
                f"a later run fills a batch of {batch_size}, or {settings.stock.first_stock_wait_minutes} "
                "min after their SKUs were created (AnyMarket shows 0 meanwhile)",
            )
        self.log.info(
            "%d SKU x warehouse rows, %d changed (%d first rows of new SKUs held for a fuller batch), "
            "%d unlinked; sending in batches of %d",
            len(desired),
            len(changes.to_send),
            len(plan.held),
            int(unlinked.sum()),
            batch_size,
        )
        sending = time.perf_counter()
        for batch in plan.batches:
            self._send(batch[list(_STATE_COLUMNS)].to_dict("records"), summary)
        summary.set("send_seconds", round(time.perf_counter() - sending, 3))
        if summary.counts["sent"]:
            self._emit_asset_event(context, summary.counts["sent"])

    def _first_rows_that_may_wait(
        self, to_send: pd.DataFrame, sent_state: pd.DataFrame, full_resend: bool
    ) -> tuple[pd.DataFrame, pd.Series]:
        """Which rows may wait for a fuller batch (:func:`anymarket.rules.send_stock.batch_rows`):
        never-sent rows of SKUs product sync created at amount 0 less than
        ``stock.first_stock_wait_minutes`` ago; oldest SKUs first, so they go first."""
        import pandas as pd

        wait_minutes = self.integration.stock.first_stock_wait_minutes
        if full_resend or not wait_minutes or to_send.empty:
            return to_send, pd.Series(False, index=to_send.index)
        created = self._recently_created_without_stock(utcnow() - timedelta(minutes=wait_minutes))
        never_sent = ~pd.MultiIndex.from_frame(to_send[["sku_code", "stock_local_id"]]).isin(
            pd.MultiIndex.from_frame(sent_state[["sku_code", "stock_local_id"]])
        )
        created_at = to_send["sku_code"].map(created)
        may_wait = pd.Series(never_sent & created_at.notna().to_numpy(), index=to_send.index)
        order = created_at.where(may_wait).sort_values(kind="stable", na_position="first").index
        return to_send.loc[order], may_wait.loc[order]

    def _recently_created_without_stock(self, since: datetime) -> dict[str, datetime]:
        """SKU code → link time of the SKUs product sync created at amount 0 since ``since``."""
        from anymarket.catalog.state import CREATED_WITHOUT_STOCK

        links = m.links.c
        query = sa.select(links.erp_id, links.created_at, links.attributes).where(
            links.integration_id == self.integration.id,
            links.entity_type == "sku",
            links.created_at >= since,
        )
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {r.erp_id: r.created_at for r in rows if (r.attributes or {}).get(CREATED_WITHOUT_STOCK)}

    # -- sending ------------------------------------------------------------------------------

    def _send(self, rows: list[dict[str, Any]], summary: RunSummary) -> None:
        """PUT one batch; on a data error, split it until the refused rows are alone."""
        from anymarket.rules.send_stock import stock_payload

        body = [stock_payload(row) for row in rows]
        summary.count("put_requests")
        try:
            self.hook.put("/stocks", body)
        except AnyMarketAPIError as exc:
            # AnyMarket refuses a batch as a whole when one row is bad (the sandbox does the same): a
            # row-level error is split until the row is found; anything else (token, outage, budget)
            # is not the rows' fault and stops the run with everything accepted so far kept.
            if not row_level(exc):
                raise
            if len(rows) == 1:
                self._reject(rows[0], body[0], exc, summary)
                return
            summary.count("batches_split")
            middle = len(rows) // 2
            self._send(rows[:middle], summary)
            self._send(rows[middle:], summary)
            return
        self._confirm(rows)
        summary.count("sent", len(rows))

    def _confirm(self, rows: list[dict[str, Any]]) -> None:
        """Record rows AnyMarket accepted (and forget any earlier refusal of them), atomically."""
        now = utcnow()
        values = [
            {"integration_id": self.integration.id, **_state_values(row), "sent_at": now} for row in rows
        ]
        with self.mapping.begin() as conn:
            upsert_many(
                conn, m.stock_sent, values, ("quantity", "anymarket_id", "cost", "additional_time", "sent_at")
            )
            keys = [(row["sku_code"], row["stock_local_id"]) for row in rows]
            conn.execute(
                sa.delete(m.stock_rejected).where(
                    m.stock_rejected.c.integration_id == self.integration.id,
                    sa.tuple_(m.stock_rejected.c.sku_code, m.stock_rejected.c.stock_local_id).in_(keys),
                )
            )

    def _reject(
        self,
        row: dict[str, Any],
        payload: dict[str, Any],
        error: AnyMarketAPIError,
        summary: RunSummary,
    ) -> None:
        where = f"warehouse {row['stock_local_id']}" if row["stock_local_id"] else "the default warehouse"
        message = error.message or str(error)
        summary.note("failed", f"{row['sku_code']} @ {where}: {message}")
        self.log.warning("AnyMarket refused stock of SKU %s in %s: %s", row["sku_code"], where, error)
        self.record_refusal(
            table=m.stock_rejected,
            values={"integration_id": self.integration.id, **_state_values(row)},
            compared=("quantity", "anymarket_id", "cost", "additional_time"),
            sku_code=row["sku_code"],
            payload=payload,
            error=error,
            stored_error=str(error),
            held_until="not sent again until its quantity, cost or crossdocking changes",
        )

    def _emit_asset_event(self, context: Context, rows_sent: int) -> None:
        from airflow.sdk import Asset, AssetAlias

        events = context.get("outlet_events")
        if events is None:
            return
        for alias in (outlet for outlet in self.outlets if isinstance(outlet, AssetAlias)):
            events[alias].add(Asset(stock_asset_uri(self.integration.id)), extra={"rows_sent": rows_sent})

    # -- state --------------------------------------------------------------------------------

    def _state(self, table: sa.Table) -> pd.DataFrame:
        """Accepted (or refused) rows of this integration, typed like the computed rows."""
        import pandas as pd

        query = sa.select(*(table.c[name] for name in _STATE_COLUMNS)).where(
            table.c.integration_id == self.integration.id
        )
        with self.mapping.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).all(), columns=list(_STATE_COLUMNS))
        for column in ("cost", "additional_time"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        frame["cost"] = frame["cost"].round(2)
        return frame


def _state_values(row: dict[str, Any]) -> dict[str, Any]:
    """A stock row as ``stock_sent``/``stock_rejected`` columns (``NaN`` → ``NULL``)."""
    import pandas as pd

    return {
        "sku_code": row["sku_code"],
        "stock_local_id": row["stock_local_id"],
        "anymarket_id": str(row["anymarket_id"]),
        "quantity": int(row["quantity"]),
        "cost": float(row["cost"]) if pd.notna(row["cost"]) else None,
        "additional_time": int(row["additional_time"]) if pd.notna(row["additional_time"]) else None,
    }
