"""Full stock: each listed SKU's stock at the marketplaces' own warehouses read into the ERP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from anymarket.errors import ConfigurationError
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.fulfillment.importer import FullDeposit, FullStockImporter
    from anymarket.summary import RunSummary

#: The ``sync_cursors`` row holding where the current pass is (JSON: started_at, after, finished_at).
CURSOR = "fulfillment_stock_pass"
#: A finished pass starts over after this long: Full stock moves with every sale at the marketplace,
#: and each SKU costs a request of the bulk lane.
PASS_EVERY = timedelta(hours=4)
#: The position is saved every this many SKUs (and when the run stops).
SAVE_EVERY = 25
#: Pass positions are ``"<MARKETPLACE> <SKU code>"``: marketplaces have no space, so they sort apart.
SEPARATOR = " "


class AnyMarketFulfillmentStockOperator(AnyMarketBaseOperator):
    """The operator of Full stock.

    What it does, for the person running it: :mod:`anymarket.automations.fulfillment_stock`.

    Inside: the mapped marketplaces are resolved to ERP deposits
    (:func:`~anymarket.fulfillment.importer.full_deposits`); the SKUs to read per marketplace come
    from :func:`~anymarket.fulfillment.rules.skus_to_read` (listed there per listing health, or
    holding Full stock in the ERP). The pass walks ``(marketplace, code)`` in order from ``after``
    (the ``fulfillment_stock_pass`` cursor, saved every :data:`SAVE_EVERY` SKUs and in a ``finally``),
    handing each to :meth:`~anymarket.fulfillment.importer.FullStockImporter.refresh`;
    :data:`PASS_EVERY` spaces passes. Between passes ``_read_listed_since`` takes the listings with
    ``changed_at`` at or after ``listings_seen_at``
    (:func:`~anymarket.fulfillment.importer.listings_changed_since`).

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "fulfillment_stock"
    lane = "bulk"
    ui_color = "#e0e6f8"

    def budget_lane(self, context: Context) -> str:
        """A pass is bulk work; one SKU asked for by a person (Param ``sku``) is realtime."""
        return "realtime" if self.run_param(context, "sku") is not None else "bulk"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.fulfillment.importer import FullStockImporter, full_deposits, listed_skus
        from anymarket.fulfillment.rules import skus_to_read
        from anymarket.mapping.database import utcnow

        for key in ("skus_read", "balances_written", "balances_unchanged"):
            summary.count(key, 0)
        deposits = full_deposits(self.mapping, self.erp, self.integration.id)
        if not deposits:
            summary.set("not_mapped", "no fulfillment_deposit mapping: nothing to read")
            self.log.info(
                "No marketplace is mapped to an ERP deposit for Full stock (fulfillment_deposits.csv): "
                "nothing to read."
            )
            return
        summary.set("deposits", {d.marketplace: d.deposit_code for d in deposits})
        importer = FullStockImporter(
            hook=self.hook,
            erp=self.erp,
            mapping=self.mapping,
            integration_id=self.integration.id,
            summary=summary,
            record_history=self.record_history,
        )
        linked = self.mapping.links_of(self.integration.id, "sku")
        wanted = self.run_param(context, "sku")
        if wanted is not None:
            code = self._linked_code(str(wanted), linked)
            summary.set("sku", code)
            for deposit in deposits:
                importer.refresh(deposit, code, linked[code])
            return
        now = utcnow()
        state = self._load_pass()
        finished = _parse(state.get("finished_at"))
        if finished is not None and not self.run_param(context, "restart"):
            next_at = finished + PASS_EVERY
            if now < next_at:
                summary.set("next_pass_at", next_at.isoformat(timespec="seconds"))
                self.log.info("The last pass finished at %s; the next starts at %s.", finished, next_at)
                self._read_listed_since(state, deposits, importer, linked, summary)
                return
        if finished is not None or self.run_param(context, "restart") or not state:
            state = {"started_at": now.isoformat(), "after": "", "listings_seen_at": now.isoformat()}
        listings = listed_skus(self.mapping, self.integration.id)
        if listings is None:
            summary.set("evidence", "no listings stored (listing_health off or not run): every linked SKU")
        work = [
            (deposit, code)
            for deposit in deposits
            for code in skus_to_read(
                marketplace=deposit.marketplace,
                linked=linked,
                listings=listings,
                holding=importer.holding(deposit),
            )
        ]
        todo = [(d, c) for d, c in work if f"{d.marketplace}{SEPARATOR}{c}" > state["after"]]
        summary.set("pass_started_at", state["started_at"])
        summary.count("skus_to_read", len(work))
        progress = self.track_progress(
            what="SKUs x marketplaces", total=len(work), done=len(work) - len(todo)
        )
        since_save = 0
        try:
            for deposit, code in todo:
                importer.refresh(deposit, code, linked[code])
                state["after"] = f"{deposit.marketplace}{SEPARATOR}{code}"
                progress.advance()
                since_save += 1
                if since_save >= SAVE_EVERY:
                    self._save_pass(state)
                    since_save = 0
        finally:
            # Also when the budget or an outage stops the loop: the next run continues from here.
            self._save_pass(state)
        state["finished_at"] = utcnow().isoformat()
        self._save_pass(state)
        summary.set("pass_finished", True)

    def _read_listed_since(
        self,
        state: dict[str, Any],
        deposits: list[FullDeposit],
        importer: FullStockImporter,
        linked: dict[str, str],
        summary: RunSummary,
    ) -> None:
        """Between passes: read the SKUs whose listing on a mapped marketplace listing health stored
        or changed since the pass started (a SKU newly listed may already sit in the marketplace's
        CDs), once each."""
        from anymarket.fulfillment.importer import listings_changed_since
        from anymarket.fulfillment.rules import listed_on
        from anymarket.mapping.database import utcnow

        since = _parse(state.get("listings_seen_at")) or _parse(state.get("started_at"))
        if since is None:
            return
        seen = utcnow()
        changed = listings_changed_since(self.mapping, self.integration.id, since)
        work = sorted(
            {
                (d.marketplace, code): d
                for code, listed in changed
                for d in deposits
                if listed_on(d.marketplace, listed) and code in linked
            }.items()
        )
        summary.count("skus_listed_since", len(work))
        if work:
            self.track_progress(what="SKUs listed since the pass", total=len(work))
            for (_, code), deposit in work:
                importer.refresh(deposit, code, linked[code])
                assert self.progress is not None
                self.progress.advance()
        state["listings_seen_at"] = seen.isoformat()
        self._save_pass(state)

    @staticmethod
    def _linked_code(wanted: str, linked: dict[str, str]) -> str:
        """Param ``sku``: an ERP SKU code or an AnyMarket SKU id."""
        if wanted in linked:
            return wanted
        by_anymarket_id = {anymarket_id: code for code, anymarket_id in linked.items()}
        if wanted in by_anymarket_id:
            return by_anymarket_id[wanted]
        raise ConfigurationError(
            f"SKU '{wanted}' is not linked to AnyMarket (no ERP SKU code or AnyMarket SKU id of that value "
            "in the mapping DB): run sync_products for its product first, or check the code, and trigger "
            "again."
        )

    def _load_pass(self) -> dict[str, Any]:
        raw = self.mapping.get_cursor(self.integration.id, CURSOR)
        if not raw:
            return {}
        try:
            state = json.loads(raw)
        except ValueError:
            self.log.warning("Unreadable %s cursor %r: starting a new pass.", CURSOR, raw)
            return {}
        return state if isinstance(state, dict) and isinstance(state.get("after"), str) else {}

    def _save_pass(self, state: dict[str, Any]) -> None:
        self.mapping.set_cursor(self.integration.id, CURSOR, json.dumps(state, sort_keys=True))


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
