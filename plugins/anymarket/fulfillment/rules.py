"""Full stock rules, pure (no I/O): what an answer of ``GET /stocks/fulfillment/{marketplace}/{idSku}``
means for the ERP, and which SKUs are worth a request.

The ERP keeps a marketplace's Full stock as the physical balance of one deposit (the
``fulfillment_deposit`` mapping): the sum over the marketplace's distribution centres (CDs) of
``fulfillment_quantity_stock`` — what sits there, reserved units included, as a physical balance
counts the units an order has not shipped yet.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

#: The ``marketplace`` values of the endpoint (the spec's enum, capitals).
MERCADO_LIVRE = "MERCADO_LIVRE"
B2W = "B2W_NEW_API"
OTHERS = "OUTROS"
FULL_MARKETPLACES = (MERCADO_LIVRE, B2W, OTHERS)
# Listings name B2W's stores by their own marketplace names (B2W, AMERICANAS, SUBMARINO, SHOPTIME).
_B2W_LISTINGS = ("B2W", "AMERICANAS", "SUBMARINO", "SHOPTIME")
#: Balances are NUMERIC(…, 3) in the reference ERP: compared at that precision.
MILLI = Decimal("0.001")


class MalformedFullStock(ValueError):
    """The answer is not the spec's ``[StockFulfillmentGet]``: nothing is written for that SKU."""


def full_quantity(answer: Any) -> Decimal:
    """The units a SKU holds at the marketplace: ``fulfillment_quantity_stock`` summed over the CDs.

    An empty array (no Full stock there) is 0.

    :raises MalformedFullStock: when the answer is not an array of objects each with a number
        ``fulfillment_quantity_stock`` of at least 0 — writing a guess into the ERP would be worse
        than skipping the SKU this pass.
    """
    if not isinstance(answer, list):
        raise MalformedFullStock(f"expected an array of CDs, got {type(answer).__name__}")
    total = Decimal(0)
    for index, row in enumerate(answer):
        value = row.get("fulfillment_quantity_stock") if isinstance(row, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise MalformedFullStock(f"CD {index}: no number fulfillment_quantity_stock ({value!r})")
        try:
            quantity = Decimal(str(value))
        except InvalidOperation:
            raise MalformedFullStock(
                f"CD {index}: fulfillment_quantity_stock {value!r} is not a number"
            ) from None
        if not quantity.is_finite() or quantity < 0:
            raise MalformedFullStock(f"CD {index}: fulfillment_quantity_stock {value!r} is not a quantity")
        total += quantity
    return total.quantize(MILLI)


def listed_on(full_marketplace: str, listing_marketplace: str) -> bool:
    """Whether a listing on ``listing_marketplace`` (as ``SkuMarketplace.marketPlace`` names it) can
    have Full stock under ``full_marketplace`` (the endpoint's enum)."""
    name = listing_marketplace.upper()
    b2w = name.startswith(_B2W_LISTINGS)
    if full_marketplace == MERCADO_LIVRE:
        return name == MERCADO_LIVRE
    if full_marketplace == B2W:
        return b2w
    return full_marketplace == OTHERS and name != MERCADO_LIVRE and not b2w


def skus_to_read(
    *,
    marketplace: str,
    linked: Mapping[str, str],
    listings: Iterable[tuple[str, str]] | None,
    holding: Collection[str],
) -> list[str]:
    """The SKU codes whose Full stock at ``marketplace`` is read this pass, sorted.

    Only a SKU listed on that marketplace can have stock in its warehouses, so when listing health
    has stored listings (``listings``: ``(sku_code, marketplace)`` pairs; ``None`` when it has
    stored none) only those are read; without that evidence every linked SKU is. A SKU the ERP still
    holds Full stock for (``holding``) is read too, so a SKU no longer listed there goes back to 0.
    Only linked SKUs (``linked``: code → AnyMarket id) can be asked about.
    """
    if listings is None:
        wanted = set(linked)
    else:
        wanted = {code for code, listed in listings if listed_on(marketplace, listed)}
        wanted |= set(holding)
    return sorted(code for code in wanted if code in linked)
