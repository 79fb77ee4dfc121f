"""Sync products: the ERP catalog on AnyMarket (products, SKUs, images), only what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Param

from anymarket.automations import Automation

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


def _add_tasks(integration: IntegrationConfig) -> None:
    from anymarket.operators.sync_products import AnyMarketSyncProductsOperator

    AnyMarketSyncProductsOperator(task_id="sync_products", integration_id=integration.id)


AUTOMATION = Automation(
    name="sync_products",
    title="Sync products",
    # Every minute: a run with no ERP change reads the last two minutes' changes and sends nothing.
    default_schedule="* * * * *",
    tags=("catalog",),
    add_tasks=_add_tasks,
    operator="anymarket.operators.sync_products",
    helpers=(
        "anymarket.catalog.taxonomy",
        "anymarket.catalog.sync",
        "anymarket.catalog.state",
        "anymarket.catalog.images",
        "anymarket.stock_levels",
    ),
    rules=("anymarket.catalog.payload", "anymarket.rules.send_stock", "anymarket.rules.kits"),
    erp_queries=(
        "product_changed",
        "product_rows",
        "product_skus",
        "product_sku_variations",
        "product_images",
        "product_attributes",
        "product_brands",
        "product_categories",
        # A creation carries each SKU's stock in the default warehouse (anymarket.stock_levels).
        "list_deposits",
        "stock_skus",
        "stock_balances",
        "stock_reservations",
        # Kits go with their components (kitComponents), and carry their derived stock.
        "kit_components",
    ),
    state_tables=(
        "product_sync",
        "product_rejected",
        "image_checks",
        "price_sent",
        "stock_sent",
        "links",
        "mappings",
        "sync_cursors",
    ),
    params={
        "product_code": Param(
            None,
            type=["null", "string"],
            title="Product code",
            description="Send only this ERP product, changed or not (e.g. after fixing a refused one).",
        ),
        "full_sync": Param(
            False,
            type="boolean",
            title="Full sync",
            description="Look at every product and send every piece again, changed or not.",
        ),
    },
    doc="""
Places the ERP catalog on AnyMarket: new products, products changed in the ERP (name, description,
brand, category, technical sheet, dimensions, images, SKUs, variations…) and products made
inactive. A run looks only at products whose row or SKUs changed since the last run (the ERP's
`updated_at`) and sends only the pieces that differ from what AnyMarket last accepted, so an
unchanged catalog costs no request. A new product costs two requests end to end (a lookup and the
`POST`): the `POST` carries its SKUs' prices and their stock in the default warehouse (the stock
rules' quantity; not with `mapped_deposits`), recorded as send prices' and send stock's, which then
send nothing for it until the ERP changes. Catalog work is **bulk** (README, "Budget lanes"): paced,
and a run whose lane is spent ends waiting, the next one continuing where it stopped.

- **Changes**: the ERP must move a product's `updated_at` when its images, attributes or SKUs change
  (the reference schema's triggers do; see the ERP contract).
- **First** the product's brand and category (parents before children) and its variation types
  and values are found on AnyMarket (by `partnerId` = ERP code, or name) or created, and linked;
  the `brand`/`category` mappings override the lookup. A linked brand or category renamed in the
  ERP is renamed on AnyMarket (a read and a `PUT` each; hand-mapped ones are left alone).
- **New product**: `GET /products?sku=` first — an AnyMarket product that already has the SKU is
  adopted (linked, never duplicated) — else one `POST /products` with its SKUs and images
  (2 requests per product). Price settings (`products.price_format`, `price_factor`,
  `price_scope`) set `priceFactor`/`calculatedPrice`/`definitionPriceScope` on every product `POST`
  and `PUT` (a changed setting reaches the products already there with a full sync); SKUs are
  created with stock 0 (send stock sends the quantities) and the prices of `products.price_list`.
- **Existing product**: `PUT /products/{id}` only when its fields changed; SKUs: `PUT` the changed
  ones (title, EAN, active — prices are send prices' job), `POST` new ones; images per
  `products.send_images` (`yes` / `new_products_only` / `no`): new ones posted, removed ones deleted
  only when `products.delete_removed_images`, the first ERP image made the main one; with
  `products.replicate_parent_images` the product's images are repeated for every colour. Posted
  images are read back by `check_images`; one AnyMarket could not process is deleted and posted
  again the next time the product is sent (e.g. once its image changed in the ERP).
- **Fields**: title, description (HTML-escaped; line breaks become `<br>` when
  `products.description_line_breaks_to_br`), NCM (`nbm`), fiscal origin, dimensions, video; the
  technical sheet goes as `characteristics` through the `attribute` mapping, except `Modelo`,
  `Gênero`, `Tempo de Garantia` and `Texto de Garantia`, which fill `model`, `gender`,
  `warrantyTime` and `warrantyText` (an attribute mapping to one of those names does the same).
  Crossdocking days become the SKUs' `additionalTime` when `products.send_crossdocking`.
- A product AnyMarket refuses (e.g. a title over 150 characters) is recorded with AnyMarket's
  message (history and `product_rejected`) and skipped until it changes in the ERP; the run goes on.
  An active product the ERP has no height, width, length or weight for (empty or 0) is refused the
  same way before any request, naming its SKUs and the missing columns: AnyMarket requires them and
  marketplaces quote freight from them, so no default is made up.
  A product is marked synced only once AnyMarket accepted every piece, so a run stopped half-way
  (budget, outage) is continued by the next one without repeating what was accepted.
- **Kits** (the ERP's `kit_components`; a kit product has one SKU): sent with AnyMarket's
  `kitComponents` — each component's AnyMarket SKU id, its quantity per kit, its share of the kit's
  price (`percentage`, from the components' prices) and the main component (the largest share).
  Kits are looked at on every run, after their components: one whose components are not on AnyMarket
  yet waits (summary `kit_waiting`, `kits_waiting` naming the missing SKUs; nothing sent) and goes on
  the run after they are; a changed composition is sent as a product `PUT`. A product holding a kit
  SKU among others is refused, naming them.
- **Inactive**: a product inactive in the ERP that was never sent is not created; a synced product
  made inactive is sent with `isProductActive: false` and its SKUs with `active: false`.

Params: `product_code` sends one product (changed or not); `full_sync` looks at every product and
sends every piece again. The run summary counts created, adopted, updated, unchanged, rejected,
write requests and the requests used.
""",
)
