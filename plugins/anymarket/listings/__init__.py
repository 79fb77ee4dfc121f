"""Listing health: each SKU's marketplace listings as AnyMarket reports them, kept in the mapping DB."""
