"""The kit rules: a kit's stock from its components', an order's reservations, the kitComponents body."""

from __future__ import annotations

import pandas as pd
import pytest

from anymarket.rules.kits import (
    KitPart,
    component_reservations,
    kit_components_body,
    kit_stock,
    kits_by_sku_id,
    kits_from_rows,
    normalized_components,
)
from anymarket.rules.send_stock import desired_stock
from anymarket.settings import ProductSettings, StockSettings

# SKUs 1 and 2 are components, 9 a kit of 2 x SKU 1 + 1 x SKU 2, 3 an ordinary SKU.
SKUS = pd.DataFrame(
    {
        "sku_id": [1, 2, 3, 9],
        "code": ["A", "B", "C", "KIT"],
        "made_to_order": [0, 0, 0, 0],
        "active": [1, 1, 1, 1],
        "crossdocking_days": [0, 0, 0, 0],
        "cost_price": [1.0, 1.0, 1.0, 1.0],
        "sell_price": [10.0, 30.0, 5.0, 50.0],
    }
)
KIT = pd.DataFrame({"kit_sku_id": [9, 9], "component_sku_id": [1, 2], "quantity": [2, 1]})


def desired(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sku_id", "stock_local_id", "quantity"]).assign(
        sku_code=lambda f: f["sku_id"].map({1: "A", 2: "B", 3: "C", 9: "KIT"})
    )


def kit_amounts(out: pd.DataFrame) -> dict[str, int]:
    rows = out[out["sku_id"] == 9]
    return dict(zip(rows["stock_local_id"], rows["quantity"].astype(int), strict=True))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (10, 3, 3),  # B is scarcest: 3 kits
        (7, 9, 3),  # A: floor(7 / 2) = 3
        (1, 9, 0),  # not even one pair of A
        (0, 0, 0),
        (8, 4, 4),  # both allow exactly 4
    ],
)
def test_a_kit_sells_what_its_scarcest_component_allows(a: int, b: int, expected: int) -> None:
    out = kit_stock(desired([(1, "", a), (2, "", b), (3, "", 5), (9, "", 99)]), KIT, SKUS, StockSettings())
    assert kit_amounts(out) == {"": expected}
    # The other rows are left as they were, in their order.
    assert out["sku_id"].tolist() == [1, 2, 3, 9]
    assert out["quantity"].tolist()[:3] == [a, b, 5]
    assert out["quantity"].dtype == "int64"


def test_each_warehouse_gets_its_own_minimum() -> None:
    rows = [(1, "100", 10), (2, "100", 1), (9, "100", 0), (1, "200", 4), (2, "200", 8), (9, "200", 0)]
    assert kit_amounts(kit_stock(desired(rows), KIT, SKUS, StockSettings())) == {"100": 1, "200": 2}


@pytest.mark.parametrize(
    ("safety", "kit_flags", "expected"),
    [
        (0, (0, 1), 3),
        (3, (0, 1), 0),  # at the safety stock: 0
        (2, (0, 1), 3),  # above it
        (3, (1, 1), 3),  # a made-to-order kit is exempt
        (0, (0, 0), 0),  # an inactive kit shows 0
    ],
)
def test_the_kit_goes_through_the_stock_rules_too(
    safety: int, kit_flags: tuple[int, int], expected: int
) -> None:
    skus = SKUS.copy()
    skus.loc[skus["sku_id"] == 9, ["made_to_order", "active"]] = kit_flags
    out = kit_stock(
        desired([(1, "", 6), (2, "", 3), (9, "", 0)]), KIT, skus, StockSettings(safety_stock=safety)
    )
    assert kit_amounts(out) == {"": expected}


def test_a_component_without_a_row_or_with_a_bad_quantity_sells_no_kit() -> None:
    assert kit_amounts(kit_stock(desired([(1, "", 10), (9, "", 5)]), KIT, SKUS, StockSettings())) == {"": 0}
    broken = KIT.assign(quantity=[0, 1])
    out = kit_stock(desired([(1, "", 10), (2, "", 10), (9, "", 5)]), broken, SKUS, StockSettings())
    assert kit_amounts(out) == {"": 0}


def test_fractional_quantities_floor_with_the_float_tolerance() -> None:
    kit = pd.DataFrame({"kit_sku_id": [9], "component_sku_id": [1], "quantity": [0.1]})
    out = kit_stock(desired([(1, "", 3), (9, "", 0)]), kit, SKUS, StockSettings())
    assert kit_amounts(out) == {"": 30}  # 3 / 0.1 is 29.999999999999996 in binary floats


