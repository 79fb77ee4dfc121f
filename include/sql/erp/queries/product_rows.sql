-- product_rows — the product-level fields the product sync sends, for some product codes.
-- Used by: sync products (POST/PUT /products). Flags as integers on every dialect.
-- Parameters: codes (list of product codes; never empty).
-- Returns: code, name, description, brand_code, category_code, ncm, origin, video_url, height_cm,
--          width_cm, length_cm, weight_kg, has_variations (0/1), active (0/1).
SELECT p.code        AS code,
       p.name        AS name,
       p.description AS description,
       b.code        AS brand_code,
       c.code        AS category_code,
       p.ncm         AS ncm,
       p.origin      AS origin,
       p.video_url   AS video_url,
       p.height_cm   AS height_cm,
       p.width_cm    AS width_cm,
       p.length_cm   AS length_cm,
       p.weight_kg   AS weight_kg,
       CASE WHEN p.has_variations THEN 1 ELSE 0 END AS has_variations,
       CASE WHEN p.active THEN 1 ELSE 0 END AS active
FROM products p
LEFT JOIN brands b ON b.id = p.brand_id
LEFT JOIN categories c ON c.id = p.category_id
WHERE p.code IN :codes
ORDER BY p.code
