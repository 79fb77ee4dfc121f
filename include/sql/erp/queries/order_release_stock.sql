-- End every reservation an order still holds (cancelled on the marketplace).
UPDATE stock_reservations
SET released_at = :released_at
WHERE sales_order_id = :sales_order_id
  AND released_at IS NULL
