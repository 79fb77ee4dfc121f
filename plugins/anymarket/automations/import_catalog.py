"""Catalog import ("multi-platform installer"): AnyMarket's catalog into the ERP, resumable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.import_catalog import AnyMarketImportCatalogOperator

    AnyMarketImportCatalogOperator(task_id="import_catalog", integration_id=integration.id)


AUTOMATION = Automation(
    name="import_catalog",
    title="Catalog import",
    # An installer: run by hand when an AnyMarket account's catalog must be brought into the ERP.
    default_schedule=None,
    tags=("catalog",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.import_catalog",
    helpers=("anymarket.catalog.importer", "anymarket.catalog.checkpoint"),
    erp_queries=(
        "list_deposits",
        "catalog_import_brands",
        "catalog_import_categories",
        "catalog_import_upsert_brand",
        "catalog_import_upsert_category",
        "catalog_import_skus_by_code",
        "catalog_import_products",
        "catalog_import_product_attributes",
        "catalog_import_sku_variations",
        "catalog_import_stock_balances",
        "catalog_import_upsert_product",
        "catalog_import_upsert_product_attribute",
        "catalog_import_upsert_sku",
        "catalog_import_rename_sku",
        "catalog_import_upsert_sku_variation",
        "catalog_import_upsert_stock_balance",
    ),
    state_tables=("catalog_import_checkpoints", "links", "mappings"),
    params={
        "scope": Param(
            "all",
            type="string",
            enum=["all", "catalog", "categories", "brands"],
            title="Scope",
            description="all = brands, categories and products; catalog = products (with the brands and "
            "categories they use); categories = the category tree; brands = the brands.",
        )
    },
    doc="""
Brings an AnyMarket account's catalog into the ERP — the "multi-platform installer". Trigger it by
hand with the Param `scope`: `all` (brands, the category tree, then products), `catalog` (products,
importing the brands and categories they use), `categories` or `brands`. Warehouses come from the
deposit installer (`install_deposits`); images are not imported.

- **Brands and categories**: `GET /brands` pages; the category tree from one
  `GET /categories/fullPath` (plus a `GET /categories/{id}` for a node whose parent its path cannot
  tell), parents first; a category whose parent stays unknown is reported, not imported.
- **Products**: `GET /products` pages of the connection's `page_size` (100: about 0.01 request per
  product; when AnyMarket's warehouses feed different ERP deposits, also `GET /stocks` pages of 100
  rows for the stock per warehouse). Each product — with its SKUs,
  variation values, technical sheet (characteristics, model, gender, warranty), dimensions, NCM,
  origin (`products.default_fiscal_origin` when AnyMarket has none), EAN, prices and stock — is one
  ERP transaction. Stock goes to the ERP deposit mapped to each AnyMarket warehouse, or to the default
  deposit (`stock.default_deposit`, else the ERP's). `products.import_only_active` skips inactive
  products.
- **No duplicates**: an AnyMarket entity is matched to the ERP row it is linked to, else to the row
  with its code (`partnerId`, `externalIdProduct`, or `AM-<id>`), else brands by name, categories by
  name under the same parent, products through an ERP product owning one of their SKUs; only then
  created. Rows equal to AnyMarket are not written, so a re-run changes nothing. Everything imported
  is linked (`links`), so the product sync does not re-create it and send stock sends its stock.
- **SKU codes**: a linked SKU whose `partnerId` changed on AnyMarket keeps its ERP code, unless
  `products.update_sku_code_on_import` is on — then the ERP SKU takes the new code.
- **Resumable**: the position in each listing is checkpointed in the mapping DB after every product's
  ERP commit, so a stopped or failed run (outage, request budget, crash) continues where it stopped
  — for 7 days; an older checkpoint is ignored and the import starts over (without duplicating). A
  product that cannot be imported fails alone (history + summary) and is retried when the next run
  reaches the end of the products; ten products failing in a row stop the run (the ERP, not the
  data, is then the likely problem), keeping the checkpoint.

The run summary counts brands, categories, products and SKUs created / updated / unchanged, skipped
inactive products, failures with their reason, requests used and where the run resumed from.
""",
)
