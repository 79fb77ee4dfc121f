-- product_attributes — the technical sheet ("ficha técnica") of some products.
-- Used by: sync products (AnyMarket `characteristics`, and model/gender/warranty fields).
-- Parameters: codes (list of product codes; never empty).
-- Returns: product_code, name, value, in display order.
SELECT p.code AS product_code,
       a.name AS name,
       a.value AS value
FROM product_attributes a
JOIN products p ON p.id = a.product_id
WHERE p.code IN :codes
ORDER BY p.code, a.position, a.id
