-- catalog_import_upsert_sku_variation — set one variation value of a SKU (e.g. Cor = Azul).
-- Parameters: sku_id, variation_type, variation_value, position.
-- MariaDB override of catalog_import_upsert_sku_variation.sql: MariaDB has no ON CONFLICT, so the upsert is
-- ON DUPLICATE KEY UPDATE (the table's only unique key besides id is the one the portable file names).
INSERT INTO sku_variations (sku_id, variation_type, variation_value, position)
VALUES (:sku_id, :variation_type, :variation_value, :position)
ON DUPLICATE KEY UPDATE
    variation_value = VALUES(variation_value),
    position = VALUES(position)
