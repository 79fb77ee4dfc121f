"""Listing health: every linked SKU's marketplace listings read from AnyMarket into the mapping DB."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from anymarket.errors import ConfigurationError
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.listings.store import ListingStore
    from anymarket.summary import RunSummary

#: The ``sync_cursors`` row holding where the current pass is (JSON: started_at, after, finished_at).
CURSOR = "listing_health_pass"
#: A finished pass starts over after this long (each SKU costs a request: hours of bulk budget).
PASS_EVERY = timedelta(hours=6)
#: The position is saved every this many SKUs (and when the run stops), so a stopped run repeats
#: at most this many requests.
SAVE_EVERY = 25
#: TRANSMISSION callbacks (a listing changed) handled per run, at one request per SKU they name;
#: the rest wait in the inbox (bounded there) for the next run.
CALLBACKS_PER_RUN = 200


class AnyMarketListingHealthOperator(AnyMarketBaseOperator):
    """The operator of listing health.

    What it does, for the person running it: :mod:`anymarket.automations.listing_health`.

    Inside: the pass state is the ``listing_health_pass`` cursor (``_load_pass``/``_save_pass``):
    SKU codes are walked in order from ``after``; each is handed to
    :meth:`~anymarket.listings.store.ListingStore.refresh` (one request, writes only what changed).
    The position is saved every :data:`SAVE_EVERY` SKUs and in a ``finally`` (budget, outage). A
    whole pass ends with :meth:`~anymarket.listings.store.ListingStore.forget_unlinked` and
    ``finished_at``; :data:`PASS_EVERY` spaces passes. Between passes ``_read_linked_since`` reads
    the links newer than ``links_seen_at``
    (:meth:`~anymarket.listings.store.ListingStore.linked_since`). Every run first reads the SKUs of
    the listings TRANSMISSION callbacks named (``_read_callbacks``, at most :data:`CALLBACKS_PER_RUN`).

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "listing_health"
    lane = "bulk"
    ui_color = "#d9f2e6"

    def budget_lane(self, context: Context) -> str:
        """A pass is bulk work; one SKU asked for by a person (Param ``sku``) is realtime."""
        return "realtime" if self.run_param(context, "sku") is not None else "bulk"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.listings.store import ListingStore
        from anymarket.mapping.database import utcnow

        store = ListingStore(
            hook=self.hook,
            mapping=self.mapping,
            integration_id=self.integration.id,
            summary=summary,
            record_history=self.record_history,
        )
        for key in ("skus_read", "listings_written", "listings_removed"):
            summary.count(key, 0)
        linked = self.mapping.links_of(self.integration.id, "sku")
        wanted = self.run_param(context, "sku")
        if wanted is not None:
            self._refresh_one(str(wanted), linked, store, summary)
            return
        self._read_callbacks(store, summary)
        now = utcnow()
        state = self._load_pass()
        restart = bool(self.run_param(context, "restart"))
        finished = _parse(state.get("finished_at"))
        if finished is not None and not restart:
            next_at = finished + PASS_EVERY
            if now < next_at:
                summary.set("next_pass_at", next_at.isoformat(timespec="seconds"))
                self.log.info("The last pass finished at %s; the next starts at %s.", finished, next_at)
                self._read_linked_since(state, store, summary)
                return
        if finished is not None or restart or not state:
            state = {"started_at": now.isoformat(), "after": "", "links_seen_at": now.isoformat()}
        codes = sorted(linked)
        todo = [code for code in codes if code > state["after"]]
        summary.set("pass_started_at", state["started_at"])
        summary.count("skus_linked", len(codes))
        progress = self.track_progress(what="SKUs", total=len(codes), done=len(codes) - len(todo))
        done_since_save = 0
        try:
            for code in todo:
                store.refresh(code, linked[code])
                state["after"] = code
                progress.advance()
                done_since_save += 1
                if done_since_save >= SAVE_EVERY:
                    self._save_pass(state)
                    done_since_save = 0
        finally:
            # Also when the budget or an outage stops the loop: the next run continues from here.
            self._save_pass(state)
        store.forget_unlinked(set(codes))
        state["finished_at"] = utcnow().isoformat()
        self._save_pass(state)
        summary.set("pass_finished", True)

    def _read_callbacks(self, store: ListingStore, summary: RunSummary) -> None:
        """TRANSMISSION callbacks AnyMarket pushed (a listing changed): the SKU of each listing already
        stored is read again now, once however many of its listings were named; a listing not stored
        yet is left to the pass (its SKU is unknown here). Each notification is then marked handled."""
        from anymarket.callbacks import inbox

        waiting = inbox.pending(self.mapping, self.integration.id, "TRANSMISSION", limit=CALLBACKS_PER_RUN)
        if not waiting:
            return
        known = store.skus_of_listings([n.resource_id for n in waiting])
        skus = dict(sorted(known.values()))
        summary.count("callbacks_read", len(waiting))
        summary.count("callbacks_unknown_listing", sum(1 for n in waiting if n.resource_id not in known))
        for code, anymarket_id in skus.items():
            store.refresh(code, anymarket_id)
        summary.count("skus_read_for_callbacks", len(skus))
        for notification in waiting:
            inbox.mark_processed(self.mapping, notification)

    def _read_linked_since(self, state: dict[str, Any], store: ListingStore, summary: RunSummary) -> None:
        """Between passes: read the SKUs linked or re-linked since the pass started (new products,
        and products sync_products sent again — their listings follow the fix), once each."""
        since = _parse(state.get("links_seen_at")) or _parse(state.get("started_at"))
        if since is None:
            return
        new = store.linked_since(since)
        summary.count("skus_linked_since", len(new))
        if not new:
            return
        self.track_progress(what="SKUs linked since the pass", total=len(new))
        try:
            for index, (code, anymarket_id, at) in enumerate(new):
                store.refresh(code, anymarket_id)
                assert self.progress is not None
                self.progress.advance()
                # Links written together share a time: move past it only once all of them are read.
                if index + 1 == len(new) or new[index + 1][2] != at:
                    state["links_seen_at"] = at.isoformat()
        finally:
            self._save_pass(state)

    def _refresh_one(
        self, wanted: str, linked: dict[str, str], store: ListingStore, summary: RunSummary
    ) -> None:
        """Param ``sku``: an ERP SKU code or an AnyMarket SKU id, read now."""
        by_anymarket_id = {anymarket_id: code for code, anymarket_id in linked.items()}
        code = wanted if wanted in linked else by_anymarket_id.get(wanted)
        if code is None:
            raise ConfigurationError(
                f"SKU '{wanted}' is not linked to AnyMarket (no ERP SKU code or AnyMarket SKU id "
                "of that value in the mapping DB): run sync_products for its product first, or check "
                "the code, and trigger again."
            )
        summary.set("sku", code)
        store.refresh(code, linked[code])

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
