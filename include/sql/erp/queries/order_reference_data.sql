-- Carriers, payment methods and sales channels in one read: the targets of the order mappings.
-- kind = carrier | payment_method | sales_channel; marketplace only for sales channels.
SELECT 'carrier' AS kind, c.id AS id, c.code AS code, NULL AS marketplace,
       CASE WHEN c.active THEN 1 ELSE 0 END AS active
FROM carriers c
UNION ALL
SELECT 'payment_method', p.id, p.code, NULL, CASE WHEN p.active THEN 1 ELSE 0 END
FROM payment_methods p
UNION ALL
SELECT 'sales_channel', ch.id, ch.code, ch.marketplace, CASE WHEN ch.active THEN 1 ELSE 0 END
FROM sales_channels ch
