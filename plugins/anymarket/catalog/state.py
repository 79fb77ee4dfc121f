"""What the product sync knows AnyMarket holds: product/SKU/image links and per-product sync state.

Read in chunks of products (``load``) and written right after each request AnyMarket accepted, so a
run stopped anywhere loses nothing and repeats nothing: the next one sends only what is missing.

- ``links`` ``product``: ERP product code → AnyMarket product id; ``payload_hash`` = hash of the
  last product body AnyMarket accepted.
- ``links`` ``sku``: ERP SKU code → AnyMarket SKU id (what send stock, send prices and import
  orders read); ``payload_hash`` = hash of the last SKU body accepted; attributes ``{"product"}``,
  and :data:`CREATED_WITHOUT_STOCK` on a SKU our creation left at amount 0.
- ``links`` ``image``: ``<product code>:<image key>`` → AnyMarket image id; attributes
  ``{"url", "variation"}``.
- ``product_sync`` / ``product_rejected``: see :mod:`anymarket.mapping.models`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import upsert, upsert_many, utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from anymarket.mapping.database import MappingDatabase

#: SKU link attribute: our ``POST /products`` created the SKU with amount 0 because send stock sends
#: every warehouse itself (``mapped_deposits``); send stock reads it to batch those first rows.
CREATED_WITHOUT_STOCK = "created_without_stock"


@dataclass
class LinkedImage:
    anymarket_id: str
    url: str
    variation: str | None


@dataclass
class ProductState:
    """One product as the mapping DB has it (empty for a product never placed on AnyMarket)."""

    code: str
    anymarket_id: str | None = None
    product_hash: str | None = None
    data_hash: str | None = None
    images_hash: str | None = None
    main_image: str | None = None
    skus: dict[str, str] = field(default_factory=dict)  # SKU code → AnyMarket SKU id
    sku_hashes: dict[str, str | None] = field(default_factory=dict)
    images: dict[str, LinkedImage] = field(default_factory=dict)  # image key → linked image
    rejected_hash: str | None = None
    # False for a product linked by someone else (the catalog import, a person): the sync has never
    # compared it with AnyMarket, so it adopts it (reads it once) instead of resending everything.
    tracked: bool = False


def image_link_id(product_code: str, key: str) -> str:
    return f"{product_code}:{key}"


class CatalogState:
    """Reads and writes the product sync's state of one integration."""

    def __init__(self, mapping: MappingDatabase, integration_id: str) -> None:
        self.mapping = mapping
        self.integration_id = integration_id

    # -- reading ------------------------------------------------------------------------------------

    def load(self, skus_of: dict[str, list[str]]) -> dict[str, ProductState]:
        """State of some products, given as ``{product code: its ERP SKU codes}``."""
        product_codes = list(skus_of)
        owner_of = {sku: product for product, skus in skus_of.items() for sku in skus}
        states = {code: ProductState(code) for code in product_codes}
        links = m.links.c
        mine = (links.integration_id == self.integration_id,)
        with self.mapping.engine.connect() as conn:
            for row in conn.execute(
                sa.select(links.erp_id, links.anymarket_id, links.payload_hash).where(
                    *mine, links.entity_type == "product", links.erp_id.in_(product_codes)
                )
            ):
                states[row.erp_id].anymarket_id = row.anymarket_id
                states[row.erp_id].product_hash = row.payload_hash
            sku_codes = list(owner_of)
            for start in range(0, len(sku_codes), 500):  # bound the IN list (SQLite's variable limit)
                for row in conn.execute(
                    sa.select(links.erp_id, links.anymarket_id, links.payload_hash).where(
                        *mine, links.entity_type == "sku", links.erp_id.in_(sku_codes[start : start + 500])
                    )
                ):
                    state = states[owner_of[row.erp_id]]
                    state.skus[row.erp_id] = row.anymarket_id
                    state.sku_hashes[row.erp_id] = row.payload_hash
            # Image links are keyed "<product code>:<key>"; LIKE wildcards in codes are escaped and
            # the exact prefix is checked again below.
            prefixes = sa.or_(
                *(links.erp_id.like(f"{_like_escape(code)}:%", escape="\\") for code in product_codes)
            )
            for row in conn.execute(
                sa.select(links.erp_id, links.anymarket_id, links.attributes).where(
                    *mine, links.entity_type == "image", prefixes
                )
            ):
                code, _, key = row.erp_id.rpartition(":")
                attributes = row.attributes or {}
                if code in states:
                    states[code].images[key] = LinkedImage(
                        row.anymarket_id, str(attributes.get("url") or ""), attributes.get("variation")
                    )
            sync = m.product_sync.c
            for synced in conn.execute(
                sa.select(sync.product_code, sync.data_hash, sync.images_hash, sync.main_image).where(
                    sync.integration_id == self.integration_id, sync.product_code.in_(product_codes)
                )
            ):
                state = states[synced.product_code]
                state.data_hash, state.images_hash, state.main_image = (
                    synced.data_hash,
                    synced.images_hash,
                    synced.main_image,
                )
                state.tracked = True
            rejected = m.product_rejected.c
            for refused in conn.execute(
                sa.select(rejected.product_code, rejected.data_hash).where(
                    rejected.integration_id == self.integration_id, rejected.product_code.in_(product_codes)
                )
            ):
                states[refused.product_code].rejected_hash = refused.data_hash
        return states

    def sku_links(self, sku_codes: list[str]) -> dict[str, str]:
        """``{ERP SKU code: AnyMarket SKU id}`` of those of ``sku_codes`` that are on AnyMarket (a kit's
        components are addressed by these ids)."""
        links = m.links.c
        found: dict[str, str] = {}
        with self.mapping.engine.connect() as conn:
            for start in range(0, len(sku_codes), 500):
                for row in conn.execute(
                    sa.select(links.erp_id, links.anymarket_id).where(
                        links.integration_id == self.integration_id,
                        links.entity_type == "sku",
                        links.erp_id.in_(sku_codes[start : start + 500]),
                    )
                ):
                    found[row.erp_id] = str(row.anymarket_id)
        return found

    # -- writing ------------------------------------------------------------------------------------

    def link_product(self, code: str, anymarket_id: str, product_hash: str | None, conn: Connection) -> None:
        self.mapping.link_many(
            self.integration_id, "product", [_link(code, anymarket_id, product_hash)], conn=conn
        )
        upsert(
            conn,
            m.product_sync,
            {"integration_id": self.integration_id, "product_code": code},
            {"anymarket_id": str(anymarket_id)},
        )

    def link_skus(
        self,
        product_code: str,
        skus: list[tuple[str, str, str | None]],
        conn: Connection,
        *,
        created_without_stock: bool = False,
    ) -> None:
        """``skus``: (SKU code, AnyMarket SKU id, hash of the body AnyMarket accepted or None).

        :param created_without_stock: our ``POST /products`` just created these SKUs with amount 0
            (the ``mapped_deposits`` rule sends every warehouse's stock itself); send stock may hold
            their first rows a few minutes to fill whole batches (``stock.first_stock_wait_minutes``).
        """
        attributes: dict[str, Any] = {"product": product_code}
        if created_without_stock:
            attributes[CREATED_WITHOUT_STOCK] = True
        rows = [_link(code, sku_id, sku_hash, dict(attributes)) for code, sku_id, sku_hash in skus]
        self.mapping.link_many(self.integration_id, "sku", rows, conn=conn)

    def record_stock_sent(self, rows: list[tuple[str, str, int, int | None]], conn: Connection) -> None:
        """``rows``: (SKU code, AnyMarket SKU id, amount, additional time) a product creation carried
        for AnyMarket's default warehouse, recorded in ``stock_sent`` as send stock records an
        accepted row without ``stockLocalId`` (``''``), so its next run sends only what differs."""
        now = utcnow()
        values = [
            {
                "integration_id": self.integration_id,
                "sku_code": code,
                "stock_local_id": "",
                "anymarket_id": sku_id,
                "quantity": amount,
                "cost": None,
                "additional_time": additional_time,
                "sent_at": now,
            }
            for code, sku_id, amount, additional_time in rows
        ]
        upsert_many(
            conn, m.stock_sent, values, ("anymarket_id", "quantity", "cost", "additional_time", "sent_at")
        )

    def record_prices_sent(
        self, product_id: str, prices: list[tuple[str, str, float, float]], conn: Connection
    ) -> None:
        """``prices``: (SKU code, AnyMarket SKU id, price, sell price) a product creation carried,
        recorded in ``price_sent`` as send prices records an accepted ``SKU``-scope PUT, so its next
        run sends nothing for a product just created unless the ERP price changed since."""
        from anymarket.rules.send_prices import SKU_SCOPE, SKU_TARGET

        now = utcnow()
        rows = [
            {
                "integration_id": self.integration_id,
                "scope": SKU_SCOPE,
                "sku_code": code,
                "target": SKU_TARGET,
                "anymarket_id": sku_id,
                "anymarket_product_id": product_id,
                "price": price,
                "sell_price": sell_price,
                "cost": None,
                "sent_at": now,
            }
            for code, sku_id, price, sell_price in prices
        ]
        upsert_many(
            conn,
            m.price_sent,
            rows,
            ("anymarket_id", "anymarket_product_id", "price", "sell_price", "cost", "sent_at"),
        )

    def link_images(
        self, product_code: str, images: list[tuple[str, str, str, str | None]], conn: Connection
    ) -> None:
        """``images``: (image key, AnyMarket image id, url, variation)."""
        rows = [
            _link(image_link_id(product_code, key), image_id, None, {"url": url, "variation": variation})
            for key, image_id, url, variation in images
        ]
        self.mapping.link_many(self.integration_id, "image", rows, conn=conn)

    def unlink_image(self, product_code: str, key: str, conn: Connection) -> None:
        conn.execute(
            sa.delete(m.links).where(
                m.links.c.integration_id == self.integration_id,
                m.links.c.entity_type == "image",
                m.links.c.erp_id == image_link_id(product_code, key),
            )
        )

    def unlink_product(self, code: str, conn: Connection) -> None:
        """Forget a product AnyMarket no longer has (its images go with it; SKU links are relinked)."""
        links = m.links.c
        conn.execute(
            sa.delete(m.links).where(
                links.integration_id == self.integration_id,
                sa.or_(
                    sa.and_(links.entity_type == "product", links.erp_id == code),
                    sa.and_(
                        links.entity_type == "image",
                        links.erp_id.like(f"{_like_escape(code)}:%", escape="\\"),
                    ),
                ),
            )
        )
        conn.execute(
            sa.delete(m.product_sync).where(
                m.product_sync.c.integration_id == self.integration_id, m.product_sync.c.product_code == code
            )
        )

    def set_images(
        self, code: str, images_hash: str | None, main_image: str | None, conn: Connection
    ) -> None:
        conn.execute(
            sa.update(m.product_sync)
            .where(
                m.product_sync.c.integration_id == self.integration_id, m.product_sync.c.product_code == code
            )
            .values(images_hash=images_hash, main_image=main_image, updated_at=utcnow())
        )

    def mark_synced(self, code: str, data_hash: str, conn: Connection) -> None:
        """The product is on AnyMarket as the ERP has it: no request until its data changes."""
        now = utcnow()
        conn.execute(
            sa.update(m.product_sync)
            .where(
                m.product_sync.c.integration_id == self.integration_id, m.product_sync.c.product_code == code
            )
            .values(data_hash=data_hash, synced_at=now, updated_at=now)
        )
        conn.execute(
            sa.delete(m.product_rejected).where(
                m.product_rejected.c.integration_id == self.integration_id,
                m.product_rejected.c.product_code == code,
            )
        )

    def reject(
        self,
        code: str,
        data_hash: str,
        *,
        status: int | None,
        message: str,
        field_errors: list[dict[str, Any]] | None,
        conn: Connection,
    ) -> None:
        upsert_many(
            conn,
            m.product_rejected,
            [
                {
                    "integration_id": self.integration_id,
                    "product_code": code,
                    "data_hash": data_hash,
                    "status": status,
                    "message": message,
                    "field_errors": field_errors or None,
                    "rejected_at": utcnow(),
                }
            ],
            ("data_hash", "status", "message", "field_errors", "rejected_at"),
        )

    def rejected(self) -> dict[str, dict[str, Any]]:
        """Refused products of the integration: ``{code: {status, message, field_errors, rejected_at}}``."""
        columns = m.product_rejected.c
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    columns.product_code,
                    columns.status,
                    columns.message,
                    columns.field_errors,
                    columns.rejected_at,
                ).where(columns.integration_id == self.integration_id)
            )
            return {
                r.product_code: {k: v for k, v in r._mapping.items() if k != "product_code"} for r in rows
            }


def _link(
    erp_id: str, anymarket_id: str, payload_hash: str | None, attributes: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "erp_id": erp_id,
        "anymarket_id": str(anymarket_id),
        "payload_hash": payload_hash,
        "attributes": attributes,
    }


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
