-- SKUs of an AnyMarket order, by ERP code (= AnyMarket SKU partnerId).
SELECT s.id         AS id,
       s.code       AS code,
       s.cost_price AS cost_price
FROM skus s
WHERE s.code IN :codes
