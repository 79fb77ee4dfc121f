-- catalog_import_rename_sku — give a linked ERP SKU the code AnyMarket now has as its partnerId
-- (only with products.update_sku_code_on_import; the import checks the new code is free first).
-- Parameters: id, code.
UPDATE skus SET code = :code WHERE id = :id
