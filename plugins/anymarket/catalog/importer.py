"""Catalog import (AnyMarket → ERP): brands, the category tree and products, without duplicates.

:class:`CatalogImporter` writes one AnyMarket entity at a time into the ERP through the
``catalog_import_*`` queries and links it in the mapping DB (``links``: ``brand``, ``category``,
``product``, ``sku``, ``variation_type``, ``variation_value`` — the links the product sync, send
stock and the order import read), so a product imported here is never re-created on AnyMarket and
its stock is sent.

* **Matching, never duplicating.** An AnyMarket entity is matched to the ERP row it is linked to;
  else to the ERP row with its code (brand/category ``partnerId`` or ``AM-<id>``; product
  ``externalIdProduct`` or ``AM-<id>``; SKU ``partnerId``); else brands by name, categories by name
  under the same parent, products through the ERP product owning one of its SKUs; else it is
  created with that code. Every write is an upsert keyed on the ERP's unique code, so a re-run, or
  one after a crash between the ERP commit and the link, finds the row again.
* **Comparing before writing.** Each row is compared with what the ERP holds and written only when
  it differs, so a re-run changes nothing and reports ``unchanged``. A value AnyMarket does not have
  (no NCM, no video, no EAN) keeps the ERP's; the ERP's own data (cost, made-to-order, extra
  attributes, SKU dimensions, other deposits' balances) is never touched.
* **One ERP transaction per product**: the product, its technical sheet, SKUs, variation values and
  balances commit together or not at all.
* **SKU codes.** A SKU linked by its AnyMarket id whose ``partnerId`` changed on AnyMarket keeps its
  ERP code (and its link) unless ``products.update_sku_code_on_import`` is on; then the ERP SKU is
  renamed to the new ``partnerId`` and the link moves with it (refused, with a clear error, when
  another ERP SKU has that code).
* **Stock**: AnyMarket's quantity per warehouse goes to the ERP deposit mapped to that warehouse
  (``deposit`` mappings, made by the deposit installer), an unmapped warehouse's to the default
  deposit (``stock.default_deposit``, else the ERP's default); warehouses feeding the same deposit
  are summed. Images are not imported.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.vocabulary import normalize_name

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from anymarket.erp.database import ErpDatabase
    from anymarket.mapping.database import MappingDatabase
    from anymarket.settings import IntegrationConfig

CATALOG_LINK_TYPES = ("brand", "category", "product", "sku", "variation_type", "variation_value")
# AnyMarket's product fields that ERPs keep in the technical sheet (as the product sync reads them).
GENDER_NAMES = {
    "MALE": "Masculino",
    "FEMALE": "Feminino",
    "UNISSEX": "Unissex",
    "BOY": "Menino",
    "GIRL": "Menina",
    "BABIES": "Bebês",
    "CHILDISH_UNISSEX": "Infantil",
}
CENT, MILLI = Decimal("0.01"), Decimal("0.001")
PRODUCT_COLUMNS = (
    "code",
    "name",
    "description",
    "brand_id",
    "category_id",
    "ncm",
    "origin",
    "video_url",
    "height_cm",
    "width_cm",
    "length_cm",
    "weight_kg",
    "has_variations",
    "active",
)
SKU_COLUMNS = ("product_id", "code", "name", "ean", "crossdocking_days", "sell_price", "list_price", "active")


#: ``(entity type, ERP id, AnyMarket id, link attributes)``.
Link = tuple[str, str, str, dict[str, Any] | None]


class CatalogImportError(Exception):
    """This entity cannot be imported as it is (the message says why and what to do); nothing of it
    was written, and the import goes on with the next one."""


# -- conversions (pure) -------------------------------------------------------------------------


def description_text(value: str | None) -> str | None:
    """AnyMarket's HTML description as the ERP's plain text with line breaks."""
    if not value:
        return value
    text = re.sub(r"<br\s*/?>|</p\s*>", "\n", value, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def product_attributes(product: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """The technical sheet: ``{name: (value, position)}`` — AnyMarket's characteristics in their
    order, then model, gender and warranty under the ERP's well-known attribute names."""
    pairs: dict[str, str] = {}
    for item in sorted(product.get("characteristics") or [], key=lambda c: c.get("index") or 0):
        if item.get("name") and item.get("value") not in (None, ""):
            pairs[str(item["name"])] = str(item["value"])
    well_known = {
        "Modelo": product.get("model"),
        "Gênero": GENDER_NAMES.get(product.get("gender") or "", product.get("gender")),
        "Tempo de Garantia": product.get("warrantyTime"),
        "Texto de Garantia": product.get("warrantyText"),
    }
    for name, value in well_known.items():
        if value not in (None, ""):
            pairs.pop(name, None)
            pairs[name] = str(value)
    return {name: (value, position) for position, (name, value) in enumerate(pairs.items(), start=1)}


