-- catalog_import_upsert_sku — create the SKU imported from AnyMarket under its product, or update
-- the ERP SKU with that code (its AnyMarket partnerId, or the code it is linked under). Keyed on the
-- unique code. Cost, made-to-order and dimensions (NULL = the product's) are the ERP's own: untouched.
-- Parameters: product_id, code, name, ean, crossdocking_days, sell_price, list_price, active.
-- Returns: id.
INSERT INTO skus (product_id, code, name, ean, crossdocking_days, sell_price, list_price, active)
VALUES (:product_id, :code, :name, :ean, :crossdocking_days, :sell_price, :list_price, :active)
ON CONFLICT (code) DO UPDATE SET
    product_id = EXCLUDED.product_id,
    name = EXCLUDED.name,
    ean = EXCLUDED.ean,
    crossdocking_days = EXCLUDED.crossdocking_days,
    sell_price = EXCLUDED.sell_price,
    list_price = EXCLUDED.list_price,
    active = EXCLUDED.active
RETURNING id
