-- catalog_import_upsert_sku — create the SKU imported from AnyMarket under its product, or update
-- the ERP SKU with that code (its AnyMarket partnerId, or the code it is linked under). Keyed on the
-- unique code. Cost, made-to-order and dimensions (NULL = the product's) are the ERP's own: untouched.
-- Parameters: product_id, code, name, ean, crossdocking_days, sell_price, list_price, active.
-- Returns: id.
-- MariaDB override of catalog_import_upsert_sku.sql: MariaDB has no ON CONFLICT, so the upsert is
-- ON DUPLICATE KEY UPDATE (the table's only unique key besides id is the one the portable file names);
-- INSERT … RETURNING needs MariaDB 10.5+.
INSERT INTO skus (product_id, code, name, ean, crossdocking_days, sell_price, list_price, active)
VALUES (:product_id, :code, :name, :ean, :crossdocking_days, :sell_price, :list_price, :active)
ON DUPLICATE KEY UPDATE
    product_id = VALUES(product_id),
    name = VALUES(name),
    ean = VALUES(ean),
    crossdocking_days = VALUES(crossdocking_days),
    sell_price = VALUES(sell_price),
    list_price = VALUES(list_price),
    active = VALUES(active)
RETURNING id
