-- product_sku_variations — what each child SKU of some products varies in (type and value).
-- Used by: sync products (variation types/values ensured on AnyMarket; the SKU `variations` map).
-- Parameters: codes (list of product codes; never empty).
-- Returns: product_code, sku_code, variation_type, variation_value, in the SKU's type order.
SELECT p.code AS product_code,
       s.code AS sku_code,
       v.variation_type  AS variation_type,
       v.variation_value AS variation_value
FROM sku_variations v
JOIN skus s ON s.id = v.sku_id
JOIN products p ON p.id = s.product_id
WHERE p.code IN :codes
ORDER BY p.code, s.id, v.position, v.id
