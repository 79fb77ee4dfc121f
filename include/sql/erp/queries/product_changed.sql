-- product_changed — products to (re)consider for the product sync: changed at or after "since".
-- Used by: sync products. A product counts as changed when its own row moved (the schema's triggers
-- also move it when its images, attributes or set of SKUs change) or when one of its SKUs moved (a
-- SKU's variations move the SKU). One row per match; a product may come twice (the caller keeps the
-- latest time). Both halves are indexed range scans on updated_at.
-- Parameters: since (UTC timestamp; the epoch for "everything").
-- Returns: code (product code), changed_at (the product's or the SKU's updated_at).
SELECT p.code AS code, p.updated_at AS changed_at
FROM products p
WHERE p.updated_at >= :since
UNION ALL
SELECT p.code AS code, s.updated_at AS changed_at
FROM skus s
JOIN products p ON p.id = s.product_id
WHERE s.updated_at >= :since