def test_no_kits_leave_the_frame_alone() -> None:
    frame = desired([(1, "", 4)])
    assert kit_stock(frame, pd.DataFrame(), SKUS, StockSettings()) is frame  # no rows, no columns either
    assert kit_stock(frame, KIT.iloc[:0], SKUS, StockSettings()) is frame
    assert kit_stock(frame, KIT, SKUS, StockSettings()) is frame  # no kit among the rows


def test_over_the_real_desired_stock_the_kit_uses_components_after_reservations() -> None:
    balances = pd.DataFrame({"sku_id": [1, 2, 9], "deposit_id": [1, 1, 1], "quantity": [9, 5, 40]})
    reservations = pd.DataFrame({"sku_id": [1], "deposit_id": [1], "quantity": [4]})
    targets = pd.DataFrame({"deposit_id": [1], "stock_local_id": [""]})
    stock = StockSettings(balance="available")
    rows = desired_stock(
        skus=SKUS,
        balances=balances,
        reservations=reservations,
        targets=targets,
        stock=stock,
        products=ProductSettings(),
    )
    out = kit_stock(rows, KIT, SKUS, stock)
    # A: 9 - 4 = 5 → 2 kits; the kit's own balance (40) is not read.
    assert kit_amounts(out) == {"": 2}
    assert set(out.columns) == set(rows.columns)


def test_an_order_line_for_kits_holds_each_component_times_the_kits() -> None:
    parts = (KitPart(1, "A", 2, 10.0), KitPart(2, "B", 0.5, 30.0))
    assert component_reservations(3, parts) == [(1, 6), (2, 1.5)]
    assert component_reservations(1, ()) == []


def test_kits_from_rows_groups_components_by_kit() -> None:
    rows = [
        {
            "kit_code": "K1",
            "component_sku_id": 1,
            "component_code": "A",
            "quantity": "2.000",
            "component_sell_price": None,
        },
        {
            "kit_code": "K1",
            "component_sku_id": 2,
            "component_code": "B",
            "quantity": 1,
            "component_sell_price": "30.5",
        },
        {
            "kit_code": "K2",
            "component_sku_id": 1,
            "component_code": "A",
            "quantity": 3,
            "component_sell_price": 10,
        },
    ]
    assert kits_from_rows(rows) == {
        "K1": (KitPart(1, "A", 2.0, 0.0), KitPart(2, "B", 1.0, 30.5)),
        "K2": (KitPart(1, "A", 3.0, 10.0),),
    }


def test_the_kit_body_addresses_linked_components_with_shares_adding_to_100() -> None:
    parts = (KitPart(1, "A", 2, 10.0), KitPart(2, "B", 1, 40.0), KitPart(3, "C", 1, 10.0))
    body, missing = kit_components_body(parts, {"A": "501", "B": "502", "C": "503"})
    assert missing == []
    assert body == [
        {"idSku": "501", "quantity": 2, "percentage": 28.57, "isMainComponent": False},
        {"idSku": "502", "quantity": 1, "percentage": 57.15, "isMainComponent": True},
        {"idSku": "503", "quantity": 1, "percentage": 14.28, "isMainComponent": False},
    ]
    assert round(sum(p["percentage"] for p in body), 2) == 100


def test_the_kit_body_without_prices_splits_equally_and_the_first_is_main() -> None:
    parts = (KitPart(1, "A", 1.5, 0.0), KitPart(2, "B", 1, 0.0), KitPart(3, "C", 1, 0.0))
    body, _ = kit_components_body(parts, {"A": "1", "B": "2", "C": "3"})
    assert [p["percentage"] for p in body] == [33.34, 33.33, 33.33]
    assert [p["isMainComponent"] for p in body] == [True, False, False]
    assert body[0]["quantity"] == 1.5


def test_a_kit_with_components_not_on_anymarket_waits() -> None:
    parts = (KitPart(1, "A", 1, 1.0), KitPart(2, "B", 1, 1.0))
    assert kit_components_body(parts, {"A": "1"}) == ([], ["B"])
    assert kit_components_body((), {}) == ([], [])


def test_kit_components_read_in_either_shape() -> None:
    one = {"idSku": "1", "quantity": 2}
    assert normalized_components(None) == []
    assert normalized_components(one) == [one]
    assert normalized_components([one, "junk"]) == [one]
    with pytest.raises(ValueError, match="kitComponents must be an object or a list"):
        normalized_components("1")


