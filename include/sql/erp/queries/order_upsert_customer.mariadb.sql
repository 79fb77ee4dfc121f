-- Create the buyer, or update it when a customer with the same document (CPF/CNPJ, digits only)
-- exists. Returns its id. ON CONFLICT makes two imports of the same buyer at once safe.
-- MariaDB override of order_upsert_customer.sql: MariaDB has no ON CONFLICT, so the upsert is
-- ON DUPLICATE KEY UPDATE (the table's only unique key besides id is the one the portable file names);
-- INSERT … RETURNING needs MariaDB 10.5+.
INSERT INTO customers (name, document, document_type, state_tax_id, email, phone, cell_phone,
                       street, number, complement, neighborhood, city, state, zip_code, country)
VALUES (:name, :document, :document_type, :state_tax_id, :email, :phone, :cell_phone,
        :street, :number, :complement, :neighborhood, :city, :state, :zip_code, :country)
ON DUPLICATE KEY UPDATE
    name = VALUES(name),
    document_type = VALUES(document_type),
    state_tax_id = COALESCE(VALUES(state_tax_id), state_tax_id),
    email = COALESCE(VALUES(email), email),
    phone = COALESCE(VALUES(phone), phone),
    cell_phone = COALESCE(VALUES(cell_phone), cell_phone),
    street = VALUES(street),
    number = VALUES(number),
    complement = VALUES(complement),
    neighborhood = VALUES(neighborhood),
    city = VALUES(city),
    state = VALUES(state),
    zip_code = VALUES(zip_code),
    country = VALUES(country)
RETURNING id
