-- Move an imported order to a new status; payment and cancellation facts are kept once set.
UPDATE sales_orders
SET status = :status,
    paid_at = COALESCE(paid_at, :paid_at),
    cancelled_at = COALESCE(cancelled_at, :cancelled_at),
    cancel_reason = COALESCE(cancel_reason, :cancel_reason)
WHERE id = :id
