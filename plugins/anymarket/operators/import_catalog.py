"""Catalog import: AnyMarket's brands, category tree and products into the ERP, resumable."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import cached_property, partial
from itertools import islice
from typing import TYPE_CHECKING, Any

from anymarket.errors import AnyMarketAPIError, AnyMarketError, ConfigurationError, row_level
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.catalog.checkpoint import Checkpoint, CheckpointStore
    from anymarket.catalog.importer import CatalogImporter, Outcome, PageState, StockPlan
    from anymarket.summary import RunSummary

#: This many products failing one after another means the ERP (not the data) is the problem: stop,
#: keeping the checkpoint, rather than marking the whole catalog failed.
MAX_FAILURES_IN_A_ROW = 10


class CatalogImportStopped(AnyMarketError):
    """Too many products failed in a row; the next run resumes from the checkpoint."""


class AnyMarketImportCatalogOperator(AnyMarketBaseOperator):
    """The operator of the catalog import.

    What it does, for the person running it: :mod:`anymarket.automations.import_catalog`.

    Inside: the Param ``scope`` picks the stages (:data:`anymarket.catalog.checkpoint.STAGES`) and
    :class:`~anymarket.catalog.checkpoint.CheckpointStore` the position to resume from. Each stage
    (``_brands``, ``_categories`` over :attr:`category_tree`, ``_products`` page by page) hands one
    entity at a time to :class:`~anymarket.catalog.importer.CatalogImporter` (its ERP transaction)
    through ``_one``, which turns a row-level :class:`~anymarket.catalog.importer.CatalogImportError`
    or :class:`~anymarket.erp.database.ErpQueryError` into that entity's failure; then ``_commit``
    writes its links, history and the advanced checkpoint in one mapping DB transaction. Products
    failed in an earlier run are re-read one by one at the end (``_retry``);
    :data:`MAX_FAILURES_IN_A_ROW` failures in a row raise :class:`CatalogImportStopped`.
    ``_stock_plan`` decides whether per-warehouse stock rows are needed
    (:class:`~anymarket.catalog.importer.StockPlan`).

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "import_catalog"
    lane = "bulk"
    ui_color = "#e3d5ff"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.catalog.checkpoint import STAGES, CheckpointStore
        from anymarket.catalog.importer import CatalogImporter

        scope = str(self.run_param(context, "scope") or "all")
        if scope not in STAGES:
            raise ConfigurationError(f"Param scope is {scope!r}; use one of: {', '.join(STAGES)}.")
        store = CheckpointStore(self.mapping, self.integration.id, scope)
        checkpoint = store.open()
        summary.set("scope", scope)
        summary.set("resumed_from", checkpoint.describe() if checkpoint.resumed else None)
        if checkpoint.ignored_started_at is not None:
            summary.set("ignored_checkpoint_started_at", checkpoint.ignored_started_at.isoformat())
            self.log.warning(
                "An unfinished import started %s is older than 7 days: starting over (nothing is duplicated)",
                checkpoint.ignored_started_at,
            )
        if checkpoint.resumed:
            self.log.info("Resuming the %s import from %s", scope, checkpoint.describe())
        self._summary = summary
        self._failures_in_a_row = 0
        importer = CatalogImporter(
            integration=self.integration,
            erp=self.erp,
            mapping=self.mapping,
            category_tree=lambda: self.category_tree,
        )
        stages = {"brands": self._brands, "categories": self._categories, "products": self._products}
        for stage in checkpoint.remaining_stages():
            stages[stage](store, checkpoint, importer, summary)
            store.next_stage(checkpoint)
        summary.set("stages", list(STAGES[scope]))

    # -- stages -------------------------------------------------------------------------------

    def _brands(
        self, store: CheckpointStore, checkpoint: Checkpoint, importer: CatalogImporter, summary: RunSummary
    ) -> None:
        brands = self.hook.paginate("/brands", {"offset": checkpoint.position})
        for position, brand in enumerate(brands, start=checkpoint.position):
            outcome = self._one("brand", brand, partial(importer.import_brand, brand), summary)
            self._commit(store, checkpoint, importer, position + 1, "brand", brand, outcome)

    def _categories(
        self, store: CheckpointStore, checkpoint: Checkpoint, importer: CatalogImporter, summary: RunSummary
    ) -> None:
        tree = self.category_tree
        for position in range(checkpoint.position, len(tree)):
            node = tree[position]
            outcome = self._one(
                "category", node, partial(importer.import_category, node, node["_parent"]), summary
            )
            self._commit(store, checkpoint, importer, position + 1, "category", node, outcome)

    def _products(
        self, store: CheckpointStore, checkpoint: Checkpoint, importer: CatalogImporter, summary: RunSummary
    ) -> None:
        importer.stock = self._stock_plan(summary)
        carried_failures = list(checkpoint.failed)
        position = checkpoint.position
        products = self.hook.paginate("/products", {"offset": position})
        progress = None
        for page in _pages(products, self.hook.connection_settings.page_size):
            if progress is None:  # AnyMarket says how many there are on the first page
                total = self.hook.last_listing_total or position + len(page)
                progress = self.track_progress(what="products", total=total, done=position)
            state = importer.read_page(page)
            for product in page:
                position += 1
                self._product(product, state, importer, store, checkpoint, position, summary)
                progress.advance()
        for product_id in carried_failures:  # failed in an earlier run: one GET each
            self._retry(product_id, store, importer, checkpoint, summary)
        summary.set("products_failed_pending", list(checkpoint.failed))
        for local, skus in importer.stock.unplaced.items():
            summary.note(
                "stock_not_imported",
                f"warehouse {local} ({skus} SKUs): no ERP deposit is mapped to it and there is no default "
                "deposit — run install_deposits or set stock.default_deposit, then run the import again",
            )

    # -- products -----------------------------------------------------------------------------

    def _product(
        self,
        product: dict[str, Any],
        state: PageState,
        importer: CatalogImporter,
        store: CheckpointStore,
        checkpoint: Checkpoint,
        position: int,
        summary: RunSummary,
    ) -> None:
        """Import one product, then commit its links, history and the checkpoint at ``position``."""
        anymarket_id = str(product["id"])
        summary.count("products_seen")
        outcome = self._one("product", product, lambda o: importer.import_product(product, state, o), summary)
        if not outcome.error:
            self._failures_in_a_row = 0
            if anymarket_id in checkpoint.failed:
                checkpoint.failed.remove(anymarket_id)
        elif anymarket_id not in checkpoint.failed:
            checkpoint.failed.append(anymarket_id)
        self._commit(store, checkpoint, importer, position, "product", product, outcome)
        if not outcome.error:
            return
        self._failures_in_a_row += 1
        if self._failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            raise CatalogImportStopped(
                f"{self._failures_in_a_row} products in a row failed to import (last: {anymarket_id}); "
                "stopping with the checkpoint kept: check the ERP database and the run's history, "
                "then run the import again to continue"
            )

    def _retry(
        self,
        product_id: str,
        store: CheckpointStore,
        importer: CatalogImporter,
        checkpoint: Checkpoint,
        summary: RunSummary,
    ) -> None:
        try:
            product = self.hook.get(f"/products/{product_id}")
        except AnyMarketAPIError as exc:
            if exc.status != 404:
                raise
            checkpoint.failed.remove(product_id)  # gone from AnyMarket: nothing left to import
            summary.note("failed_products_gone", product_id)
            with self.mapping.begin() as conn:
                store.advance(checkpoint, checkpoint.position, checkpoint.last_anymarket_id, conn)
            return
        summary.count("failed_products_retried")
        state = importer.read_page([product])
        self._product(product, state, importer, store, checkpoint, checkpoint.position, summary)

    def _stock_plan(self, summary: RunSummary) -> StockPlan:
        """Where each warehouse's quantity goes; per-warehouse rows only when there are several."""
        from anymarket.catalog.importer import StockPlan

        warehouses = [str(w["id"]) for w in self.hook.stock_locals()]
        plan = StockPlan.build(
            deposits=self.erp.query("list_deposits"),
            deposit_mappings=self.mapping.mappings_of(self.integration.id, "deposit"),
            default_deposit_code=self.integration.stock.default_deposit,
            warehouse_ids=warehouses,
        )
        summary.set("warehouses", len(warehouses))
        if warehouses and plan.needs_rows:
            plan.amounts = {}
            for row in self.hook.paginate("/stocks"):
                sku_id = str((row.get("stockKeepingUnit") or {}).get("id"))
                local = str((row.get("stockLocal") or {}).get("id"))
                plan.amounts.setdefault(sku_id, {})[local] = Decimal(str(row.get("amount") or 0))
        return plan

    # -- shared -------------------------------------------------------------------------------

    @cached_property
    def category_tree(self) -> list[dict[str, Any]]:
        """AnyMarket's category tree, parents first, each node with ``_parent`` (AnyMarket id)."""
        from anymarket.catalog.importer import category_order

        nodes = self.hook.get("/categories/fullPath") or []
        ordered, unresolved = category_order(nodes)
        if unresolved:  # siblings sharing a name: only the node itself knows its parent
            for node in unresolved:
                node["parent"] = (self.hook.get(f"/categories/{node['id']}") or {}).get("parent")
            ordered, unresolved = category_order(nodes)
        for node in unresolved:
            self._summary.note(
                "categories_not_imported", f"{node.get('path')} ({node['id']}): parent unknown"
            )
        return ordered

    def _one(
        self, kind: str, item: dict[str, Any], work: Callable[[Outcome], Any], summary: RunSummary
    ) -> Outcome:
        """Run ``work(outcome)`` for one AnyMarket entity; a data problem fails that entity alone
        (``outcome.error``); the outcome is counted into the summary."""
        from anymarket.catalog.importer import CatalogImportError, Outcome
        from anymarket.erp.database import ErpQueryError

        outcome = Outcome()
        try:
            work(outcome)
        except (CatalogImportError, ErpQueryError) as exc:
            if not row_level(exc):  # the ERP cannot be reached: stop, the checkpoint resumes
                raise
            label = f"{kind} {item.get('id')} {item.get('title') or item.get('name')!r}"
            self.log.warning("Could not import %s: %s", label, exc)
            outcome.error = str(exc)
            summary.note("failed", f"{label}: {exc}")
        finally:
            _apply(outcome, summary)
        return outcome

    def _commit(
        self,
        store: CheckpointStore,
        checkpoint: Checkpoint,
        importer: CatalogImporter,
        position: int,
        kind: str,
        item: dict[str, Any],
        outcome: Outcome,
    ) -> None:
        """After the ERP commit, one mapping-DB transaction: the links, the history, the checkpoint."""
        anymarket_id = str(item["id"])
        with self.mapping.begin() as conn:
            importer.flush_links(conn)
            if outcome.error:
                self._history(kind, anymarket_id, "error", conn, error=outcome.error)
            elif outcome.erp_key and outcome.wrote:
                response = {"anymarket_id": anymarket_id, **outcome.counts}
                self._history(kind, outcome.erp_key, "ok", conn, response=response)
            store.advance(checkpoint, position, anymarket_id, conn)

    def _history(self, kind: str, key: str, result: str, conn: Any, **details: Any) -> None:
        self.record_history(
            entity_type=kind, entity_key=key, action="catalog_import", outcome=result, conn=conn, **details
        )


def _apply(outcome: Outcome, summary: RunSummary) -> None:
    for key, n in outcome.counts.items():
        summary.count(key, n)
    for key, example in outcome.notes:
        summary.note(key, example)


def _pages(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """``items`` in lists of ``size`` (the listing's pages, so each is read from the ERP at once)."""
    iterator = iter(items)
    while page := list(islice(iterator, size)):
        yield page
