-- One sales order imported from AnyMarket. `code` is unique: the import derives it from the AnyMarket
-- id (AM-<id>, AM-<id>-2 … for Multi-CD parts), so a second import of the same order racing this one
-- fails here and rolls back instead of duplicating. Returns the new id. The fiscal columns
-- (sales_operation_id, intermediary_*) and the fees are what the ERP needs to invoice it untouched.
INSERT INTO sales_orders (code, customer_id, channel_id, status, order_date, paid_at, cancelled_at,
                          cancel_reason, payment_method_id, installments, sales_operation_id,
                          intermediary_cnpj, intermediary_name, intermediary_seller_id,
                          marketplace_fee, gateway_fee, carrier_id, shipping_service,
                          items_total, discount, freight, interest, total, marketplace_order_number,
                          anymarket_order_id, fulfillment, ship_receiver_name, ship_street, ship_number,
                          ship_complement, ship_neighborhood, ship_city, ship_state, ship_zip_code,
                          ship_country, notes)
VALUES (:code, :customer_id, :channel_id, :status, :order_date, :paid_at, :cancelled_at,
        :cancel_reason, :payment_method_id, :installments, :sales_operation_id,
        :intermediary_cnpj, :intermediary_name, :intermediary_seller_id,
        :marketplace_fee, :gateway_fee, :carrier_id, :shipping_service,
        :items_total, :discount, :freight, :interest, :total, :marketplace_order_number,
        :anymarket_order_id, :fulfillment, :ship_receiver_name, :ship_street, :ship_number,
        :ship_complement, :ship_neighborhood, :ship_city, :ship_state, :ship_zip_code,
        :ship_country, :notes)
RETURNING id
