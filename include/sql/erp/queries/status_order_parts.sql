-- Sync order status: every sales order imported from the given AnyMarket orders (several per order
-- when a Multi-CD order was split), with what each status needs: its latest *authorized* NF-e, its
-- latest shipment, the carrier (the shipment's, else the order's) and the buyer's state tax id.
SELECT o.id                    AS id,
       o.code                  AS code,
       o.anymarket_order_id    AS anymarket_order_id,
       o.status                AS status,
       o.cancelled_at          AS cancelled_at,
       o.cancel_reason         AS cancel_reason,
       c.state_tax_id          AS customer_state_tax_id,
       i.access_key            AS invoice_access_key,
       i.number                AS invoice_number,
       i.series                AS invoice_series,
       i.issued_at             AS invoice_issued_at,
       i.cfop                  AS invoice_cfop,
       i.link_url              AS invoice_link_url,
       i.xml                   AS invoice_xml,
       s.tracking_code         AS tracking_code,
       s.tracking_url          AS tracking_url,
       s.shipped_at            AS shipped_at,
       s.estimated_delivery_at AS estimated_delivery_at,
       s.delivered_at          AS delivered_at,
       cr.code                 AS carrier_code,
       cr.name                 AS carrier_name,
       cr.document             AS carrier_document,
       cr.tracking_url_template AS carrier_tracking_url_template
FROM sales_orders o
JOIN customers c ON c.id = o.customer_id
LEFT JOIN invoices i
       ON i.id = (SELECT MAX(i2.id) FROM invoices i2
                  WHERE i2.sales_order_id = o.id AND i2.status = 'authorized')
LEFT JOIN shipments s
       ON s.id = (SELECT MAX(s2.id) FROM shipments s2 WHERE s2.sales_order_id = o.id)
LEFT JOIN carriers cr ON cr.id = COALESCE(s.carrier_id, o.carrier_id)
WHERE o.anymarket_order_id IN :anymarket_order_ids
ORDER BY o.anymarket_order_id, o.code