def test_ids_and_flags_as_the_erp_drivers_give_them() -> None:
    """MariaDB may hand integral Decimals for ids; flags may be booleans; quantities text or Decimal."""
    from decimal import Decimal

    kit = pd.DataFrame(
        {
            "kit_sku_id": [Decimal(9), Decimal(9)],
            "component_sku_id": [Decimal(1), Decimal(2)],
            "quantity": [Decimal("2.000"), "1"],
        },
        dtype=object,
    )
    skus = SKUS.astype({"sku_id": object}).assign(
        sku_id=[Decimal(i) for i in SKUS["sku_id"]], active=[True] * 4, made_to_order=[False] * 4
    )
    out = kit_stock(desired([(1, "", 7), (2, "", 5), (9, "", 0)]), kit, skus, StockSettings())
    assert kit_amounts(out) == {"": 3}


def test_a_kit_unknown_to_stock_skus_or_with_an_unreadable_quantity_sells_nothing() -> None:
    # The kit's SKU row is missing (neither active nor made to order known): 0, not its old amount.
    out = kit_stock(
        desired([(1, "", 9), (2, "", 9), (9, "", 5)]), KIT, SKUS[SKUS["sku_id"] != 9], StockSettings()
    )
    assert kit_amounts(out) == {"": 0}
    unreadable = KIT.assign(quantity=["n/a", 1])
    out = kit_stock(desired([(1, "", 9), (2, "", 9), (9, "", 5)]), unreadable, SKUS, StockSettings())
    assert kit_amounts(out) == {"": 0}
    # A kit that is made to order but whose SKU row is missing is still not sold.
    made = SKUS.assign(made_to_order=[1, 1, 1, 1])
    out = kit_stock(
        desired([(1, "", 9), (2, "", 9), (9, "", 5)]),
        KIT,
        made[made["sku_id"] != 9],
        StockSettings(safety_stock=100),
    )
    assert kit_amounts(out) == {"": 0}


def test_reservations_keep_three_decimals_like_the_erp_column() -> None:
    assert component_reservations(3, (KitPart(1, "A", 0.3333, 1.0),)) == [(1, 1.0)]


def test_the_kit_body_edges() -> None:
    # One component takes exactly 100 %.
    [only], _ = kit_components_body((KitPart(1, "A", 3.0, 10.0),), {"A": "7"})
    assert only == {"idSku": "7", "quantity": 3, "percentage": 100.0, "isMainComponent": True}
    assert type(only["quantity"]) is int
    # Prices under 1 still weigh: 25 % / 75 %.
    body, _ = kit_components_body((KitPart(1, "A", 1, 0.1), KitPart(2, "B", 1, 0.3)), {"A": "1", "B": "2"})
    assert [p["percentage"] for p in body] == [25.0, 75.0]
    # Whole quantities go as integers, fractional ones as they are.
    body, _ = kit_components_body(
        (KitPart(1, "A", 2.0, 1.0), KitPart(2, "B", 1.5, 1.0)), {"A": "1", "B": "2"}
    )
    assert [(p["quantity"], type(p["quantity"])) for p in body] == [(2, int), (1.5, float)]


def test_a_kit_components_value_of_another_type_is_named() -> None:
    with pytest.raises(ValueError, match="not int"):
        normalized_components(3)


def test_kits_by_sku_id_keys_each_kit_by_its_erp_id() -> None:
    rows = [
        {
            "kit_sku_id": 9,
            "kit_code": "K1",
            "component_sku_id": 1,
            "component_code": "A",
            "quantity": 2,
            "component_sell_price": 1,
        },
        {
            "kit_sku_id": "9",
            "kit_code": "K1",
            "component_sku_id": 2,
            "component_code": "B",
            "quantity": 1,
            "component_sell_price": 2,
        },
        {
            "kit_sku_id": 10,
            "kit_code": "K2",
            "component_sku_id": 1,
            "component_code": "A",
            "quantity": 5,
            "component_sell_price": 1,
        },
    ]
    assert kits_by_sku_id(rows) == {
        9: (KitPart(1, "A", 2.0, 1.0), KitPart(2, "B", 1.0, 2.0)),
        10: (KitPart(1, "A", 5.0, 1.0),),
    }
    assert kits_by_sku_id(iter(rows)) == kits_by_sku_id(rows)  # any iterable, read once
    assert kits_by_sku_id([]) == {}
