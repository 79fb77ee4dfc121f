-- The lines of some sales orders with their SKU code: the import compares them with AnyMarket's items.
SELECT i.sales_order_id AS sales_order_id,
       s.code           AS sku_code,
       i.deposit_id     AS deposit_id,
       i.quantity       AS quantity
FROM sales_order_items i
JOIN skus s ON s.id = i.sku_id
WHERE i.sales_order_id IN :sales_order_ids
ORDER BY i.sales_order_id, i.position
