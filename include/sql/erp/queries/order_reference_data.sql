-- Carriers, payment methods, sales channels and sales operations (naturezas de operação) in one read:
-- the targets of the order mappings and settings.
-- kind = carrier | payment_method | sales_channel | sales_operation; marketplace only for sales channels.
SELECT 'carrier' AS kind, c.id AS id, c.code AS code, NULL AS marketplace,
       CASE WHEN c.active THEN 1 ELSE 0 END AS active
FROM carriers c
UNION ALL
SELECT 'payment_method', p.id, p.code, NULL, CASE WHEN p.active THEN 1 ELSE 0 END
FROM payment_methods p
UNION ALL
SELECT 'sales_channel', ch.id, ch.code, ch.marketplace, CASE WHEN ch.active THEN 1 ELSE 0 END
FROM sales_channels ch
UNION ALL
SELECT 'sales_operation', so.id, so.code, NULL, CASE WHEN so.active THEN 1 ELSE 0 END
FROM sales_operations so
