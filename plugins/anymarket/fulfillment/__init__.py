"""Full (fulfillment) stock: what each SKU holds in a marketplace's own warehouses, kept in the ERP."""
