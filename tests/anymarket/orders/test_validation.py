"""Order validation (:func:`anymarket.orders.validation.validate_order`), table-driven: a sound order
with one thing changed, and exactly the problems it must name. Pure: no server, no database."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from anymarket.orders.validation import MalformedOrderError, validate_order

GOOD: dict[str, Any] = {
    "id": 7,
    "status": "PAID_WAITING_SHIP",
    "createdAt": "2026-03-01T10:00:00-03:00",
    "buyer": {"name": "Ana"},
    "items": [
        {"sku": {"partnerId": "A"}, "amount": 1, "unit": 10, "stocks": [{"stockLocalId": 5, "amount": 1}]}
    ],
    "payments": [{"value": 10, "installments": 2}],
}
ITEM = {"sku": {"partnerId": "A"}, "amount": 1}
STATUSES = "CANCELED, CONCLUDED, DELIVERY_ISSUE, INVOICED, PAID_WAITING_DELIVERY, PAID_WAITING_SHIP, PENDING"

CASES = [
    pytest.param({"id": 0}, ["id: 0 is not an order id"], id="id zero"),
    pytest.param({"id": "abc"}, ["id: 'abc' is not an order id"], id="id text"),
    pytest.param({"id": True}, ["id: True is not an order id"], id="id bool"),
    pytest.param({"id": -3}, ["id: -3 is not an order id"], id="id negative"),
    pytest.param(
        {"status": "PAID"},
        [f"status: 'PAID' is not an AnyMarket order status ({STATUSES})"],
        id="status",
    ),
    pytest.param(
        {"status": None},
        ["status: None is not an AnyMarket order status (" + STATUSES + ")"],
        id="status none",
    ),
    pytest.param({"createdAt": None}, ["createdAt: missing"], id="createdAt missing"),
    pytest.param({"createdAt": ""}, ["createdAt: missing"], id="createdAt empty"),
    pytest.param(
        {"createdAt": "2026-03-01T10:00:00"},
        ["createdAt: '2026-03-01T10:00:00' has no timezone offset (AnyMarket sends e.g. -03:00)"],
        id="createdAt naive",
    ),
    pytest.param(
        {"createdAt": "yesterday"}, ["createdAt: 'yesterday' is not an ISO date-time"], id="createdAt garbage"
    ),
    pytest.param(
        {"paymentDate": "2026-03-01T10:00:00"},
        ["paymentDate: '2026-03-01T10:00:00' has no timezone offset (AnyMarket sends e.g. -03:00)"],
        id="paymentDate naive",
    ),
    pytest.param({"cancelDate": "x"}, ["cancelDate: 'x' is not an ISO date-time"], id="cancelDate bad"),
    pytest.param({"total": -1}, ["total: -1 is not a non-negative amount"], id="total negative"),
    pytest.param({"discount": "abc"}, ["discount: 'abc' is not a number"], id="discount text"),
    pytest.param({"freight": True}, ["freight: True is not a number"], id="freight bool"),
    pytest.param(
        {"interestValue": "Infinity"}, ["interestValue: 'Infinity' is not a finite number"], id="interest inf"
    ),
    pytest.param(
        {"interestValue": "NaN"}, ["interestValue: 'NaN' is not a finite number"], id="interest nan"
    ),
    pytest.param({"gross": [1]}, ["gross: [1] is not a number"], id="gross list"),
    pytest.param({"buyer": None}, ["buyer: expected an object, got None"], id="buyer missing"),
    pytest.param({"buyer": "Ana"}, ["buyer: expected an object, got 'Ana'"], id="buyer text"),
    pytest.param({"shipping": "rua"}, ["shipping: expected an object, got 'rua'"], id="shipping text"),
    pytest.param({"items": []}, ["items: expected a non-empty list, got []"], id="items empty"),
    pytest.param({"items": None}, ["items: expected a non-empty list, got None"], id="items none"),
    pytest.param({"items": [3]}, ["items[0]: expected an object, got int"], id="item not object"),
    pytest.param(
        {"items": [{"amount": 1}]},
        ["items[0].sku: expected an object with partnerId, got None"],
        id="sku missing",
    ),
    pytest.param({"items": [{"sku": {"id": 9}, "amount": 1}]}, [], id="sku id only"),
    pytest.param(
        {"items": [{"sku": {"partnerId": ["a"]}, "amount": 1}]},
        ["items[0].sku.partnerId: not a SKU code of at most 120 characters"],
        id="sku partnerId list",
    ),
    pytest.param(
        {
            "items": [
                {
                    "sku": {"partnerId": "x" * 121},
                    "amount": 1,
                }
            ]
        },
        ["items[0].sku.partnerId: not a SKU code of at most 120 characters"],
        id="sku partnerId long",
    ),
    pytest.param(
        {
            "items": [
                {
                    "sku": {"partnerId": "x" * 120},
                    "amount": 1,
                }
            ]
        },
        [],
        id="sku partnerId 120",
    ),
    pytest.param({"items": [{"sku": {"partnerId": "A"}}]}, ["items[0].amount: missing"], id="amount missing"),
    pytest.param(
        {"items": [{"sku": {"partnerId": "A"}, "amount": 0}]},
        ["items[0].amount: 0 is not a positive amount"],
        id="amount zero",
    ),
    pytest.param(
        {
            "items": [
                {"sku": {"partnerId": "A"}, "amount": 1, "unit": -1, "gross": -1, "total": -1, "discount": -1}
            ]
        },
        [
            "items[0].unit: -1 is not a non-negative amount",
            "items[0].gross: -1 is not a non-negative amount",
            "items[0].total: -1 is not a non-negative amount",
            "items[0].discount: -1 is not a non-negative amount",
        ],
        id="unit negative",
    ),
    pytest.param({"items": [{"sku": {"partnerId": "A"}, "amount": 1, "unit": 0}]}, [], id="unit zero"),
    pytest.param(
        {"items": [{"sku": {"partnerId": "A"}, "amount": 1, "stocks": "x"}]},
        ["items[0].stocks: expected a list, got a text"],
        id="stocks text",
    ),
    pytest.param(
        {"items": [{"sku": {"partnerId": "A"}, "amount": 1, "stocks": [{"amount": 1}, 4]}]},
        [
            "items[0].stocks[0].stockLocalId: missing or not a warehouse id",
            "items[0].stocks[1].stockLocalId: missing or not a warehouse id",
        ],
        id="stock no local",
    ),
    pytest.param(
        {
            "items": [
                {"sku": {"partnerId": "A"}, "amount": 1, "stocks": [{"stockLocalId": "5", "amount": -1}]}
            ]
        },
        ["items[0].stocks[0].amount: -1 is not a non-negative amount"],
        id="stock amount negative",
    ),
    pytest.param({"payments": "x"}, ["payments: expected a list, got a text"], id="payments text"),
    pytest.param({"payments": None}, [], id="payments none"),
    pytest.param({"payments": [1]}, ["payments[0]: expected an object, got int"], id="payment not object"),
    pytest.param(
        {"payments": [{"value": -1}]},
        ["payments[0].value: -1 is not a non-negative amount"],
        id="payment value negative",
    ),
    pytest.param(
        {"payments": [{"value": 1, "installments": 0}]},
        ["payments[0].installments: 0 is not 1..99"],
        id="installments 0",
    ),
    pytest.param(
        {"payments": [{"value": 1, "installments": 100}]},
        ["payments[0].installments: 100 is not 1..99"],
        id="installments 100",
    ),
    pytest.param({"payments": [{"value": 1, "installments": "99"}]}, [], id="installments 99"),
    pytest.param({"payments": [{"value": 1, "installments": 1}]}, [], id="installments 1"),
    pytest.param(
        {"payments": [{"value": 1, "installments": 1.5}]},
        ["payments[0].installments: 1.5 is not 1..99"],
        id="installments float",
    ),
    pytest.param(
        {"buyer": {"name": "a" * 4097}},
        ["buyer.name: a text of 4097 characters (at most 4096)"],
        id="long text",
    ),
    pytest.param({"buyer": {"name": "a" * 4096}}, [], id="text 4096"),
    pytest.param(
        {"items": [{"sku": {"partnerId": "A"}, "amount": 1, "title": "b" * 5000}]},
        ["items[0].title: a text of 5000 characters (at most 4096)"],
        id="long text in list",
    ),
]


@pytest.mark.parametrize(("patch", "problems"), CASES)
def test_each_problem_is_named(patch: dict[str, Any], problems: list[str]) -> None:
    order = {**copy.deepcopy(GOOD), **patch}
    if not problems:
        validate_order(order)
        return
    with pytest.raises(MalformedOrderError) as raised:
        validate_order(order)
    assert raised.value.problems == problems
    valid_id = type(order["id"]) is int and order["id"] > 0
    assert raised.value.order_id == (order["id"] if valid_id else "?")


def test_a_sound_order_passes() -> None:
    validate_order(copy.deepcopy(GOOD))
    validate_order({**GOOD, "id": "7"}, expected_id="7")


@pytest.mark.parametrize("value", [[1], "order", None, 3])
def test_not_an_object(value: Any) -> None:
    with pytest.raises(MalformedOrderError) as raised:
        validate_order(value, expected_id="42")
    assert raised.value.order_id == "42"
    kind = {list: "a list", str: "a text", type(None): "null", int: "int"}[type(value)]
    assert raised.value.problems == [f"expected a JSON object, got {kind}"]
    with pytest.raises(MalformedOrderError) as raised:
        validate_order(value)
    assert raised.value.order_id == "?"


def test_the_id_asked_for_must_be_the_id_answered() -> None:
    with pytest.raises(MalformedOrderError) as raised:
        validate_order({**GOOD, "id": 8}, expected_id="7")
    assert raised.value.problems == ["id: asked for order 7, AnyMarket answered order 8"]
    assert raised.value.order_id == "7"  # recorded under the id that was asked for


def test_the_message_names_five_problems_and_counts_the_rest() -> None:
    order = {
        **GOOD,
        "total": -1,
        "gross": -1,
        "discount": -1,
        "freight": -1,
        "interestValue": -1,
        "status": "X",
    }
    with pytest.raises(MalformedOrderError) as raised:
        validate_order(order)
    message = str(raised.value)
    assert message.startswith(
        "AnyMarket order 7 is malformed: status: 'X' is not an AnyMarket order status ("
    )
    assert "total: -1 is not a non-negative amount; gross: -1" in message
    assert "interestValue" not in message  # the sixth
    assert "(and 1 more). Nothing was written; it stays queued and is retried every run." in message
    with pytest.raises(MalformedOrderError) as raised:
        validate_order({**GOOD, "total": -1})
    assert str(raised.value).startswith(
        "AnyMarket order 7 is malformed: total: -1 is not a non-negative amount. "
    )
    assert "more)" not in str(raised.value)


def test_a_long_repr_is_cut() -> None:
    with pytest.raises(MalformedOrderError) as raised:
        validate_order({**GOOD, "status": "S" * 80})
    shown = "'" + "S" * 56 + "..."
    assert raised.value.problems[0].startswith(f"status: {shown} is not")


EDGES = [
    # What is valid at the edge of each rule.
    pytest.param({"createdAt": "2026-03-01T13:00:00Z"}, [], id="a Z offset is an offset"),
    pytest.param({"id": 1}, [], id="the first id"),
    pytest.param({"discount": 0, "freight": 0}, [], id="zero order amounts"),
    pytest.param({"payments": [{"value": 0}]}, [], id="a zero payment"),
    pytest.param(
        {"items": [{"sku": {"partnerId": "A"}, "amount": 1, "stocks": [{"stockLocalId": 5, "amount": 0}]}]},
        [],
        id="a zero stock share",
    ),
    # Every bad entry of a list is named, not only the first.
    pytest.param(
        {"items": ["x", {"sku": "y", "amount": 1}, {"sku": {"partnerId": "B"}, "amount": 0}]},
        [
            "items[0]: expected an object, got a text",
            "items[1].sku: expected an object with partnerId, got 'y'",
            "items[2].amount: 0 is not a positive amount",
        ],
        id="three bad items",
    ),
    pytest.param(
        {"payments": ["x", {"value": -1}]},
        ["payments[0]: expected an object, got a text", "payments[1].value: -1 is not a non-negative amount"],
        id="two bad payments",
    ),
    pytest.param(
        {
            "items": [
                {"sku": {"partnerId": "A"}, "amount": 1, "stocks": ["s", {"stockLocalId": 5, "amount": -1}]}
            ]
        },
        [
            "items[0].stocks[0].stockLocalId: missing or not a warehouse id",
            "items[0].stocks[1].amount: -1 is not a non-negative amount",
        ],
        id="two bad stock shares",
    ),
    pytest.param(
        {
            "items": [
                {"sku": {"partnerId": "A"}, "amount": 1, "stocks": {}},
                {"sku": {"partnerId": "B"}, "amount": 0},
            ]
        },
        ["items[0].stocks: expected a list, got an object", "items[1].amount: 0 is not a positive amount"],
        id="stocks not a list, and the next item still checked",
    ),
    pytest.param({"total": True}, ["total: True is not a number"], id="total bool"),
    pytest.param(
        {"status": "S" * 59},
        ["status: '" + "S" * 56 + f"... is not an AnyMarket order status ({STATUSES})"],
        id="a 61-character value is cut",
    ),
    pytest.param(
        {"status": "S" * 58},
        ["status: '" + "S" * 58 + f"' is not an AnyMarket order status ({STATUSES})"],
        id="a 60-character value is shown whole",
    ),
]


@pytest.mark.parametrize(("patch", "problems"), EDGES)
def test_the_edges_of_each_rule(patch: dict[str, Any], problems: list[str]) -> None:
    test_each_problem_is_named(patch, problems)


def test_five_problems_are_all_named_and_none_counted_as_more() -> None:
    order = {**GOOD, "total": -1, "gross": -1, "discount": -1, "freight": -1, "interestValue": -1}
    with pytest.raises(MalformedOrderError) as raised:
        validate_order(order)
    message = str(raised.value)
    assert "interestValue: -1 is not a non-negative amount. Nothing was written" in message
    assert "more)" not in message
    assert message.endswith(
        "If AnyMarket keeps sending it like this, fix the order on the marketplace or ask "
        "AnyMarket's support."
    )
