-- Create the buyer, or update it when a customer with the same document (CPF/CNPJ, digits only)
-- exists. Returns its id. ON CONFLICT makes two imports of the same buyer at once safe.
INSERT INTO customers (name, document, document_type, state_tax_id, email, phone, cell_phone,
                       street, number, complement, neighborhood, city, state, zip_code, country)
VALUES (:name, :document, :document_type, :state_tax_id, :email, :phone, :cell_phone,
        :street, :number, :complement, :neighborhood, :city, :state, :zip_code, :country)
ON CONFLICT (document) DO UPDATE SET
    name = EXCLUDED.name,
    document_type = EXCLUDED.document_type,
    state_tax_id = COALESCE(EXCLUDED.state_tax_id, customers.state_tax_id),
    email = COALESCE(EXCLUDED.email, customers.email),
    phone = COALESCE(EXCLUDED.phone, customers.phone),
    cell_phone = COALESCE(EXCLUDED.cell_phone, customers.cell_phone),
    street = EXCLUDED.street,
    number = EXCLUDED.number,
    complement = EXCLUDED.complement,
    neighborhood = EXCLUDED.neighborhood,
    city = EXCLUDED.city,
    state = EXCLUDED.state,
    zip_code = EXCLUDED.zip_code,
    country = EXCLUDED.country
RETURNING id
