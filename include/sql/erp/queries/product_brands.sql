-- product_brands — every ERP brand, for the product sync to ensure on AnyMarket.
-- Parameters: none.
-- Returns: code (AnyMarket partnerId), name, active (0/1).
SELECT b.code AS code,
       b.name AS name,
       CASE WHEN b.active THEN 1 ELSE 0 END AS active
FROM brands b
ORDER BY b.code
