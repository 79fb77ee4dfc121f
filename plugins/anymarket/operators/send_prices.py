"""Send prices: ERP prices → AnyMarket per ``products.price_scope``, only what changed."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.errors import AnyMarketAPIError, ConfigurationError, row_level
from anymarket.mapping import models as m
from anymarket.mapping.database import upsert_many, utcnow
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    import pandas as pd
    from airflow.sdk import Context

    from anymarket.rules.send_prices import BasePrices
    from anymarket.summary import RunSummary

# 400/422 mean "the data": a batch holding a bad row is split to find it; a SKU PUT answering 404
# means the SKU is gone on AnyMarket, also the row's fault. Anything else (auth, outage, budget)
# stops the run with everything accepted so far kept.
# PUT /skus/marketplaces/prices documents no batch limit; PUT /stocks takes at most 200 rows.
MARKETPLACE_BATCH_SIZE = 100
# Listings of a SKU about to get a new price are re-read when older than this, so a listing created
# since is priced too; unchanged SKUs are never re-read (an idle run sends nothing).
LISTINGS_MAX_AGE = timedelta(days=1)
_VALUE_COLUMNS = ("price", "sell_price", "cost")
_STATE_COLUMNS = ("sku_code", "target", "anymarket_id", *_VALUE_COLUMNS)


class AnyMarketSendPricesOperator(AnyMarketBaseOperator):
    """The operator of send prices.

    What it does, for the person running it: :mod:`anymarket.automations.send_prices`.

    Inside: :meth:`_base_prices` reads the ERP prices and
    :func:`~anymarket.rules.send_prices.base_prices` applies source and format; ``_rows`` shapes them
    per scope (:func:`~anymarket.rules.send_prices.sku_rows`, ``cost_rows`` with the stock rule's rows
    from :mod:`anymarket.rules.send_stock`, ``marketplace_rows`` with the listings kept in
    ``price_listings``, refreshed by ``_refresh_listings`` after :data:`LISTINGS_MAX_AGE`), and
    ``select_changes`` compares them with ``price_sent`` / ``price_rejected`` (``_state``). Sending:
    ``_send_skus`` (one request per SKU; product ids from the product links, else
    ``_look_up_product``, the found id kept in ``price_sent``), ``_put_costs`` and
    ``_put_listing_prices`` (:data:`MARKETPLACE_BATCH_SIZE` listings) through ``_send_batches``, which
    bisects a batch refused for a row-level reason. ``_confirm`` records what AnyMarket accepted, one
    transaction per request; in the COST scope it writes ``stock_sent`` too (``_confirm_stock``), so
    send stock's view of AnyMarket stays true.

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "send_prices"
    ui_color = "#d5f5c9"

    def budget_lane(self, context: Context) -> str:
        """A price change is realtime work; a full resend of every price is bulk."""
        return "bulk" if self.run_param(context, "full_resend") else "realtime"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.rules import send_prices as price_rules

        started = time.perf_counter()
        settings = self.integration.products
        sku = self.run_param(context, "sku")
        only = str(sku) if sku is not None else None
        full_resend = bool(self.run_param(context, "full_resend")) or only is not None
        self.scope = settings.price_scope
        summary.set("scope", self.scope)
        source = f"price list {settings.price_list}" if settings.price_list else "SKU prices"
        summary.set("price_source", source)
        summary.set("price_format", settings.price_format)
        summary.set("full_resend", full_resend)
        if only:
            summary.set("only", only)
        if self.scope == price_rules.COST_SCOPE and settings.cost_field != "none":
            raise ConfigurationError(
                f"products.price_scope is COST, so send prices sends the cost (the price source's value), "
                f"but products.cost_field is {settings.cost_field!r}, so send stock would overwrite it: "
                "set products.cost_field: none in the integrations file."
            )

        base = self._base_prices(summary)
        selected = price_rules.select_one(base.prices, only) if only else base.prices
        links = self.mapping.links_of(self.integration.id, "sku")
        selected = selected.assign(anymarket_id=selected["sku_code"].map(links))
        unlinked = selected["anymarket_id"].isna()
        summary.note_many("skipped_unlinked_skus", selected.loc[unlinked, "sku_code"].tolist())
        linked = selected[~unlinked]
        sent, rejected = self._state(m.price_sent), self._state(m.price_rejected)
        rows = self._rows(linked, summary, full_resend=full_resend)
        changes = price_rules.select_changes(rows, sent, rejected, full_resend=full_resend)
        # Listings of SKUs about to be priced must be current: re-read the stale ones, then compare
        # again (new listings are changes, listings gone drop out).
        if (
            self.scope == price_rules.MARKETPLACE_SCOPE
            and not changes.to_send.empty
            and self._refresh_listings(changes.to_send, summary, stale_only=True)
        ):
            rows = self._rows(linked, summary, full_resend=False)
            changes = price_rules.select_changes(rows, sent, rejected, full_resend=full_resend)
        summary.set("read_seconds", round(time.perf_counter() - started, 3))

        summary.count("considered", len(rows))
        summary.count("unchanged", changes.unchanged)
        summary.count("changed", len(changes.to_send))
        summary.count("sent", 0)  # present even when nothing goes out: "sent: 0" is the answer
        summary.count("failed", 0)
        summary.note_many(
            "skipped_rejected_unchanged",
            [
                f"{r.sku_code} @ {price_rules.describe_target(self.scope, r.target)}"
                for r in changes.rejected_unchanged.itertuples()
            ],
        )
        records = changes.to_send.to_dict("records")
        self.log.info(
            "%s scope: %d price rows, %d changed, %d unlinked SKUs",
            self.scope,
            len(rows),
            len(records),
            int(unlinked.sum()),
        )
        sending = time.perf_counter()
        if self.scope == price_rules.SKU_SCOPE:
            self._send_skus(records, summary)
        elif self.scope == price_rules.COST_SCOPE:
            self._send_batches(
                records, self.hook.connection_settings.stock_batch_size, self._put_costs, summary
            )
        else:
            self._send_batches(records, MARKETPLACE_BATCH_SIZE, self._put_listing_prices, summary)
        summary.set("send_seconds", round(time.perf_counter() - sending, 3))

    # -- what AnyMarket must show -------------------------------------------------------------

    def _base_prices(self, summary: RunSummary) -> BasePrices:
        from anymarket.rules import send_prices as price_rules

        settings = self.integration.products
        skus = self.erp.query_frame("price_skus")
        items = None
        if settings.price_list:
            price_rules.check_price_list(self.erp.query_frame("price_lists"), settings.price_list)
            items = self.erp.query_frame("price_list_items", price_list=settings.price_list)
        base = price_rules.base_prices(skus, items, settings)
        summary.note_many("skipped_no_price_in_list", base.missing)
        summary.note_many("skipped_price_not_positive", base.invalid)
        return base

    def _rows(self, linked: pd.DataFrame, summary: RunSummary, *, full_resend: bool) -> pd.DataFrame:
        from anymarket.rules import send_prices as price_rules

        if self.scope == price_rules.SKU_SCOPE:
            return price_rules.sku_rows(linked)
        if self.scope == price_rules.COST_SCOPE:
            return price_rules.cost_rows(linked, self._stock_rows())
        self._refresh_listings(linked, summary, stale_only=False, everything=full_resend)
        return price_rules.marketplace_rows(linked, self._listings())

    def _stock_rows(self) -> pd.DataFrame:
        """The stock rows send stock would send now (the quantity every ``PUT /stocks`` row needs)."""
        from anymarket.rules import send_stock as stock_rules
        from anymarket.stock_levels import fulfillment_deposit_codes

        settings = self.integration
        deposits = self.erp.query_frame("list_deposits")
        mapped = settings.stock.rule == "mapped_deposits"
        deposit_mappings = self.mapping.mappings_of(settings.id, "deposit") if mapped else {}
        full = fulfillment_deposit_codes(self.mapping, settings.id)
        targets = stock_rules.deposit_targets(
            deposits, deposit_mappings, settings.stock, fulfillment=full
        ).targets
        balances = self.erp.query_frame("stock_balances")
        reservations = (
            self.erp.query_frame("stock_reservations")
            if settings.stock.balance == "available"
            else balances.iloc[:0]
        )
        return stock_rules.desired_stock(
            skus=self.erp.query_frame("stock_skus"),
            balances=balances,
            reservations=reservations,
            targets=targets,
            stock=settings.stock,
            products=settings.products,
        )

    # -- listings (SKU_MARKETPLACE) -----------------------------------------------------------

    def _listings(self) -> pd.DataFrame:
        """Known listings as ``sku_code, listing_id`` (text), from ``price_listings``."""
        import pandas as pd

        table = m.price_listings
        with self.mapping.engine.connect() as conn:
            stored = conn.execute(
                sa.select(table.c.sku_code, table.c.listings).where(
                    table.c.integration_id == self.integration.id
                )
            ).all()
        pairs = [(code, str(listing["id"])) for code, listings in stored for listing in listings or []]
        return pd.DataFrame(pairs, columns=["sku_code", "listing_id"])

    def _refresh_listings(
        self, rows: pd.DataFrame, summary: RunSummary, *, stale_only: bool, everything: bool = False
    ) -> bool:
        """Read ``GET /skus/{id}/marketplaces`` for the SKUs of ``rows`` that need it; True if any.

        Needed: never read, read for another SKU id (re-linked), ``everything`` (full resend), or —
        with ``stale_only`` — read longer ago than :data:`LISTINGS_MAX_AGE`.
        """
        table = m.price_listings
        with self.mapping.engine.connect() as conn:
            known = {
                r.sku_code: (r.anymarket_id, _aware(r.read_at))
                for r in conn.execute(
                    sa.select(table.c.sku_code, table.c.anymarket_id, table.c.read_at).where(
                        table.c.integration_id == self.integration.id
                    )
                )
            }
        stale_before = utcnow() - LISTINGS_MAX_AGE
        skus = rows[["sku_code", "anymarket_id"]].drop_duplicates("sku_code")
        to_read = []
        for code, anymarket_id in zip(skus["sku_code"], skus["anymarket_id"].astype(str), strict=True):
            was = known.get(code)
            if everything or was is None or was[0] != anymarket_id or (stale_only and was[1] < stale_before):
                to_read.append((code, anymarket_id))
        if stale_only and not to_read:
            return False
        for code, anymarket_id in to_read:
            self._read_listings(code, anymarket_id, summary)
        return bool(to_read)

    def _read_listings(self, sku_code: str, anymarket_id: str, summary: RunSummary) -> None:
        endpoint = f"/skus/{anymarket_id}/marketplaces"
        summary.count("listing_reads")
        try:
            found = self.hook.get(endpoint) or []
        except AnyMarketAPIError as exc:
            if exc.status != 404:
                raise
            # The SKU is gone on AnyMarket: no listings until the product sync re-links it.
            summary.note("skus_not_found", sku_code)
            found = []
        listings = [
            {
                "id": str(item["id"]),
                "marketPlace": item.get("marketPlace"),
                "accountName": item.get("accountName"),
            }
            for item in found
            if isinstance(item, dict) and item.get("id") is not None
        ]
        if not listings:
            summary.note("skus_without_listings", sku_code)
        row = {
            "integration_id": self.integration.id,
            "sku_code": sku_code,
            "anymarket_id": anymarket_id,
            "listings": listings,
            "read_at": utcnow(),
        }
        with self.mapping.begin() as conn:
            upsert_many(conn, m.price_listings, [row], ("anymarket_id", "listings", "read_at"))

    # -- sending ------------------------------------------------------------------------------

    def _send_skus(self, rows: list[dict[str, Any]], summary: RunSummary) -> None:
        """SKU scope: one ``PUT /products/{pid}/skus/{sid}`` per SKU (the API has no batch)."""
        from anymarket.rules.send_prices import sku_payload

        by_product_code = self.mapping.links_of(self.integration.id, "product")
        by_sku_code = self._product_ids_used()
        for row in rows:
            body = sku_payload(row)
            try:
                product_id = (
                    by_product_code.get(row["product_code"])
                    or by_sku_code.get(row["sku_code"])
                    or self._look_up_product(row, summary)
                )
                summary.count("put_requests")
                self.hook.put(f"/products/{product_id}/skus/{row['anymarket_id']}", body)
            except AnyMarketAPIError as exc:
                if not row_level(exc):
                    raise
                self._reject(row, body, exc, summary)
                continue
            self._confirm([{**row, "anymarket_product_id": product_id}])
            summary.count("sent")

    def _product_ids_used(self) -> dict[str, str]:
        """SKU code → the AnyMarket product id its last accepted SKU-scope PUT went to."""
        table = m.price_sent
        with self.mapping.engine.connect() as conn:
            used = conn.execute(
                sa.select(table.c.sku_code, table.c.anymarket_product_id).where(
                    table.c.integration_id == self.integration.id,
                    table.c.scope == self.scope,
                    table.c.anymarket_product_id.is_not(None),
                )
            )
            return {code: product_id for code, product_id in used}

    def _look_up_product(self, row: dict[str, Any], summary: RunSummary) -> str:
        """The SKU's AnyMarket product when no product link (by ERP product code) names it:
        ``GET /skus/partnerId/{code}``, once — the id is then kept in ``price_sent``."""
        summary.count("product_lookups")
        sku = self.hook.get(f"/skus/partnerId/{row['sku_code']}")
        product = (sku or {}).get("product") or {}
        if product.get("id") is None:
            raise AnyMarketAPIError(
                status=422,
                method="GET",
                endpoint="/skus/partnerId/{code}",
                message=f"AnyMarket did not say which product SKU {row['sku_code']} belongs to; "
                "run the product sync so the product is linked",
            )
        return str(product["id"])

    def _send_batches(
        self,
        rows: list[dict[str, Any]],
        size: int,
        put: Callable[[list[dict[str, Any]], RunSummary], None],
        summary: RunSummary,
    ) -> None:
        for start in range(0, len(rows), size):
            self._bisect(rows[start : start + size], put, summary)

    def _bisect(
        self,
        rows: list[dict[str, Any]],
        put: Callable[[list[dict[str, Any]], RunSummary], None],
        summary: RunSummary,
    ) -> None:
        """PUT one batch; when AnyMarket refuses it as a whole, split it until the bad rows are alone."""
        try:
            put(rows, summary)
        except AnyMarketAPIError as exc:
            if not row_level(exc):
                raise
            if len(rows) == 1:
                self._reject(rows[0], self._payload(rows[0]), exc, summary)
                return
            summary.count("batches_split")
            middle = len(rows) // 2
            self._bisect(rows[:middle], put, summary)
            self._bisect(rows[middle:], put, summary)

    def _put_costs(self, rows: list[dict[str, Any]], summary: RunSummary) -> None:
        """COST scope: one ``PUT /stocks`` batch; accepted rows are recorded as prices and as stock."""
        summary.count("put_requests")
        self.hook.put("/stocks", [self._payload(row) for row in rows])
        self._confirm(rows)
        summary.count("sent", len(rows))

    def _put_listing_prices(self, rows: list[dict[str, Any]], summary: RunSummary) -> None:
        """SKU_MARKETPLACE scope: one ``PUT /skus/marketplaces/prices`` batch.

        AnyMarket answers 200 with ``[{id, errorMsg}]``: a listing named there with a message was
        refused, every other one accepted.
        """
        summary.count("put_requests")
        answer = self.hook.put("/skus/marketplaces/prices", [self._payload(row) for row in rows])
        errors = {
            str(item.get("id")): str(item["errorMsg"])
            for item in (answer if isinstance(answer, list) else [])
            if isinstance(item, dict) and item.get("errorMsg")
        }
        accepted = [row for row in rows if row["target"] not in errors]
        self._confirm(accepted)
        summary.count("sent", len(accepted))
        for row in rows:
            if row["target"] in errors:
                error = AnyMarketAPIError(
                    status=200,
                    method="PUT",
                    endpoint="/skus/marketplaces/prices",
                    message=errors[row["target"]],
                )
                self._reject(row, self._payload(row), error, summary)

    def _payload(self, row: dict[str, Any]) -> dict[str, Any]:
        from anymarket.rules import send_prices as price_rules

        if self.scope == price_rules.COST_SCOPE:
            return price_rules.cost_payload(row)
        if self.scope == price_rules.MARKETPLACE_SCOPE:
            return price_rules.marketplace_payload(row)
        return price_rules.sku_payload(row)

    # -- state --------------------------------------------------------------------------------

    def _confirm(self, rows: list[dict[str, Any]]) -> None:
        """Record rows AnyMarket accepted (forgetting earlier refusals of them), atomically."""
        from anymarket.rules.send_prices import COST_SCOPE

        if not rows:
            return
        now = utcnow()
        values = [
            {
                **self._state_values(row),
                "anymarket_product_id": row.get("anymarket_product_id"),
                "sent_at": now,
            }
            for row in rows
        ]
        with self.mapping.begin() as conn:
            upsert_many(
                conn,
                m.price_sent,
                values,
                ("anymarket_id", "anymarket_product_id", "price", "sell_price", "cost", "sent_at"),
            )
            conn.execute(
                sa.delete(m.price_rejected).where(
                    m.price_rejected.c.integration_id == self.integration.id,
                    m.price_rejected.c.scope == self.scope,
                    sa.tuple_(m.price_rejected.c.sku_code, m.price_rejected.c.target).in_(
                        [(row["sku_code"], row["target"]) for row in rows]
                    ),
                )
            )
            if self.scope == COST_SCOPE:
                self._confirm_stock(conn, rows, now)

    def _confirm_stock(self, conn: sa.Connection, rows: list[dict[str, Any]], now: Any) -> None:
        """The quantity went out with the cost: record it as send stock would, so send stock resends
        the row when the ERP quantity moves away from it (and not when it stays). ``cost`` is left
        NULL there: with ``cost_field: none`` send stock never sends a cost, so NULL is "equal"."""
        import pandas as pd

        values = [
            {
                "integration_id": self.integration.id,
                "sku_code": row["sku_code"],
                "stock_local_id": row["target"],
                "anymarket_id": str(row["anymarket_id"]),
                "quantity": int(row["quantity"]),
                "cost": None,
                "additional_time": int(row["additional_time"]) if pd.notna(row["additional_time"]) else None,
                "sent_at": now,
            }
            for row in rows
        ]
        upsert_many(
            conn, m.stock_sent, values, ("anymarket_id", "quantity", "cost", "additional_time", "sent_at")
        )

    def _reject(
        self, row: dict[str, Any], payload: dict[str, Any], error: AnyMarketAPIError, summary: RunSummary
    ) -> None:
        from anymarket.rules.send_prices import describe_target

        where = describe_target(self.scope, row["target"])
        message = error.message or str(error)
        summary.note("failed", f"{row['sku_code']} @ {where}: {message}")
        self.log.warning("AnyMarket refused the price of SKU %s (%s): %s", row["sku_code"], where, error)
        self.record_refusal(
            table=m.price_rejected,
            values=self._state_values(row),
            compared=("anymarket_id", "price", "sell_price", "cost"),
            sku_code=row["sku_code"],
            payload=payload,
            error=error,
            stored_error=message,
            held_until=f"{self.scope} price for {where}; not sent again until the price changes",
        )

    def _state_values(self, row: dict[str, Any]) -> dict[str, Any]:
        """A price row as ``price_sent``/``price_rejected`` columns (``NaN`` → ``NULL``)."""
        import pandas as pd

        return {
            "integration_id": self.integration.id,
            "scope": self.scope,
            "sku_code": row["sku_code"],
            "target": str(row["target"]),
            "anymarket_id": str(row["anymarket_id"]),
            **{name: float(row[name]) if pd.notna(row[name]) else None for name in _VALUE_COLUMNS},
        }

    def _state(self, table: sa.Table) -> pd.DataFrame:
        """Accepted (or refused) rows of this integration and scope, typed like the computed rows."""
        import pandas as pd

        query = sa.select(*(table.c[name] for name in _STATE_COLUMNS)).where(
            table.c.integration_id == self.integration.id, table.c.scope == self.scope
        )
        with self.mapping.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).all(), columns=list(_STATE_COLUMNS))
        for column in _VALUE_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).round(2)
        return frame


def _aware(value: Any) -> Any:
    """SQLite hands timestamps back naive (they are stored UTC); PostgreSQL aware."""
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