def sku_variations(sku: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """``{type name: (value, position)}`` from a SKU's response-form ``variations`` array."""
    out: dict[str, tuple[str, int]] = {}
    for position, variation in enumerate(sku.get("variations") or [], start=1):
        type_name = (variation.get("type") or {}).get("name")
        if type_name and variation.get("description") is not None:
            out[str(type_name)] = (str(variation["description"]), position)
    return out


def variation_links(sku: dict[str, Any]) -> list[Link]:
    """Links of the variation types and values a SKU uses (keys as the product sync writes them)."""
    links: list[Link] = []
    for variation in sku.get("variations") or []:
        vtype = variation.get("type") or {}
        name, value = vtype.get("name"), variation.get("description")
        if not name:
            continue
        if vtype.get("id") is not None:
            links.append(("variation_type", str(name), str(vtype["id"]), {"name": name}))
        if variation.get("id") is not None and value is not None:
            links.append(
                ("variation_value", f"{name}:{value}", str(variation["id"]), {"type": name, "value": value})
            )
    return links


def decimal(value: Any, quantum: Decimal = CENT) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(quantum)


def _flag(value: Any) -> bool:
    return bool(int(value)) if isinstance(value, int | bool | str) and str(value).isdigit() else bool(value)


def _same(row: dict[str, Any], existing: dict[str, Any] | None, columns: Iterable[str]) -> bool:
    """``row`` equals the ERP's ``existing`` on ``columns`` (numbers compared as numbers)."""
    if existing is None:
        return False
    for column in columns:
        new, old = row[column], existing.get(column)
        if isinstance(new, bool):
            old = _flag(old) if old is not None else None
        elif isinstance(new, Decimal):
            old = Decimal(str(old)) if old is not None else None
        elif isinstance(new, int) and old is not None:
            old = int(old)
        if new != old:
            return False
    return True


def _keep_erp_when_absent(
    row: dict[str, Any], existing: dict[str, Any] | None, columns: Iterable[str]
) -> None:
    """A value AnyMarket does not have keeps the ERP's (an import never blanks ERP data)."""
    if existing is not None:
        for column in columns:
            if row[column] is None:
                row[column] = existing.get(column)


# -- links --------------------------------------------------------------------------------------


@dataclass
class LinkIndex:
    """The integration's catalog links both ways, kept in step with what this run writes."""

    integration_id: str
    by_erp: dict[str, dict[str, str]]
    by_anymarket: dict[str, dict[str, str]]
    #: A person's brand/category mappings (ERP code → AnyMarket id), reversed: they count as links.
    mapped: dict[str, dict[str, str]] = field(default_factory=dict)
    _pending: list[tuple[str, str, str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, mapping: MappingDatabase, integration_id: str) -> LinkIndex:
        by_erp = {kind: mapping.links_of(integration_id, kind) for kind in CATALOG_LINK_TYPES}
        by_anymarket = {kind: {am: erp for erp, am in links.items()} for kind, links in by_erp.items()}
        mapped = {
            kind: {row["value"]: code for code, row in mapping.mappings_of(integration_id, kind).items()}
            for kind in ("brand", "category")
        }
        return cls(integration_id, by_erp, by_anymarket, mapped)

    def erp_id(self, kind: str, anymarket_id: Any) -> str | None:
        linked = self.by_anymarket[kind].get(str(anymarket_id))
        return linked if linked is not None else self.mapped.get(kind, {}).get(str(anymarket_id))

    def stage(
        self, kind: str, erp_id: str, anymarket_id: Any, attributes: dict[str, Any] | None = None
    ) -> None:
        """Link ``erp_id`` ⇄ ``anymarket_id`` one to one, at once in memory and in the mapping DB at
        the next :meth:`flush`: an AnyMarket id linked under another ERP id moves (keeping its sync
        hash), so no two ERP rows ever point at one AnyMarket entity."""
        anymarket_id = str(anymarket_id)
        if self.by_erp[kind].get(erp_id) == anymarket_id:
            return
        previous_erp = self.by_anymarket[kind].get(anymarket_id)
        if previous_erp is not None and previous_erp != erp_id:
            if erp_id not in self.by_erp[kind]:
                self._pending.append(("move", kind, previous_erp, erp_id))
                self._forget(kind, previous_erp)
                self._remember(kind, erp_id, anymarket_id)
                return
            self._pending.append(("delete", kind, previous_erp, None))
            self._forget(kind, previous_erp)
        self._pending.append(("link", kind, erp_id, (anymarket_id, attributes)))
        self._remember(kind, erp_id, anymarket_id)

    def flush(self, conn: Connection, mapping: MappingDatabase) -> None:
        """Write the staged links in the caller's transaction (after the ERP rows were committed)."""
        table = m.links
        for action, kind, erp_id, detail in self._pending:
            mine = (table.c.integration_id == self.integration_id, table.c.entity_type == kind)
            if action == "move":
                conn.execute(sa.update(table).where(*mine, table.c.erp_id == erp_id).values(erp_id=detail))
            elif action == "delete":
                conn.execute(sa.delete(table).where(*mine, table.c.erp_id == erp_id))
            else:
                anymarket_id, attributes = detail
                mapping.link(
                    self.integration_id, kind, erp_id, anymarket_id, attributes=attributes, conn=conn
                )
        self._pending.clear()

    def _forget(self, kind: str, erp_id: str) -> None:
        anymarket_id = self.by_erp[kind].pop(erp_id, None)
        if anymarket_id is not None and self.by_anymarket[kind].get(anymarket_id) == erp_id:
            del self.by_anymarket[kind][anymarket_id]

    def _remember(self, kind: str, erp_id: str, anymarket_id: str) -> None:
        old = self.by_erp[kind].get(erp_id)
        if old is not None and self.by_anymarket[kind].get(old) == erp_id:
            del self.by_anymarket[kind][old]
        self.by_erp[kind][erp_id] = anymarket_id
        self.by_anymarket[kind][anymarket_id] = erp_id


# -- stock --------------------------------------------------------------------------------------


@dataclass
class StockPlan:
    """Which ERP deposit receives each AnyMarket warehouse's quantity.

    When every warehouse feeds the same deposit (one warehouse, or none mapped apart), the SKU's own
    ``amount`` (its quantity over all warehouses) is all the import needs; otherwise
    (:attr:`needs_rows`) the caller reads ``GET /stocks`` into ``amounts`` (AnyMarket SKU id →
    {stockLocalId: quantity}).
    """

    deposit_by_local: dict[str, int]
    default_deposit_id: int | None
    single_local: str | None = None
    amounts: dict[str, dict[str, Decimal]] | None = None
    unplaced: Counter[str] = field(default_factory=Counter)

    @classmethod
    def build(
        cls,
        *,
        deposits: list[dict[str, Any]],
        deposit_mappings: dict[str, dict[str, Any]],
        default_deposit_code: str | None,
        warehouse_ids: list[str],
    ) -> StockPlan:
        active = {str(d["code"]): d for d in deposits if _flag(d.get("active", 1))}
        default = active.get(default_deposit_code) if default_deposit_code else None
        if default is None and not default_deposit_code:
            default = next((d for d in active.values() if _flag(d.get("is_default"))), None)
        # Several deposits mapped to one warehouse: the one counting toward balance, then the default,
        # then the first code — one deposit per warehouse, so a quantity is never imported twice.
        candidates = sorted(
            (
                not (mapping.get("attributes") or {}).get("counts_toward_balance"),
                not _flag(active[code].get("is_default")),
                code,
                str(mapping["value"]),
            )
            for code, mapping in deposit_mappings.items()
            if code in active
        )
        deposit_by_local: dict[str, int] = {}
        for *_, code, local in candidates:
            deposit_by_local.setdefault(local, int(active[code]["id"]))
        default_id = int(default["id"]) if default is not None else None
        targets = {deposit_by_local.get(local, default_id) for local in warehouse_ids}
        return cls(
            deposit_by_local=deposit_by_local,
            default_deposit_id=default_id,
            single_local=warehouse_ids[0] if len(targets) == 1 else None,
        )

    @property
    def needs_rows(self) -> bool:
        """Warehouses feed different deposits: the quantity per warehouse must be read."""
        return self.single_local is None

    def balances(self, sku: dict[str, Any]) -> dict[int, Decimal]:
        """``{deposit id: quantity}`` for one AnyMarket SKU (warehouses without a deposit counted)."""
        if self.amounts is not None:
            per_local = self.amounts.get(str(sku.get("id")), {})
        elif self.single_local is not None and sku.get("amount") is not None:
            per_local = {self.single_local: Decimal(str(sku["amount"]))}
        else:
            per_local = {}
        out: dict[int, Decimal] = {}
        for local, quantity in per_local.items():
            deposit_id = self.deposit_by_local.get(local, self.default_deposit_id)
            if deposit_id is None:
                self.unplaced[local] += 1
                continue
            out[deposit_id] = out.get(deposit_id, Decimal(0)) + quantity
        return {deposit: quantity.quantize(MILLI) for deposit, quantity in out.items()}


# -- the ERP state of one page of products ------------------------------------------------------


@dataclass
class PageState:
    """What the ERP holds for one page of AnyMarket products, read in a few queries."""

    products_by_code: dict[str, dict[str, Any]]
    products_by_id: dict[int, dict[str, Any]]
    skus_by_code: dict[str, dict[str, Any]]
    attributes: dict[int, dict[str, tuple[str, int]]]
    variations: dict[int, dict[str, tuple[str, int]]]
    balances: dict[int, dict[int, Decimal]]


@dataclass
class Outcome:
    """What importing one entity did: counts (``<entity>_<created|updated|unchanged>``…) and notes."""

    counts: Counter[str] = field(default_factory=Counter)
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: The ERP code of what was imported (for the history).
    erp_key: str | None = None
    #: Why it could not be imported (nothing of it was written).
    error: str | None = None

    @property
    def wrote(self) -> bool:
        """Anything was created or updated in the ERP."""
        return any(key.endswith(("_created", "_updated")) for key in self.counts)


class CatalogImporter:
    """Write AnyMarket brands, categories and products into the ERP and link them.

    :param category_tree: returns AnyMarket's category tree as :func:`category_order` orders it
        (called at most once, when a product's category is not imported yet, e.g. ``scope: catalog``).
    """

    def __init__(
        self,
        *,
        integration: IntegrationConfig,
        erp: ErpDatabase,
        mapping: MappingDatabase,
        stock: StockPlan | None = None,
        category_tree: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.settings = integration.products
        self.erp = erp
        self.mapping = mapping
        self.links = LinkIndex.load(mapping, integration.id)
        self.stock = stock
        self._category_tree = category_tree
        self._tree_by_id: dict[str, dict[str, Any]] | None = None
        self._brands = {str(r["code"]): r for r in erp.query("catalog_import_brands")}
        self._categories = {str(r["code"]): r for r in erp.query("catalog_import_categories")}

    # -- brands ---------------------------------------------------------------------------------

    def import_brand(self, brand: dict[str, Any], outcome: Outcome) -> int:
        """Create, update or just link one AnyMarket brand; returns its ERP id."""
        anymarket_id, name = str(brand["id"]), str(brand.get("name") or "").strip()
        existing = self._match(
            self._brands,
            self.links.erp_id("brand", anymarket_id),
            [brand.get("partnerId"), f"AM-{anymarket_id}"],
            lambda row: normalize_name(row["name"]) == normalize_name(name),
            "brand",
        )
        code = str(existing["code"]) if existing else str(brand.get("partnerId") or f"AM-{anymarket_id}")
        if existing is not None and existing["name"] == name:
            brand_id = int(existing["id"])
            outcome.counts["brands_unchanged"] += 1
        else:
            brand_id = int(self.erp.query("catalog_import_upsert_brand", code=code, name=name)[0]["id"])
            outcome.counts["brands_updated" if existing else "brands_created"] += 1
            self._brands[code] = {"id": brand_id, "code": code, "name": name}
        self._link([("brand", code, anymarket_id, {"name": name})])
        outcome.erp_key = code
        return brand_id

    # -- categories -----------------------------------------------------------------------------

    def import_category(
        self, category: dict[str, Any], parent_anymarket_id: str | None, outcome: Outcome
    ) -> int:
        """Create, update or link one category; its parent must have been imported already."""
        anymarket_id, name = str(category["id"]), str(category.get("name") or "").strip()
        parent_id = None
        if parent_anymarket_id is not None:
            parent_code = self.links.erp_id("category", parent_anymarket_id)
            parent = self._categories.get(parent_code) if parent_code else None
            if parent is None:
                raise CatalogImportError(
                    f"category {name!r} ({anymarket_id}): its parent {parent_anymarket_id} is not imported"
                )
            parent_id = int(parent["id"])
        existing = self._match(
            self._categories,
            self.links.erp_id("category", anymarket_id),
            [category.get("partnerId"), f"AM-{anymarket_id}"],
            lambda row: normalize_name(row["name"]) == normalize_name(name) and row["parent_id"] == parent_id,
            "category",
        )
        code = str(existing["code"]) if existing else str(category.get("partnerId") or f"AM-{anymarket_id}")
        row = {"code": code, "name": name, "parent_id": parent_id}
        if existing is not None and _same(row, existing, ("name", "parent_id")):
            category_id = int(existing["id"])
            outcome.counts["categories_unchanged"] += 1
        else:
            category_id = int(self.erp.query("catalog_import_upsert_category", **row)[0]["id"])
            outcome.counts["categories_updated" if existing else "categories_created"] += 1
            self._categories[code] = {**row, "id": category_id}
        self._link([("category", code, anymarket_id, {"path": category.get("path") or name})])
        outcome.erp_key = code
        return category_id

    def ensure_category(self, anymarket_id: Any, outcome: Outcome) -> int | None:
        """The ERP id of an AnyMarket category, importing it (and its ancestors) when missing."""
        if anymarket_id is None:
            return None
        code = self.links.erp_id("category", anymarket_id)
        if code is not None and code in self._categories:
            return int(self._categories[code]["id"])
        if self._tree_by_id is None:
            tree = self._category_tree() if self._category_tree else []
            self._tree_by_id = {str(node["id"]): node for node in tree}
        node = self._tree_by_id.get(str(anymarket_id))
        if node is None:
            raise CatalogImportError(f"category {anymarket_id} is not in AnyMarket's category tree")
        parent = node.get("_parent")
        if parent is not None:
            self.ensure_category(parent, outcome)
        return self.import_category(node, parent, outcome)

    # -- products -------------------------------------------------------------------------------

    def read_page(self, products: list[dict[str, Any]]) -> PageState:
        """The ERP rows the page's products may match, in five queries (not five per product)."""
        sku_codes: set[str] = set()
        product_codes: set[str] = set()
        for product in products:
            product_codes.update(self._product_codes(product))
            for sku in product.get("skus") or []:
                linked = self.links.erp_id("sku", sku.get("id"))
                sku_codes.update(c for c in (linked, sku.get("partnerId")) if c)
        skus = self.erp.query("catalog_import_skus_by_code", codes=sorted(sku_codes)) if sku_codes else []
        owners = sorted({int(s["product_id"]) for s in skus})
        rows = (
            self.erp.query("catalog_import_products", codes=sorted(product_codes), ids=owners)
            if product_codes
            else []
        )
        product_ids = [int(r["id"]) for r in rows]
        sku_ids = [int(s["id"]) for s in skus]
        attributes: dict[int, dict[str, tuple[str, int]]] = {}
        for r in (
            self.erp.query("catalog_import_product_attributes", product_ids=product_ids)
            if product_ids
            else []
        ):
            attributes.setdefault(int(r["product_id"]), {})[r["name"]] = (r["value"], int(r["position"]))
        variations: dict[int, dict[str, tuple[str, int]]] = {}
        balances: dict[int, dict[int, Decimal]] = {}
        if sku_ids:
            for r in self.erp.query("catalog_import_sku_variations", sku_ids=sku_ids):
                variations.setdefault(int(r["sku_id"]), {})[r["variation_type"]] = (
                    r["variation_value"],
                    int(r["position"]),
                )
            for r in self.erp.query("catalog_import_stock_balances", sku_ids=sku_ids):
                # quantity is NOT NULL in the contract (stock_balances), so never decimal()'s None.
                quantity = Decimal(str(r["quantity"])).quantize(MILLI)
                balances.setdefault(int(r["sku_id"]), {})[int(r["deposit_id"])] = quantity
        return PageState(
            products_by_code={str(r["code"]): r for r in rows},
            products_by_id={int(r["id"]): r for r in rows},
            skus_by_code={str(s["code"]): s for s in skus},
            attributes=attributes,
            variations=variations,
            balances=balances,
        )

    def import_product(self, product: dict[str, Any], page: PageState, outcome: Outcome) -> None:
        """Import one AnyMarket product with its SKUs in one ERP transaction, then link it.

        :raises CatalogImportError: the product cannot be imported as it is (nothing was written).
        """
        anymarket_id = str(product["id"])
        if self.settings.import_only_active and product.get("isProductActive") is False:
            outcome.notes.append(("skipped_inactive", f"{anymarket_id} {product.get('title')!r}"))
            return
        skus = product.get("skus") or []
        if not skus:
            raise CatalogImportError(f"product {anymarket_id} has no SKU on AnyMarket")
        brand = product.get("brand")
        brand_id = self._ensure_brand(brand, outcome) if brand and brand.get("id") is not None else None
        category_id = self.ensure_category((product.get("category") or {}).get("id"), outcome)
        resolved = [self._resolve_sku(sku, page, outcome) for sku in skus]
        existing = self._match_product(product, resolved, page)
        row = self._product_row(product, existing, brand_id, category_id)
        attributes = product_attributes(product)
        links: list[Link] = [("product", row["code"], anymarket_id, None)]
        with self.erp.transaction():
            product_id = self._write_product(row, existing, attributes, page, outcome)
            for sku, (sku_existing, code, rename_from) in zip(skus, resolved, strict=True):
                self._write_sku(sku, product_id, code, sku_existing, rename_from, page, outcome)
                links.append(("sku", code, str(sku["id"]), {"product": row["code"]}))
                links.extend(variation_links(sku))
        self._link(links)
        outcome.erp_key = row["code"]

    # -- product internals ----------------------------------------------------------------------

    def _product_codes(self, product: dict[str, Any]) -> list[str]:
        linked = self.links.erp_id("product", product["id"])
        return [c for c in (linked, product.get("externalIdProduct"), f"AM-{product['id']}") if c]

    def _match_product(
        self,
        product: dict[str, Any],
        resolved: list[tuple[dict[str, Any] | None, str, str | None]],
        page: PageState,
    ) -> dict[str, Any] | None:
        for code in self._product_codes(product):
            if code in page.products_by_code:
                return page.products_by_code[code]
        # The ERP already has the product under another code: it owns one of the SKUs.
        for sku_existing, _, _ in resolved:
            if sku_existing is not None and int(sku_existing["product_id"]) in page.products_by_id:
                return page.products_by_id[int(sku_existing["product_id"])]
        return None

    def _product_row(
        self,
        product: dict[str, Any],
        existing: dict[str, Any] | None,
        brand_id: int | None,
        category_id: int | None,
    ) -> dict[str, Any]:
        origin = (product.get("origin") or {}).get("id")
        row = {
            "code": str(existing["code"]) if existing else self._product_codes(product)[0],
            "name": str(product.get("title") or "").strip(),
            "description": description_text(product.get("description")),
            "brand_id": brand_id,
            "category_id": category_id,
            "ncm": str((product.get("nbm") or {}).get("id") or "") or None,
            "origin": int(origin) if origin is not None else None,
            "video_url": product.get("videoUrl"),
            "height_cm": decimal(product.get("height")),
            "width_cm": decimal(product.get("width")),
            "length_cm": decimal(product.get("length")),
            "weight_kg": decimal(product.get("weight"), MILLI),
            "has_variations": bool(product.get("hasVariations") or len(product.get("skus") or []) > 1),
            "active": product.get("isProductActive") is not False,
        }
        _keep_erp_when_absent(row, existing, PRODUCT_COLUMNS)
        if row["origin"] is None:
            row["origin"] = self.settings.default_fiscal_origin
        return row

    def _write_product(
        self,
        row: dict[str, Any],
        existing: dict[str, Any] | None,
        attributes: dict[str, tuple[str, int]],
        page: PageState,
        outcome: Outcome,
    ) -> int:
        changed = not _same(row, existing, PRODUCT_COLUMNS)
        if changed:
            product_id = int(self.erp.query("catalog_import_upsert_product", **row)[0]["id"])
        else:
            product_id = int(existing["id"])  # type: ignore[index]
        changed |= self._write_differing(
            "catalog_import_upsert_product_attribute",
            page.attributes.setdefault(product_id, {}),
            attributes,
            lambda name, v: {"product_id": product_id, "name": name, "value": v[0], "position": v[1]},
        )
        stored = {**row, "id": product_id}
        page.products_by_code[row["code"]] = page.products_by_id[product_id] = stored
        outcome.counts[
            f"products_{'unchanged' if not changed else 'updated' if existing else 'created'}"
        ] += 1
        return product_id

    def _resolve_sku(
        self, sku: dict[str, Any], page: PageState, outcome: Outcome
    ) -> tuple[dict[str, Any] | None, str, str | None]:
        """``(ERP SKU or None, the ERP code to write, the code to rename from or None)``."""
        partner_id = str(sku.get("partnerId") or "").strip()
        if not partner_id:
            raise CatalogImportError(f"SKU {sku.get('id')} has no partnerId on AnyMarket: set it there first")
        linked_code = self.links.erp_id("sku", sku.get("id"))
        linked = page.skus_by_code.get(linked_code) if linked_code else None
        if linked is None or linked_code == partner_id:
            return page.skus_by_code.get(partner_id), partner_id, None
        assert linked_code is not None
        if not self.settings.update_sku_code_on_import:
            outcome.notes.append(("sku_code_kept", f"{linked_code} (AnyMarket partnerId {partner_id})"))
            return linked, linked_code, None
        if partner_id in page.skus_by_code:
            raise CatalogImportError(
                f"cannot rename ERP SKU {linked_code!r} to AnyMarket's partnerId {partner_id!r}: another "
                "ERP SKU has that code (merge or rename them in the ERP, or turn "
                "products.update_sku_code_on_import off)"
            )
        return linked, partner_id, linked_code

    def _write_sku(
        self,
        sku: dict[str, Any],
        product_id: int,
        code: str,
        existing: dict[str, Any] | None,
        rename_from: str | None,
        page: PageState,
        outcome: Outcome,
    ) -> None:
        row = {
            "product_id": product_id,
            "code": code,
            "name": str(sku.get("title") or "").strip(),
            "ean": str(sku["ean"]) if sku.get("ean") else None,
            "crossdocking_days": int(sku.get("additionalTime") or 0),
            "sell_price": decimal(
                sku.get("sellPrice") if sku.get("sellPrice") is not None else sku.get("price") or 0
            ),
            "list_price": decimal(sku.get("price")),
            "active": sku.get("active") is not False,
        }
        _keep_erp_when_absent(row, existing, ("ean", "list_price"))
        changed = False
        if rename_from is not None and existing is not None:
            self.erp.execute("catalog_import_rename_sku", id=int(existing["id"]), code=code)
            outcome.notes.append(("sku_code_updated", f"{rename_from} → {code}"))
            page.skus_by_code.pop(rename_from, None)
            existing = {**existing, "code": code}
            changed = True
        if not _same(row, existing, SKU_COLUMNS):
            sku_id = int(self.erp.query("catalog_import_upsert_sku", **row)[0]["id"])
            changed = True
        else:
            sku_id = int(existing["id"])  # type: ignore[index]
        page.skus_by_code[code] = {**row, "id": sku_id}
        changed |= self._write_differing(
            "catalog_import_upsert_sku_variation",
            page.variations.setdefault(sku_id, {}),
            sku_variations(sku),
            lambda vtype, v: {
                "sku_id": sku_id,
                "variation_type": vtype,
                "variation_value": v[0],
                "position": v[1],
            },
        )
        changed |= self._write_differing(
            "catalog_import_upsert_stock_balance",
            page.balances.setdefault(sku_id, {}),
            self.stock.balances(sku) if self.stock else {},
            lambda deposit_id, quantity: {"sku_id": sku_id, "deposit_id": deposit_id, "quantity": quantity},
        )
        outcome.counts[f"skus_{'unchanged' if not changed else 'updated' if existing else 'created'}"] += 1

    # -- shared ---------------------------------------------------------------------------------

    def _write_differing(
        self,
        query: str,
        current: dict[Any, Any],
        wanted: dict[Any, Any],
        params: Callable[[Any, Any], dict[str, Any]],
    ) -> bool:
        """Upsert (with ``query``) each ``wanted`` entry the ERP's ``current`` lacks or differs in,
        keeping ``current`` in step; True when anything was written."""
        written = False
        for key, value in wanted.items():
            if current.get(key) != value:
                self.erp.execute(query, **params(key, value))
                current[key] = value
                written = True
        return written

    def _ensure_brand(self, brand: dict[str, Any], outcome: Outcome) -> int:
        code = self.links.erp_id("brand", brand["id"])
        if code is not None and code in self._brands:
            return int(self._brands[code]["id"])
        return self.import_brand(brand, outcome)

    def _match(
        self,
        rows: dict[str, dict[str, Any]],
        linked_code: str | None,
        codes: list[Any],
        same_name: Callable[[dict[str, Any]], bool],
        kind: str,
    ) -> dict[str, Any] | None:
        """The ERP row for an AnyMarket brand/category: linked, by code, else by name when the ERP
        row is not linked to another AnyMarket entity."""
        for code in (linked_code, *codes):
            if code and str(code) in rows:
                return rows[str(code)]
        linked = self.links.by_erp[kind]
        return next((r for r in rows.values() if str(r["code"]) not in linked and same_name(r)), None)

    def _link(self, links: list[Link]) -> None:
        """Stage links of ERP rows just committed; :meth:`flush_links` writes them."""
        for kind, erp_id, anymarket_id, attributes in links:
            self.links.stage(kind, erp_id, anymarket_id, attributes)

    def flush_links(self, conn: Connection) -> None:
        """Write the links staged since the last call, in the caller's mapping-DB transaction."""
        self.links.flush(conn, self.mapping)


def category_order(nodes: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``/categories/fullPath`` nodes, parents before children, each with ``_parent`` (the AnyMarket
    id of its parent, ``None`` for a root), and the nodes whose parent cannot be told.

    The parent comes from the node's ``parent`` field when it has one (``GET /categories/{id}``),
    else from its ``path`` ("A/B/C" is a child of "A/B"). When two nodes share the parent's path,
    the child is returned in the second list: the caller reads its ``parent`` and asks again.
    """
    by_path: dict[str, list[dict[str, Any]]] = {}
    for node in nodes:
        by_path.setdefault(_path(node), []).append(node)
    ordered, unresolved = [], []
    for node in sorted(nodes, key=lambda n: (_path(n).count("/"), _path(n), str(n["id"]))):
        path = _path(node)
        parent_path = path.rsplit("/", 1)[0] if "/" in path else None
        explicit = (node.get("parent") or {}).get("id")
        if explicit is not None:
            ordered.append({**node, "_parent": str(explicit)})
        elif parent_path is None:
            ordered.append({**node, "_parent": None})
        elif len(by_path.get(parent_path, [])) == 1:
            ordered.append({**node, "_parent": str(by_path[parent_path][0]["id"])})
        else:
            unresolved.append(node)
    return ordered, unresolved


def _path(node: dict[str, Any]) -> str:
    return str(node.get("path") or node.get("name") or "")
