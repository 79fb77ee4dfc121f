-- product_categories — the whole ERP category tree, for the product sync to ensure on AnyMarket.
-- Parameters: none.
-- Returns: code (AnyMarket partnerId), name (the node's own name), parent_code (NULL for a root),
--          active (0/1).
SELECT c.code AS code,
       c.name AS name,
       parent.code AS parent_code,
       CASE WHEN c.active THEN 1 ELSE 0 END AS active
FROM categories c
LEFT JOIN categories parent ON parent.id = c.parent_id
ORDER BY c.code
