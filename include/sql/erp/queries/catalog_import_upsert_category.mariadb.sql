-- catalog_import_upsert_category — create the category imported from AnyMarket under its parent, or
-- rename / move the ERP category with that code. Parents are imported before their children.
-- Parameters: code, name, parent_id (NULL for a root).
-- Returns: id.
-- MariaDB override of catalog_import_upsert_category.sql: MariaDB has no ON CONFLICT, so the upsert is
-- ON DUPLICATE KEY UPDATE (the table's only unique key besides id is the one the portable file names);
-- INSERT … RETURNING needs MariaDB 10.5+.
INSERT INTO categories (code, name, parent_id, active)
VALUES (:code, :name, :parent_id, TRUE)
ON DUPLICATE KEY UPDATE name = VALUES(name), parent_id = VALUES(parent_id)
RETURNING id
