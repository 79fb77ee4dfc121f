-- catalog_import_upsert_product_attribute — set one technical-sheet attribute of a product.
-- Parameters: product_id, name, value, position.
-- MariaDB override of catalog_import_upsert_product_attribute.sql: MariaDB has no ON CONFLICT, so the upsert is
-- ON DUPLICATE KEY UPDATE (the table's only unique key besides id is the one the portable file names).
INSERT INTO product_attributes (product_id, name, value, position)
VALUES (:product_id, :name, :value, :position)
ON DUPLICATE KEY UPDATE value = VALUES(value), position = VALUES(position)
