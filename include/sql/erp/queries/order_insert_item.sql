-- One line of an imported sales order; deposit_id is the deposit it ships from. Returns the new id.
INSERT INTO sales_order_items (sales_order_id, position, sku_id, deposit_id, quantity, unit_price,
                               discount, total, unit_cost, marketplace_item_id)
VALUES (:sales_order_id, :position, :sku_id, :deposit_id, :quantity, :unit_price,
        :discount, :total, :unit_cost, :marketplace_item_id)
RETURNING id
