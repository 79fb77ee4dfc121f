-- stock_reservations — quantity held by sales orders per SKU and deposit, reservations still open.
-- Used by: send stock with balance "available" (= physical − this). Every imported order reserves
-- stock, so an order lowers the next send; a released reservation (invoiced or cancelled) no longer
-- counts.
-- Parameters: none.
-- Returns: sku_id, deposit_id, quantity (> 0; one row per SKU × deposit with open reservations).
SELECT
    r.sku_id,
    r.deposit_id,
    SUM(r.quantity) AS quantity
FROM stock_reservations r
WHERE r.released_at IS NULL
GROUP BY r.sku_id, r.deposit_id
