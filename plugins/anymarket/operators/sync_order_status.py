"""Sync order status ERP → AnyMarket: invoiced with NF-e, shipped with tracking, delivered, cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from anymarket.errors import AnyMarketAPIError, row_level
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.orders.status import Plan, Step
    from anymarket.orders.status_state import StatusState
    from anymarket.summary import RunSummary

CURSOR = "order_status_changed_at"
#: Each run re-reads changes this far behind the newest one it saw: an ERP transaction that commits
#: late with an older ``updated_at`` is still caught (the data hash keeps the overlap free).
OVERLAP = timedelta(minutes=2)
#: Anything older than every order: the first run reads every linked order.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 500
#: AnyMarket answers these when the request itself is wrong: recorded, retried after an ERP change.


class AnyMarketSyncOrderStatusOperator(AnyMarketBaseOperator):
    """The operator of the order status sync.

    What it does, for the person running it: :mod:`anymarket.automations.sync_order_status`.

    Inside: :meth:`run` reads ``status_changed_orders`` from the ``order_status_changed_at`` cursor
    minus :data:`OVERLAP` (a late commit with an older ``updated_at`` is still caught), adds the orders
    in state ``retry``, and handles them in chunks of :data:`CHUNK` (``_sync_chunk``: their parts, the
    stored :class:`~anymarket.orders.status_state.StatusStates` and the import's last status). An
    order whose :func:`~anymarket.orders.status.fingerprint` (parts + settings + mappings) equals
    ``order_status_sync.data_hash`` is skipped; otherwise :func:`~anymarket.orders.status.plan_status`
    plans the steps and ``_send`` sends them (XML first when
    :func:`~anymarket.orders.status.needs_xml`). What AnyMarket holds now (``_known``) is our last
    accepted status or the import's later read; only an order imported before the import recorded its
    marketplace facts costs one ``GET /orders/{id}``, once. ``_finish`` stores the outcome and hash.
    The cursor moves to the newest change seen.

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "sync_order_status"
    ui_color = "#d9f2d9"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.erp.database import parse_timestamp
        from anymarket.orders.status_state import StatusStates

        self._summary = summary
        self._states = StatusStates(mapping=self.mapping, integration_id=self.integration.id)
        for key in ("sent", "status_requests", "xml_requests", "unchanged", "held", "refused", "rejected"):
            summary.count(key, 0)

        saved = self.mapping.get_cursor(self.integration.id, CURSOR)
        saved_at = parse_timestamp(saved) if saved else None
        since = saved_at - OVERLAP if saved_at else EPOCH
        changed = self.erp.query("status_changed_orders", since=since)
        newest = max(
            (
                stamp
                for row in changed
                for stamp in map(
                    parse_timestamp,
                    (row["order_updated_at"], row["invoice_updated_at"], row["shipment_updated_at"]),
                )
                if stamp is not None
            ),
            default=None,
        )
        order_ids = {str(row["anymarket_order_id"]) for row in changed}
        retries = set(self._states.ids_in_state("retry"))
        summary.set("since", since.isoformat())
        summary.count("orders_read", len(order_ids | retries))
        ordered = sorted(order_ids | retries, key=lambda i: (len(i), i))
        for start in range(0, len(ordered), CHUNK):
            self._sync_chunk(ordered[start : start + CHUNK])
        if newest is not None and (saved_at is None or newest > saved_at):
            self.mapping.set_cursor(self.integration.id, CURSOR, newest.isoformat())

    # -- per order ----------------------------------------------------------------------------

    def _sync_chunk(self, order_ids: list[str]) -> None:
        from anymarket.orders import status as rules

        rows = self.erp.query("status_order_parts", anymarket_order_ids=[int(i) for i in order_ids])
        parts: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            parts.setdefault(str(row["anymarket_order_id"]), []).append(row)
        states = self._states.get_many(order_ids)
        imported = self._states.imported_statuses(order_ids)
        status_map = rules.export_map(self.mapping.mappings_of(self.integration.id, "order_status_export"))
        templates = self._tracking_templates()
        context = {
            "settings": self.integration.orders.model_dump(mode="json"),
            "status_map": status_map,
            "templates": templates,
        }
        for order_id in order_ids:
            if order_id not in parts:
                continue  # unlinked in the ERP since it changed: nothing to tell
            state = states.get(order_id)
            digest = rules.fingerprint(parts[order_id], context=context)
            if state is not None and state.state != "retry" and state.data_hash == digest:
                self._summary.count("unchanged")
                continue
            self._sync(
                order_id, parts[order_id], state, imported.get(order_id), digest, status_map, templates
            )

    def _sync(
        self,
        order_id: str,
        parts: list[dict[str, Any]],
        state: StatusState | None,
        imported: tuple[str | None, datetime] | None,
        digest: str,
        status_map: dict[str, str],
        templates: dict[str, str],
    ) -> None:
        try:
            plan = self._plan_and_send(order_id, parts, state, imported, status_map, templates)
        except AnyMarketAPIError as exc:
            if not row_level(exc):
                self._states.save(order_id, state="retry", reason=str(exc))
                raise
            self._summary.note("rejected", f"{order_id}: {exc.message or exc}")
            self._history(
                order_id,
                "status_rejected",
                "error",
                response=exc.as_record(),
                error=f"{exc} (tried again once the ERP data changes)",
            )
            self._finish(order_id, digest, "rejected", str(exc))
            return
        except Exception as exc:
            self._states.save(order_id, state="retry", reason=str(exc))
            raise
        if plan.refused:
            self._summary.note("refused", f"{order_id}: {plan.refused}")
            self._history(order_id, "status_regression", "skipped", error=plan.refused)
            self._finish(order_id, digest, "refused", plan.refused)
        elif plan.held:
            self._summary.note("held", f"{order_id}: {plan.held}")
            self._history(order_id, "status_held", "held", error=plan.held)
            self._finish(order_id, digest, "held", plan.held)
        else:
            self._finish(order_id, digest, "synced", None)

    def _plan_and_send(
        self,
        order_id: str,
        parts: list[dict[str, Any]],
        state: StatusState | None,
        imported: tuple[str | None, datetime] | None,
        status_map: dict[str, str],
        templates: dict[str, str],
    ) -> Plan:
        """Plan the order's steps and send them in order; a failed step stops (raises)."""
        from anymarket.orders import status as rules

        current, marketplace, need_xml = self._known(order_id, state, imported)
        orders = self.integration.orders
        plan = rules.plan_status(
            parts,
            current=current,
            status_map=status_map,
            orders=orders,
            tracking_templates=templates,
            send_xml=rules.needs_xml(orders, marketplace=marketplace, need_invoice_xml=need_xml),
        )
        if plan.partial:
            self._summary.note("partial", f"{order_id}: {plan.partial}")
            self._history(
                order_id,
                "status_partial",
                "skipped",
                request=plan.partial,
                error=f"Multi-CD parts differ: AnyMarket goes at most to {plan.target}",
            )
        nfe_sent = state.nfe_sent_key if state else None
        for step in plan.steps:
            nfe_sent = self._send(order_id, step, nfe_sent)
        return plan

    def _send(self, order_id: str, step: Step, nfe_sent: str | None) -> str | None:
        """Send one step (XML first when needed); record it only once AnyMarket accepted it."""
        from anymarket.mapping.database import utcnow

        if step.xml and nfe_sent != step.access_key:
            self._summary.count("xml_requests")
            self.hook.request(
                "PUT",
                f"/orders/{order_id}/nfe",
                data=step.xml.encode("utf-8"),
                content_type="application/xml",
            )
            self._states.save(order_id, nfe_sent_key=step.access_key, state="retry")
            nfe_sent = step.access_key
        self._summary.count("status_requests")
        answer = self.hook.put(f"/orders/{order_id}", step.body)
        accepted = answer.get("status") if isinstance(answer, dict) else step.status
        if accepted != step.status:
            raise AnyMarketAPIError(
                status=422,
                method="PUT",
                endpoint=f"/orders/{order_id}",
                message=f"AnyMarket answered with status {accepted!r} instead of {step.status}",
            )
        with self.mapping.begin() as conn:
            self._states.save(
                order_id, conn=conn, anymarket_status=step.status, confirmed_at=utcnow(), state="retry"
            )
            self._history(order_id, f"status:{step.status}", "ok", request=step.body, conn=conn)
        self._summary.note("sent", f"{order_id} → {step.status}")
        return nfe_sent

    def _finish(self, order_id: str, digest: str, state: str, reason: str | None) -> None:
        self._states.save(order_id, state=state, reason=reason, data_hash=digest)

    # -- what AnyMarket holds ------------------------------------------------------------------

    def _known(
        self, order_id: str, state: StatusState | None, imported: tuple[str | None, datetime] | None
    ) -> tuple[str | None, str | None, bool | None]:
        """AnyMarket's status, marketplace and ``needInvoiceXML`` for the order, as known.

        Our last accepted status, unless the import read the order later (the marketplace may have
        moved it, e.g. cancelled). Without the marketplace facts (an order imported before the import
        recorded them), one ``GET /orders/{id}`` reads all three, once.
        """
        from anymarket.erp.database import parse_timestamp

        current = state.anymarket_status if state else None
        confirmed = parse_timestamp(state.confirmed_at) if state and state.confirmed_at else None
        imported_at = parse_timestamp(imported[1]) if imported else None
        newer = confirmed is None or (imported_at is not None and imported_at > confirmed)
        if imported and imported[0] and newer:
            current = imported[0]
        if state is not None and state.marketplace is not None and current is not None:
            return current, state.marketplace, state.need_invoice_xml
        from anymarket.orders.status_state import remember_order_facts

        self._summary.count("order_reads")
        order = self.hook.get(f"/orders/{order_id}")
        remember_order_facts(self.mapping, self.integration.id, order)
        need = str((order.get("metadata") or {}).get("needInvoiceXML", "")).lower() == "true"
        return order.get("status"), order.get("marketPlace"), need

    def _tracking_templates(self) -> dict[str, str]:
        """ERP carrier code → tracking URL template, from the carrier mapping's attributes."""
        templates: dict[str, str] = {}
        for row in self.mapping.mappings_of(self.integration.id, "carrier").values():
            template = (row.get("attributes") or {}).get("tracking_url_template")
            if template:
                templates.setdefault(str(row["value"]), str(template))
        return templates

    def _history(self, order_id: str, action: str, outcome: str, **details: Any) -> None:
        self.record_history(
            entity_type="order", entity_key=order_id, action=action, outcome=outcome, **details
        )
