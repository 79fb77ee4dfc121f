-- catalog_import_products — the ERP products with these codes or ids (the candidates for one page of
-- imported AnyMarket products: linked codes, externalIdProduct, AM-<id>, owners of their SKUs).
-- Parameters: codes (list of text, never empty), ids (list of integers, may be empty).
-- Returns: id, code, name, description, brand_id, category_id, ncm, origin, video_url, height_cm,
--          width_cm, length_cm, weight_kg, has_variations (0/1), active (0/1).
SELECT id, code, name, description, brand_id, category_id, ncm, origin, video_url,
       height_cm, width_cm, length_cm, weight_kg,
       CASE WHEN has_variations THEN 1 ELSE 0 END AS has_variations,
       CASE WHEN active THEN 1 ELSE 0 END AS active
FROM products
WHERE code IN :codes OR id IN :ids
