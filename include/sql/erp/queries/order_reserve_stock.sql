-- Hold stock for one line of an imported order (available = physical − unreleased reservations).
INSERT INTO stock_reservations (sku_id, deposit_id, sales_order_id, sales_order_item_id, quantity)
VALUES (:sku_id, :deposit_id, :sales_order_id, :sales_order_item_id, :quantity)
