-- catalog_import_product_attributes — the technical sheet of these products.
-- Parameters: product_ids (list of integers).
-- Returns: product_id, name, value, position.
SELECT product_id, name, value, position
FROM product_attributes
WHERE product_id IN :product_ids
