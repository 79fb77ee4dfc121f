-- stock_balances — physical quantity on hand per SKU and deposit.
-- Used by: send stock. A SKU × deposit without a row has 0 on hand.
-- Parameters: none.
-- Returns: sku_id, deposit_id, quantity (physical, may be fractional or negative in a messy ERP).
SELECT
    b.sku_id,
    b.deposit_id,
    b.quantity
FROM stock_balances b
