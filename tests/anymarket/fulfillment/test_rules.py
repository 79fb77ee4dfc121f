"""Full stock rules, table-driven: the quantity an answer means, and which SKUs are read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anymarket.fulfillment.rules import MalformedFullStock, full_quantity, listed_on, skus_to_read


def cd(quantity, reserved=0, available=None) -> dict:
    return {
        "sku": "MLB-A",
        "document": "03007331011580",
        "description": "SP01",
        "fulfillment_quantity_stock": quantity,
        "fulfillment_reserved_stock": reserved,
        "fulfillment_available_stock": quantity - reserved if available is None else available,
    }


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ([], "0.000"),
        ([cd(12, reserved=2)], "12.000"),  # physical: the reserved units still sit there
        ([cd(12, reserved=2), cd(3)], "15.000"),
        ([cd(2.5), cd(0.25)], "2.750"),
        ([cd(0)], "0.000"),
        ([{"fulfillment_quantity_stock": "4"}], "4.000"),  # a number sent as text still reads
    ],
)
def test_full_quantity_sums_the_cds(answer: list, expected: str) -> None:
    assert full_quantity(answer) == Decimal(expected)
    assert str(full_quantity(answer)) == expected


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"content": []}, "expected an array of CDs, got dict"),
        (None, "expected an array of CDs, got NoneType"),
        (["x"], "CD 0: no number"),
        ([cd(1), {"sku": "x"}], "CD 1: no number fulfillment_quantity_stock (None)"),
        ([cd(True)], "CD 0: no number"),
        ([cd(-1)], "CD 0: fulfillment_quantity_stock -1 is not a quantity"),
        ([{"fulfillment_quantity_stock": "muitos"}], "'muitos' is not a number"),
        ([{"fulfillment_quantity_stock": "NaN"}], "'NaN' is not a quantity"),
        ([{"fulfillment_quantity_stock": [1]}], "CD 0: no number"),
    ],
)
def test_a_malformed_answer_is_refused_not_guessed(answer, message: str) -> None:
    with pytest.raises(MalformedFullStock) as caught:
        full_quantity(answer)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("full", "listing", "expected"),
    [
        ("MERCADO_LIVRE", "MERCADO_LIVRE", True),
        ("MERCADO_LIVRE", "mercado_livre", True),
        ("MERCADO_LIVRE", "MERCADO_LIVRE_CLASSICO", False),
        ("MERCADO_LIVRE", "B2W", False),
        ("B2W_NEW_API", "B2W", True),
        ("B2W_NEW_API", "AMERICANAS", True),
        ("B2W_NEW_API", "SUBMARINO", True),
        ("B2W_NEW_API", "SHOPTIME", True),
        ("B2W_NEW_API", "MERCADO_LIVRE", False),
        ("B2W_NEW_API", "NETSHOES", False),
        ("OUTROS", "NETSHOES", True),
        ("OUTROS", "MAGAZINE_LUIZA", True),
        ("OUTROS", "MERCADO_LIVRE", False),
        ("OUTROS", "B2W", False),
        ("NETSHOES", "NETSHOES", False),  # not a Full marketplace of the endpoint
    ],
)
def test_listed_on(full: str, listing: str, expected: bool) -> None:
    assert listed_on(full, listing) is expected


LINKED = {"A": "1", "B": "2", "C": "3", "D": "4"}


@pytest.mark.parametrize(
    ("listings", "holding", "expected"),
    [
        # No listing stored at all: no evidence, every linked SKU.
        (None, set(), ["A", "B", "C", "D"]),
        # Listed on ML: A and C; B only on Netshoes.
        ([("A", "MERCADO_LIVRE"), ("B", "NETSHOES"), ("C", "MERCADO_LIVRE")], set(), ["A", "C"]),
        # D is held at Full in the ERP but listed nowhere now: read, so it goes back to 0.
        ([("A", "MERCADO_LIVRE")], {"D"}, ["A", "D"]),
        # Listings stored, none on ML: nothing to read.
        ([("A", "B2W")], set(), []),
        # A listing or balance of a SKU no longer linked cannot be asked about.
        ([("Z", "MERCADO_LIVRE")], {"Y"}, []),
    ],
)
def test_skus_to_read(listings, holding: set, expected: list) -> None:
    got = skus_to_read(marketplace="MERCADO_LIVRE", linked=LINKED, listings=listings, holding=holding)
    assert got == expected
