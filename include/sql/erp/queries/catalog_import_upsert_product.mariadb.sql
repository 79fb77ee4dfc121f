-- catalog_import_upsert_product — create the product imported from AnyMarket, or update the ERP
-- product with that code (the import passes the code of the ERP product it matched). Keyed on the
-- unique code: an import repeated after a crash finds the same row and never duplicates it.
-- Parameters: code, name, description, brand_id, category_id, ncm, origin, video_url, height_cm,
--             width_cm, length_cm, weight_kg, has_variations, active.
-- Returns: id.
-- MariaDB override of catalog_import_upsert_product.sql: MariaDB has no ON CONFLICT, so the upsert is
-- ON DUPLICATE KEY UPDATE (the table's only unique key besides id is the one the portable file names);
-- INSERT … RETURNING needs MariaDB 10.5+.
INSERT INTO products (code, name, description, brand_id, category_id, ncm, origin, video_url,
                      height_cm, width_cm, length_cm, weight_kg, has_variations, active)
VALUES (:code, :name, :description, :brand_id, :category_id, :ncm, :origin, :video_url,
        :height_cm, :width_cm, :length_cm, :weight_kg, :has_variations, :active)
ON DUPLICATE KEY UPDATE
    name = VALUES(name),
    description = VALUES(description),
    brand_id = VALUES(brand_id),
    category_id = VALUES(category_id),
    ncm = VALUES(ncm),
    origin = VALUES(origin),
    video_url = VALUES(video_url),
    height_cm = VALUES(height_cm),
    width_cm = VALUES(width_cm),
    length_cm = VALUES(length_cm),
    weight_kg = VALUES(weight_kg),
    has_variations = VALUES(has_variations),
    active = VALUES(active)
RETURNING id
