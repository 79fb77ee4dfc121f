"""The ERP SQL contract, machine-readable: every named query, its parameters and what it must return.

This is the one place the integration's expectations of ``include/sql/erp/queries/`` are written down
for a program; ``include/sql/erp/README.md`` explains the same contract to people (its tables list
the same columns, which ``tests/anymarket/erp/test_contract.py`` checks), and
:mod:`anymarket.erp.checker` runs every entry against a real ERP.

Types are the ones callers rely on, loose where the dialects differ (README "Returned values"):

* ``integer`` — ``int`` (or an integral ``Decimal``: MariaDB's ``SUM``/``CASE`` may give one);
* ``number`` — ``int``, ``float`` or ``Decimal`` (money, quantities, dimensions);
* ``text`` — ``str``;
* ``flag`` — ``0``/``1`` or a boolean (never text such as ``'S'``/``'N'``: ``bool('N')`` is true);
* ``timestamp`` — a ``datetime``/``date`` or text that :func:`anymarket.erp.parse_timestamp` reads.

``NULL`` is accepted in every column (the callers handle it where the README allows it; the checker
checks the type of the values that are there). Extra columns are allowed and ignored.

Parameters carry the sample the checker binds: a constant, or :class:`From` — values another
(earlier) query of the contract returned on the same ERP, so reads find real rows and writes point at
rows that exist. The checker runs the entries in this order in one transaction it rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

__all__ = ["CONTRACT", "README", "ColumnType", "From", "Query", "query"]

ColumnType = Literal["integer", "number", "text", "flag", "timestamp"]

#: Where people read the contract (paths are relative to the repository / the SQL folder).
README = "include/sql/erp/README.md"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NOW = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
#: Codes the checker's writes use: recognisable if a rollback ever failed to happen.
CHECK_CODE = "ANYMARKET-CONTRACT-CHECK"
#: The AnyMarket order id of the order the check writes (and reads back before rolling back).
CHECK_ORDER_ID = 990_000_000_001


@dataclass(frozen=True)
class From:
    """A parameter sample taken from another query's result: ``column`` of ``query``'s rows (all of
    them, at most 200, for a list parameter; the first one otherwise). ``fallback`` is bound when that
    query returned no row (or failed): a value that matches nothing, so the file still compiles and
    runs."""

    query: str
    column: str
    fallback: Any = None
    many: bool = False


@dataclass(frozen=True)
class Query:
    """One named query of the contract.

    ``returns`` lists the columns (name, type) a read returns, or a write's ``RETURNING``; ``writes``
    says it changes data (the checker runs it inside a transaction it rolls back; a write without
    ``returns`` must change at least one row); ``section`` is the heading of the README section
    documenting it.
    """

    name: str
    section: str
    params: dict[str, Any] = field(default_factory=dict)
    returns: tuple[tuple[str, ColumnType], ...] = ()
    writes: bool = False
    #: Writes that must have run cleanly first although no parameter comes from them (the rows this
    #: one changes were written by them).
    requires: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.name}.sql"

    @property
    def documented_at(self) -> str:
        """``include/sql/erp/README.md § <section>``: where a person reads what this file must do."""
        return f"{README} § {self.section}"


def _cols(spec: str) -> tuple[tuple[str, ColumnType], ...]:
    """``"id:integer code:text"`` → ``(("id", "integer"), ("code", "text"))`` (keeps the table short)."""
    columns: list[tuple[str, ColumnType]] = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        assert kind in ("integer", "number", "text", "flag", "timestamp"), item
        columns.append((name, kind))  # type: ignore[arg-type]
    return tuple(columns)


_STOCK = "`stock_skus.sql`"
_ORDERS = "Import orders: `order_*.sql`"
_STATUS = "Sync order status: `status_*.sql`"
_PRICES = "Send prices: `price_*.sql`"
_PRODUCTS = "Sync products: `product_*.sql`"
_CATALOG = "Catalog import: `catalog_import_*.sql`"

_PRODUCT_CODES = From("product_changed", "code", fallback=[CHECK_CODE], many=True)
_SKU_CODES = From("stock_skus", "code", fallback=[CHECK_CODE], many=True)
_SKU_IDS = From("stock_skus", "sku_id", fallback=[-1], many=True)
_DEPOSIT_ID = From("list_deposits", "id", fallback=-1)
_PRICE_LIST = From("price_lists", "code")
_AM_ORDER_IDS = From("status_changed_orders", "anymarket_order_id", fallback=[-1], many=True)

#: Every named query, in the order the checker runs them (a :class:`From` names an earlier one).
CONTRACT: tuple[Query, ...] = (
    # ---------------------------------------------------------------- stock (send stock, deposits)
    Query(
        "list_deposits",
        "`list_deposits.sql`",
        returns=_cols("id:integer code:text name:text is_default:flag active:flag"),
    ),
    Query(
        "stock_skus",
        _STOCK,
        returns=_cols(
            "sku_id:integer code:text made_to_order:flag active:flag crossdocking_days:integer "
            "cost_price:number sell_price:number"
        ),
    ),
    Query(
        "stock_balances",
        "`stock_balances.sql`",
        returns=_cols("sku_id:integer deposit_id:integer quantity:number"),
    ),
    Query(
        "stock_reservations",
        "`stock_reservations.sql`",
        returns=_cols("sku_id:integer deposit_id:integer quantity:number"),
    ),
    Query(
        "kit_components",
        "`kit_components.sql`",
        returns=_cols(
            "kit_sku_id:integer kit_code:text kit_product_code:text component_sku_id:integer "
            "component_code:text quantity:number component_sell_price:number"
        ),
    ),
    # ---------------------------------------------------------------- send prices
    Query("price_lists", _PRICES, returns=_cols("id:integer code:text name:text active:flag")),
    Query(
        "price_skus",
        _PRICES,
        returns=_cols("sku_id:integer code:text product_code:text sell_price:number list_price:number"),
    ),
    Query(
        "price_list_items",
        _PRICES,
        params={"price_list": From("price_lists", "code", fallback=CHECK_CODE)},
        returns=_cols("sku_id:integer sell_price:number list_price:number"),
    ),
    # ---------------------------------------------------------------- sync products
    Query(
        "product_changed",
        _PRODUCTS,
        params={"since": _EPOCH},
        returns=_cols("code:text changed_at:timestamp"),
    ),
    Query(
        "product_rows",
        _PRODUCTS,
        params={"codes": _PRODUCT_CODES},
        returns=_cols(
            "code:text name:text description:text brand_code:text category_code:text ncm:text origin:integer "
            "video_url:text height_cm:number width_cm:number length_cm:number weight_kg:number "
            "has_variations:flag active:flag"
        ),
    ),
    Query(
        "product_skus",
        _PRODUCTS,
        params={"codes": _PRODUCT_CODES, "price_list": _PRICE_LIST},
        returns=_cols(
            "product_code:text code:text name:text ean:text crossdocking_days:integer sell_price:number "
            "list_price:number active:flag"
        ),
    ),
    Query(
        "product_sku_variations",
        _PRODUCTS,
        params={"codes": _PRODUCT_CODES},
        returns=_cols("product_code:text sku_code:text variation_type:text variation_value:text"),
    ),
    Query(
        "product_images",
        _PRODUCTS,
        params={"codes": _PRODUCT_CODES},
        returns=_cols("product_code:text sku_code:text position:integer url:text is_main:flag"),
    ),
    Query(
        "product_attributes",
        _PRODUCTS,
        params={"codes": _PRODUCT_CODES},
        returns=_cols("product_code:text name:text value:text"),
    ),
    Query("product_brands", _PRODUCTS, returns=_cols("code:text name:text active:flag")),
    Query("product_categories", _PRODUCTS, returns=_cols("code:text name:text parent_code:text active:flag")),
    # ---------------------------------------------------------------- import orders (reads)
    Query(
        "order_reference_data",
        _ORDERS,
        returns=_cols("kind:text id:integer code:text marketplace:text active:flag"),
    ),
    Query(
        "order_skus_by_code",
        _ORDERS,
        params={"codes": _SKU_CODES},
        returns=_cols("id:integer code:text cost_price:number"),
    ),
    # ---------------------------------------------------------------- catalog import (reads)
    Query("catalog_import_brands", _CATALOG, returns=_cols("id:integer code:text name:text active:flag")),
    Query(
        "catalog_import_categories",
        _CATALOG,
        returns=_cols("id:integer code:text name:text parent_id:integer active:flag"),
    ),
    Query(
        "catalog_import_skus_by_code",
        _CATALOG,
        params={"codes": _SKU_CODES},
        returns=_cols(
            "id:integer product_id:integer code:text name:text ean:text crossdocking_days:integer "
            "sell_price:number list_price:number active:flag"
        ),
    ),
    Query(
        "catalog_import_products",
        _CATALOG,
        params={
            "codes": _PRODUCT_CODES,
            "ids": From("catalog_import_skus_by_code", "product_id", fallback=[-1], many=True),
        },
        returns=_cols(
            "id:integer code:text name:text description:text brand_id:integer category_id:integer ncm:text "
            "origin:integer video_url:text height_cm:number width_cm:number length_cm:number "
            "weight_kg:number has_variations:flag active:flag"
        ),
    ),
    Query(
        "catalog_import_product_attributes",
        _CATALOG,
        params={"product_ids": From("catalog_import_skus_by_code", "product_id", fallback=[-1], many=True)},
        returns=_cols("product_id:integer name:text value:text position:integer"),
    ),
    Query(
        "catalog_import_sku_variations",
        _CATALOG,
        params={"sku_ids": _SKU_IDS},
        returns=_cols("sku_id:integer variation_type:text variation_value:text position:integer"),
    ),
    Query(
        "catalog_import_stock_balances",
        _CATALOG,
        params={"sku_ids": _SKU_IDS},
        returns=_cols("sku_id:integer deposit_id:integer quantity:number"),
    ),
    # ---------------------------------------------------------------- catalog import (writes)
    Query(
        "catalog_import_upsert_brand",
        _CATALOG,
        params={"code": CHECK_CODE, "name": "Contract check"},
        returns=_cols("id:integer"),
        writes=True,
    ),
    Query(
        "catalog_import_upsert_category",
        _CATALOG,
        params={"code": CHECK_CODE, "name": "Contract check", "parent_id": None},
        returns=_cols("id:integer"),
        writes=True,
    ),
    Query(
        "catalog_import_upsert_product",
        _CATALOG,
        params={
            "code": CHECK_CODE,
            "name": "Contract check",
            "description": "Written by the ERP contract check and rolled back.",
            "brand_id": From("catalog_import_upsert_brand", "id"),
            "category_id": From("catalog_import_upsert_category", "id"),
            "ncm": "61091000",
            "origin": 0,
            "video_url": None,
            "height_cm": Decimal("10.00"),
            "width_cm": Decimal("20.00"),
            "length_cm": Decimal("30.00"),
            "weight_kg": Decimal("0.500"),
            "has_variations": False,
            "active": True,
        },
        returns=_cols("id:integer"),
        writes=True,
    ),
    Query(
        "catalog_import_upsert_sku",
        _CATALOG,
        params={
            "product_id": From("catalog_import_upsert_product", "id"),
            "code": CHECK_CODE,
            "name": "Contract check",
            "ean": "7891234567895",
            "crossdocking_days": 0,
            "sell_price": Decimal("10.00"),
            "list_price": Decimal("12.00"),
            "active": True,
        },
        returns=_cols("id:integer"),
        writes=True,
    ),
    Query(
        "catalog_import_rename_sku",
        _CATALOG,
        params={"id": From("catalog_import_upsert_sku", "id"), "code": f"{CHECK_CODE}-2"},
        writes=True,
    ),
    Query(
        "catalog_import_upsert_product_attribute",
        _CATALOG,
        params={
            "product_id": From("catalog_import_upsert_product", "id"),
            "name": "Modelo",
            "value": "Contract check",
            "position": 1,
        },
        writes=True,
    ),
    Query(
        "catalog_import_upsert_sku_variation",
        _CATALOG,
        params={
            "sku_id": From("catalog_import_upsert_sku", "id"),
            "variation_type": "Cor",
            "variation_value": "Azul",
            "position": 1,
        },
        writes=True,
    ),
    Query(
        "catalog_import_upsert_stock_balance",
        _CATALOG,
        params={
            "sku_id": From("catalog_import_upsert_sku", "id"),
            "deposit_id": _DEPOSIT_ID,
            "quantity": Decimal("5"),
        },
        writes=True,
    ),
    # ---------------------------------------------------------------- import orders (writes)
    Query(
        "order_upsert_customer",
        _ORDERS,
        params={
            "name": "Contract Check",
            "document": "52998224725",
            "document_type": "CPF",
            "state_tax_id": None,
            "email": "check@example.com",
            "phone": None,
            "cell_phone": None,
            "street": "Rua Um",
            "number": "1",
            "complement": None,
            "neighborhood": "Centro",
            "city": "São Paulo",
            "state": "SP",
            "zip_code": "01001000",
            "country": "BR",
        },
        returns=_cols("id:integer"),
        writes=True,
    ),
    Query(
        "order_insert",
        _ORDERS,
        params={
            "code": CHECK_CODE,
            "customer_id": From("order_upsert_customer", "id"),
            "channel_id": None,
            "status": "pending",
            "order_date": _NOW,
            "paid_at": None,
            "cancelled_at": None,
            "cancel_reason": None,
            "payment_method_id": None,
            "installments": 1,
            "sales_operation_id": None,
            "intermediary_cnpj": None,
            "intermediary_name": None,
            "intermediary_seller_id": None,
            "marketplace_fee": Decimal("0.00"),
            "gateway_fee": Decimal("0.00"),
            "carrier_id": None,
            "shipping_service": None,
            "items_total": Decimal("10.00"),
            "discount": Decimal("0.00"),
            "freight": Decimal("0.00"),
            "interest": Decimal("0.00"),
            "total": Decimal("10.00"),
            "marketplace_order_number": None,
            "anymarket_order_id": CHECK_ORDER_ID,
            "fulfillment": False,
            "ship_receiver_name": "Contract Check",
            "ship_street": "Rua Um",
            "ship_number": "1",
            "ship_complement": None,
            "ship_neighborhood": "Centro",
            "ship_city": "São Paulo",
            "ship_state": "SP",
            "ship_zip_code": "01001000",
            "ship_country": "BR",
            "notes": None,
        },
        returns=_cols("id:integer"),
        writes=True,
    ),
    Query(
        "order_insert_item",
        _ORDERS,
        params={
            "sales_order_id": From("order_insert", "id"),
            "position": 1,
            "sku_id": From("catalog_import_upsert_sku", "id"),
            "deposit_id": _DEPOSIT_ID,
            "quantity": Decimal("1"),
            "unit_price": Decimal("10.00"),
            "discount": Decimal("0.00"),
            "total": Decimal("10.00"),
            "unit_cost": None,
            "marketplace_item_id": None,
        },
        returns=_cols("id:integer"),
        writes=True,
    ),
    Query(
        "order_insert_payment",
        _ORDERS,
        params={
            "sales_order_id": From("order_insert", "id"),
            "position": 1,
            "payment_method_id": None,
            "method": "Pix",
            "value": Decimal("10.00"),
            "installments": 1,
            "marketplace_fee": Decimal("0.00"),
            "gateway_fee": Decimal("0.00"),
            "marketplace_payment_id": None,
        },
        returns=_cols("id:integer"),
        writes=True,
    ),
    Query(
        "order_reserve_stock",
        _ORDERS,
        params={
            "sku_id": From("catalog_import_upsert_sku", "id"),
            "deposit_id": _DEPOSIT_ID,
            "sales_order_id": From("order_insert", "id"),
            "sales_order_item_id": From("order_insert_item", "id"),
            "quantity": Decimal("1"),
        },
        writes=True,
    ),
    Query(
        "order_update_status",
        _ORDERS,
        params={
            "id": From("order_insert", "id"),
            "status": "approved",
            "paid_at": _NOW,
            "cancelled_at": None,
            "cancel_reason": None,
        },
        writes=True,
    ),
    Query(
        "order_update_shipping",
        _ORDERS,
        params={
            "id": From("order_insert", "id"),
            "ship_receiver_name": "Contract Check",
            "ship_street": "Rua Dois",
            "ship_number": "2",
            "ship_complement": None,
            "ship_neighborhood": "Centro",
            "ship_city": "São Paulo",
            "ship_state": "SP",
            "ship_zip_code": "01001000",
        },
        writes=True,
    ),
    Query(
        "order_release_stock",
        _ORDERS,
        params={"sales_order_id": From("order_insert", "id"), "released_at": _NOW},
        writes=True,
        requires=("order_reserve_stock",),
    ),
    # ---------------------------------------------------------------- sync order status, order reads
    # After the order writes: in the same (rolled-back) transaction they find the order the check
    # wrote, so their column types are checked even on an ERP with no order linked to AnyMarket.
    Query(
        "status_changed_orders",
        _STATUS,
        params={"since": _EPOCH},
        returns=_cols(
            "anymarket_order_id:integer order_updated_at:timestamp invoice_updated_at:timestamp "
            "shipment_updated_at:timestamp"
        ),
    ),
    Query(
        "status_order_parts",
        _STATUS,
        params={"anymarket_order_ids": _AM_ORDER_IDS},
        returns=_cols(
            "id:integer code:text anymarket_order_id:integer status:text cancelled_at:timestamp "
            "cancel_reason:text customer_state_tax_id:text invoice_access_key:text invoice_number:integer "
            "invoice_series:text invoice_issued_at:timestamp invoice_cfop:text invoice_link_url:text "
            "invoice_xml:text tracking_code:text tracking_url:text shipped_at:timestamp "
            "estimated_delivery_at:timestamp delivered_at:timestamp carrier_code:text carrier_name:text "
            "carrier_document:text carrier_tracking_url_template:text"
        ),
    ),
    Query(
        "order_find_by_anymarket_id",
        _ORDERS,
        params={"anymarket_order_id": From("status_changed_orders", "anymarket_order_id", fallback=-1)},
        returns=_cols(
            "id:integer code:text status:text paid_at:timestamp cancelled_at:timestamp "
            "ship_receiver_name:text ship_street:text ship_number:text ship_complement:text "
            "ship_neighborhood:text ship_city:text "
            "ship_state:text ship_zip_code:text"
        ),
    ),
    Query(
        "order_items_of",
        _ORDERS,
        params={"sales_order_ids": From("status_order_parts", "id", fallback=[-1], many=True)},
        returns=_cols("sales_order_id:integer sku_code:text deposit_id:integer quantity:number"),
    ),
)

_BY_NAME = {entry.name: entry for entry in CONTRACT}


def query(name: str) -> Query:
    """The contract entry of query ``name`` (``KeyError`` naming the known ones otherwise)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise KeyError(f"no ERP query {name!r} in the contract; known: {known}") from None
