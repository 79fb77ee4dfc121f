-- catalog_import_stock_balances — physical balances of these SKUs per deposit.
-- Parameters: sku_ids (list of integers).
-- Returns: sku_id, deposit_id, quantity.
SELECT sku_id, deposit_id, quantity
FROM stock_balances
WHERE sku_id IN :sku_ids
