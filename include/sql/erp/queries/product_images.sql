-- product_images — the images of some products, in display order.
-- Used by: sync products (POST /products images, POST/DELETE /products/{id}/images).
-- Parameters: codes (list of product codes; never empty).
-- Returns: product_code, sku_code (NULL = image of the product, else of that variation), position,
--          url, is_main (0/1; informative: the sync makes the first image the main one).
SELECT p.code AS product_code,
       s.code AS sku_code,
       i.position AS position,
       i.url AS url,
       CASE WHEN i.is_main THEN 1 ELSE 0 END AS is_main
FROM product_images i
JOIN products p ON p.id = i.product_id
LEFT JOIN skus s ON s.id = i.sku_id
WHERE p.code IN :codes
ORDER BY p.code, i.position, i.id
