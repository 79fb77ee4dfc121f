-- catalog_import_skus_by_code — the ERP SKUs with these codes (AnyMarket partnerIds and linked codes
-- of one page of imported products), as the import compares them before writing.
-- Parameters: codes (list of text, never empty).
-- Returns: id, product_id, code, name, ean, crossdocking_days, sell_price, list_price, active (0/1).
SELECT id, product_id, code, name, ean, crossdocking_days, sell_price, list_price,
       CASE WHEN active THEN 1 ELSE 0 END AS active
FROM skus
WHERE code IN :codes
