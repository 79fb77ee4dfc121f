-- catalog_import_upsert_product — create the product imported from AnyMarket, or update the ERP
-- product with that code (the import passes the code of the ERP product it matched). Keyed on the
-- unique code: an import repeated after a crash finds the same row and never duplicates it.
-- Parameters: code, name, description, brand_id, category_id, ncm, origin, video_url, height_cm,
--             width_cm, length_cm, weight_kg, has_variations, active.
-- Returns: id.
INSERT INTO products (code, name, description, brand_id, category_id, ncm, origin, video_url,
                      height_cm, width_cm, length_cm, weight_kg, has_variations, active)
VALUES (:code, :name, :description, :brand_id, :category_id, :ncm, :origin, :video_url,
        :height_cm, :width_cm, :length_cm, :weight_kg, :has_variations, :active)
ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name,
    description = EXCLUDED.description,
    brand_id = EXCLUDED.brand_id,
    category_id = EXCLUDED.category_id,
    ncm = EXCLUDED.ncm,
    origin = EXCLUDED.origin,
    video_url = EXCLUDED.video_url,
    height_cm = EXCLUDED.height_cm,
    width_cm = EXCLUDED.width_cm,
    length_cm = EXCLUDED.length_cm,
    weight_kg = EXCLUDED.weight_kg,
    has_variations = EXCLUDED.has_variations,
    active = EXCLUDED.active
RETURNING id
