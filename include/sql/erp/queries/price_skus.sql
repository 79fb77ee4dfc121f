-- price_skus — every SKU with its own (default) prices and its product's code.
-- Used by: send prices (the price source when products.price_list is not set; the product code lets
-- a manual run send one product's SKUs).
-- Parameters: none.
-- Returns: sku_id, code, product_code, sell_price ("preço por"), list_price ("preço de", may be NULL).
SELECT
    s.id AS sku_id,
    s.code,
    p.code AS product_code,
    s.sell_price,
    s.list_price
FROM skus s
JOIN products p ON p.id = s.product_id
ORDER BY s.id
