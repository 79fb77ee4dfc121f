-- catalog_import_upsert_stock_balance — set the physical balance of a SKU in a deposit to what
-- AnyMarket shows in the warehouse mapped to it.
-- Parameters: sku_id, deposit_id, quantity.
INSERT INTO stock_balances (sku_id, deposit_id, quantity)
VALUES (:sku_id, :deposit_id, :quantity)
ON CONFLICT (sku_id, deposit_id) DO UPDATE SET quantity = EXCLUDED.quantity
