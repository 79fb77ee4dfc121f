"""The price rules (pure pandas): source, format, rounding, rows per scope, what changed, payloads."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from anymarket.errors import ConfigurationError
from anymarket.rules import send_prices as price_rules
from anymarket.settings import ProductSettings

SKUS = pd.DataFrame(
    {
        "sku_id": [1, 2, 3, 4],
        "code": ["A", "B", "C", "D"],
        "product_code": ["P1", "P1", "P2", "P2"],
        # PostgreSQL hands money back as Decimal, SQLite as float: both must work.
        "sell_price": [Decimal("49.90"), 10.0, 0, 20.0],
        "list_price": [Decimal("59.90"), None, None, 15.0],
    }
)


def test_own_prices_fixed_list_price_never_below_sell_price_and_zero_not_sent() -> None:
    base = price_rules.base_prices(SKUS, None, ProductSettings())
    got = base.prices.set_index("sku_code")[["price", "sell_price"]].to_dict("index")
    assert got == {
        "A": {"price": 59.9, "sell_price": 49.9},
        "B": {"price": 10.0, "sell_price": 10.0},  # no list price
        "D": {"price": 20.0, "sell_price": 20.0},  # list price below the sell price
    }
    assert base.invalid == ["C"] and base.missing == []


def test_price_list_with_markup_rounds_half_up_and_reports_missing_skus() -> None:
    items = pd.DataFrame({"sku_id": [1, 2], "sell_price": [11.5, 10.05], "list_price": [12.0, None]})
    settings = ProductSettings(price_list="MKT", price_format="markup", price_factor=1.15)
    base = price_rules.base_prices(SKUS, items, settings)
    got = base.prices.set_index("sku_code")[["price", "sell_price"]].to_dict("index")
    # 11.5 x 1.15 = 13.225 → 13.23; 10.05 x 1.15 = 11.5575 → 11.56.
    assert got == {"A": {"price": 13.8, "sell_price": 13.23}, "B": {"price": 11.56, "sell_price": 11.56}}
    assert base.missing == ["C", "D"]


def test_cost_scope_leaves_the_markup_to_anymarket() -> None:
    settings = ProductSettings(price_scope="COST", price_format="markup", price_factor=2)
    base = price_rules.base_prices(SKUS, None, settings).prices
    stock = pd.DataFrame(
        {
            "sku_code": ["A", "A"],
            "stock_local_id": ["", "7"],
            "quantity": [3, 4],
            "additional_time": [np.nan, 2],
        }
    )
    rows = price_rules.cost_rows(base.assign(anymarket_id="100"), stock)
    assert rows["cost"].tolist() == [49.9, 49.9] and rows["price"].isna().all()
    assert [price_rules.cost_payload(r) for r in rows.to_dict("records")] == [
        {"id": 100, "quantity": 3, "cost": 49.9},
        {"id": 100, "quantity": 4, "cost": 49.9, "additionalTime": 2, "stockLocalId": 7},
    ]


def test_only_changed_rows_and_refused_ones_held_until_they_change() -> None:
    base = price_rules.base_prices(SKUS, None, ProductSettings()).prices.assign(anymarket_id="9")
    rows = price_rules.sku_rows(base)
    state = rows[price_rules.KEY + price_rules.COMPARED].copy()
    sent = state[state["sku_code"] == "A"]
    rejected = state[state["sku_code"] == "B"]
    changes = price_rules.select_changes(rows, sent, rejected)
    assert changes.to_send["sku_code"].tolist() == ["D"] and changes.unchanged == 1
    assert changes.rejected_unchanged["sku_code"].tolist() == ["B"]

    rows.loc[rows["sku_code"] == "B", "sell_price"] = 9.5  # the refused price changed in the ERP
    assert price_rules.select_changes(rows, sent, rejected).to_send["sku_code"].tolist() == ["B", "D"]
    assert len(price_rules.select_changes(rows, sent, rejected, full_resend=True).to_send) == 3


def test_marketplace_rows_and_payload() -> None:
    base = price_rules.base_prices(SKUS, None, ProductSettings()).prices.assign(anymarket_id="9")
    listings = pd.DataFrame({"sku_code": ["A", "A", "Z"], "listing_id": ["11", "12", "13"]})
    rows = price_rules.marketplace_rows(base, listings)
    assert [price_rules.marketplace_payload(r) for r in rows.to_dict("records")] == [
        {"id": 11, "price": 59.9, "discountPrice": 49.9},
        {"id": 12, "price": 59.9, "discountPrice": 49.9},
    ]


def test_price_list_and_param_errors_name_what_to_fix() -> None:
    lists = pd.DataFrame({"id": [1, 2], "code": ["MKT", "OLD"], "name": ["M", "O"], "active": [1, 0]})
    price_rules.check_price_list(lists, "MKT")
    with pytest.raises(ConfigurationError, match=r"no price list with that code .*lists: MKT, OLD"):
        price_rules.check_price_list(lists, "X")
    with pytest.raises(ConfigurationError, match="inactive"):
        price_rules.check_price_list(lists, "OLD")
    base = price_rules.base_prices(SKUS, None, ProductSettings()).prices
    assert price_rules.select_one(base, "P2")["sku_code"].tolist() == ["D"]
    with pytest.raises(ConfigurationError, match="Param 'sku' is 'C'"):
        price_rules.select_one(base, "C")  # price zero: not sendable


@pytest.mark.parametrize(
    ("sell_price", "sent"),
    [(0.01, True), (0.99, True), (1.0, True), (1.01, True), (0, False), (-1, False)],
)
def test_any_positive_price_is_sent_even_at_one_real_or_less(sell_price: float, sent: bool) -> None:
    skus = pd.DataFrame(
        {
            "sku_id": [1],
            "code": ["A"],
            "product_code": ["P1"],
            "sell_price": [sell_price],
            "list_price": [None],
        }
    )
    base = price_rules.base_prices(skus, None, ProductSettings())
    assert (base.prices["sku_code"].tolist() == ["A"]) is sent
    assert (base.invalid == ["A"]) is not sent


def test_a_price_list_with_duplicate_rows_gives_one_price_per_sku_the_first() -> None:
    items = pd.DataFrame(
        {"sku_id": [1, 1, 2], "sell_price": [11.0, 99.0, 10.0], "list_price": [None, None, None]}
    )
    base = price_rules.base_prices(SKUS, items, ProductSettings(price_list="MKT"))
    got = base.prices.set_index("sku_code")["sell_price"].to_dict()
    assert got == {"A": 11.0, "B": 10.0}
    assert len(base.prices) == 2


def test_numeric_codes_from_the_erp_are_text_and_the_frame_has_only_its_columns() -> None:
    skus = pd.DataFrame(
        {
            "sku_id": [5, 6],
            "code": [101, 102],
            "product_code": [7, 7],
            "sell_price": [3.0, 0],
            "list_price": [None] * 2,
        }
    )
    base = price_rules.base_prices(skus, None, ProductSettings())
    assert base.prices.to_dict("list") == {
        "sku_id": [5],
        "sku_code": ["101"],
        "product_code": ["7"],
        "price": [3.0],
        "sell_price": [3.0],
    }
    assert base.invalid == ["102"] and list(base.prices.index) == [0]
    assert price_rules.select_one(base.prices, "7")["sku_code"].tolist() == ["101"]
    # After a dropped row the index still starts at 0 (callers take .iloc/.loc[0]).
    assert list(price_rules.base_prices(SKUS, None, ProductSettings()).prices.index) == [0, 1, 2]


def test_rows_of_each_scope_mark_what_is_not_sent_as_nan() -> None:
    base = price_rules.base_prices(SKUS, None, ProductSettings()).prices.assign(anymarket_id="9")
    sku = price_rules.sku_rows(base)
    assert set(sku["target"]) == {price_rules.SKU_TARGET} and sku["cost"].dtype == float
    assert sku["cost"].isna().all()
    listings = pd.DataFrame({"sku_code": ["B"], "listing_id": ["11"]})
    listed = price_rules.marketplace_rows(base, listings)
    assert listed["target"].tolist() == ["11"] and listed["cost"].dtype == float
    stock = pd.DataFrame(
        {"sku_code": ["D"], "stock_local_id": [""], "quantity": [1], "additional_time": [np.nan]}
    )
    cost = price_rules.cost_rows(base, stock)
    assert cost[["price", "sell_price"]].dtypes.tolist() == [float, float]
    assert cost[["price", "sell_price"]].isna().all().all() and cost["cost"].tolist() == [20.0]
    assert "SELL_PRICE" not in cost and "XXsell_priceXX" not in cost


def test_sku_payload_and_where_a_price_went() -> None:
    row = {"price": 59.9, "sell_price": Decimal("49.90"), "cost": np.nan}
    assert price_rules.sku_payload(row) == {"price": 59.9, "sellPrice": 49.9}
    assert price_rules.describe_target("COST", "") == "the default warehouse"
    assert price_rules.describe_target("COST", "12") == "warehouse 12"
    assert price_rules.describe_target("SKU_MARKETPLACE", "7") == "listing 7"
    assert price_rules.describe_target("SKU", "") == "the SKU"


def test_error_texts_in_full() -> None:
    empty = pd.DataFrame({"id": [], "code": [], "name": [], "active": []})
    with pytest.raises(ConfigurationError) as raised:
        price_rules.check_price_list(empty, "X")
    assert str(raised.value) == (
        "products.price_list is 'X', but the ERP has no price list with that code "
        "(price_lists.sql; lists: none): fix the setting in the integrations file."
    )
    base = price_rules.base_prices(SKUS, None, ProductSettings()).prices
    with pytest.raises(ConfigurationError) as raised:
        price_rules.select_one(base, "Z")
    assert str(raised.value) == (
        "Param 'sku' is 'Z', but no ERP SKU or product with a sendable price has that code "
        "(price_skus.sql): check the code, and that the SKU has a price in the chosen price list."
    )


def test_a_text_price_the_erp_cannot_read_counts_as_missing() -> None:
    skus = SKUS.assign(sell_price=["49.90", "abc", 0, 20.0])
    assert price_rules.base_prices(skus, None, ProductSettings()).missing == ["B"]
