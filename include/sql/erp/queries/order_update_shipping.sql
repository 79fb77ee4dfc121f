-- The buyer changed the delivery address on the marketplace.
UPDATE sales_orders
SET ship_receiver_name = :ship_receiver_name,
    ship_street = :ship_street,
    ship_number = :ship_number,
    ship_complement = :ship_complement,
    ship_neighborhood = :ship_neighborhood,
    ship_city = :ship_city,
    ship_state = :ship_state,
    ship_zip_code = :ship_zip_code
WHERE id = :id
