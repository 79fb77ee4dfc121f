"""The catalog: ERP products to AnyMarket (sync) and AnyMarket products to the ERP (import)."""
