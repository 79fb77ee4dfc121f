"""Tables of the mapping database (SQLAlchemy 2 Core metadata).

The migrations in ``migrations/versions`` create exactly these tables; a test compares the two so
they never drift. Every row belongs to one integration (= one AnyMarket account).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Entities whose ERP id is linked to an AnyMarket id.
LINK_ENTITY_TYPES = (
    "product",
    "sku",
    "image",
    "order",
    "category",
    "brand",
    "variation_type",
    "variation_value",
)
# ERP deposits ⇄ AnyMarket warehouses are the ``deposit`` mappings below: a person may set them
# by hand, and they carry "counts toward balance", so they are not duplicated as links.

# User-managed translation tables ("Mapeamentos"): ``key`` is what is looked up, ``value`` the answer.
MAPPING_KINDS = {
    "category": "ERP category code → AnyMarket category id",
    "brand": "ERP brand code → AnyMarket brand id",
    "attribute": "ERP attribute name → AnyMarket characteristic name",
    "variation_type": "ERP variation type → AnyMarket variation type name",
    "variation_value": "ERP 'type:value' → AnyMarket variation value",
    "deposit": "ERP deposit code → AnyMarket stockLocalId (attributes: counts_toward_balance)",
    "fulfillment_deposit": (
        "Full marketplace (MERCADO_LIVRE, B2W_NEW_API, OUTROS) → the ERP deposit code its fulfillment "
        "stock is imported into (never sent back as the seller's stock)"
    ),
    "order_status_import": "AnyMarket order status → ERP order status ('*' = default)",
    "order_status_export": "ERP order status → AnyMarket order status",
    "payment_method": "AnyMarket paymentMethodNormalized → ERP payment method code ('*' = default)",
    "carrier": "AnyMarket carrier / shipping type → ERP carrier code (attributes: tracking_url_template)",
    "sales_channel": "AnyMarket 'MARKETPLACE:account' → ERP sales channel code",
    "intermediary": (
        "AnyMarket marketplace ('MARKETPLACE' or 'MARKETPLACE:account') → the intermediary's CNPJ "
        "(attributes: intermediary_name, seller_id)"
    ),
}


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


integrations = sa.Table(
    "integrations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("environment", sa.String(20), nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    *_timestamps(),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration_id", sa.String(64), nullable=False),
    sa.Column("entity_type", sa.String(32), nullable=False),
    sa.Column("erp_id", sa.String(200), nullable=False),
    sa.Column("anymarket_id", sa.String(200), nullable=False),
    # Hash of the last payload AnyMarket accepted: "send only what changed".
    sa.Column("payload_hash", sa.String(64)),
    sa.Column("attributes", sa.JSON),
    *_timestamps(),
    sa.UniqueConstraint("integration_id", "entity_type", "erp_id"),
    sa.Index(None, "integration_id", "entity_type", "anymarket_id"),
)

mappings = sa.Table(
    "mappings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("value", sa.String(200), nullable=False),
    sa.Column("attributes", sa.JSON),
    # 'auto' rows were made by an installer; 'manual' rows by a person and are never overwritten.
    sa.Column("source", sa.String(16), nullable=False),
    *_timestamps(),
    sa.UniqueConstraint("integration_id", "kind", "key"),
)

anymarket_warehouses = sa.Table(
    "anymarket_warehouses",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("stock_local_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("is_virtual", sa.Boolean, nullable=False),
    sa.Column("zip_code", sa.String(20)),
    *_timestamps(),
)

sync_cursors = sa.Table(
    "sync_cursors",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

callback_inbox = sa.Table(
    "callback_inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration_id", sa.String(64), nullable=False),
    sa.Column("resource_type", sa.String(32), nullable=False),
    sa.Column("resource_id", sa.String(64), nullable=False),
    sa.Column("event", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False),  # pending | processed | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    # One row per resource: a duplicate notification collapses into the pending row.
    sa.UniqueConstraint("integration_id", "resource_type", "resource_id"),
    sa.Index(None, "integration_id", "status"),
)

#: Resources whose GET answered 404 after a callback (a forged or not-yet-readable id): a callback
#: for one of them is acknowledged and not stored for a while (anymarket.callbacks.inbox).
callback_not_found = sa.Table(
    "callback_not_found",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("resource_type", sa.String(32), primary_key=True),
    sa.Column("resource_id", sa.String(64), primary_key=True),
    sa.Column("not_found_at", sa.DateTime(timezone=True), nullable=False),
)

history = sa.Table(
    "history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration_id", sa.String(64), nullable=False),
    sa.Column("entity_type", sa.String(32), nullable=False),
    sa.Column("entity_key", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # ok | error | skipped | held
    sa.Column("request", sa.JSON),
    sa.Column("response", sa.JSON),
    sa.Column("error", sa.Text),
    sa.Column("run_id", sa.String(250)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(None, "integration_id", "entity_type", "entity_key"),
    sa.Index(None, "integration_id", "created_at"),
)

run_summaries = sa.Table(
    "run_summaries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration_id", sa.String(64), nullable=False),
    sa.Column("automation", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(250)),
    sa.Column("outcome", sa.String(16), nullable=False),  # ok | failed
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(None, "integration_id", "automation", "finished_at"),
)

request_budgets = sa.Table(
    "request_budgets",
    metadata,
    sa.Column("account_key", sa.String(64), primary_key=True),
    sa.Column("requests_per_hour", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # The bulk lane's token bucket (migration 0009): tokens left and when they were counted (Unix s).
    sa.Column("bulk_tokens", sa.Float),
    sa.Column("bulk_tokens_at", sa.Float),
)

# Requests spent per account, bucket and lane (migration 0009). A bucket is a sixtieth of the budget's
# window — a minute of AnyMarket's hour; the column keeps its first name. The sum over the last 60
# buckets is the sliding window; a day of buckets is kept for the ops page's chart.
request_budget_usage = sa.Table(
    "request_budget_usage",
    metadata,
    sa.Column("account_key", sa.String(64), primary_key=True),
    sa.Column("minute", sa.BigInteger, primary_key=True),  # Unix time // bucket seconds
    sa.Column("lane", sa.String(16), primary_key=True),  # realtime | callback | bulk
    sa.Column("used", sa.Integer, nullable=False),
)

# A task that found its lane spent ended its run cleanly: what waits and when it continues, per
# integration and automation, until a run of that automation finishes without waiting (migration 0009).
# Read by the ops page and by the realtime alert (a realtime wait older than the setting alerts).
budget_waits = sa.Table(
    "budget_waits",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("automation", sa.String(64), primary_key=True),
    sa.Column("lane", sa.String(16), nullable=False),
    sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    sa.Column("continues_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("waiting", sa.String(500), nullable=False),
    sa.Column("alerted_at", sa.DateTime(timezone=True)),  # the streak's one alert went out then
)

# -- Send stock (migration 0002) -----------------------------------------------------------------
# What AnyMarket last *accepted* per SKU x warehouse: a row is written only after the PUT /stocks
# batch holding it answered 2xx, so "send only what changed" never skips a row AnyMarket lacks.
# ``stock_local_id`` is '' for AnyMarket's default warehouse (rows sent without a stockLocalId);
# ``anymarket_id`` is the SKU id the row went to, so a SKU re-linked to another id is sent again.
stock_sent = sa.Table(
    "stock_sent",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("sku_code", sa.String(200), primary_key=True),
    sa.Column("stock_local_id", sa.String(64), primary_key=True),
    sa.Column("anymarket_id", sa.String(200), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("cost", sa.Numeric(15, 2)),
    sa.Column("additional_time", sa.Integer),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
)

# Rows AnyMarket refused (422) with exactly these values: not offered again until a value changes
# (or a full resend), so one bad row does not cost a bisection's worth of requests every minute.
stock_rejected = sa.Table(
    "stock_rejected",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("sku_code", sa.String(200), primary_key=True),
    sa.Column("stock_local_id", sa.String(64), primary_key=True),
    sa.Column("anymarket_id", sa.String(200), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("cost", sa.Numeric(15, 2)),
    sa.Column("additional_time", sa.Integer),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
)

# -- Import orders (migration 0003) --------------------------------------------------------------
# One row per AnyMarket order the import has seen, whatever became of it: the durable queue of
# orders that wait for something (a carrier/SKU/warehouse mapping: ``held``; payment: ``waiting``),
# the record of what was last applied to the ERP (``payload_hash``, ``erp_order_codes``) and the
# failure count that decides when to alert. The ERP itself stays the source of truth for "imported"
# (its sales orders carry the AnyMarket id), so a crash between the ERP commit and this row never
# imports twice.
order_imports = sa.Table(
    "order_imports",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("anymarket_order_id", sa.String(64), primary_key=True),
    # imported | held | waiting | skipped | failed
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),  # why held/skipped/failed, naming the missing mapping
    sa.Column("anymarket_status", sa.String(32)),
    sa.Column("payload_hash", sa.String(64)),
    # The last order JSON seen, kept only while the order is held (to re-check mappings for free).
    sa.Column("payload", sa.JSON),
    sa.Column("erp_order_codes", sa.JSON),
    sa.Column("partner_id_sent", sa.String(60)),  # the ERP code written back with PUT /orders/partnerid
    sa.Column("failures", sa.Integer, nullable=False),  # consecutive failed attempts
    sa.Column("next_check_at", sa.DateTime(timezone=True)),  # pending payment: re-read from then on
    *_timestamps(),
    sa.Index(None, "integration_id", "state"),
    sa.Index(None, "integration_id", "next_check_at"),
)

# -- Sync order status (migration 0005) ----------------------------------------------------------
# One row per AnyMarket order whose status the integration has worked on. ``anymarket_status`` is
# the last status AnyMarket *accepted* from us (written only after a 2xx), ``data_hash`` the ERP data
# (statuses, NF-e, shipments, relevant settings) of the last finished attempt: equal data is never
# sent again, so a held (e.g. no access key), refused (regression) or rejected (422) order is tried
# again only once its ERP data changes; ``retry`` rows (outage, budget) are tried every run.
# ``marketplace``/``need_invoice_xml`` come from the order JSON (recorded by the import), so deciding
# whether the NF-e XML goes first costs no request; ``nfe_sent_key`` is the access key whose XML
# AnyMarket accepted, so a retried INVOICED does not upload it twice.
order_status_sync = sa.Table(
    "order_status_sync",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("anymarket_order_id", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),  # synced | held | refused | rejected | retry
    sa.Column("reason", sa.Text),
    sa.Column("anymarket_status", sa.String(32)),
    sa.Column("confirmed_at", sa.DateTime(timezone=True)),
    sa.Column("data_hash", sa.String(64)),
    sa.Column("marketplace", sa.String(40)),
    sa.Column("need_invoice_xml", sa.Boolean),
    sa.Column("nfe_sent_key", sa.String(60)),
    *_timestamps(),
    sa.Index(None, "integration_id", "state"),
)

# -- Send prices (migration 0006) ----------------------------------------------------------------
# What AnyMarket last *accepted* per SKU and price target, written only after a 2xx (or, for
# ``PUT /skus/marketplaces/prices``, a 200 that named no error for the listing). ``scope`` is the
# ``products.price_scope`` the price was sent under and ``target`` where it went: '' for the SKU
# itself (SKU), the ``stockLocalId`` ('' = default warehouse) of the stock row (COST) or the listing
# id (SKU_MARKETPLACE). ``price``/``sell_price`` are "preço de"/"preço por" (SKU: price/sellPrice;
# SKU_MARKETPLACE: price/discountPrice), ``cost`` the cost of the COST scope. ``anymarket_id`` is
# the SKU id the price went to (a re-linked SKU is sent again); ``anymarket_product_id`` the product
# of a SKU-scope PUT, kept so the product need not be looked up again.
price_sent = sa.Table(
    "price_sent",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(20), primary_key=True),
    sa.Column("sku_code", sa.String(200), primary_key=True),
    sa.Column("target", sa.String(64), primary_key=True),
    sa.Column("anymarket_id", sa.String(200), nullable=False),
    sa.Column("anymarket_product_id", sa.String(200)),
    sa.Column("price", sa.Numeric(15, 2)),
    sa.Column("sell_price", sa.Numeric(15, 2)),
    sa.Column("cost", sa.Numeric(15, 2)),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
)

# Prices AnyMarket refused with exactly these values: not offered again until a value changes (or a
# full resend); ``error`` is AnyMarket's message (also in the SKU's history).
price_rejected = sa.Table(
    "price_rejected",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(20), primary_key=True),
    sa.Column("sku_code", sa.String(200), primary_key=True),
    sa.Column("target", sa.String(64), primary_key=True),
    sa.Column("anymarket_id", sa.String(200), nullable=False),
    sa.Column("price", sa.Numeric(15, 2)),
    sa.Column("sell_price", sa.Numeric(15, 2)),
    sa.Column("cost", sa.Numeric(15, 2)),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
)

# The marketplace listings ("anúncios") of each SKU as last read from ``GET /skus/{id}/marketplaces``
# (SKU_MARKETPLACE scope): ``listings`` = ``[{"id", "marketPlace", "accountName"}]`` (an empty list
# is remembered too, so a SKU without listings is not re-read every run). ``anymarket_id`` is the
# SKU id they were read for; ``read_at`` drives the periodic re-read that finds new listings.
price_listings = sa.Table(
    "price_listings",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("sku_code", sa.String(200), primary_key=True),
    sa.Column("anymarket_id", sa.String(200), nullable=False),
    sa.Column("listings", sa.JSON, nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
)

# -- Catalog import (migration 0007) -------------------------------------------------------------
# Where an interrupted catalog import (AnyMarket → ERP) continues: one row per integration and
# scope. ``stage`` is the listing being walked (brands, categories, products) and ``position`` the
# number of its items already committed to the ERP (the next ``offset``); ``last_anymarket_id`` the
# last of them, for the log. ``failed`` lists product ids that failed, retried when the stage ends.
# A row unfinished and younger than 7 days (``started_at``) is resumed; an older one is ignored
# and the import starts over — harmless, since every write is an upsert keyed on the links.
catalog_import_checkpoints = sa.Table(
    "catalog_import_checkpoints",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(16), primary_key=True),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("last_anymarket_id", sa.String(64)),
    sa.Column("failed", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
)

# -- Sync products (migration 0004) --------------------------------------------------------------
# One row per ERP product the product sync has placed on AnyMarket. The ids live in ``links``
# (product, sku and image links; the product and SKU links' ``payload_hash`` is the hash of the
# last PUT/POST body AnyMarket accepted for them), so stock, orders and prices find them there.
# ``data_hash`` is the hash of everything the product should look like on AnyMarket (product, SKUs,
# images and the settings that shape them) at the last run that finished the product: a product
# whose data hashes the same needs no request at all. It is NULL while a product is half done
# (a run stopped between its requests), so the next run diffs it piece by piece and sends only
# what is missing. ``images_hash`` is the image set last reconciled and ``main_image`` the key of
# the image AnyMarket shows first.
product_sync = sa.Table(
    "product_sync",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("product_code", sa.String(200), primary_key=True),
    sa.Column("anymarket_id", sa.String(200), nullable=False),
    sa.Column("data_hash", sa.String(64)),
    sa.Column("images_hash", sa.String(64)),
    sa.Column("main_image", sa.String(200)),
    sa.Column("synced_at", sa.DateTime(timezone=True)),
    *_timestamps(),
)

# Products AnyMarket (or the sync's own checks, ``status`` NULL) refused, with AnyMarket's message:
# not sent again until their ERP data hashes differently (or a manual resend), so one bad product
# costs one request, not one per run. The row goes away when the product is accepted.
product_rejected = sa.Table(
    "product_rejected",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("product_code", sa.String(200), primary_key=True),
    sa.Column("data_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("field_errors", sa.JSON),
    sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
)

# -- Listing health and image checks (migration 0010_listings_images) ----------------------------
# Each marketplace listing ("anúncio") of a linked SKU as ``listing_health`` last read it from
# ``GET /skus/{id}/marketplaces``. ``health`` is the rule's verdict (``ok``, ``warning``, ``error``:
# anymarket.listings.rules), ``warnings`` AnyMarket's pending issues (a list of texts) and
# ``data_hash`` the hash of what was read, so a row is written only when the listing changed.
# A listing AnyMarket no longer returns for its SKU is deleted.
listings = sa.Table(
    "listings",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("listing_id", sa.String(64), primary_key=True),
    sa.Column("sku_code", sa.String(200), nullable=False),
    sa.Column("anymarket_sku_id", sa.String(200), nullable=False),
    sa.Column("marketplace", sa.String(40), nullable=False),
    sa.Column("account_name", sa.String(200)),
    sa.Column("id_in_marketplace", sa.String(255)),
    sa.Column("publication_status", sa.String(20)),
    sa.Column("marketplace_status", sa.String(255)),
    sa.Column("health", sa.String(10), nullable=False),
    sa.Column("warnings", sa.JSON),
    sa.Column("permalink", sa.Text),
    sa.Column("data_hash", sa.String(64), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(None, "integration_id", "sku_code"),
    sa.Index(None, "integration_id", "marketplace", "health"),
)

# Images sync_products posted, until AnyMarket has processed them (``GET /products/{id}/images``):
# ``status`` ``UNPROCESSED`` (waiting, read back again), ``PROCESSED``, ``ERROR`` (``message`` is
# AnyMarket's ``statusMessage``; the image is posted again when its product is next sent) or
# ``UNCONFIRMED`` (still unprocessed after the last read back allowed). ``checks`` counts the reads.
image_checks = sa.Table(
    "image_checks",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("product_code", sa.String(200), primary_key=True),
    sa.Column("image_key", sa.String(64), primary_key=True),
    sa.Column("anymarket_product_id", sa.String(200), nullable=False),
    sa.Column("anymarket_image_id", sa.String(200), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("message", sa.Text),
    sa.Column("checks", sa.Integer, nullable=False),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True)),
    sa.Index(None, "integration_id", "status"),
)

# -- AnyMarket's panel (migration 0011_panel_monitorings) ----------------------------------------
# What ``report_monitorings`` posted to ``POST /monitorings`` (opt-in: ``report_to_anymarket_panel``):
# one row per ``partner_id`` (``order:<id>``, ``product:<code>``, ``run:<automation>``), ``status``
# ``PENDING`` once posted and ``CONCLUDED`` once the problem cleared and that was posted too; a problem
# coming back is posted again. ``anymarket_id`` is the id AnyMarket answered.
panel_monitorings = sa.Table(
    "panel_monitorings",
    metadata,
    sa.Column("integration_id", sa.String(64), primary_key=True),
    sa.Column("partner_id", sa.String(250), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("anymarket_id", sa.String(64)),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("solved_at", sa.DateTime(timezone=True)),
)
