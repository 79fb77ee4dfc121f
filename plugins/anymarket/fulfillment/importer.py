"""Read SKUs' Full stock from AnyMarket and write what changed into the ERP deposit mapped to it.

One ``GET /stocks/fulfillment/{marketplace}/{idSku}`` per SKU x mapped marketplace (the spec has no
bulk read). The ERP side goes through contract queries that exist already: the deposits' current
balances are read once per run (``stock_balances``, as send stock reads them) and a SKU's balance is
written (the catalog import's ``catalog_import_upsert_stock_balance``) only when it differs from what
the ERP holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa

from anymarket.errors import AnyMarketAPIError, ConfigurationError
from anymarket.fulfillment.rules import FULL_MARKETPLACES, MILLI, MalformedFullStock, full_quantity
from anymarket.mapping import models as m

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from anymarket.erp.database import ErpDatabase
    from anymarket.hooks.anymarket import AnyMarketHook
    from anymarket.mapping.database import MappingDatabase
    from anymarket.summary import RunSummary

ACTION = "fulfillment_stock"


@dataclass(frozen=True)
class FullDeposit:
    """A marketplace whose Full stock is imported, and the ERP deposit it goes into."""

    marketplace: str
    deposit_code: str
    deposit_id: int


def full_deposits(mapping: MappingDatabase, erp: ErpDatabase, integration_id: str) -> list[FullDeposit]:
    """The ``fulfillment_deposit`` mappings resolved to active ERP deposits, by marketplace.

    :raises ConfigurationError: when a mapping names a marketplace outside the endpoint's enum or a
        deposit the ERP does not have active — the stock would go nowhere (or somewhere wrong).
    """
    mappings = mapping.mappings_of(integration_id, "fulfillment_deposit")
    deposits = {str(d["code"]): d for d in erp.query("list_deposits")}
    resolved = []
    for marketplace, row in sorted(mappings.items()):
        code = str(row["value"])
        if marketplace not in FULL_MARKETPLACES:
            raise ConfigurationError(
                f"fulfillment_deposit mapping {marketplace!r}: not a Full marketplace AnyMarket knows "
                f"(one of {', '.join(FULL_MARKETPLACES)}): fix fulfillment_deposits.csv on the ops page."
            )
        deposit = deposits.get(code)
        if deposit is None or not deposit["active"]:
            raise ConfigurationError(
                f"fulfillment_deposit mapping {marketplace} → {code!r}: the ERP has no active deposit with "
                "that code (list_deposits.sql): create it in the ERP or fix fulfillment_deposits.csv."
            )
        resolved.append(FullDeposit(marketplace, code, int(deposit["id"])))
    return resolved


class FullStockImporter:
    """Full stock of one integration: read per SKU from AnyMarket, written to the ERP when changed."""

    def __init__(
        self,
        *,
        hook: AnyMarketHook,
        erp: ErpDatabase,
        mapping: MappingDatabase,
        integration_id: str,
        summary: RunSummary,
        record_history: Callable[..., None],
    ) -> None:
        """:param record_history: the operator's ``record_history`` (one row per balance written)."""
        self.hook = hook
        self.erp = erp
        self.mapping = mapping
        self.integration_id = integration_id
        self.summary = summary
        self.record_history = record_history
        self._sku_ids: dict[str, int] | None = None
        self._balances: dict[int, dict[int, Decimal]] | None = None

    @property
    def sku_ids(self) -> dict[str, int]:
        """ERP SKU code → ERP SKU id (``stock_skus``), read once."""
        if self._sku_ids is None:
            self._sku_ids = {str(r["code"]): int(r["sku_id"]) for r in self.erp.query("stock_skus")}
        return self._sku_ids

    def balances(self, deposit: FullDeposit) -> dict[int, Decimal]:
        """ERP SKU id → the balance the ERP holds in the deposit (absent: 0), read once per run from
        ``stock_balances`` (one query, every deposit: the same read send stock makes)."""
        if self._balances is None:
            self._balances = {}
            for r in self.erp.query("stock_balances"):
                quantity = Decimal(str(r["quantity"])).quantize(MILLI)
                self._balances.setdefault(int(r["deposit_id"]), {})[int(r["sku_id"])] = quantity
        return self._balances.setdefault(deposit.deposit_id, {})

    def holding(self, deposit: FullDeposit) -> set[str]:
        """The SKU codes the ERP holds a non-zero balance for in the deposit."""
        held = self.balances(deposit)
        return {code for code, sku_id in self.sku_ids.items() if held.get(sku_id, Decimal(0)) != 0}

    def refresh(self, deposit: FullDeposit, sku_code: str, anymarket_sku_id: str) -> None:
        """Read the SKU's Full stock at the deposit's marketplace (one request); write it if changed."""
        sku_id = self.sku_ids.get(sku_code)
        if sku_id is None:
            # Linked but gone from the ERP's SKUs: nothing to write it to.
            self.summary.note("skus_not_in_erp", sku_code)
            return
        try:
            answer = self.hook.get(f"/stocks/fulfillment/{deposit.marketplace}/{anymarket_sku_id}")
        except AnyMarketAPIError as exc:
            if exc.status != 404:
                raise
            # Deleted in AnyMarket: its Full stock is unknown, the ERP's balance is left as it is.
            self.summary.note("skus_not_found", sku_code)
            return
        self.summary.count("skus_read")
        try:
            quantity = full_quantity(answer)
        except MalformedFullStock as exc:
            self.summary.note("answers_malformed", f"{deposit.marketplace} {sku_code}: {exc}")
            return
        if quantity > 0:
            self.summary.count("skus_with_full_stock")
        held = self.balances(deposit)
        before = held.get(sku_id, Decimal(0))
        if before == quantity:
            self.summary.count("balances_unchanged")
            return
        self.erp.execute(
            "catalog_import_upsert_stock_balance",
            sku_id=sku_id,
            deposit_id=deposit.deposit_id,
            quantity=quantity,
        )
        held[sku_id] = quantity
        self.summary.count("balances_written")
        self.record_history(
            entity_type="sku",
            entity_key=sku_code,
            action=ACTION,
            outcome="ok",
            response={
                "marketplace": deposit.marketplace,
                "deposit": deposit.deposit_code,
                "before": str(before),
                "after": str(quantity),
                "cds": len(answer),
            },
        )


def listed_skus(mapping: MappingDatabase, integration_id: str) -> list[tuple[str, str]] | None:
    """``(sku_code, marketplace)`` of every listing listing health stored; ``None`` when it has stored
    none (not enabled, or not run yet): then there is no evidence of where a SKU is listed."""
    table = m.listings
    with mapping.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.sku_code, table.c.marketplace)
            .where(table.c.integration_id == integration_id)
            .distinct()
        ).all()
    return [(r.sku_code, r.marketplace) for r in rows] or None


def listings_changed_since(
    mapping: MappingDatabase, integration_id: str, since: datetime
) -> list[tuple[str, str]]:
    """``(sku_code, marketplace)`` of the listings listing health stored or changed since ``since``."""
    table = m.listings
    with mapping.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.sku_code, table.c.marketplace)
            .where(table.c.integration_id == integration_id, table.c.changed_at >= since)
            .distinct()
        ).all()
    return [(r.sku_code, r.marketplace) for r in rows]
