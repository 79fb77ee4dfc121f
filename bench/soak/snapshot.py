"""Take the :class:`~bench.soak.checker.World` snapshot: the sandbox through its admin API (no budget
spent, nothing logged), the ERP and the mapping DB through SQL, read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bench.soak.checker import World

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig
    from anymarket_sandbox.admin import SandboxAdmin

ERP_ORDERS = """
SELECT o.id, o.code, o.anymarket_order_id, o.status, o.fulfillment, o.total, o.items_total,
       o.freight, o.discount, o.interest, c.document AS customer_document, c.name AS customer_name
FROM sales_orders o JOIN customers c ON c.id = o.customer_id
WHERE o.anymarket_order_id IS NOT NULL
"""
ERP_ITEMS = """
SELECT i.sales_order_id, i.quantity, i.total, s.code AS sku_code, d.code AS deposit_code
FROM sales_order_items i
JOIN sales_orders o ON o.id = i.sales_order_id
JOIN skus s ON s.id = i.sku_id
JOIN deposits d ON d.id = i.deposit_id
WHERE o.anymarket_order_id IS NOT NULL
"""
ERP_RESERVATIONS = """
SELECT r.sales_order_id, r.quantity, r.released_at, s.code AS sku_code, d.code AS deposit_code
FROM stock_reservations r
JOIN skus s ON s.id = r.sku_id
JOIN deposits d ON d.id = r.deposit_id
"""
ERP_SKU_PRODUCTS = (
    "SELECT s.code AS sku_code, p.code AS product_code FROM skus s JOIN products p ON p.id = s.product_id"
)
STOCK_QUERIES = ("list_deposits", "stock_skus", "stock_balances", "stock_reservations", "kit_components")


def collect_world(
    *,
    settings: IntegrationConfig,
    admin: SandboxAdmin,
    erp_url: str,
    mapping_url: str,
    connection_requests_per_hour: int,
    with_catalog: bool,
    requests_since: int = 0,
    validating: bool = False,
) -> World:
    """Read the three parties. ``requests_since``: the sandbox log sequence number the soak began at;
    ``validating``: the sandbox checked the traffic against AnyMarket's OpenAPI spec (its report too)."""
    from anymarket.erp.database import ErpDatabase
    from anymarket.mapping import models as m
    from anymarket.mapping.database import MappingDatabase

    orders = admin.orders()
    stocks = admin.stocks()
    requests = admin.requests(since=requests_since)
    budget = admin.budget()
    catalog = admin.catalog() if with_catalog else None
    conformance = admin.conformance() if validating else None

    erp = ErpDatabase(erp_url)
    try:
        with erp.engine.connect() as conn:
            erp_orders = _rows(conn, ERP_ORDERS)
            erp_items = _rows(conn, ERP_ITEMS)
            erp_reservations = _rows(conn, ERP_RESERVATIONS)
            sku_products = {r["sku_code"]: r["product_code"] for r in _rows(conn, ERP_SKU_PRODUCTS)}
        erp_stock = {name: erp.query(name) for name in STOCK_QUERIES}
    finally:
        erp.dispose()

    mapping = MappingDatabase.from_url(mapping_url)
    try:
        with mapping.engine.connect() as conn:
            imports = conn.execute(
                sa.select(m.order_imports).where(m.order_imports.c.integration_id == settings.id)
            ).mappings()
            order_imports = {str(r["anymarket_order_id"]): dict(r) for r in imports}
            usage = [
                (int(r.minute), int(r.used))
                for r in conn.execute(
                    sa.select(m.request_budget_usage.c.minute, m.request_budget_usage.c.used)
                )
            ]
        world = World(
            settings=settings,
            orders=orders,
            stocks=stocks,
            requests=requests,
            sandbox_requests_per_hour=int(budget["requestsPerHour"]),
            connection_requests_per_hour=connection_requests_per_hour,
            erp_orders=erp_orders,
            erp_items=erp_items,
            erp_reservations=erp_reservations,
            erp_stock=erp_stock,
            deposit_mappings=mapping.mappings_of(settings.id, "deposit"),
            fulfillment_deposits={
                str(row["value"]) for row in mapping.mappings_of(settings.id, "fulfillment_deposit").values()
            },
            carrier_mappings={k: v["value"] for k, v in mapping.mappings_of(settings.id, "carrier").items()},
            sku_links=mapping.links_of(settings.id, "sku"),
            order_imports=order_imports,
            budget_usage=usage,
            catalog=catalog,
            erp_sku_products=sku_products,
            conformance=conformance,
        )
    finally:
        mapping.engine.dispose()
    return world


def _rows(conn: sa.Connection, sql: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]
