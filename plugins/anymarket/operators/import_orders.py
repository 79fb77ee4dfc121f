"""Import orders AnyMarket → ERP from callbacks, the order feed and date-window backfills."""

from __future__ import annotations

import time as time_module
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from anymarket.errors import (
    ROW_FAILURES_BEFORE_ALERT,
    AnyMarketAPIError,
    AnyMarketError,
    AnyMarketFatalAPIError,
    ConfigurationError,
    row_level,
)
from anymarket.operators.base import AnyMarketBaseOperator
from anymarket.vocabulary import BRAZIL, PENDING

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.callbacks.inbox import Notification
    from anymarket.orders.importer import OrderImporter, Outcome
    from anymarket.orders.state import OrderStateStore
    from anymarket.summary import RunSummary

FEED_LIMIT = 100


class OrdersFailedError(AnyMarketError):
    """Some orders kept failing; they stay queued (feed unacked / inbox pending) and are retried."""


class AnyMarketImportOrdersOperator(AnyMarketBaseOperator):
    """The operator of the order import.

    What it does, for the person running it: :mod:`anymarket.automations.import_orders`.

    Inside, :meth:`run` picks one path: an ``order_id`` → ``_import_by_id``; a backfill window (the
    Params, or the day of an ``airflow backfill`` run, ``_backfill_window``) → ``_backfill`` only;
    otherwise ``_drain_inbox``, ``_drain_feed``, ``_release_holds``, ``_recheck_pending``,
    ``_reconcile_if_due`` and ``_watch`` (polls the inbox every 0.5 s). Every order goes through
    ``_import``: :func:`~anymarket.orders.validation.validate_order`, then — unless its payload hash
    equals the last imported one — :meth:`~anymarket.orders.importer.OrderImporter.apply` (the ERP
    transaction), then ``_record`` (``order_imports`` via
    :class:`~anymarket.orders.state.OrderStateStore`, the facts the status sync needs via
    :func:`~anymarket.orders.status_state.remember_order_facts`, links, history, partner id). Feed acks
    are batched by :class:`~anymarket.orders.feed_acks.FeedAcks`, flushed before each re-read and when
    the run stops. Row-level failures are counted per order (``_failed``); raising
    :class:`OrdersFailedError` at the end is what fails the run for them.

    :param created_from: first day (``YYYY-MM-DD``) of a backfill window (default: the run's Param).
    :param created_to: last day of the window (default: the Param, else today).
    :param order_id: import this one AnyMarket order now (default: the run's Param).
    :param watch_seconds: overrides ``orders.callback_watch_seconds``.
    """

    automation = "import_orders"
    template_fields: Sequence[str] = (
        *AnyMarketBaseOperator.template_fields,
        "created_from",
        "created_to",
        "order_id",
    )

    def __init__(
        self,
        *,
        created_from: str | None = None,
        created_to: str | None = None,
        order_id: str | None = None,
        watch_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.created_from = created_from
        self.created_to = created_to
        self.order_id = order_id
        self.watch_seconds = watch_seconds

    def budget_lane(self, context: Context) -> str:
        """Importing new orders is realtime work (callback lookups spend their own share of it,
        see :meth:`_handle_notification`); a backfill over past days is bulk."""
        if self.run_param(context, "order_id", self.order_id) is not None:
            return "realtime"
        backfill = self.run_param(context, "created_from", self.created_from) is not None
        if backfill or self._is_backfill_run(context):
            return "bulk"
        return "realtime"

    # -- wiring -------------------------------------------------------------------------------

    @cached_property
    def importer(self) -> OrderImporter:
        from anymarket.orders.importer import OrderImporter

        return OrderImporter(integration=self.integration, erp=self.erp, references=self._load_references())

    @cached_property
    def states(self) -> OrderStateStore:
        from anymarket.orders.state import OrderStateStore

        return OrderStateStore(mapping=self.mapping, integration_id=self.integration.id)

    def _load_references(self) -> Any:
        from anymarket.orders.importer import References

        return References.load(erp=self.erp, mapping=self.mapping, integration=self.integration)

    # -- the run ------------------------------------------------------------------------------

    def run(self, context: Context, summary: RunSummary) -> None:
        self._alerts: list[str] = []
        # Callbacks that failed in this run wait for the next one: the watch loop polls every 0.5 s,
        # and an order AnyMarket cannot serve yet (a callback ahead of its order) would otherwise
        # spend every attempt, and raise the alert, within seconds.
        self._callbacks_failed_this_run: set[int] = set()
        self._callback_share_spent_until = 0.0
        self._summary = summary
        self._mark_after_backfill: list[tuple[str, str]] = []
        order_id = self.run_param(context, "order_id", self.order_id)
        window = self._backfill_window(context)
        if order_id is not None:
            self._import_by_id(str(order_id), source="manual")
        elif window is not None:
            self._backfill(*window)
            for cursor, backfill in self._mark_after_backfill:
                self.mapping.set_cursor(self.integration.id, cursor, backfill)
        elif self._is_backfill_run(context):
            pass  # every day of this backfill run was imported by an earlier run of it
        else:
            self._prune_inbox()
            self._drain_inbox()
            self._drain_feed()
            self._release_holds()
            self._recheck_pending()
            self._reconcile_if_due()
            self._watch(context)
        held = self.states.held_reasons()
        summary.set("held_now", len(held))
        for order_id, reason in sorted(held.items()):
            summary.note(f"held ({reason.split(':', 1)[0]})", f"{order_id}: {reason}")
        if self._alerts:
            raise OrdersFailedError(
                f"{len(self._alerts)} order(s) or feed item(s) failed and stay queued (orders after "
                f"{ROW_FAILURES_BEFORE_ALERT} failures in a row; retried every run): "
                f"{'; '.join(self._alerts[:10])}. Fix the cause shown; see the history of each order in "
                "the mapping DB."
            )

    # -- one order ----------------------------------------------------------------------------

    def _import(
        self, order: dict[str, Any], *, source: str, expected_id: str | None = None
    ) -> Outcome | None:
        """Import one order and store its state; ``None`` when it failed (already recorded)."""
        from anymarket.orders.importer import Outcome, payload_hash
        from anymarket.orders.validation import MalformedOrderError, validate_order

        try:
            validate_order(order, expected_id=expected_id)
        except MalformedOrderError as exc:
            self._failed(str(exc.order_id), source, exc)
            return None
        order_id = str(order["id"])
        digest = payload_hash(order)
        previous = self.states.get(order_id)
        if previous is not None and previous.state == "imported" and previous.payload_hash == digest:
            # Applied already (the ERP agrees by construction): no ERP work at all.
            self._summary.count("unchanged")
            return Outcome("unchanged")
        try:
            outcome = self.importer.apply(order)
        except Exception as exc:
            if not row_level(exc):  # token, settings, budget, AnyMarket or the ERP down: stop the run
                raise
            self._failed(order_id, source, exc)
            return None
        self._record(order, outcome, digest, source)
        return outcome

    def _record(self, order: dict[str, Any], outcome: Outcome, digest: str, source: str) -> None:
        from anymarket.orders.status_state import remember_order_facts

        order_id = str(order["id"])
        status = str(order.get("status") or "")
        recheck = None
        if status == PENDING and outcome.kind in ("created", "updated", "unchanged", "waiting"):
            recheck = datetime.now(UTC) + timedelta(minutes=self.integration.orders.pending_recheck_minutes)
        state = {"created": "imported", "updated": "imported", "unchanged": "imported"}.get(
            outcome.kind, outcome.kind
        )
        self.states.save(
            order_id,
            state=state,
            reason=outcome.detail or None if state != "imported" else None,
            anymarket_status=status,
            payload_hash=digest if state == "imported" else None,
            payload=order if state == "held" else None,
            erp_order_codes=list(outcome.erp_order_codes) if outcome.erp_order_codes else None,
            next_check_at=recheck,
        )
        # The status sync decides from these whether the NF-e XML goes first, without a GET.
        remember_order_facts(self.mapping, self.integration.id, order)
        if outcome.kind == "unchanged":
            self._summary.count("unchanged")
        else:
            example = f"{order_id}: {outcome.detail}" if outcome.detail else order_id
            self._summary.note({"created": "new"}.get(outcome.kind, outcome.kind), example)
            self.record_history(
                entity_type="order",
                entity_key=order_id,
                action=f"import:{source}",
                outcome={"held": "held", "skipped": "skipped", "waiting": "skipped"}.get(outcome.kind, "ok"),
                response={
                    "result": outcome.kind,
                    "erp_order_codes": list(outcome.erp_order_codes),
                    **({"commercial": outcome.commercial} if outcome.commercial else {}),
                },
                error=outcome.detail or None,
            )
        if outcome.kind == "created":
            for code in outcome.erp_order_codes:
                self.mapping.link(self.integration.id, "order", code, order_id)
        if outcome.erp_order_codes and self.integration.orders.send_partner_id:
            self._send_partner_id(order, outcome.erp_order_codes[0])

    def _send_partner_id(self, order: dict[str, Any], code: str) -> None:
        """Write the ERP order code on the AnyMarket order: once, even when imports race (the state
        store hands the write-back to one of them); a failure is retried on a later touch."""
        order_id = str(order["id"])
        if str(order.get("partnerId") or "") == code or not self.states.claim_partner_id(order_id, code):
            return
        try:
            self.hook.put(f"/orders/partnerid/{order_id}", {"partnerId": code})
        except Exception as exc:
            self.states.release_partner_id(order_id, code)
            if not (isinstance(exc, AnyMarketAPIError) and row_level(exc)):
                raise
            self._summary.note("partner_id_failed", f"{order_id}: {exc}")

    def _failed(self, order_id: str, source: str, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        self.log.warning("Order %s (%s) failed: %s", order_id, source, error)
        failures = self.states.record_failure(order_id, error)
        self._summary.note("failed", f"{order_id}: {error[:300]}")
        self.record_history(
            entity_type="order",
            entity_key=order_id,
            action=f"import:{source}",
            outcome="error",
            error=error,
        )
        if failures == ROW_FAILURES_BEFORE_ALERT:
            self._alerts.append(f"{order_id}: {error[:300]}")

    def _fetch(self, order_id: str, source: str) -> dict[str, Any] | None:
        """``GET /orders/{id}``; ``None`` (recorded as failed) when it cannot be read.

        A callback's lookup is spent in the callback lane: never more than its share of the realtime
        reserve, whoever posts ids at the door (see :meth:`_drain_inbox`)."""
        from anymarket.budget import Lane

        try:
            with self.hook.lane_scope(Lane.CALLBACK if source == "callback" else self.hook.lane):
                return self.hook.get(f"/orders/{order_id}")
        except AnyMarketAPIError as exc:
            if not row_level(exc):
                raise
            if source == "callback" and exc.status == 404:
                # A forged id, or an order pushed before it is readable: its callbacks are not stored
                # for a while (its own inbox row still retries; the feed carries a real order).
                from anymarket.callbacks import inbox

                inbox.remember_not_found(self.mapping, self.integration.id, "ORDER", order_id)
            self._failed(order_id, source, exc)
            return None

    def _import_by_id(self, order_id: str, *, source: str) -> Outcome | None:
        order = self._fetch(order_id, source)
        return self._import(order, source=source, expected_id=order_id) if order is not None else None

    # -- sources ------------------------------------------------------------------------------

    def _prune_inbox(self) -> None:
        from anymarket.callbacks import inbox

        pruned = inbox.prune(self.mapping, self.integration.id)
        if pruned:
            self._summary.count("callbacks_pruned", pruned)

    def _drain_inbox(self) -> int:
        """Import every pending ORDER callback; returns how many were handled.

        When the callback share of the budget is spent, the callbacks left wait (not failed, their
        attempts untouched) until it has room; the feed, in the realtime lane, still brings every
        order meanwhile. Any other spent limit ends the run as usual."""
        from anymarket.budget import CALLBACK_SHARE
        from anymarket.callbacks import inbox
        from anymarket.errors import RequestBudgetExhausted

        if time_module.monotonic() < self._callback_share_spent_until:
            return 0
        handled = 0
        while True:
            batch = inbox.pending(
                self.mapping, self.integration.id, "ORDER", exclude=self._callbacks_failed_this_run
            )
            if not batch:
                return handled
            for notification in batch:
                try:
                    if not self._handle_notification(notification):
                        self._callbacks_failed_this_run.add(notification.id)
                except RequestBudgetExhausted as exc:
                    if exc.what != CALLBACK_SHARE:
                        raise
                    self._callback_share_spent_until = time_module.monotonic() + exc.retry_after
                    # Not yet tried in this run (those that failed in it wait for the next run anyway).
                    pending = inbox.count_pending(self.mapping, self.integration.id, "ORDER")
                    waiting = pending - len(self._callbacks_failed_this_run)
                    self._summary.set("callbacks_waiting_for_budget", waiting)
                    self.log.warning(
                        "The callback share of the budget is spent (%d/%d): %d callback(s) wait for room "
                        "(in %.0f s); the feed still brings every order.",
                        exc.used,
                        exc.limit,
                        waiting,
                        exc.retry_after,
                    )
                    return handled
                handled += 1

    def _handle_notification(self, notification: Notification) -> bool:
        from anymarket.callbacks import inbox

        self._summary.count("callbacks")
        outcome = self._import_by_id(notification.resource_id, source="callback")
        if outcome is None:
            inbox.mark_failed_attempt(self.mapping, notification, "import failed: see the order's history")
            return False
        inbox.mark_processed(self.mapping, notification)
        if notification.attempts:  # it may have answered 404 before: its callbacks count again
            inbox.forget_not_found(self.mapping, self.integration.id, "ORDER", notification.resource_id)
        return True

    def _drain_feed(self) -> None:
        """Read the feed until it is drained; ack each item only after its order is stored."""
        from anymarket.orders.feed_acks import FeedAcks

        acks = FeedAcks(
            hook=self.hook,
            mapping=self.mapping,
            integration_id=self.integration.id,
            summary=self._summary,
            batch_size=self.hook.connection_settings.feed_ack_batch_size,
        )
        seen: dict[int, str] = {}
        while True:
            items = self._feed_page()
            fresh = [i for i in items if seen.get(i["id"]) != i["token"]]
            try:
                for item in fresh:
                    seen[item["id"]] = item["token"]
                    self._summary.count("feed_items")
                    if self._import_by_id(str(item["id"]), source="feed") is not None:
                        acks.add(item["id"], item["token"])
            except BaseException:
                # The run stops midway: what is committed still gets acked, if AnyMarket lets us; the
                # error under way is the one to report.
                try:
                    acks.flush()
                except AnyMarketError as exc:
                    self.log.warning("Feed acks left for the next run: %s", exc)
                raise
            acks.flush()  # before the next read, or the acked items would come back
            # A short page means the feed is drained (saves the request that would answer []); a page
            # of items already tried in this run means only failed ones are left: they wait.
            if len(items) < FEED_LIMIT or not fresh:
                return

    def _feed_page(self) -> list[dict[str, Any]]:
        """One ``GET /orders/feeds`` page; items AnyMarket sent malformed are reported, not guessed at."""
        body = self.hook.get("/orders/feeds", {"limit": FEED_LIMIT})
        self._summary.count("feed_pages")
        if body is None:
            return []
        if not isinstance(body, list):
            raise AnyMarketFatalAPIError(
                status=200,
                method="GET",
                endpoint="/orders/feeds",
                message=f"expected a list of {{id, token}} items, got {type(body).__name__}: "
                f"{str(body)[:200]!r}",
            )
        items = []
        for item in body:
            if (
                isinstance(item, dict)
                and isinstance(item.get("id"), int)
                and not isinstance(item["id"], bool)
                and item["id"] > 0
                and isinstance(item.get("token"), str)
                and 0 < len(item["token"]) <= 255
            ):
                items.append(item)
                continue
            # Without a sound id and token it can be neither fetched nor acked: AnyMarket must fix it.
            problem = f"malformed feed item {str(item)[:200]!r} (expected {{id: number, token: text}})"
            self.log.warning("GET /orders/feeds: %s", problem)
            self._summary.note("feed_malformed", problem)
            if problem not in self._alerts:
                self._alerts.append(problem)
        return items

    def _release_holds(self) -> None:
        """Re-check held orders against today's mappings (no request); fetch and import the freed ones."""
        held = self.states.in_state("held")
        if not held:
            return
        self.importer.references = self._load_references()  # a person may have added mappings
        for state in held:
            if state.payload is not None and self.importer.check_mappings(state.payload) is not None:
                continue
            self._import_by_id(state.anymarket_order_id, source="hold")

    def _recheck_pending(self) -> None:
        for state in self.states.due_for_recheck(now=datetime.now(UTC)):
            self._summary.count("rechecked")
            self._import_by_id(state.anymarket_order_id, source="recheck")

    def _reconcile_if_due(self) -> None:
        """Once a day, list the last ``reconcile_days`` days again: catches what the feed lost."""
        days = self.integration.orders.reconcile_days
        if not days:
            return
        now = datetime.now(UTC)
        last = self.mapping.get_cursor(self.integration.id, "orders_reconciled_at")
        if last and now - datetime.fromisoformat(last) < timedelta(hours=24):
            return
        today = now.astimezone(BRAZIL).date()
        self._backfill(today - timedelta(days=days - 1), today, source="reconcile")
        self.mapping.set_cursor(self.integration.id, "orders_reconciled_at", now.isoformat())

    def _backfill(self, first: date, last: date, *, source: str = "backfill") -> None:
        """Import the orders created from ``first`` to ``last`` (Brazilian days), one day per listing."""
        cutoff = self.integration.orders.cutoff_date
        if cutoff is not None and first < cutoff:
            self.log.info("Backfill starts at the cutoff date %s instead of %s", cutoff, first)
            first = cutoff
        self._summary.set(f"{source}_window", f"{first}..{last}")
        days = list(_days(first, last))
        progress = self.track_progress(what="days", total=len(days))
        for day in days:
            self._summary.count(f"{source}_days")
            for order in self.hook.paginate("/orders", _day_filter(day)):
                self._summary.count(f"{source}_listed")
                self._import(order, source=source)
            progress.advance()
        self.progress = None  # what a later wait of this run leaves is not these days

    def _watch(self, context: Context) -> None:
        """Keep importing arriving callbacks until the watch time is over (not in backfill runs)."""
        seconds = self.watch_seconds
        if seconds is None:
            seconds = self.integration.orders.callback_watch_seconds
        if seconds <= 0:
            return
        deadline = time_module.monotonic() + seconds
        while time_module.monotonic() < deadline:
            if not self._drain_inbox():
                time_module.sleep(0.5)

    # -- parameters ---------------------------------------------------------------------------

    def _backfill_window(self, context: Context) -> tuple[date, date] | None:
        """The window of a backfill: from the Params, or the day of an ``airflow backfill`` run."""
        first, last = (
            _param_date(self.run_param(context, "created_from", self.created_from), "created_from"),
            _param_date(self.run_param(context, "created_to", self.created_to), "created_to"),
        )
        if first is None and last is not None:
            raise ConfigurationError(
                "Param created_to needs created_from: give the first day of the window too."
            )
        if first is not None:
            last = last or datetime.now(UTC).date()
            if last < first:
                raise ConfigurationError(f"Param created_to ({last}) is before created_from ({first}).")
            return first, last
        dag_run = context.get("dag_run") if context else None
        if dag_run is not None and self._is_backfill_run(context):
            start = context.get("data_interval_start") or context.get("logical_date")
            end = context.get("data_interval_end") or start
            if start is not None and end is not None:
                first, last = start.astimezone(BRAZIL).date(), max(start, end).astimezone(BRAZIL).date()
                return self._days_left_in_backfill(dag_run, first, last)
        return None

    @staticmethod
    def _is_backfill_run(context: Context) -> bool:
        dag_run = context.get("dag_run") if context else None
        return dag_run is not None and str(getattr(dag_run, "run_type", "")).lower().endswith("backfill")

    def _days_left_in_backfill(self, dag_run: Any, first: date, last: date) -> tuple[date, date] | None:
        """Skip days an earlier run of the same ``airflow backfill`` already imported.

        A frequent schedule makes a backfill many runs per day; the first one imports the whole day
        and the others end at once without a request.
        """
        backfill = str(getattr(dag_run, "backfill_id", None) or getattr(dag_run, "run_id", ""))
        while first <= last:
            cursor = f"backfill_day:{first.isoformat()}"
            if self.mapping.get_cursor(self.integration.id, cursor) != backfill:
                break
            first += timedelta(days=1)
        if first > last:
            self.log.info("Backfill %s already imported these days; nothing to do", backfill)
            return None
        for day in _days(first, last):
            self._mark_after_backfill.append((f"backfill_day:{day.isoformat()}", backfill))
        return first, last


def _param_date(value: Any, name: str) -> date | None:
    """A date Param (``YYYY-MM-DD``); the trigger form validates it, the task does again."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ConfigurationError(
            f"Param {name}={value!r} is not a date: use YYYY-MM-DD, e.g. 2026-01-31."
        ) from None


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _day_filter(day: date) -> dict[str, str]:
    """``createdAfter``/``createdBefore`` covering one Brazilian day (both bounds inclusive)."""
    return {
        "createdAfter": datetime.combine(day, time(0), BRAZIL).isoformat(timespec="milliseconds"),
        "createdBefore": datetime.combine(day, time(23, 59, 59, 999000), BRAZIL).isoformat(
            timespec="milliseconds"
        ),
    }
