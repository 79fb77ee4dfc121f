-- catalog_import_upsert_product_attribute — set one technical-sheet attribute of a product.
-- Parameters: product_id, name, value, position.
INSERT INTO product_attributes (product_id, name, value, position)
VALUES (:product_id, :name, :value, :position)
ON CONFLICT (product_id, name) DO UPDATE SET value = EXCLUDED.value, position = EXCLUDED.position
