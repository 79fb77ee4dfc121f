"""Money allocation (:mod:`anymarket.orders.allocation`), table-driven: discounts, interest, freight and
fees shared across items, warehouses and Multi-CD parts, every sum exact to the cent. Pure: no server,
no database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from anymarket.orders.allocation import (
    allocate_parts,
    item_discount_shares,
    line_total,
    money,
    order_extras,
    split_by_weight,
)
from anymarket.orders.fiscal import Payment, split_payments


def D(*values: Any) -> list[Decimal]:
    return [Decimal(str(v)) for v in values]


# -- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "0.00"),
        ("", "0.00"),
        (0, "0.00"),
        (12.5, "12.50"),
        ("3.335", "3.34"),  # half-up, not half-even
        ("3.345", "3.35"),
        ("0.005", "0.01"),
        (7, "7.00"),
    ],
)
def test_money(value: Any, expected: str) -> None:
    assert money(value) == Decimal(expected)
    assert str(money(value)) == expected


# -- split_by_weight --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        ("10.00", [1], ["10.00"]),
        ("10.00", [1, 1], ["5.00", "5.00"]),
        ("10.00", [1, 1, 1], ["3.34", "3.33", "3.33"]),  # the remainder lands on the first part
        ("1.00", [2, 1], ["0.67", "0.33"]),
        ("1.00", [1, 2], ["0.33", "0.67"]),
        ("0.05", [1, 1], ["0.02", "0.03"]),  # 0.025 rounds half-up on the second part
        ("0.01", [1, 1, 1], ["0.01", "0.00", "0.00"]),
        ("100.00", [30, 70], ["30.00", "70.00"]),
        ("100.00", ["150.00", "50.00"], ["75.00", "25.00"]),
        ("19.90", ["10.00", "20.00", "70.00"], ["1.99", "3.98", "13.93"]),
        ("10.00", [0, 0], ["10.00", "0.00"]),  # nothing to weigh by: all on the first part
        ("10.00", [0, 5], ["0.00", "10.00"]),
        ("0.00", [3, 7], ["0.00", "0.00"]),
        ("-6.00", [1, 2], ["-2.00", "-4.00"]),
        ("10.00", [], []),
    ],
)
def test_split_by_weight(amount: str, weights: list[Any], expected: list[str]) -> None:
    shares = split_by_weight(Decimal(amount), D(*weights))
    assert shares == D(*expected)
    if weights:
        assert sum(shares, Decimal(0)) == Decimal(amount)  # exact to the cent


# -- an item's discount across its warehouses --------------------------------------------------


@pytest.mark.parametrize(
    ("discount", "amounts", "quantity", "expected"),
    [
        ("10.00", [3], 3, ["10.00"]),
        ("10.00", [1, 2], 3, ["3.33", "6.67"]),  # the last warehouse takes the remainder
        ("10.00", [2, 1], 3, ["6.67", "3.33"]),
        ("0.05", [1, 1], 2, ["0.03", "0.02"]),  # 0.025 rounds half-up on the first
        ("9.00", [1, 1, 1], 3, ["3.00", "3.00", "3.00"]),
        ("1.00", [1, 1, 1], 3, ["0.33", "0.33", "0.34"]),
        ("0.00", [1, 1], 2, ["0.00", "0.00"]),
        ("5.00", [], 0, []),
    ],
)
def test_item_discount_shares(discount: str, amounts: list[int], quantity: int, expected: list[str]) -> None:
    shares = item_discount_shares(Decimal(discount), D(*amounts), Decimal(quantity))
    assert shares == D(*expected)
    if amounts:
        assert sum(shares, Decimal(0)) == Decimal(discount)


@pytest.mark.parametrize(
    ("quantity", "unit", "discount", "expected"),
    [
        ("1", "10.00", "0", "10.00"),
        ("3", "9.99", "1.00", "28.97"),
        ("2", "50.00", "10.00", "90.00"),
        ("0.333", "10.00", "0", "3.33"),
        ("1.5", "0.01", "0", "0.02"),  # 0.015 half-up
        ("2.5", "0.01", "0", "0.03"),  # 0.025 half-up, not half-even
        ("1", "5.00", "7.00", "-2.00"),
    ],
)
def test_line_total(quantity: str, unit: str, discount: str, expected: str) -> None:
    assert line_total(Decimal(quantity), Decimal(unit), Decimal(discount)) == Decimal(expected)


# -- order-level amounts ----------------------------------------------------------------------

ORDER = {
    "discount": 15,
    "freight": "12.5",
    "interestValue": 3.21,
    "items": [{"discount": 2}, {"discount": "3.00"}, {}],
}


@pytest.mark.parametrize(
    ("order", "flags", "expected"),
    [
        (ORDER, {}, {"discount": "10.00", "freight": "12.50", "interest": "3.21"}),
        (ORDER, {"discounts": False}, {"discount": "0", "freight": "12.50", "interest": "3.21"}),
        (ORDER, {"freight": False}, {"discount": "10.00", "freight": "0", "interest": "3.21"}),
        (ORDER, {"interest": False}, {"discount": "10.00", "freight": "12.50", "interest": "0"}),
        (
            ORDER,
            {"discounts": False, "freight": False, "interest": False},
            {"discount": "0", "freight": "0", "interest": "0"},
        ),
        # the order's discount is only the items' own: no order-level discount
        ({**ORDER, "discount": 5}, {}, {"discount": "0", "freight": "12.50", "interest": "3.21"}),
        # less than the items' (inconsistent marketplace data): never negative
        ({**ORDER, "discount": 1}, {}, {"discount": "0", "freight": "12.50", "interest": "3.21"}),
        ({"discount": "4.5", "items": [{}]}, {}, {"discount": "4.50", "freight": "0", "interest": "0"}),
        ({"items": None}, {}, {"discount": "0", "freight": "0", "interest": "0"}),
        ({"interest": 9, "items": []}, {}, {"discount": "0", "freight": "0", "interest": "0"}),  # not the key
    ],
)
def test_order_extras(order: dict[str, Any], flags: dict[str, bool], expected: dict[str, str]) -> None:
    extras = order_extras(order, **flags)
    assert extras == {k: Decimal(v) for k, v in expected.items()}


def test_order_extras_default_imports_everything() -> None:
    assert order_extras({"discount": 1, "freight": 2, "interestValue": 3, "items": []}) == {
        "discount": Decimal("1.00"),
        "freight": Decimal("2.00"),
        "interest": Decimal("3.00"),
    }


# -- the ERP orders of one AnyMarket order (Multi-CD) ------------------------------------------

EXTRAS = {"discount": Decimal("10.00"), "freight": Decimal("20.00"), "interest": Decimal("5.00")}


@pytest.mark.parametrize(
    ("items_totals", "extras", "expected"),
    [
        # one ERP order: everything on it
        (["100.00"], EXTRAS, [("100.00", "10.00", "20.00", "5.00", "115.00")]),
        # two deposits, 3:1 by item totals
        (
            ["150.00", "50.00"],
            EXTRAS,
            [("150.00", "7.50", "15.00", "3.75", "161.25"), ("50.00", "2.50", "5.00", "1.25", "53.75")],
        ),
        # three deposits: rounding remainders on the first part
        (
            ["10.00", "10.00", "10.00"],
            EXTRAS,
            [
                ("10.00", "3.34", "6.66", "1.66", "14.98"),
                ("10.00", "3.33", "6.67", "1.67", "15.01"),
                ("10.00", "3.33", "6.67", "1.67", "15.01"),
            ],
        ),
        # the first part heavier than the second
        (
            ["90.00", "10.00"],
            {"discount": Decimal("1.00"), "freight": Decimal("0.05"), "interest": Decimal("0")},
            [("90.00", "0.90", "0.04", "0", "89.14"), ("10.00", "0.10", "0.01", "0", "9.91")],
        ),
        # no extras at all (a missing key counts as zero)
        (["40.00", "60.00"], {}, [("40.00", "0", "0", "0", "40.00"), ("60.00", "0", "0", "0", "60.00")]),
        ([], EXTRAS, []),
    ],
)
def test_allocate_parts(
    items_totals: list[str], extras: dict[str, Decimal], expected: list[tuple[str, ...]]
) -> None:
    parts = allocate_parts(D(*items_totals), extras)
    keys = ("items_total", "discount", "freight", "interest", "total")
    assert parts == [dict(zip(keys, D(*row), strict=True)) for row in expected]
    if parts:
        for key in ("discount", "freight", "interest"):
            assert sum((p[key] for p in parts), Decimal(0)) == extras.get(key, Decimal(0))
        grand = sum(D(*items_totals), Decimal(0))
        expected_total = (
            grand
            - extras.get("discount", Decimal(0))
            + extras.get("freight", Decimal(0))
            + extras.get("interest", Decimal(0))
        )
        assert sum((p["total"] for p in parts), Decimal(0)) == expected_total


# -- payments and fees across the parts (fiscal.split_payments uses split_by_weight) -----------


def payment(value: str, marketplace_fee: str = "0", gateway_fee: str = "0") -> Payment:
    return Payment(
        method="CREDIT_CARD",
        method_detail="Cartão",
        value=Decimal(value),
        installments=3,
        marketplace_fee=Decimal(marketplace_fee),
        gateway_fee=Decimal(gateway_fee),
        marketplace_payment_id="mp-1",
        status="approved",
    )


@pytest.mark.parametrize(
    ("payments", "weights", "expected"),
    [
        ([payment("100.00", "16.00", "4.99")], ["100.00"], [[("100.00", "16.00", "4.99")]]),
        (
            [payment("100.00", "16.00", "4.99")],
            ["75.00", "25.00"],
            [[("75.00", "12.00", "3.74")], [("25.00", "4.00", "1.25")]],
        ),
        (
            [payment("10.00", "1.00", "0.01"), payment("5.00")],
            ["1", "1", "1"],
            [
                [("3.34", "0.34", "0.01"), ("1.66", "0", "0")],
                [("3.33", "0.33", "0.00"), ("1.67", "0", "0")],
                [("3.33", "0.33", "0.00"), ("1.67", "0", "0")],
            ],
        ),
        ([], ["1", "1"], [[], []]),
    ],
)
def test_payments_and_fees_across_parts(
    payments: list[Payment], weights: list[str], expected: list[list[tuple[str, str, str]]]
) -> None:
    parts = split_payments(payments, D(*weights))
    got = [[(p.value, p.marketplace_fee, p.gateway_fee) for p in part] for part in parts]
    assert got == [[tuple(D(*row)) for row in part] for part in expected]
    for index, original in enumerate(payments):
        for name in ("value", "marketplace_fee", "gateway_fee"):
            assert sum((getattr(part[index], name) for part in parts), Decimal(0)) == getattr(original, name)
        assert all(part[index].installments == original.installments for part in parts)
