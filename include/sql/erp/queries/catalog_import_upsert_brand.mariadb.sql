-- catalog_import_upsert_brand — create the brand imported from AnyMarket, or rename the ERP brand
-- with that code. Keyed on the unique code, so importing the same brand again never duplicates it.
-- Parameters: code, name.
-- Returns: id.
-- MariaDB override of catalog_import_upsert_brand.sql: MariaDB has no ON CONFLICT, so the upsert is
-- ON DUPLICATE KEY UPDATE (the table's only unique key besides id is the one the portable file names);
-- INSERT … RETURNING needs MariaDB 10.5+.
INSERT INTO brands (code, name, active)
VALUES (:code, :name, TRUE)
ON DUPLICATE KEY UPDATE name = VALUES(name)
RETURNING id
