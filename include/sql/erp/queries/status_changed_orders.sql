-- Sync order status: ERP orders linked to AnyMarket whose status, invoices or shipments changed at or
-- after the "since" parameter (UTC). One row per sales order; the three timestamps let the integration
-- move its cursor to the latest change seen (it re-reads a short overlap, so late commits are kept).
SELECT o.anymarket_order_id AS anymarket_order_id,
       o.updated_at         AS order_updated_at,
       (SELECT MAX(i.updated_at) FROM invoices i WHERE i.sales_order_id = o.id)  AS invoice_updated_at,
       (SELECT MAX(s.updated_at) FROM shipments s WHERE s.sales_order_id = o.id) AS shipment_updated_at
FROM sales_orders o
WHERE o.anymarket_order_id IS NOT NULL
  AND (o.updated_at >= :since
       OR EXISTS (SELECT 1 FROM invoices i WHERE i.sales_order_id = o.id AND i.updated_at >= :since)
       OR EXISTS (SELECT 1 FROM shipments s WHERE s.sales_order_id = o.id AND s.updated_at >= :since))
