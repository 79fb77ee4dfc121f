-- catalog_import_sku_variations — the variation values of these SKUs.
-- Parameters: sku_ids (list of integers).
-- Returns: sku_id, variation_type, variation_value, position.
SELECT sku_id, variation_type, variation_value, position
FROM sku_variations
WHERE sku_id IN :sku_ids
