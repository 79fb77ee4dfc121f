-- catalog_import_brands — every ERP brand, for the catalog import to match AnyMarket brands against
-- (by the linked code, by code = AnyMarket partnerId, or by name). Brands are few: read once per run.
-- Parameters: none.
-- Returns: id, code, name, active (0/1).
SELECT id, code, name, CASE WHEN active THEN 1 ELSE 0 END AS active
FROM brands
ORDER BY id
