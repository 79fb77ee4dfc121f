-- stock_skus — every SKU with what the stock sender needs besides its balances.
-- Used by: send stock (made-to-order products are exempt from the safety stock; inactive SKUs are
-- sent as 0; crossdocking days become AnyMarket's additionalTime; cost per the cost_field setting).
-- Parameters: none.
-- Returns: sku_id, code, made_to_order (0/1), active (0/1: the SKU and its product are active),
--          crossdocking_days, cost_price (may be NULL), sell_price — flags as integers on every dialect.
SELECT
    s.id AS sku_id,
    s.code,
    CASE WHEN s.made_to_order THEN 1 ELSE 0 END AS made_to_order,
    CASE WHEN s.active AND p.active THEN 1 ELSE 0 END AS active,
    s.crossdocking_days,
    s.cost_price,
    s.sell_price
FROM skus s
JOIN products p ON p.id = s.product_id
ORDER BY s.id
