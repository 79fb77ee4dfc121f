-- Reference ERP schema — SQLite (embedded demo / evaluation default).
--
-- The integration never reads these tables directly: it runs the named queries in
-- include/sql/erp/queries/. This schema is the *reference* those queries are written against; an ERP
-- team whose database differs adapts the queries (or exposes views with the same shapes) instead.
-- Every table and column is described in include/sql/erp/README.md.
--
-- Conventions (identical in postgresql.sql):
--   * id        integer surrogate key; business codes (`code`) are unique text keys.
--   * booleans  BOOLEAN stored as 0/1 (CHECK-ed), TRUE/FALSE literals work (SQLite >= 3.23).
--   * money     NUMERIC(15,2); quantities NUMERIC(15,3) (fractional units are allowed by ERPs).
--   * times     UTC, text 'YYYY-MM-DD HH:MM:SS.SSS' (sorts and compares correctly as text).
--   * updated_at is bumped by triggers on every UPDATE that does not set it explicitly, and on the
--     parent row when a dependent row changes (see "change detection" in README.md).
--
-- Idempotent: every statement is IF NOT EXISTS, so applying the file twice changes nothing.
-- Statements are split with sqlite3.complete_statement (trigger bodies may contain ';').

-- ---------------------------------------------------------------- reference data

