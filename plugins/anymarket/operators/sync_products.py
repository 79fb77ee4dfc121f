"""Sync products ERP → AnyMarket: new, changed and deactivated products, with their SKUs and images."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from anymarket.errors import ConfigurationError
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.catalog.payload import ErpProduct, Translation
    from anymarket.catalog.state import CatalogState, ProductState
    from anymarket.catalog.sync import ProductSyncer
    from anymarket.catalog.taxonomy import Taxonomy
    from anymarket.rules.kits import KitPart
    from anymarket.summary import RunSummary

CURSOR = "products_changed_at"
#: Each run re-reads changes this far behind the newest one it saw, so an ERP transaction that
#: commits late with an older ``updated_at`` is still caught; the data hash makes the re-read free.
OVERLAP = timedelta(minutes=2)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Products read from the ERP and handled together: bounds memory on any catalog size.
CHUNK = 200
OUTCOMES = ("created", "adopted", "updated", "unchanged", "rejected")


@dataclasses.dataclass(frozen=True)
class _Kits:
    """The ERP's kits: components by kit SKU code, and the codes of the products holding them."""

    parts: dict[str, tuple[KitPart, ...]]
    products: set[str]


class AnyMarketSyncProductsOperator(AnyMarketBaseOperator):
    """The operator of the product sync.

    What it does, for the person running it: :mod:`anymarket.automations.sync_products`.

    Inside: ``_candidates`` reads ``product_changed`` from the ``products_changed_at`` cursor minus
    :data:`OVERLAP` (or takes the ``product_code`` Param; ``full_sync`` starts from the epoch); the
    products are read :data:`CHUNK` at a time (``_read``) and turned into
    :class:`~anymarket.catalog.payload.ErpProduct`. Per product (``_sync_one``):
    :class:`~anymarket.catalog.taxonomy.Taxonomy` resolves brand, category and variations (a
    :class:`~anymarket.catalog.taxonomy.TaxonomyProblem` rejects the product),
    :func:`~anymarket.catalog.payload.build_payload` makes the bodies, and
    :class:`~anymarket.catalog.sync.ProductSyncer` compares their hashes with
    :class:`~anymarket.catalog.state.CatalogState` (``product_sync``, links) and sends only the
    pieces that differ. Brand and category renames are followed first
    (:meth:`~anymarket.catalog.taxonomy.Taxonomy.follow_renames`). The cursor moves only after every
    picked product was handled.

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "sync_products"
    lane = "bulk"
    ui_color = "#e6d9f2"

    def budget_lane(self, context: Context) -> str:
        """Catalog work is bulk, except one product asked for by a person (Param ``product_code``)."""
        return "realtime" if self.run_param(context, "product_code") is not None else "bulk"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.catalog.images import ImageChecks
        from anymarket.catalog.state import CatalogState
        from anymarket.catalog.sync import ProductSyncer
        from anymarket.catalog.taxonomy import Taxonomy

        code = self.run_param(context, "product_code")
        product_code = str(code) if code is not None else None
        full_sync = bool(self.run_param(context, "full_sync"))
        force = full_sync or product_code is not None
        settings = self.integration.products
        for outcome in OUTCOMES:
            summary.count(outcome, 0)  # "created: 0" is an answer too
        summary.set("full_sync", full_sync)
        if product_code:
            summary.set("product_code", product_code)

        codes, newest = self._candidates(product_code, full_sync, summary)
        kits = self._kits()
        if product_code is None and kits.parts:
            # Every kit product is looked at on every run, after the other products: one waiting for its
            # components goes once they are on AnyMarket (created earlier in this very run, often),
            # and a changed composition is seen though no product row moved. An unchanged kit costs
            # ERP reads only: its data hash matches and nothing is sent.
            kit_products = set(kits.products)
            codes = [c for c in codes if c not in kit_products] + sorted(kit_products)
        summary.count("considered", len(codes))
        self.log.info("%d product(s) to look at", len(codes))
        state = CatalogState(self.mapping, self.integration.id)
        taxonomy = Taxonomy(
            hook=self.hook,
            mapping=self.mapping,
            erp=self.erp,
            integration_id=self.integration.id,
            settings=settings,
            summary=summary,
            record_history=self.record_history,
        )
        taxonomy.follow_renames()
        syncer = ProductSyncer(
            hook=self.hook,
            state=state,
            settings=settings,
            summary=summary,
            record_history=self.record_history,
            default_amounts=self._default_amounts() if codes else None,
            # Posted images are read back by check_images; those in error are posted again here.
            image_checks=ImageChecks(self.mapping, self.integration.id),
        )
        translation = self._translation() if codes else None
        progress = self.track_progress(what="products", total=len(codes)) if codes else None
        for start in range(0, len(codes), CHUNK):
            products = self._read(codes[start : start + CHUNK])
            if product_code and not products:
                raise ConfigurationError(
                    f"Product '{product_code}' is not in the ERP (query product_rows found no product with "
                    "that code): check the code and trigger again."
                )
            states = state.load({p.code: [s.code for s in p.skus] for p in products})
            products.sort(key=lambda p: p.code in kits.products)  # kits after their components
            for product in products:
                assert translation is not None
                outcome = self._sync_one(
                    product,
                    states[product.code],
                    taxonomy,
                    syncer,
                    translation,
                    force,
                    kits=kits,
                    state=state,
                )
                summary.count(outcome)
                assert progress is not None
                progress.advance()
        if newest is not None and product_code is None:
            self.mapping.set_cursor(self.integration.id, CURSOR, newest.isoformat())

    # -- steps --------------------------------------------------------------------------------------

    def _default_amounts(self) -> dict[str, int] | None:
        """Each SKU's stock in AnyMarket's default warehouse under the stock rules, for the creations
        to carry (``None`` with ``mapped_deposits``: send stock sends every row by warehouse)."""
        from anymarket.stock_levels import read_stock_levels

        if self.integration.stock.rule == "mapped_deposits":
            return None
        try:
            levels = read_stock_levels(erp=self.erp, mapping=self.mapping, integration=self.integration)
        except ConfigurationError as exc:
            # The stock settings are send stock's to report (it fails on them); products still go.
            self.log.warning("New products carry no stock (send stock will send it): %s", exc)
            return None
        return levels.default_warehouse_amounts()

    def _kits(self) -> _Kits:
        """Every kit's components (``kit_components``), by kit SKU code, and the kit products' codes."""
        from anymarket.rules.kits import kits_from_rows

        rows = self.erp.query("kit_components")
        return _Kits(parts=kits_from_rows(rows), products={str(r["kit_product_code"]) for r in rows})

    def _candidates(
        self, product_code: str | None, full_sync: bool, summary: RunSummary
    ) -> tuple[list[str], datetime | None]:
        """Product codes to look at, and the newest change among them (the next cursor)."""
        from anymarket.erp.database import parse_timestamp

        if product_code:
            return [product_code], None
        saved = None if full_sync else self.mapping.get_cursor(self.integration.id, CURSOR)
        saved_at = parse_timestamp(saved) if saved else None
        since = saved_at - OVERLAP if saved_at else EPOCH
        summary.set("since", since.isoformat())
        latest: dict[str, datetime] = {}
        for row in self.erp.query("product_changed", since=since):
            changed = parse_timestamp(row["changed_at"])
            code = str(row["code"])
            if changed is not None and (code not in latest or changed > latest[code]):
                latest[code] = changed
        return sorted(latest), max(latest.values(), default=None)

    def _read(self, codes: list[str]) -> list[ErpProduct]:
        from anymarket.catalog.payload import products_from_rows

        price_list = self.integration.products.price_list
        return products_from_rows(
            self.erp.query("product_rows", codes=codes),
            self.erp.query("product_skus", codes=codes, price_list=price_list),
            self.erp.query("product_sku_variations", codes=codes),
            self.erp.query("product_images", codes=codes),
            self.erp.query("product_attributes", codes=codes),
        )

    def _translation(self) -> Translation:
        from anymarket.catalog.payload import Translation

        def values(kind: str) -> dict[str, str]:
            return {k: v["value"] for k, v in self.mapping.mappings_of(self.integration.id, kind).items()}

        return Translation(
            attributes=values("attribute"),
            variation_types=values("variation_type"),
            variation_values=values("variation_value"),
        )

    def _sync_one(
        self,
        product: ErpProduct,
        current: ProductState,
        taxonomy: Taxonomy,
        syncer: ProductSyncer,
        translation: Translation,
        force: bool,
        *,
        kits: _Kits,
        state: CatalogState,
    ) -> str:
        from anymarket.catalog.payload import build_payload, kit_sku_problem, stable_hash, with_kit
        from anymarket.catalog.taxonomy import TaxonomyProblem
        from anymarket.rules.kits import kit_components_body

        if current.anymarket_id is None and not product.active:
            return "skipped_inactive"  # never sent and inactive: nothing to tell AnyMarket
        erp_hash = stable_hash(dataclasses.asdict(product))
        if not force and current.rejected_hash == erp_hash:
            return "skipped_rejected_unchanged"
        try:
            if not product.skus:
                raise TaxonomyProblem("the product has no SKU in the ERP (AnyMarket needs at least one)")
            brand_id = taxonomy.brand_id(product.brand_code)
            category_id = taxonomy.category_id(product.category_code)
            taxonomy.ensure_variations(product.variation_pairs(), translation)
            kit_problem = kit_sku_problem(product, kits.parts)
            if kit_problem:
                raise TaxonomyProblem(kit_problem)
        except TaxonomyProblem as problem:
            syncer.reject(product.code, erp_hash, status=problem.status, message=problem.message)
            return "rejected"
        payload = build_payload(
            product,
            brand_id=brand_id,
            category_id=category_id,
            settings=self.integration.products,
            translation=translation,
        )
        parts = next((kits.parts[sku.code] for sku in product.skus if sku.code in kits.parts), None)
        if parts is not None and product.active:
            body, missing = kit_components_body(parts, state.sku_links([part.code for part in parts]))
            if missing:
                # AnyMarket refuses a kit naming a SKU it lacks: nothing is sent, nothing recorded as
                # refused; the kit is looked at again on every run (``run``) and goes once they are there.
                syncer.summary.note(
                    "kits_waiting",
                    f"{product.code}: component SKU(s) {', '.join(missing)} not on AnyMarket yet "
                    "(sync them first); the kit is sent on a later run",
                )
                return "kit_waiting"
            payload = with_kit(payload, body)
        return syncer.sync(payload, current, force=force)
