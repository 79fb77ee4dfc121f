-- kit_components — every kit's composition: which SKUs, how many of each, make one kit.
-- Used by: send stock (a kit's stock is the minimum over its components of balance / quantity, under
-- the stock rules), sync products (a kit product is sent with AnyMarket's kitComponents once its
-- components are on AnyMarket) and import orders (an order for a kit reserves its components).
-- Parameters: none (kits are a small part of a catalog: read whole).
-- Returns: kit_sku_id, kit_code, kit_product_code, component_sku_id, component_code, quantity (> 0,
--          units of the component in one kit), component_sell_price (the component's own price: its
--          share of the kit's price on AnyMarket); one row per kit × component.
SELECT
    k.kit_sku_id,
    ks.code AS kit_code,
    kp.code AS kit_product_code,
    k.component_sku_id,
    cs.code AS component_code,
    k.quantity,
    cs.sell_price AS component_sell_price
FROM kit_components k
JOIN skus ks ON ks.id = k.kit_sku_id
JOIN products kp ON kp.id = ks.product_id
JOIN skus cs ON cs.id = k.component_sku_id
ORDER BY k.kit_sku_id, cs.code
