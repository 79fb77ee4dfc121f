-- Sales orders imported from one AnyMarket order (several when a Multi-CD order was split).
-- The import reads them inside its transaction to decide create vs update: keyed on the AnyMarket id.
SELECT o.id                AS id,
       o.code              AS code,
       o.status            AS status,
       o.paid_at           AS paid_at,
       o.cancelled_at      AS cancelled_at,
       o.ship_receiver_name AS ship_receiver_name,
       o.ship_street       AS ship_street,
       o.ship_number       AS ship_number,
       o.ship_complement   AS ship_complement,
       o.ship_neighborhood AS ship_neighborhood,
       o.ship_city         AS ship_city,
       o.ship_state        AS ship_state,
       o.ship_zip_code     AS ship_zip_code
FROM sales_orders o
WHERE o.anymarket_order_id = :anymarket_order_id
ORDER BY o.id
