"""What AnyMarket should show per SKU x warehouse: the ERP read through the SQL contract, the stock
rules applied (:mod:`anymarket.rules.send_stock`).

Shared by send stock (which sends what differs from what AnyMarket accepted) and the product sync
(whose ``POST /products`` carries each new SKU's amount in the default warehouse, so a new product's
stock costs no request of its own).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from anymarket.erp.database import ErpDatabase
    from anymarket.mapping.database import MappingDatabase
    from anymarket.rules.send_stock import DepositTargets
    from anymarket.settings import IntegrationConfig


@dataclass(frozen=True)
class StockLevels:
    """The desired rows (``sku_code, stock_local_id, quantity, cost, additional_time``; ``''`` is
    AnyMarket's default warehouse) and how the ERP's deposits resolved to warehouses."""

    desired: pd.DataFrame
    deposits: DepositTargets
    #: Seconds spent reading the ERP, and applying the rules (pure pandas): benches report both.
    read_seconds: float = 0.0
    compute_seconds: float = 0.0

    def default_warehouse_amounts(self) -> dict[str, int]:
        """``{SKU code: quantity}`` of the rows sent without a ``stockLocalId``."""
        rows = self.desired[self.desired["stock_local_id"] == ""]
        return dict(zip(rows["sku_code"].astype(str), rows["quantity"].astype(int), strict=True))


def read_stock_levels(
    *, erp: ErpDatabase, mapping: MappingDatabase, integration: IntegrationConfig
) -> StockLevels:
    """Read balances, reservations, SKUs, deposits and kits from the ERP and apply the stock rules
    (a kit's stock derived from its components', :func:`anymarket.rules.kits.kit_stock`)."""
    from anymarket.rules import kits as kit_rules
    from anymarket.rules import send_stock as stock_rules

    started = time.perf_counter()
    settings = integration.stock
    deposits = erp.query_frame("list_deposits")
    deposit_mappings = (
        mapping.mappings_of(integration.id, "deposit") if settings.rule == "mapped_deposits" else {}
    )
    resolved = stock_rules.deposit_targets(
        deposits, deposit_mappings, settings, fulfillment=fulfillment_deposit_codes(mapping, integration.id)
    )
    skus = erp.query_frame("stock_skus")
    balances = erp.query_frame("stock_balances")
    reservations = erp.query_frame("stock_reservations") if settings.balance == "available" else None
    computing = time.perf_counter()
    desired = stock_rules.desired_stock(
        skus=skus,
        balances=balances,
        reservations=reservations if reservations is not None else balances.iloc[:0],
        targets=resolved.targets,
        stock=settings,
        products=integration.products,
    )
    # A kit's rows come from its components' (the minimum over them of amount / quantity per kit).
    desired = kit_rules.kit_stock(desired, erp.query_frame("kit_components"), skus, settings)
    return StockLevels(
        desired=desired,
        deposits=resolved,
        read_seconds=computing - started,
        compute_seconds=time.perf_counter() - computing,
    )


def fulfillment_deposit_codes(mapping: MappingDatabase, integration_id: str) -> set[str]:
    """The ERP deposits holding a marketplace's Full stock (``fulfillment_deposit`` mappings): no
    stock rule counts them (:func:`anymarket.rules.send_stock.deposit_targets`)."""
    return {str(row["value"]) for row in mapping.mappings_of(integration_id, "fulfillment_deposit").values()}
