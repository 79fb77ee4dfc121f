-- One payment of an imported sales order (AnyMarket payments[]; a Multi-CD part gets its share of
-- each): the method, value, installments and the fees the marketplace and the payment gateway keep.
INSERT INTO sales_order_payments (sales_order_id, position, payment_method_id, method, value,
                                  installments, marketplace_fee, gateway_fee, marketplace_payment_id)
VALUES (:sales_order_id, :position, :payment_method_id, :method, :value,
        :installments, :marketplace_fee, :gateway_fee, :marketplace_payment_id)
RETURNING id
