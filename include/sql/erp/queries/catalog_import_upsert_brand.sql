-- catalog_import_upsert_brand — create the brand imported from AnyMarket, or rename the ERP brand
-- with that code. Keyed on the unique code, so importing the same brand again never duplicates it.
-- Parameters: code, name.
-- Returns: id.
INSERT INTO brands (code, name, active)
VALUES (:code, :name, TRUE)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name
RETURNING id
