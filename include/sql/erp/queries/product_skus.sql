-- product_skus — the SKUs of some products, with the prices a new SKU is created with.
-- Used by: sync products (SKUs of POST /products, POST/PUT /products/{id}/skus).
-- Prices: the price list named by "price_list" when it has the SKU, else the SKU's own prices.
-- Parameters: codes (list of product codes; never empty), price_list (price list code or NULL).
-- Returns: product_code, code, name, ean, crossdocking_days, sell_price, list_price (may be NULL),
--          active (0/1: the SKU and its product are active). Ordered by product, then SKU id.
SELECT p.code AS product_code,
       s.code AS code,
       s.name AS name,
       s.ean  AS ean,
       s.crossdocking_days AS crossdocking_days,
       COALESCE(pli.sell_price, s.sell_price) AS sell_price,
       COALESCE(pli.list_price, s.list_price) AS list_price,
       CASE WHEN s.active AND p.active THEN 1 ELSE 0 END AS active
FROM skus s
JOIN products p ON p.id = s.product_id
LEFT JOIN price_lists pl ON pl.code = :price_list AND pl.active
LEFT JOIN price_list_items pli ON pli.price_list_id = pl.id AND pli.sku_id = s.id
WHERE p.code IN :codes
ORDER BY p.code, s.id
