"""Money allocation of an imported order: pure functions, no database, no request.

An AnyMarket order carries money at three levels — per item (unit price, discount), per order
(discount beyond the items', freight, interest) and per payment (value, marketplace and gateway fees)
— and the ERP may need it on several sales orders (one per shipping deposit, Multi-CD). Every split
here is exact to the cent: the parts always add up to the amount split, each share rounded half-up
to the cent and the rounding remainder landing on one part (the first ERP order; for an item's
warehouses, the last one):

* :func:`split_by_weight` — an amount shared in proportion to weights (order-level discount, freight
  and interest by the parts' item totals; each payment's value and fees by the parts' totals);
* :func:`item_discount_shares` — an item's discount among the warehouses it ships from, by quantity;
* :func:`line_total` — quantity x unit price less the line's discount;
* :func:`order_extras` — the order-level discount, freight and interest the settings import;
* :func:`allocate_parts` — the money columns of each ERP order of a (possibly split) order.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
#: The order-level amounts shared among the ERP orders, in the order they are computed.
EXTRAS = ("discount", "freight", "interest")


def money(value: Any) -> Decimal:
    """An AnyMarket amount (number, string or ``None``) as a Decimal rounded half-up to the cent."""
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def split_by_weight(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` shared in proportion to ``weights``; the shares add up to ``amount`` exactly.

    Every part but the first gets its share rounded half-up to the cent; the first gets the rest
    (the rounding remainder). All weights zero: the first part gets everything.
    """
    grand = sum(weights, Decimal(0))
    shares = [Decimal(0)] * len(weights)
    given = Decimal(0)
    for index in range(len(weights) - 1, 0, -1):
        weight = weights[index] / grand if grand else Decimal(0)
        shares[index] = (amount * weight).quantize(CENT, ROUND_HALF_UP)
        given += shares[index]
    if weights:
        shares[0] = amount - given
    return shares


def item_discount_shares(discount: Decimal, amounts: list[Decimal], quantity: Decimal) -> list[Decimal]:
    """An item's ``discount`` among the warehouses it ships from (``amounts`` of its ``quantity``):
    each in proportion to its amount, rounded half-up, the last one taking the remainder."""
    shares = []
    remaining = discount
    for position, amount in enumerate(amounts):
        if position == len(amounts) - 1:
            share = remaining
        else:
            share = (discount * amount / quantity).quantize(CENT, ROUND_HALF_UP)
        remaining -= share
        shares.append(share)
    return shares


def line_total(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    """What an ERP line costs the buyer: quantity x unit price less its discount, to the cent."""
    return (quantity * unit_price - discount).quantize(CENT, ROUND_HALF_UP)


def order_extras(
    order: dict[str, Any], *, discounts: bool = True, freight: bool = True, interest: bool = True
) -> dict[str, Decimal]:
    """The order-level ``discount``, ``freight`` and ``interest`` to import (zero when switched off).

    AnyMarket's order ``discount`` includes the items' own discounts (already on the lines), so only
    what exceeds them is an order-level discount; never negative. Interest is ``interestValue``.
    """
    items = order.get("items") or []
    item_discounts = sum((money(item.get("discount")) for item in items), Decimal(0))
    order_discount = max(Decimal(0), money(order.get("discount")) - item_discounts)
    return {
        "discount": order_discount if discounts else Decimal(0),
        "freight": money(order.get("freight")) if freight else Decimal(0),
        "interest": money(order.get("interestValue")) if interest else Decimal(0),
    }


def allocate_parts(items_totals: Iterable[Decimal], extras: dict[str, Decimal]) -> list[dict[str, Decimal]]:
    """The money columns of each ERP order: ``items_total`` (its lines), its share of every extra
    (by ``items_totals``, remainder on the first part) and ``total`` = items - discount + freight +
    interest. The parts' extras and totals add up exactly to the order's."""
    totals = list(items_totals)
    shares = {key: split_by_weight(extras.get(key, Decimal(0)), totals) for key in EXTRAS}
    return [
        {
            "items_total": items_total,
            "discount": shares["discount"][index],
            "freight": shares["freight"][index],
            "interest": shares["interest"][index],
            "total": items_total
            - shares["discount"][index]
            + shares["freight"][index]
            + shares["interest"][index],
        }
        for index, items_total in enumerate(totals)
    ]