CREATE TABLE IF NOT EXISTS brands (
    id          INTEGER PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE IF NOT EXISTS categories (
    id          INTEGER PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL,
    parent_id   INTEGER      REFERENCES categories (id),
    active      BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX IF NOT EXISTS ix_categories_parent ON categories (parent_id);

CREATE TABLE IF NOT EXISTS deposits (
    id          INTEGER PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL UNIQUE,
    is_default  BOOLEAN      NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    active      BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    zip_code    VARCHAR(8),
    created_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
-- At most one default deposit (the "exactly one" half is a data rule, checked by the demo tests).
CREATE UNIQUE INDEX IF NOT EXISTS ux_deposits_single_default ON deposits (is_default) WHERE is_default = 1;

CREATE TABLE IF NOT EXISTS carriers (
    id                     INTEGER PRIMARY KEY,
    code                   VARCHAR(60)  NOT NULL UNIQUE,
    name                   VARCHAR(120) NOT NULL,
    document               VARCHAR(14),
    tracking_url_template  VARCHAR(500),
    active                 BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at             TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at             TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE IF NOT EXISTS payment_methods (
    id          INTEGER PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE IF NOT EXISTS sales_channels (
    id           INTEGER PRIMARY KEY,
    code         VARCHAR(60)  NOT NULL UNIQUE,
    name         VARCHAR(120) NOT NULL,
    marketplace  VARCHAR(60),
    active       BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at   TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

-- Naturezas de operação: the fiscal rule of a sale (CFOP, taxes); the order import picks one by rule.
CREATE TABLE IF NOT EXISTS sales_operations (
    id                INTEGER      PRIMARY KEY,
    code              VARCHAR(60)  NOT NULL UNIQUE,
    name              VARCHAR(120) NOT NULL,
    icms_contributor  BOOLEAN      NOT NULL DEFAULT 0 CHECK (icms_contributor IN (0, 1)),
    active            BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at   TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

-- ---------------------------------------------------------------- catalog

CREATE TABLE IF NOT EXISTS products (
    id              INTEGER PRIMARY KEY,
    code            VARCHAR(60)   NOT NULL UNIQUE,
    name            VARCHAR(255)  NOT NULL,
    description     TEXT,
    brand_id        INTEGER       REFERENCES brands (id),
    category_id     INTEGER       REFERENCES categories (id),
    ncm             VARCHAR(8),
    origin          SMALLINT      NOT NULL DEFAULT 0 CHECK (origin BETWEEN 0 AND 8),
    video_url       VARCHAR(500),
    height_cm       NUMERIC(10,2),
    width_cm        NUMERIC(10,2),
    length_cm       NUMERIC(10,2),
    weight_kg       NUMERIC(10,3),
    has_variations  BOOLEAN       NOT NULL DEFAULT 0 CHECK (has_variations IN (0, 1)),
    active          BOOLEAN       NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at      TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX IF NOT EXISTS ix_products_updated_at ON products (updated_at);
CREATE INDEX IF NOT EXISTS ix_products_category ON products (category_id);
CREATE INDEX IF NOT EXISTS ix_products_brand ON products (brand_id);

CREATE TABLE IF NOT EXISTS skus (
    id                 INTEGER PRIMARY KEY,
    product_id         INTEGER       NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    code               VARCHAR(120)  NOT NULL UNIQUE,
    name               VARCHAR(255)  NOT NULL,
    ean                VARCHAR(14),
    height_cm          NUMERIC(10,2),
    width_cm           NUMERIC(10,2),
    length_cm          NUMERIC(10,2),
    weight_kg          NUMERIC(10,3),
    made_to_order      BOOLEAN       NOT NULL DEFAULT 0 CHECK (made_to_order IN (0, 1)),
    crossdocking_days  INTEGER       NOT NULL DEFAULT 0 CHECK (crossdocking_days >= 0),
    cost_price         NUMERIC(15,2),
    sell_price         NUMERIC(15,2) NOT NULL DEFAULT 0,
    list_price         NUMERIC(15,2),
    active             BOOLEAN       NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at         TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at         TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX IF NOT EXISTS ix_skus_product ON skus (product_id);
CREATE INDEX IF NOT EXISTS ix_skus_updated_at ON skus (updated_at);
CREATE INDEX IF NOT EXISTS ix_skus_ean ON skus (ean);

CREATE TABLE IF NOT EXISTS sku_variations (
    id               INTEGER PRIMARY KEY,
    sku_id           INTEGER      NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    variation_type   VARCHAR(60)  NOT NULL,
    variation_value  VARCHAR(120) NOT NULL,
    position         INTEGER      NOT NULL DEFAULT 1,
    created_at       TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at       TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (sku_id, variation_type)
);

CREATE TABLE IF NOT EXISTS product_images (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER      NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku_id      INTEGER      REFERENCES skus (id) ON DELETE CASCADE,
    position    INTEGER      NOT NULL,
    url         VARCHAR(1000) NOT NULL,
    is_main     BOOLEAN      NOT NULL DEFAULT 0 CHECK (is_main IN (0, 1)),
    created_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (product_id, position)
);
CREATE INDEX IF NOT EXISTS ix_product_images_sku ON product_images (sku_id);

CREATE TABLE IF NOT EXISTS product_attributes (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER      NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name        VARCHAR(120) NOT NULL,
    value       VARCHAR(1000) NOT NULL,
    position    INTEGER      NOT NULL DEFAULT 1,
    created_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (product_id, name)
);

-- ---------------------------------------------------------------- prices

CREATE TABLE IF NOT EXISTS price_lists (
    id          INTEGER PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at  TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE IF NOT EXISTS price_list_items (
    id             INTEGER PRIMARY KEY,
    price_list_id  INTEGER       NOT NULL REFERENCES price_lists (id) ON DELETE CASCADE,
    sku_id         INTEGER       NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    sell_price     NUMERIC(15,2) NOT NULL,
    list_price     NUMERIC(15,2),
    created_at     TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at     TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (price_list_id, sku_id)
);
CREATE INDEX IF NOT EXISTS ix_price_list_items_updated_at ON price_list_items (updated_at);

-- ---------------------------------------------------------------- customers and orders

CREATE TABLE IF NOT EXISTS customers (
    id             INTEGER PRIMARY KEY,
    code           VARCHAR(60)  UNIQUE,
    name           VARCHAR(255) NOT NULL,
    document       VARCHAR(14)  NOT NULL UNIQUE,
    document_type  VARCHAR(5)   NOT NULL CHECK (document_type IN ('CPF', 'CNPJ', 'OTHER')),
    state_tax_id   VARCHAR(20),
    email          VARCHAR(255),
    phone          VARCHAR(20),
    cell_phone     VARCHAR(20),
    birth_date     DATE,
    street         VARCHAR(255),
    number         VARCHAR(20),
    complement     VARCHAR(255),
    neighborhood   VARCHAR(120),
    city           VARCHAR(120),
    state          VARCHAR(2),
    zip_code       VARCHAR(8),
    country        VARCHAR(2)   NOT NULL DEFAULT 'BR',
    created_at     TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at     TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE IF NOT EXISTS sales_orders (
    id                        INTEGER PRIMARY KEY,
    code                      VARCHAR(60)   NOT NULL UNIQUE,
    customer_id               INTEGER       NOT NULL REFERENCES customers (id),
    channel_id                INTEGER       REFERENCES sales_channels (id),
    status                    VARCHAR(30)   NOT NULL DEFAULT 'pending',
    order_date                TIMESTAMP     NOT NULL,
    paid_at                   TIMESTAMP,
    cancelled_at              TIMESTAMP,
    cancel_reason             VARCHAR(500),
    payment_method_id         INTEGER       REFERENCES payment_methods (id),
    installments              INTEGER       NOT NULL DEFAULT 1,
    sales_operation_id        INTEGER       REFERENCES sales_operations (id),
    intermediary_cnpj         VARCHAR(14),
    intermediary_name         VARCHAR(120),
    intermediary_seller_id    VARCHAR(120),
    marketplace_fee           NUMERIC(15,2) NOT NULL DEFAULT 0,
    gateway_fee               NUMERIC(15,2) NOT NULL DEFAULT 0,
    carrier_id                INTEGER       REFERENCES carriers (id),
    shipping_service          VARCHAR(120),
    items_total               NUMERIC(15,2) NOT NULL DEFAULT 0,
    discount                  NUMERIC(15,2) NOT NULL DEFAULT 0,
    freight                   NUMERIC(15,2) NOT NULL DEFAULT 0,
    interest                  NUMERIC(15,2) NOT NULL DEFAULT 0,
    total                     NUMERIC(15,2) NOT NULL DEFAULT 0,
    marketplace_order_number  VARCHAR(120),
    anymarket_order_id        BIGINT,
    fulfillment               BOOLEAN       NOT NULL DEFAULT 0 CHECK (fulfillment IN (0, 1)),
    ship_receiver_name        VARCHAR(255),
    ship_street               VARCHAR(255),
    ship_number               VARCHAR(20),
    ship_complement           VARCHAR(255),
    ship_neighborhood         VARCHAR(120),
    ship_city                 VARCHAR(120),
    ship_state                VARCHAR(2),
    ship_zip_code             VARCHAR(8),
    ship_country              VARCHAR(2)    NOT NULL DEFAULT 'BR',
    notes                     TEXT,
    created_at                TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at                TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX IF NOT EXISTS ix_sales_orders_customer ON sales_orders (customer_id);
CREATE INDEX IF NOT EXISTS ix_sales_orders_status ON sales_orders (status);
CREATE INDEX IF NOT EXISTS ix_sales_orders_updated_at ON sales_orders (updated_at);
CREATE INDEX IF NOT EXISTS ix_sales_orders_anymarket ON sales_orders (anymarket_order_id);
CREATE INDEX IF NOT EXISTS ix_sales_orders_mkt_number ON sales_orders (marketplace_order_number);

CREATE TABLE IF NOT EXISTS sales_order_items (
    id                   INTEGER PRIMARY KEY,
    sales_order_id       INTEGER       NOT NULL REFERENCES sales_orders (id) ON DELETE CASCADE,
    position             INTEGER       NOT NULL,
    sku_id               INTEGER       NOT NULL REFERENCES skus (id),
    deposit_id           INTEGER       NOT NULL REFERENCES deposits (id),
    quantity             NUMERIC(15,3) NOT NULL CHECK (quantity > 0),
    unit_price           NUMERIC(15,2) NOT NULL,
    discount             NUMERIC(15,2) NOT NULL DEFAULT 0,
    total                NUMERIC(15,2) NOT NULL,
    unit_cost            NUMERIC(15,2),
    marketplace_item_id  VARCHAR(120),
    created_at           TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at           TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (sales_order_id, position)
);
CREATE INDEX IF NOT EXISTS ix_sales_order_items_sku ON sales_order_items (sku_id);

-- One row per AnyMarket payment of the order (a Multi-CD part gets its share of each).
CREATE TABLE IF NOT EXISTS sales_order_payments (
    id                      INTEGER PRIMARY KEY,
    sales_order_id          INTEGER       NOT NULL REFERENCES sales_orders (id) ON DELETE CASCADE,
    position                INTEGER       NOT NULL,
    payment_method_id       INTEGER       REFERENCES payment_methods (id),
    method                  VARCHAR(120),
    value                   NUMERIC(15,2) NOT NULL DEFAULT 0,
    installments            INTEGER       NOT NULL DEFAULT 1 CHECK (installments >= 1),
    marketplace_fee         NUMERIC(15,2) NOT NULL DEFAULT 0,
    gateway_fee             NUMERIC(15,2) NOT NULL DEFAULT 0,
    marketplace_payment_id  VARCHAR(120),
    created_at              TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at              TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (sales_order_id, position)
);

-- ---------------------------------------------------------------- stock

-- A kit ("kit", "composição"): a SKU sold as a set of other SKUs. Its stock is derived from its
-- components' (never its own balance rows) and an order for it reserves the components.
CREATE TABLE IF NOT EXISTS kit_components (
    id                INTEGER PRIMARY KEY,
    kit_sku_id        INTEGER       NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    component_sku_id  INTEGER       NOT NULL REFERENCES skus (id),
    quantity          NUMERIC(15,3) NOT NULL DEFAULT 1 CHECK (quantity > 0),
    created_at        TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at        TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (kit_sku_id, component_sku_id),
    CHECK (kit_sku_id <> component_sku_id)
);
CREATE INDEX IF NOT EXISTS ix_kit_components_component ON kit_components (component_sku_id);

CREATE TABLE IF NOT EXISTS stock_balances (
    id          INTEGER PRIMARY KEY,
    sku_id      INTEGER       NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    deposit_id  INTEGER       NOT NULL REFERENCES deposits (id),
    quantity    NUMERIC(15,3) NOT NULL DEFAULT 0,
    created_at  TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at  TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (sku_id, deposit_id)
);
CREATE INDEX IF NOT EXISTS ix_stock_balances_updated_at ON stock_balances (updated_at);

CREATE TABLE IF NOT EXISTS stock_reservations (
    id                   INTEGER PRIMARY KEY,
    sku_id               INTEGER       NOT NULL REFERENCES skus (id),
    deposit_id           INTEGER       NOT NULL REFERENCES deposits (id),
    sales_order_id       INTEGER       NOT NULL REFERENCES sales_orders (id) ON DELETE CASCADE,
    sales_order_item_id  INTEGER       REFERENCES sales_order_items (id) ON DELETE CASCADE,
    quantity             NUMERIC(15,3) NOT NULL CHECK (quantity > 0),
    released_at          TIMESTAMP,
    created_at           TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at           TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX IF NOT EXISTS ix_stock_reservations_sku_deposit ON stock_reservations (sku_id, deposit_id);
CREATE INDEX IF NOT EXISTS ix_stock_reservations_order ON stock_reservations (sales_order_id);
CREATE INDEX IF NOT EXISTS ix_stock_reservations_updated_at ON stock_reservations (updated_at);

-- ---------------------------------------------------------------- fiscal and logistics

CREATE TABLE IF NOT EXISTS invoices (
    id              INTEGER PRIMARY KEY,
    sales_order_id  INTEGER       NOT NULL REFERENCES sales_orders (id),
    access_key      VARCHAR(44)   NOT NULL UNIQUE,
    number          INTEGER       NOT NULL,
    series          VARCHAR(3)    NOT NULL,
    issued_at       TIMESTAMP     NOT NULL,
    cfop            VARCHAR(4),
    status          VARCHAR(20)   NOT NULL DEFAULT 'authorized'
                                  CHECK (status IN ('pending', 'authorized', 'cancelled', 'denied')),
    total           NUMERIC(15,2),
    link_url        VARCHAR(1000),
    xml             TEXT,
    created_at      TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at      TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (series, number)
);
CREATE INDEX IF NOT EXISTS ix_invoices_order ON invoices (sales_order_id);
CREATE INDEX IF NOT EXISTS ix_invoices_updated_at ON invoices (updated_at);

CREATE TABLE IF NOT EXISTS shipments (
    id                     INTEGER PRIMARY KEY,
    sales_order_id         INTEGER       NOT NULL REFERENCES sales_orders (id),
    carrier_id             INTEGER       REFERENCES carriers (id),
    tracking_code          VARCHAR(120),
    tracking_url           VARCHAR(1000),
    shipped_at             TIMESTAMP,
    estimated_delivery_at  TIMESTAMP,
    delivered_at           TIMESTAMP,
    created_at             TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at             TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX IF NOT EXISTS ix_shipments_order ON shipments (sales_order_id);
CREATE INDEX IF NOT EXISTS ix_shipments_updated_at ON shipments (updated_at);

-- ---------------------------------------------------------------- change detection triggers
--
-- Own-row touch: an UPDATE that leaves updated_at unchanged gets it set to now. The WHEN clause
-- lets a writer set updated_at itself (e.g. a migration preserving history) and stops the trigger
-- from re-firing on its own UPDATE (recursive_triggers is off by default anyway).

CREATE TRIGGER IF NOT EXISTS trg_brands_touch AFTER UPDATE ON brands
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE brands SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_categories_touch AFTER UPDATE ON categories
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE categories SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_deposits_touch AFTER UPDATE ON deposits
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE deposits SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_carriers_touch AFTER UPDATE ON carriers
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE carriers SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_payment_methods_touch AFTER UPDATE ON payment_methods
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE payment_methods SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_sales_channels_touch AFTER UPDATE ON sales_channels
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE sales_channels SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_sales_operations_touch AFTER UPDATE ON sales_operations
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE sales_operations SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_sales_order_payments_touch AFTER UPDATE ON sales_order_payments
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE sales_order_payments SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_products_touch AFTER UPDATE ON products
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_skus_touch AFTER UPDATE ON skus
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE skus SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_sku_variations_touch AFTER UPDATE ON sku_variations
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE sku_variations SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_product_images_touch AFTER UPDATE ON product_images
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE product_images SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_product_attributes_touch AFTER UPDATE ON product_attributes
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE product_attributes SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_price_lists_touch AFTER UPDATE ON price_lists
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE price_lists SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_price_list_items_touch AFTER UPDATE ON price_list_items
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE price_list_items SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_customers_touch AFTER UPDATE ON customers
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE customers SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_sales_orders_touch AFTER UPDATE ON sales_orders
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE sales_orders SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_sales_order_items_touch AFTER UPDATE ON sales_order_items
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE sales_order_items SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_stock_balances_touch AFTER UPDATE ON stock_balances
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE stock_balances SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_stock_reservations_touch AFTER UPDATE ON stock_reservations
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE stock_reservations SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_invoices_touch AFTER UPDATE ON invoices
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE invoices SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

CREATE TRIGGER IF NOT EXISTS trg_shipments_touch AFTER UPDATE ON shipments
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN UPDATE shipments SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;

-- Parent touch: what AnyMarket holds *inside* a product (images, technical sheet, the set of SKUs)
-- marks the product changed; a SKU's variation values mark the SKU changed. So "products changed
-- since T" and "SKUs changed since T" are single indexed range scans on updated_at.

CREATE TRIGGER IF NOT EXISTS trg_product_images_ins_product AFTER INSERT ON product_images
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.product_id; END;
CREATE TRIGGER IF NOT EXISTS trg_product_images_upd_product AFTER UPDATE ON product_images
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
      WHERE id IN (OLD.product_id, NEW.product_id); END;
CREATE TRIGGER IF NOT EXISTS trg_product_images_del_product AFTER DELETE ON product_images
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = OLD.product_id; END;

CREATE TRIGGER IF NOT EXISTS trg_product_attributes_ins_product AFTER INSERT ON product_attributes
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.product_id; END;
CREATE TRIGGER IF NOT EXISTS trg_product_attributes_upd_product AFTER UPDATE ON product_attributes
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
      WHERE id IN (OLD.product_id, NEW.product_id); END;
CREATE TRIGGER IF NOT EXISTS trg_product_attributes_del_product AFTER DELETE ON product_attributes
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = OLD.product_id; END;

CREATE TRIGGER IF NOT EXISTS trg_skus_ins_product AFTER INSERT ON skus
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.product_id; END;
CREATE TRIGGER IF NOT EXISTS trg_skus_move_product AFTER UPDATE OF product_id ON skus
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
      WHERE id IN (OLD.product_id, NEW.product_id); END;
CREATE TRIGGER IF NOT EXISTS trg_skus_del_product AFTER DELETE ON skus
BEGIN UPDATE products SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = OLD.product_id; END;

CREATE TRIGGER IF NOT EXISTS trg_sku_variations_ins_sku AFTER INSERT ON sku_variations
BEGIN UPDATE skus SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.sku_id; END;
CREATE TRIGGER IF NOT EXISTS trg_sku_variations_upd_sku AFTER UPDATE ON sku_variations
BEGIN UPDATE skus SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id IN (OLD.sku_id, NEW.sku_id); END;
CREATE TRIGGER IF NOT EXISTS trg_sku_variations_del_sku AFTER DELETE ON sku_variations
BEGIN UPDATE skus SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = OLD.sku_id; END;

-- ---------------------------------------------------------------- upgrades
--
-- The schema has no version table: a database created by an earlier version of this file gets the
-- columns added since with ADD COLUMN. SQLite has no "ADD COLUMN IF NOT EXISTS", so
-- ErpDatabase.create_schema() skips an ADD COLUMN whose column exists already ("duplicate column").

ALTER TABLE sales_orders ADD COLUMN sales_operation_id INTEGER REFERENCES sales_operations (id);
ALTER TABLE sales_orders ADD COLUMN intermediary_cnpj VARCHAR(14);
ALTER TABLE sales_orders ADD COLUMN intermediary_name VARCHAR(120);
ALTER TABLE sales_orders ADD COLUMN intermediary_seller_id VARCHAR(120);
ALTER TABLE sales_orders ADD COLUMN marketplace_fee NUMERIC(15,2) NOT NULL DEFAULT 0;
ALTER TABLE sales_orders ADD COLUMN gateway_fee NUMERIC(15,2) NOT NULL DEFAULT 0;
