-- catalog_import_upsert_sku_variation — set one variation value of a SKU (e.g. Cor = Azul).
-- Parameters: sku_id, variation_type, variation_value, position.
INSERT INTO sku_variations (sku_id, variation_type, variation_value, position)
VALUES (:sku_id, :variation_type, :variation_value, :position)
ON CONFLICT (sku_id, variation_type) DO UPDATE SET
    variation_value = EXCLUDED.variation_value,
    position = EXCLUDED.position
