-- catalog_import_upsert_stock_balance — set the physical balance of a SKU in a deposit to what
-- AnyMarket shows in the warehouse mapped to it.
-- Parameters: sku_id, deposit_id, quantity.
-- MariaDB override of catalog_import_upsert_stock_balance.sql: MariaDB has no ON CONFLICT, so the upsert is
-- ON DUPLICATE KEY UPDATE (the table's only unique key besides id is the one the portable file names).
INSERT INTO stock_balances (sku_id, deposit_id, quantity)
VALUES (:sku_id, :deposit_id, :quantity)
ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)
