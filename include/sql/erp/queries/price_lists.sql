-- price_lists — the ERP's price lists ("tabelas de preço").
-- Used by: send prices, to check that the list named in products.price_list exists and is active.
-- Parameters: none.
-- Returns: id, code, name, active (0/1).
SELECT
    id,
    code,
    name,
    CASE WHEN active THEN 1 ELSE 0 END AS active
FROM price_lists
ORDER BY code
