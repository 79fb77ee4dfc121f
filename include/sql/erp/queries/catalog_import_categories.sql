-- catalog_import_categories — every ERP category (the whole tree), for the catalog import to match
-- AnyMarket categories against (linked code, code = partnerId, or name under the same parent).
-- Parameters: none.
-- Returns: id, code, name, parent_id (NULL for a root), active (0/1).
SELECT id, code, name, parent_id, CASE WHEN active THEN 1 ELSE 0 END AS active
FROM categories
ORDER BY id
