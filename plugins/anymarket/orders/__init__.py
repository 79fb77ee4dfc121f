"""Import orders AnyMarket → ERP: the rules and ERP writes (:mod:`.importer`) and the durable
per-order state in the mapping DB (:mod:`.state`). The operator that feeds them from the feed,
callbacks and backfill windows is :mod:`anymarket.operators.import_orders`."""
