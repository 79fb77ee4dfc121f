-- price_list_items — the prices of one price list, per SKU.
-- Used by: send prices when products.price_list is set (a SKU missing from the list is not sent).
-- Parameters: price_list (the list's code).
-- Returns: sku_id, sell_price ("preço por" in this list), list_price ("preço de", may be NULL).
SELECT
    i.sku_id,
    i.sell_price,
    i.list_price
FROM price_list_items i
JOIN price_lists l ON l.id = i.price_list_id
WHERE l.code = :price_list
ORDER BY i.sku_id
