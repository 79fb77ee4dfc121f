"""Place one ERP product on AnyMarket: create, adopt or update it, sending only what changed.

- **New** (no product link): ``GET /products?sku=<first SKU>``; when AnyMarket already has it, it
  is *adopted* (linked, then brought in line like an existing one, comparing with what AnyMarket
  answered so identical fields cost nothing); otherwise one ``POST /products`` carries the product,
  its SKUs and images. So a new product costs 2 requests once its brand and category exist. When
  that POST is refused because another of its SKUs exists, the product holding it is adopted; a
  SKU found in yet another AnyMarket product is linked there (``GET /skus/partnerId/{code}``).
- **Linked by someone else** (catalog import, a person; no sync state yet): read once with
  ``GET /products/{id}`` and adopted, so nothing AnyMarket has is sent twice.
- **Existing**: ``PUT /products/{id}`` only when the product body hashes differently from the last
  one AnyMarket accepted; then SKUs (``PUT`` changed ones, ``POST`` new ones); then images (``POST``
  new ones, ``DELETE`` removed ones when ``products.delete_removed_images``, and a ``PUT`` making
  the first ERP image the main one when it is not).

Every accepted request is written to the mapping DB before the next one is sent (see
:mod:`anymarket.catalog.state`), and the product is marked synced (its data hash stored) only when
all of them were accepted. A row-level error (:func:`anymarket.errors.row_level`: a 4xx about the
data) refuses the product: recorded with AnyMarket's message in ``product_rejected`` and the history,
not retried until its data changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from anymarket.catalog.payload import differs, image_key
from anymarket.catalog.state import LinkedImage, ProductState
from anymarket.errors import AnyMarketAPIError, row_level

if TYPE_CHECKING:
    from anymarket.catalog.images import ImageChecks
    from anymarket.catalog.payload import ImageSpec, ProductPayload
    from anymarket.catalog.state import CatalogState
    from anymarket.hooks.anymarket import AnyMarketHook
    from anymarket.settings import ProductSettings
    from anymarket.summary import RunSummary

log = logging.getLogger(__name__)


class ProductSyncer:
    """Sync products one at a time; counts go to the run summary (``write_requests`` among them)."""

    def __init__(
        self,
        *,
        hook: AnyMarketHook,
        state: CatalogState,
        settings: ProductSettings,
        summary: RunSummary,
        record_history: Callable[..., None],
        default_amounts: Mapping[str, int] | None = None,
        image_checks: ImageChecks | None = None,
    ) -> None:
        """:param default_amounts: each SKU's quantity in AnyMarket's default warehouse under the stock
        rules (:meth:`anymarket.stock_levels.StockLevels.default_warehouse_amounts`), carried by a
        product creation and recorded as send stock's; ``None`` when send stock sends no such rows
        (``mapped_deposits``): creations then carry 0 and record nothing.
        :param image_checks: where posted images are recorded for ``check_images`` to read back, and
        which ones AnyMarket could not process (posted again); ``None``: neither."""
        self.hook = hook
        self.state = state
        self.settings = settings
        self.summary = summary
        self.record_history = record_history
        self.default_amounts = default_amounts
        self.image_checks = image_checks

    # -- entry points -------------------------------------------------------------------------------

    def sync(self, payload: ProductPayload, current: ProductState, *, force: bool = False) -> str:
        """Bring AnyMarket in line with ``payload``; returns the outcome counted in the summary:
        ``created``, ``adopted``, ``updated``, ``unchanged``, ``rejected`` or
        ``skipped_rejected_unchanged``."""
        if not force and current.anymarket_id and current.data_hash == payload.data_hash:
            return "unchanged"
        if not force and current.rejected_hash == payload.data_hash:
            return "skipped_rejected_unchanged"
        if payload.incomplete:  # AnyMarket would refuse it (or take it wrong): no request, said why
            self.reject(payload.code, payload.data_hash, status=None, message=payload.incomplete)
            return "rejected"
        try:
            outcome = self._place(payload, current, force)
        except AnyMarketAPIError as exc:
            if not row_level(exc):
                raise
            self.reject(
                payload.code,
                payload.data_hash,
                status=exc.status,
                message=exc.message or str(exc),
                field_errors=exc.field_errors,
                detail=str(exc),
            )
            return "rejected"
        with self.state.mapping.begin() as conn:
            self.state.mark_synced(payload.code, payload.data_hash, conn)
            self.record_history(
                entity_type="product",
                entity_key=payload.code,
                action="sync",
                outcome="ok",
                response={"outcome": outcome, "anymarket_id": current.anymarket_id},
                conn=conn,
            )
        return outcome

    def reject(
        self,
        code: str,
        data_hash: str,
        *,
        status: int | None,
        message: str,
        field_errors: list[dict[str, Any]] | None = None,
        detail: str | None = None,
    ) -> None:
        """Record a refused product; it is offered again only once its ERP data changes."""
        self.summary.note("rejected_products", f"{code}: {message}")
        log.warning("Product %s refused: %s", code, detail or message)
        with self.state.mapping.begin() as conn:
            self.state.reject(
                code, data_hash, status=status, message=message, field_errors=field_errors, conn=conn
            )
            self.record_history(
                entity_type="product",
                entity_key=code,
                action="sync",
                outcome="error",
                response={"status": status, "message": message, "fieldErrors": field_errors or []},
                error=f"{detail or message} (not sent again until the product changes in the ERP)",
                conn=conn,
            )

    # -- the three paths ----------------------------------------------------------------------------

    def _place(self, payload: ProductPayload, current: ProductState, force: bool) -> str:
        linked = current.anymarket_id is not None
        try:
            if not linked:
                remote = self._find_or_create(payload, current)
                if remote is None:
                    self._update(payload, current, force=False)  # only what POST /products left out
                    return "created"
            elif not current.tracked:
                remote = self._read_product(str(current.anymarket_id))
            else:
                return "updated" if self._update(payload, current, force=force) else "unchanged"
            self._adopt(payload, current, remote)
            self._update(payload, current, force=force)
            return "adopted"
        except _ProductGone:
            if not linked:
                raise
            log.warning(
                "Product %s (%s) is gone from AnyMarket; placing it again", payload.code, current.anymarket_id
            )
            with self.state.mapping.begin() as conn:
                self.state.unlink_product(payload.code, conn)
            fresh = ProductState(payload.code)
            outcome = self._place(payload, fresh, force)
            current.anymarket_id = fresh.anymarket_id
            return outcome

    def _find_or_create(self, payload: ProductPayload, current: ProductState) -> dict[str, Any] | None:
        """AnyMarket's product holding the first SKU (to adopt), else ``None`` once it is created."""
        skus = list(payload.sku_bodies)
        remote = self._lookup(skus[:1])
        if remote is not None:
            return remote
        try:
            self._create(payload, current)
        except AnyMarketAPIError as exc:
            # Another of its SKUs may be on AnyMarket already ("Duplicidade de SKU"): adopt the
            # product holding it. Only this rare path pays one lookup per SKU.
            remote = self._lookup(skus[1:]) if row_level(exc) else None
            if remote is None:
                raise
        return remote

    def _lookup(self, sku_codes: list[str]) -> dict[str, Any] | None:
        """AnyMarket's product holding one of these SKUs, tried in order (no duplicate SKUs, ever)."""
        for code in sku_codes:
            for product in self.hook.get("/products", {"sku": code}).get("content") or []:
                if any(str(sku.get("partnerId")) == code for sku in product.get("skus") or []):
                    return product
        return None

    def _read_product(self, product_id: str) -> dict[str, Any]:
        try:
            return self.hook.get(f"/products/{product_id}")
        except AnyMarketAPIError as exc:
            if exc.status == 404:
                raise _ProductGone from exc
            raise

    def _create(self, payload: ProductPayload, current: ProductState) -> None:
        created = self._write("POST", "/products", payload.create_body(self.default_amounts))
        self.summary.count("skus_created", len(created.get("skus") or []))
        # What the creation carried is recorded before the SKUs are linked: send prices and send stock
        # skip unlinked SKUs, so they never see a new SKU without its record (a paced product sync
        # and a send stock run on another worker met in that gap and sent the stock again).
        self._record_prices_sent(payload, created)
        self._record_stock_sent(payload, created)
        self._link_remote(
            payload,
            current,
            created,
            product_hash=payload.product_hash,
            created_without_stock=self.default_amounts is None,
        )
        posted = [
            (image_key(str(i["url"]), i.get("variation")), i)
            for i in created.get("images") or []
            if "id" in i
        ]
        self._images_posted(payload.code, str(created["id"]), posted)

    def _record_stock_sent(self, payload: ProductPayload, created: dict[str, Any]) -> None:
        """The creation set each SKU's ``amount`` and ``additionalTime`` in AnyMarket's default
        warehouse: tell send stock, which would otherwise send each new SKU's stock again."""
        if self.default_amounts is None:
            return
        rows = []
        for sku in created.get("skus") or []:
            code = str(sku.get("partnerId"))
            body = payload.sku_bodies.get(code)
            if body is not None:
                crossdocking = body["additionalTime"] if self.settings.send_crossdocking else None
                rows.append((code, str(sku["id"]), int(self.default_amounts.get(code, 0)), crossdocking))
        with self.state.mapping.begin() as conn:
            self.state.record_stock_sent(rows, conn)

    def _record_prices_sent(self, payload: ProductPayload, created: dict[str, Any]) -> None:
        """The SKU prices the creation carried are AnyMarket's now: tell send prices, which would
        otherwise PUT each one again. Only for fixed ``SKU``-scope prices — in the other scopes the
        price lives elsewhere, and a markup price is AnyMarket's own calculation from ours."""
        from anymarket.rules.send_prices import SKU_SCOPE

        if self.settings.price_scope != SKU_SCOPE or self.settings.price_format != "fixed":
            return
        prices = []
        for sku in created.get("skus") or []:
            code = str(sku.get("partnerId"))
            body = payload.sku_bodies.get(code)
            if body is not None:
                prices.append((code, str(sku["id"]), body["price"], body["sellPrice"]))
        with self.state.mapping.begin() as conn:
            self.state.record_prices_sent(str(created["id"]), prices, conn)

    def _adopt(self, payload: ProductPayload, current: ProductState, remote: dict[str, Any]) -> None:
        """Link what AnyMarket already has; fields equal to ours count as accepted (no request)."""
        product_hash = None if differs(payload.product, remote) else payload.product_hash
        self._link_remote(payload, current, remote, product_hash=product_hash)
        for code in payload.sku_bodies:
            if code in current.skus:
                continue
            # The SKU lives in another AnyMarket product: link it there rather than duplicate it.
            try:
                other = self.hook.get(f"/skus/partnerId/{code}")
            except AnyMarketAPIError as exc:
                if exc.status != 404:
                    raise
                continue
            self.summary.note(
                "skus_in_other_products", f"{code} (product {other.get('product', {}).get('id')})"
            )
            with self.state.mapping.begin() as conn:
                self.state.link_skus(payload.code, [(code, str(other["id"]), payload.sku_hash(code))], conn)
            current.skus[code], current.sku_hashes[code] = str(other["id"]), payload.sku_hash(code)

    def _link_remote(
        self,
        payload: ProductPayload,
        current: ProductState,
        remote: dict[str, Any],
        *,
        product_hash: str | None,
        created_without_stock: bool = False,
    ) -> None:
        """Link a product AnyMarket answered (created or found), its SKUs and images, in one transaction.

        :param created_without_stock: our creation left its SKUs at amount 0 (see
            :meth:`~anymarket.catalog.state.CatalogState.link_skus`)."""
        current.anymarket_id, current.product_hash, current.tracked = str(remote["id"]), product_hash, True
        skus = []
        for sku in remote.get("skus") or []:
            code = str(sku.get("partnerId"))
            if code in payload.sku_updates:
                sku_hash = None if differs(payload.sku_updates[code], sku) else payload.sku_hash(code)
                skus.append((code, str(sku["id"]), sku_hash))
                current.skus[code], current.sku_hashes[code] = str(sku["id"]), sku_hash
        images = []
        for image in remote.get("images") or []:
            url, variation = str(image["url"]), image.get("variation")
            key = image_key(url, variation)
            images.append((key, str(image["id"]), url, variation))
            current.images[key] = LinkedImage(str(image["id"]), url, variation)
            if image.get("main"):
                current.main_image = key
        # AnyMarket already shows exactly the wanted images (a creation with images): nothing to diff.
        wanted = [image.key for image in payload.images]
        if (
            payload.send_images == "yes"
            and set(wanted) == set(current.images)
            and (not wanted or current.main_image == wanted[0])
        ):
            current.images_hash = payload.images_hash
        with self.state.mapping.begin() as conn:
            self.state.link_product(payload.code, current.anymarket_id, product_hash, conn)
            self.state.link_skus(payload.code, skus, conn, created_without_stock=created_without_stock)
            self.state.link_images(payload.code, images, conn)
            self.state.set_images(payload.code, current.images_hash, current.main_image, conn)

    def _update(self, payload: ProductPayload, current: ProductState, *, force: bool) -> bool:
        """Send the pieces that differ from what AnyMarket accepted; True when anything was sent."""
        pid = current.anymarket_id
        sent = False
        if force or current.product_hash != payload.product_hash:
            try:
                self._write("PUT", f"/products/{pid}", payload.product)
            except AnyMarketAPIError as exc:
                if exc.status == 404:
                    raise _ProductGone from exc
                raise
            self.summary.count("products_put")
            with self.state.mapping.begin() as conn:
                self.state.link_product(payload.code, str(pid), payload.product_hash, conn)
            current.product_hash, sent = payload.product_hash, True
        for code, body in payload.sku_bodies.items():
            sku_hash = payload.sku_hash(code)
            sku_id = current.skus.get(code)
            if sku_id is None:
                sku_id = str(self._write("POST", f"/products/{pid}/skus", body)["id"])
                self.summary.count("skus_created")
            elif force or current.sku_hashes.get(code) != sku_hash:
                self._write("PUT", f"/products/{pid}/skus/{sku_id}", payload.sku_updates[code])
                self.summary.count("skus_updated")
            else:
                continue
            with self.state.mapping.begin() as conn:
                self.state.link_skus(payload.code, [(code, sku_id, sku_hash)], conn)
            current.skus[code], current.sku_hashes[code], sent = sku_id, sku_hash, True
        if payload.send_images == "yes" and (force or current.images_hash != payload.images_hash):
            sent = self._sync_images(payload, current) or sent
        return sent

    def _sync_images(self, payload: ProductPayload, current: ProductState) -> bool:
        pid, code = current.anymarket_id, payload.code
        wanted = {image.key: image for image in payload.images}
        sent = self._drop_errored_images(payload, current)
        for image in payload.images:
            if image.key in current.images:
                continue
            created = self._write("POST", f"/products/{pid}/images", image.body())
            self.summary.count("images_added")
            self._remember_image(code, current, image, str(created["id"]))
            self._images_posted(code, str(pid), [(image.key, {**created, "url": image.url})])
            if image.main:
                current.main_image = image.key
            sent = True
        if self.settings.delete_removed_images:
            for key, linked in list(current.images.items()):
                if key in wanted:
                    continue
                try:
                    self._write("DELETE", f"/products/{pid}/images/{linked.anymarket_id}", None)
                    self.summary.count("images_deleted")
                except AnyMarketAPIError as exc:
                    if exc.status != 404:  # already gone: what we wanted
                        raise
                with self.state.mapping.begin() as conn:
                    self.state.unlink_image(code, key, conn)
                    if self.image_checks is not None:
                        self.image_checks.forget(code, [key], conn)
                del current.images[key]
                sent = True
        main = payload.images[0] if payload.images else None
        if main is not None and current.main_image != main.key:
            linked_main = current.images[main.key]
            self._write(
                "PUT",
                f"/products/{pid}/images",
                {"id": int(linked_main.anymarket_id), "index": 1, "main": True},
            )
            current.main_image, sent = main.key, True
        with self.state.mapping.begin() as conn:
            self.state.set_images(code, payload.images_hash, current.main_image, conn)
        current.images_hash = payload.images_hash
        return sent

    def _drop_errored_images(self, payload: ProductPayload, current: ProductState) -> bool:
        """Delete on AnyMarket the images it could not process (``check_images`` found them in
        ERROR): still wanted, they are posted again by the caller; not wanted any more, they are gone
        whatever ``delete_removed_images`` says — AnyMarket shows nothing for them. True if any."""
        if self.image_checks is None:
            return False
        errored = self.image_checks.errored(payload.code) & set(current.images)
        for key in sorted(errored):
            linked = current.images[key]
            try:
                self._write("DELETE", f"/products/{current.anymarket_id}/images/{linked.anymarket_id}", None)
            except AnyMarketAPIError as exc:
                if exc.status != 404:  # already gone: what we wanted
                    raise
            self.summary.count("images_retried")
            with self.state.mapping.begin() as conn:
                self.state.unlink_image(payload.code, key, conn)
                self.image_checks.forget(payload.code, [key], conn)
            del current.images[key]
            if current.main_image == key:
                current.main_image = None
        return bool(errored)

    def _images_posted(self, code: str, product_id: str, images: list[tuple[str, dict[str, Any]]]) -> None:
        if self.image_checks is not None and images:
            with self.state.mapping.begin() as conn:
                self.image_checks.record_posted(code, product_id, images, conn)

    # -- helpers ------------------------------------------------------------------------------------

    def _remember_image(self, code: str, current: ProductState, image: ImageSpec, anymarket_id: str) -> None:
        with self.state.mapping.begin() as conn:
            self.state.link_images(code, [(image.key, anymarket_id, image.url, image.variation)], conn)
        current.images[image.key] = LinkedImage(anymarket_id, image.url, image.variation)

    def _write(self, method: str, endpoint: str, body: Any) -> Any:
        """One write request; counted apart from reads (an unchanged catalog must cost no write)."""
        self.summary.count("write_requests")
        if method == "POST":
            return self.hook.post(endpoint, body)
        if method == "PUT":
            return self.hook.put(endpoint, body)
        return self.hook.delete(endpoint)


class _ProductGone(Exception):
    """``PUT /products/{id}`` answered 404: the linked product was deleted on AnyMarket."""
