-- list_deposits — every ERP deposit (warehouse), default first.
-- Used by: the deposit installer (links AnyMarket warehouses to ERP deposits of the same name) and the
-- stock rules (default deposit / deposits that count).
-- Parameters: none.
-- Returns: id, code, name, is_default (0/1), active (0/1) — flags as integers on every dialect.
SELECT
    d.id,
    d.code,
    d.name,
    CASE WHEN d.is_default THEN 1 ELSE 0 END AS is_default,
    CASE WHEN d.active THEN 1 ELSE 0 END AS active
FROM deposits d
ORDER BY CASE WHEN d.is_default THEN 0 ELSE 1 END, d.name, d.id
