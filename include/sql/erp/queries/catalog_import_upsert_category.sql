-- catalog_import_upsert_category — create the category imported from AnyMarket under its parent, or
-- rename / move the ERP category with that code. Parents are imported before their children.
-- Parameters: code, name, parent_id (NULL for a root).
-- Returns: id.
INSERT INTO categories (code, name, parent_id, active)
VALUES (:code, :name, :parent_id, TRUE)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id
RETURNING id
