-- Reference ERP schema — MariaDB (10.5+; tested on Debian's 10.11).
--
-- The integration never reads these tables directly: it runs the named queries in
-- include/sql/erp/queries/ (with <name>.mariadb.sql overrides where MariaDB's spelling differs). Same
-- tables, columns and meaning as postgresql.sql and sqlite.sql; every table and column is described in
-- include/sql/erp/README.md.
--
-- Conventions:
--   * id        BIGINT AUTO_INCREMENT surrogate key; business codes (`code`) are unique text keys.
--   * money     NUMERIC(15,2); quantities NUMERIC(15,3); flags BOOLEAN (= TINYINT(1), 0/1).
--   * times     DATETIME(6) holding UTC: ErpDatabase sets each session's time_zone to '+00:00', so
--               CURRENT_TIMESTAMP(6) defaults are UTC too (TIMESTAMP would stop in 2038).
--   * updated_at moves on every UPDATE that does not set it explicitly (ON UPDATE CURRENT_TIMESTAMP),
--     and triggers bump the parent row when a dependent row changes (see "change detection" in README.md). InnoDB does not
--     fire triggers for foreign-key cascades, so a cascaded delete touches no parent (nothing to bump:
--     the parent is being deleted too).
--
-- Idempotent: IF NOT EXISTS / CREATE OR REPLACE TRIGGER, so applying the file twice changes nothing.
-- MariaDB commits each DDL statement on its own: ErpDatabase.create_schema() runs the statements one
-- by one under a named lock (GET_LOCK) so two tasks applying it at once do not race. `DELIMITER`
-- lines work as in the mariadb client: they let trigger bodies hold `;`.

-- ---------------------------------------------------------------- reference data

CREATE TABLE IF NOT EXISTS brands (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS categories (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL,
    parent_id   BIGINT,
    active      BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    -- "not its own parent": a CHECK cannot read an AUTO_INCREMENT column here; triggers below enforce it
    FOREIGN KEY (parent_id) REFERENCES categories (id),
    INDEX ix_categories_parent (parent_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS deposits (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL UNIQUE,
    is_default  BOOLEAN      NOT NULL DEFAULT FALSE,
    active      BOOLEAN      NOT NULL DEFAULT TRUE,
    zip_code    VARCHAR(8),
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    default_guard TINYINT AS (IF(is_default, 1, NULL)) PERSISTENT,
    UNIQUE KEY ux_deposits_single_default (default_guard)
) ENGINE=InnoDB;
-- At most one default deposit (the "exactly one" half is a data rule, checked by the demo tests).
-- MariaDB has no partial index: `default_guard` is 1 for the default deposit and NULL otherwise, and a
-- unique index allows any number of NULLs. It is computed: writers never set it.

CREATE TABLE IF NOT EXISTS carriers (
    id                     BIGINT AUTO_INCREMENT PRIMARY KEY,
    code                   VARCHAR(60)  NOT NULL UNIQUE,
    name                   VARCHAR(120) NOT NULL,
    document               VARCHAR(14),
    tracking_url_template  VARCHAR(500),
    active                 BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at             DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS payment_methods (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS sales_channels (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    code         VARCHAR(60)  NOT NULL UNIQUE,
    name         VARCHAR(120) NOT NULL,
    marketplace  VARCHAR(60),
    active       BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

-- Naturezas de operação: the fiscal rule of a sale (CFOP, taxes); the order import picks one by rule.
CREATE TABLE IF NOT EXISTS sales_operations (
    id                BIGINT AUTO_INCREMENT PRIMARY KEY,
    code              VARCHAR(60)  NOT NULL UNIQUE,
    name              VARCHAR(120) NOT NULL,
    icms_contributor  BOOLEAN      NOT NULL DEFAULT FALSE,
    active            BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

-- ---------------------------------------------------------------- catalog

CREATE TABLE IF NOT EXISTS products (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    code            VARCHAR(60)   NOT NULL UNIQUE,
    name            VARCHAR(255)  NOT NULL,
    description     TEXT,
    brand_id        BIGINT,
    category_id     BIGINT,
    ncm             VARCHAR(8),
    origin          SMALLINT      NOT NULL DEFAULT 0 CHECK (origin BETWEEN 0 AND 8),
    video_url       VARCHAR(500),
    height_cm       NUMERIC(10,2),
    width_cm        NUMERIC(10,2),
    length_cm       NUMERIC(10,2),
    weight_kg       NUMERIC(10,3),
    has_variations  BOOLEAN       NOT NULL DEFAULT FALSE,
    active          BOOLEAN       NOT NULL DEFAULT TRUE,
    created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    FOREIGN KEY (brand_id) REFERENCES brands (id),
    FOREIGN KEY (category_id) REFERENCES categories (id),
    INDEX ix_products_updated_at (updated_at),
    INDEX ix_products_category (category_id),
    INDEX ix_products_brand (brand_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS skus (
    id                 BIGINT AUTO_INCREMENT PRIMARY KEY,
    product_id         BIGINT NOT NULL,
    code               VARCHAR(120)  NOT NULL UNIQUE,
    name               VARCHAR(255)  NOT NULL,
    ean                VARCHAR(14),
    height_cm          NUMERIC(10,2),
    width_cm           NUMERIC(10,2),
    length_cm          NUMERIC(10,2),
    weight_kg          NUMERIC(10,3),
    made_to_order      BOOLEAN       NOT NULL DEFAULT FALSE,
    crossdocking_days  INTEGER       NOT NULL DEFAULT 0 CHECK (crossdocking_days >= 0),
    cost_price         NUMERIC(15,2),
    sell_price         NUMERIC(15,2) NOT NULL DEFAULT 0,
    list_price         NUMERIC(15,2),
    active             BOOLEAN       NOT NULL DEFAULT TRUE,
    created_at         DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at         DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    INDEX ix_skus_product (product_id),
    INDEX ix_skus_updated_at (updated_at),
    INDEX ix_skus_ean (ean)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS sku_variations (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    sku_id           BIGINT NOT NULL,
    variation_type   VARCHAR(60)  NOT NULL,
    variation_value  VARCHAR(120) NOT NULL,
    position         INTEGER      NOT NULL DEFAULT 1,
    created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (sku_id, variation_type),
    FOREIGN KEY (sku_id) REFERENCES skus (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS product_images (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    product_id  BIGINT NOT NULL,
    sku_id      BIGINT,
    position    INTEGER      NOT NULL,
    url         VARCHAR(1000) NOT NULL,
    is_main     BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (product_id, position),
    FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    FOREIGN KEY (sku_id) REFERENCES skus (id) ON DELETE CASCADE,
    INDEX ix_product_images_sku (sku_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS product_attributes (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    product_id  BIGINT NOT NULL,
    name        VARCHAR(120) NOT NULL,
    value       VARCHAR(1000) NOT NULL,
    position    INTEGER      NOT NULL DEFAULT 1,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (product_id, name),
    FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- ---------------------------------------------------------------- prices

CREATE TABLE IF NOT EXISTS price_lists (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    code        VARCHAR(60)  NOT NULL UNIQUE,
    name        VARCHAR(120) NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS price_list_items (
    id             BIGINT AUTO_INCREMENT PRIMARY KEY,
    price_list_id  BIGINT NOT NULL,
    sku_id         BIGINT NOT NULL,
    sell_price     NUMERIC(15,2) NOT NULL,
    list_price     NUMERIC(15,2),
    created_at     DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at     DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (price_list_id, sku_id),
    FOREIGN KEY (price_list_id) REFERENCES price_lists (id) ON DELETE CASCADE,
    FOREIGN KEY (sku_id) REFERENCES skus (id) ON DELETE CASCADE,
    INDEX ix_price_list_items_updated_at (updated_at)
) ENGINE=InnoDB;

-- ---------------------------------------------------------------- customers and orders

CREATE TABLE IF NOT EXISTS customers (
    id             BIGINT AUTO_INCREMENT PRIMARY KEY,
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
    created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS sales_orders (
    id                        BIGINT AUTO_INCREMENT PRIMARY KEY,
    code                      VARCHAR(60)   NOT NULL UNIQUE,
    customer_id               BIGINT NOT NULL,
    channel_id                BIGINT,
    status                    VARCHAR(30)   NOT NULL DEFAULT 'pending',
    order_date                DATETIME(6)  NOT NULL,
    paid_at                   DATETIME(6),
    cancelled_at              DATETIME(6),
    cancel_reason             VARCHAR(500),
    payment_method_id         BIGINT,
    installments              INTEGER       NOT NULL DEFAULT 1,
    sales_operation_id        BIGINT,
    intermediary_cnpj         VARCHAR(14),
    intermediary_name         VARCHAR(120),
    intermediary_seller_id    VARCHAR(120),
    marketplace_fee           NUMERIC(15,2) NOT NULL DEFAULT 0,
    gateway_fee               NUMERIC(15,2) NOT NULL DEFAULT 0,
    carrier_id                BIGINT,
    shipping_service          VARCHAR(120),
    items_total               NUMERIC(15,2) NOT NULL DEFAULT 0,
    discount                  NUMERIC(15,2) NOT NULL DEFAULT 0,
    freight                   NUMERIC(15,2) NOT NULL DEFAULT 0,
    interest                  NUMERIC(15,2) NOT NULL DEFAULT 0,
    total                     NUMERIC(15,2) NOT NULL DEFAULT 0,
    marketplace_order_number  VARCHAR(120),
    anymarket_order_id        BIGINT,
    fulfillment               BOOLEAN       NOT NULL DEFAULT FALSE,
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
    created_at                DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at                DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    FOREIGN KEY (customer_id) REFERENCES customers (id),
    FOREIGN KEY (channel_id) REFERENCES sales_channels (id),
    FOREIGN KEY (payment_method_id) REFERENCES payment_methods (id),
    FOREIGN KEY (sales_operation_id) REFERENCES sales_operations (id),
    FOREIGN KEY (carrier_id) REFERENCES carriers (id),
    INDEX ix_sales_orders_customer (customer_id),
    INDEX ix_sales_orders_status (status),
    INDEX ix_sales_orders_updated_at (updated_at),
    INDEX ix_sales_orders_anymarket (anymarket_order_id),
    INDEX ix_sales_orders_mkt_number (marketplace_order_number)
) ENGINE=InnoDB;


-- One row per AnyMarket payment of the order (a Multi-CD part gets its share of each).
CREATE TABLE IF NOT EXISTS sales_order_payments (
    id                      BIGINT AUTO_INCREMENT PRIMARY KEY,
    sales_order_id          BIGINT NOT NULL,
    position                INTEGER       NOT NULL,
    payment_method_id       BIGINT,
    method                  VARCHAR(120),
    value                   NUMERIC(15,2) NOT NULL DEFAULT 0,
    installments            INTEGER       NOT NULL DEFAULT 1 CHECK (installments >= 1),
    marketplace_fee         NUMERIC(15,2) NOT NULL DEFAULT 0,
    gateway_fee             NUMERIC(15,2) NOT NULL DEFAULT 0,
    marketplace_payment_id  VARCHAR(120),
    created_at              DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at              DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (sales_order_id, position),
    FOREIGN KEY (sales_order_id) REFERENCES sales_orders (id) ON DELETE CASCADE,
    FOREIGN KEY (payment_method_id) REFERENCES payment_methods (id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS sales_order_items (
    id                   BIGINT AUTO_INCREMENT PRIMARY KEY,
    sales_order_id       BIGINT NOT NULL,
    position             INTEGER       NOT NULL,
    sku_id               BIGINT NOT NULL,
    deposit_id           BIGINT NOT NULL,
    quantity             NUMERIC(15,3) NOT NULL CHECK (quantity > 0),
    unit_price           NUMERIC(15,2) NOT NULL,
    discount             NUMERIC(15,2) NOT NULL DEFAULT 0,
    total                NUMERIC(15,2) NOT NULL,
    unit_cost            NUMERIC(15,2),
    marketplace_item_id  VARCHAR(120),
    created_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (sales_order_id, position),
    FOREIGN KEY (sales_order_id) REFERENCES sales_orders (id) ON DELETE CASCADE,
    FOREIGN KEY (sku_id) REFERENCES skus (id),
    FOREIGN KEY (deposit_id) REFERENCES deposits (id),
    INDEX ix_sales_order_items_sku (sku_id)
) ENGINE=InnoDB;

-- ---------------------------------------------------------------- stock

-- A kit ("kit", "composição"): a SKU sold as a set of other SKUs. Its stock is derived from its
-- components' (never its own balance rows) and an order for it reserves the components.
CREATE TABLE IF NOT EXISTS kit_components (
    id                BIGINT AUTO_INCREMENT PRIMARY KEY,
    kit_sku_id        BIGINT        NOT NULL,
    component_sku_id  BIGINT        NOT NULL,
    quantity          NUMERIC(15,3) NOT NULL DEFAULT 1 CHECK (quantity > 0),
    created_at        DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at        DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (kit_sku_id, component_sku_id),
    CHECK (kit_sku_id <> component_sku_id),
    FOREIGN KEY (kit_sku_id) REFERENCES skus (id) ON DELETE CASCADE,
    FOREIGN KEY (component_sku_id) REFERENCES skus (id),
    INDEX ix_kit_components_component (component_sku_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS stock_balances (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    sku_id      BIGINT NOT NULL,
    deposit_id  BIGINT NOT NULL,
    quantity    NUMERIC(15,3) NOT NULL DEFAULT 0,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (sku_id, deposit_id),
    FOREIGN KEY (sku_id) REFERENCES skus (id) ON DELETE CASCADE,
    FOREIGN KEY (deposit_id) REFERENCES deposits (id),
    INDEX ix_stock_balances_updated_at (updated_at)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS stock_reservations (
    id                   BIGINT AUTO_INCREMENT PRIMARY KEY,
    sku_id               BIGINT NOT NULL,
    deposit_id           BIGINT NOT NULL,
    sales_order_id       BIGINT NOT NULL,
    sales_order_item_id  BIGINT,
    quantity             NUMERIC(15,3) NOT NULL CHECK (quantity > 0),
    released_at          DATETIME(6),
    created_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    FOREIGN KEY (sku_id) REFERENCES skus (id),
    FOREIGN KEY (deposit_id) REFERENCES deposits (id),
    FOREIGN KEY (sales_order_id) REFERENCES sales_orders (id) ON DELETE CASCADE,
    FOREIGN KEY (sales_order_item_id) REFERENCES sales_order_items (id) ON DELETE CASCADE,
    INDEX ix_stock_reservations_sku_deposit (sku_id, deposit_id),
    INDEX ix_stock_reservations_order (sales_order_id),
    INDEX ix_stock_reservations_updated_at (updated_at)
) ENGINE=InnoDB;

-- ---------------------------------------------------------------- fiscal and logistics

CREATE TABLE IF NOT EXISTS invoices (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    sales_order_id  BIGINT NOT NULL,
    access_key      VARCHAR(44)   NOT NULL UNIQUE,
    number          INTEGER       NOT NULL,
    series          VARCHAR(3)    NOT NULL,
    issued_at       DATETIME(6)  NOT NULL,
    cfop            VARCHAR(4),
    status          VARCHAR(20)   NOT NULL DEFAULT 'authorized'
                                  CHECK (status IN ('pending', 'authorized', 'cancelled', 'denied')),
    total           NUMERIC(15,2),
    link_url        VARCHAR(1000),
    xml             TEXT,
    created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE (series, number),
    FOREIGN KEY (sales_order_id) REFERENCES sales_orders (id),
    INDEX ix_invoices_order (sales_order_id),
    INDEX ix_invoices_updated_at (updated_at)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS shipments (
    id                     BIGINT AUTO_INCREMENT PRIMARY KEY,
    sales_order_id         BIGINT NOT NULL,
    carrier_id             BIGINT,
    tracking_code          VARCHAR(120),
    tracking_url           VARCHAR(1000),
    shipped_at             DATETIME(6),
    estimated_delivery_at  DATETIME(6),
    delivered_at           DATETIME(6),
    created_at             DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at             DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    FOREIGN KEY (sales_order_id) REFERENCES sales_orders (id),
    FOREIGN KEY (carrier_id) REFERENCES carriers (id),
    INDEX ix_shipments_order (sales_order_id),
    INDEX ix_shipments_updated_at (updated_at)
) ENGINE=InnoDB;

-- ---------------------------------------------------------------- change detection triggers
--
-- Own-row touch needs no trigger here: every updated_at is `ON UPDATE CURRENT_TIMESTAMP(6)`, which
-- MariaDB applies to an UPDATE that changes the row without setting updated_at itself (a writer may
-- still set it, e.g. a migration preserving history; an UPDATE that changes nothing moves nothing).

DELIMITER //

-- A category is not its own parent (PostgreSQL and SQLite say it with a CHECK).
CREATE OR REPLACE TRIGGER trg_categories_parent_ins BEFORE INSERT ON categories FOR EACH ROW
    IF NEW.parent_id = NEW.id THEN
        SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'categories: a category cannot be its own parent';
    END IF //
CREATE OR REPLACE TRIGGER trg_categories_parent_upd BEFORE UPDATE ON categories FOR EACH ROW
    IF NEW.parent_id = NEW.id THEN
        SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'categories: a category cannot be its own parent';
    END IF //

-- Parent touch: what AnyMarket holds *inside* a product (images, technical sheet, the set of SKUs)
-- marks the product changed; a SKU's variation values mark the SKU changed. So "products changed
-- since T" and "SKUs changed since T" are single indexed range scans on updated_at. MariaDB has one
-- event per trigger, hence three triggers where PostgreSQL has one.

CREATE OR REPLACE TRIGGER trg_product_images_product_ins AFTER INSERT ON product_images FOR EACH ROW
    UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = NEW.product_id //
CREATE OR REPLACE TRIGGER trg_product_images_product_upd AFTER UPDATE ON product_images FOR EACH ROW
    UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id IN (OLD.product_id, NEW.product_id) //
CREATE OR REPLACE TRIGGER trg_product_images_product_del AFTER DELETE ON product_images FOR EACH ROW
    UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = OLD.product_id //

CREATE OR REPLACE TRIGGER trg_product_attributes_product_ins AFTER INSERT ON product_attributes FOR EACH ROW
    UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = NEW.product_id //
CREATE OR REPLACE TRIGGER trg_product_attributes_product_upd AFTER UPDATE ON product_attributes FOR EACH ROW
    UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id IN (OLD.product_id, NEW.product_id) //
CREATE OR REPLACE TRIGGER trg_product_attributes_product_del AFTER DELETE ON product_attributes FOR EACH ROW
    UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = OLD.product_id //

CREATE OR REPLACE TRIGGER trg_sku_variations_sku_ins AFTER INSERT ON sku_variations FOR EACH ROW
    UPDATE skus SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = NEW.sku_id //
CREATE OR REPLACE TRIGGER trg_sku_variations_sku_upd AFTER UPDATE ON sku_variations FOR EACH ROW
    UPDATE skus SET updated_at = CURRENT_TIMESTAMP(6) WHERE id IN (OLD.sku_id, NEW.sku_id) //
CREATE OR REPLACE TRIGGER trg_sku_variations_sku_del AFTER DELETE ON sku_variations FOR EACH ROW
    UPDATE skus SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = OLD.sku_id //

-- A SKU's own field changes (price, EAN…) bump only the SKU; adding, removing or moving a SKU changes
-- the product's variation set, so it bumps the product too.
CREATE OR REPLACE TRIGGER trg_skus_product_ins AFTER INSERT ON skus FOR EACH ROW
    UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = NEW.product_id //
CREATE OR REPLACE TRIGGER trg_skus_product_upd AFTER UPDATE ON skus FOR EACH ROW
    IF NOT (NEW.product_id <=> OLD.product_id) THEN
        UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id IN (OLD.product_id, NEW.product_id);
    END IF //
CREATE OR REPLACE TRIGGER trg_skus_product_del AFTER DELETE ON skus FOR EACH ROW
    UPDATE products SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = OLD.product_id //
DELIMITER ;
