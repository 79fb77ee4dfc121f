"""The stock rules as pure DataFrame functions: no server, no database."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from anymarket.errors import ConfigurationError
from anymarket.rules.send_stock import (
    batch_rows,
    deposit_targets,
    desired_stock,
    select_changes,
    stock_payload,
)
from anymarket.settings import ProductSettings, StockSettings

# Deposits: 1 SP (default), 2 REC, 3 CWB, 4 OLD (inactive).
DEPOSITS = pd.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "code": ["SP", "REC", "CWB", "OLD"],
        "name": ["CD São Paulo", "CD Recife", "Loja Curitiba", "Antigo"],
        "is_default": [1, 0, 0, 0],
        "active": [1, 1, 1, 0],
    }
)
COUNTS = {"counts_toward_balance": True}
MAPPINGS = {
    "SP": {"value": "100", "attributes": COUNTS},
    "REC": {"value": "200", "attributes": COUNTS},
    "CWB": {"value": "100", "attributes": COUNTS},  # a store whose stock ships from the SP warehouse
    "OLD": {"value": "300", "attributes": COUNTS},
}


def skus(**overrides: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "sku_id": [1, 2, 3],
            "code": ["A", "B", "C"],
            "made_to_order": [0, 0, 0],
            "active": [1, 1, 1],
            "crossdocking_days": [0, 2, 5],
            "cost_price": [10.0, None, 3.333],
            "sell_price": [20.0, 30.0, 9.9],
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def frame(rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sku_id", "deposit_id", "quantity"])


# A: 10 SP, 5 REC, 2 CWB, 50 OLD (inactive deposit). B: 3 SP only. C: nothing anywhere.
BALANCES = frame([(1, 1, 10), (1, 2, 5), (1, 3, 2), (1, 4, 50), (2, 1, 3)])
# A: 4 held in SP, 1 in REC. B: 1 held in CWB, where it has no balance row (owed stock).
RESERVATIONS = frame([(1, 1, 4), (1, 2, 1), (2, 3, 1)])


def compute(stock: StockSettings, products: ProductSettings | None = None, **kw) -> dict:
    targets = deposit_targets(DEPOSITS, MAPPINGS, stock).targets
    result = desired_stock(
        skus=kw.get("skus", skus()),
        balances=kw.get("balances", BALANCES),
        reservations=kw.get("reservations", RESERVATIONS),
        targets=targets,
        stock=stock,
        products=products or ProductSettings(send_crossdocking=False),
    )
    return {(r.sku_code, r.stock_local_id): r.quantity for r in result.itertuples()}


@pytest.mark.parametrize(
    ("rule", "balance", "expected"),
    [
        ("default_deposit", "physical", {("A", ""): 10, ("B", ""): 3, ("C", ""): 0}),
        ("default_deposit", "available", {("A", ""): 6, ("B", ""): 3, ("C", ""): 0}),
        ("consolidated", "physical", {("A", ""): 17, ("B", ""): 3, ("C", ""): 0}),
        ("consolidated", "available", {("A", ""): 12, ("B", ""): 2, ("C", ""): 0}),
        (
            "mapped_deposits",
            "physical",
            {
                ("A", "100"): 12,
                ("A", "200"): 5,
                ("B", "100"): 3,
                ("B", "200"): 0,
                ("C", "100"): 0,
                ("C", "200"): 0,
            },
        ),
        (
            "mapped_deposits",
            "available",
            {
                ("A", "100"): 8,
                ("A", "200"): 4,
                ("B", "100"): 2,
                ("B", "200"): 0,
                ("C", "100"): 0,
                ("C", "200"): 0,
            },
        ),
    ],
)
def test_each_rule_and_balance_kind(rule: str, balance: str, expected: dict) -> None:
    assert compute(StockSettings(rule=rule, balance=balance)) == expected


def test_default_deposit_setting_beats_the_erp_default() -> None:
    got = compute(StockSettings(rule="default_deposit", balance="physical", default_deposit="REC"))
    assert got == {("A", ""): 5, ("B", ""): 0, ("C", ""): 0}
    with pytest.raises(ConfigurationError, match=r"stock\.default_deposit is 'OLD'"):
        compute(StockSettings(default_deposit="OLD"))  # inactive


def test_safety_stock_spares_made_to_order_and_nothing_goes_negative() -> None:
    stock = StockSettings(rule="default_deposit", balance="available", safety_stock=6)
    assert compute(stock) == {("A", ""): 0, ("B", ""): 0, ("C", ""): 0}  # 6 and 3 are ≤ 6
    made_to_order = skus(made_to_order=[1, 0, 0])
    assert compute(stock, skus=made_to_order)[("A", "")] == 6
    oversold = frame([(1, 1, 10)]), frame([(1, 1, 13)])
    got = compute(stock, skus=made_to_order, balances=oversold[0], reservations=oversold[1])
    assert got[("A", "")] == 0  # 10 - 13 reserved: 0, not -3, made to order or not


def test_fractions_are_floored_and_inactive_skus_show_zero() -> None:
    stock = StockSettings(rule="default_deposit", balance="physical")
    balances = frame([(1, 1, 2.9999999), (2, 1, 4.7), (3, 1, 8)])
    got = compute(stock, skus=skus(active=[1, 1, 0]), balances=balances, reservations=frame([]))
    assert got == {("A", ""): 3, ("B", ""): 4, ("C", ""): 0}


def test_decimal_balances_from_postgresql() -> None:
    from decimal import Decimal

    balances = pd.DataFrame({"sku_id": [1], "deposit_id": [1], "quantity": [Decimal("7.000")]})
    reservations = pd.DataFrame({"sku_id": [1], "deposit_id": [1], "quantity": [Decimal("2.500")]})
    got = compute(StockSettings(), balances=balances, reservations=reservations)
    assert got[("A", "")] == 4


def test_mapped_deposits_reports_unmapped_and_not_counting_deposits() -> None:
    mappings = {
        "SP": {"value": "100", "attributes": COUNTS},
        "REC": {"value": "200", "attributes": {"counts_toward_balance": False}},
        "CWB": {"value": "100", "attributes": {}},  # not marked: does not count
    }
    resolved = deposit_targets(DEPOSITS, mappings, StockSettings(rule="mapped_deposits"))
    assert resolved.targets.to_dict("list") == {"deposit_id": [1], "stock_local_id": ["100"]}
    assert resolved.not_counted == ["CD Recife (REC)", "Loja Curitiba (CWB)"]
    assert resolved.not_mapped == []
    with pytest.raises(ConfigurationError, match="run the deposit installer"):
        deposit_targets(DEPOSITS, {}, StockSettings(rule="mapped_deposits"))


def test_cost_and_additional_time_follow_the_product_settings() -> None:
    targets = deposit_targets(DEPOSITS, MAPPINGS, StockSettings()).targets

    def run(products: ProductSettings) -> pd.DataFrame:
        return desired_stock(
            skus=skus(),
            balances=BALANCES,
            reservations=RESERVATIONS,
            targets=targets,
            stock=StockSettings(),
            products=products,
        ).set_index("sku_code")

    cost = run(ProductSettings(cost_field="cost_price", send_crossdocking=True))
    assert (
        cost.loc["A", "cost"] == 10.0 and math.isnan(cost.loc["B", "cost"]) and cost.loc["C", "cost"] == 3.33
    )
    assert cost["additional_time"].tolist() == [0, 2, 5]
    sell = run(ProductSettings(cost_field="sell_price", send_crossdocking=False))
    assert sell["cost"].tolist() == [20.0, 30.0, 9.9] and sell["additional_time"].isna().all()
    assert run(ProductSettings())["cost"].isna().all()


def _rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["sku_code", "stock_local_id", "anymarket_id", "quantity", "cost", "additional_time"]
    )


def test_select_changes_compares_with_the_accepted_and_refused_state() -> None:
    desired = _rows(
        ("A", "", "11", 5, np.nan, 0.0),  # same as accepted
        ("B", "", "12", 7, np.nan, 0.0),  # quantity changed
        ("C", "", "13", 1, 9.9, 0.0),  # cost changed
        ("D", "", "14", 1, np.nan, 0.0),  # never sent
        ("E", "", "15", 2, np.nan, 0.0),  # refused with these very values
        ("F", "", "16", 3, np.nan, 0.0),  # refused with other values
        ("G", "", "99", 4, np.nan, 0.0),  # re-linked to another AnyMarket SKU id
    )
    sent = _rows(
        ("A", "", "11", 5, np.nan, 0),
        ("B", "", "12", 6, np.nan, 0),
        ("C", "", "13", 1, 9.8, 0),
        ("G", "", "17", 4, np.nan, 0),
    )
    rejected = _rows(("E", "", "15", 2, np.nan, 0), ("F", "", "16", 2, np.nan, 0))
    changes = select_changes(desired, sent, rejected)
    assert changes.to_send["sku_code"].tolist() == ["B", "C", "D", "F", "G"]
    assert changes.unchanged == 1
    assert changes.rejected_unchanged["sku_code"].tolist() == ["E"]
    everything = select_changes(desired, sent, rejected, full_resend=True)
    assert len(everything.to_send) == len(desired) and everything.unchanged == 0


def test_stock_payload_leaves_out_what_is_not_sent() -> None:
    row = {
        "anymarket_id": "791628",
        "quantity": 7,
        "cost": np.nan,
        "additional_time": np.nan,
        "stock_local_id": "",
    }
    assert stock_payload(row) == {"id": 791628, "quantity": 7}
    row |= {"cost": 12.5, "additional_time": 3.0, "stock_local_id": "42"}
    assert stock_payload(row) == {
        "id": 791628,
        "quantity": 7,
        "cost": 12.5,
        "additionalTime": 3,
        "stockLocalId": 42,
    }


def test_a_first_run_sends_everything_and_a_full_resend_holds_nothing_back() -> None:
    desired = _rows(("A", "", "11", 5, np.nan, 0.0), ("B", "", "12", 0, np.nan, 0.0))
    nothing = _rows()
    first = select_changes(desired, nothing, nothing)
    assert first.to_send["sku_code"].tolist() == ["A", "B"] and first.unchanged == 0
    assert first.rejected_unchanged.empty
    everything = select_changes(desired, desired, desired, full_resend=True)
    assert isinstance(everything.rejected_unchanged, pd.DataFrame) and everything.rejected_unchanged.empty
    assert list(everything.rejected_unchanged.columns) == list(desired.columns)


def test_two_active_default_deposits_count_only_the_first_never_their_sum() -> None:
    # The ERP flags both SP and REC as default: summing them would oversell.
    deposits = DEPOSITS.assign(is_default=[1, 1, 0, 0])
    resolved = deposit_targets(deposits, {}, StockSettings(rule="default_deposit"))
    assert resolved.targets.to_dict("list") == {"deposit_id": [1], "stock_local_id": [""]}
    got = desired_stock(
        skus=skus(),
        balances=BALANCES,
        reservations=frame([]),
        targets=resolved.targets,
        stock=StockSettings(rule="default_deposit", balance="physical"),
        products=ProductSettings(),
    )
    assert dict(zip(got["sku_code"], got["quantity"], strict=True)) == {"A": 10, "B": 3, "C": 0}


@pytest.mark.parametrize("balance", ["physical", "available"])
@pytest.mark.parametrize("safety_stock", [0, 2])
def test_a_made_to_order_sku_without_a_balance_row_shows_zero(balance: str, safety_stock: int) -> None:
    # C has no balance row anywhere: made to order it skips the safety stock, yet it must be 0 —
    # never NaN turned into int64 (-9 223 372 036 854 775 808).
    stock = StockSettings(rule="mapped_deposits", balance=balance, safety_stock=safety_stock)
    targets = deposit_targets(DEPOSITS, MAPPINGS, stock).targets
    got = desired_stock(
        skus=skus(made_to_order=[0, 0, 1]),
        balances=BALANCES,
        reservations=RESERVATIONS,
        targets=targets,
        stock=stock,
        products=ProductSettings(),
    )
    assert got["quantity"].dtype == "int64"
    assert got.set_index(["sku_code", "stock_local_id"])["quantity"][("C", "100")] == 0
    assert got.set_index(["sku_code", "stock_local_id"])["quantity"][("C", "200")] == 0
    assert (got["quantity"] >= 0).all()


def test_numeric_erp_codes_are_text_and_unreadable_costs_are_not_sent() -> None:
    got = desired_stock(
        skus=skus(code=[101, 102, 103], cost_price=["10.5", "abc", None]),
        balances=BALANCES,
        reservations=RESERVATIONS,
        targets=deposit_targets(DEPOSITS, MAPPINGS, StockSettings()).targets,
        stock=StockSettings(),
        products=ProductSettings(cost_field="cost_price", send_crossdocking=False),
    )
    assert got["sku_code"].tolist() == ["101", "102", "103"]
    assert list(got.columns) == [
        "sku_id",
        "sku_code",
        "stock_local_id",
        "quantity",
        "cost",
        "additional_time",
    ]
    assert got["cost"].iloc[0] == 10.5 and got["cost"].iloc[1:].isna().all()


def test_mapped_deposits_name_the_active_deposits_not_mapped() -> None:
    resolved = deposit_targets(DEPOSITS, {"SP": MAPPINGS["SP"]}, StockSettings(rule="mapped_deposits"))
    assert resolved.not_mapped == ["CD Recife (REC)", "Loja Curitiba (CWB)"] and resolved.not_counted == []


@pytest.mark.parametrize(
    ("deposits", "stock", "message"),
    [
        (
            DEPOSITS.assign(is_default=0),
            StockSettings(rule="default_deposit"),
            "stock.rule is default_deposit, but the ERP has no active default deposit and "
            "stock.default_deposit is not set: set it in the integrations file.",
        ),
        (
            DEPOSITS,
            StockSettings(rule="default_deposit", default_deposit="XX"),
            "stock.default_deposit is 'XX', but the ERP has no active deposit with that code "
            "(list_deposits.sql): fix the setting in the integrations file.",
        ),
        (
            DEPOSITS.assign(active=0),
            StockSettings(rule="consolidated"),
            "stock.rule is consolidated, but the ERP has no active deposit.",
        ),
        (
            DEPOSITS,
            StockSettings(rule="mapped_deposits"),
            "stock.rule is mapped_deposits, but no active ERP deposit is mapped to an AnyMarket warehouse "
            "with counts_toward_balance: run the deposit installer (install_deposits) or map the deposits "
            "by hand.",
        ),
    ],
)
def test_configuration_errors_in_full(deposits: pd.DataFrame, stock: StockSettings, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        deposit_targets(deposits, {}, stock)
    assert str(raised.value) == message


def test_an_anymarket_id_that_is_not_a_number_is_sent_as_text() -> None:
    row = {"anymarket_id": "abc-1", "quantity": 1, "cost": np.nan, "additional_time": np.nan}
    assert stock_payload(row | {"stock_local_id": "wh-9"}) == {
        "id": "abc-1",
        "quantity": 1,
        "stockLocalId": "wh-9",
    }


def _to_send(*codes: str) -> pd.DataFrame:
    return pd.DataFrame({"sku_code": list(codes), "stock_local_id": "7"}, index=range(10, 10 + len(codes)))


@pytest.mark.parametrize(
    ("codes", "waiting", "batch_size", "sent", "held"),
    [
        # Nothing may wait: every row goes, the last batch part-filled.
        (("A", "B", "C"), "", 2, [["A", "B"], ["C"]], []),
        # Only waiting rows in a part-filled last batch: held for a later run.
        (("A", "B", "C"), "A B C", 2, [["A", "B"]], ["C"]),
        (("A",), "A", 2, [], ["A"]),
        # Changes of SKUs already on AnyMarket go first; the waiting rows fill their batch.
        (("W1", "U1", "W2", "U2", "W3"), "W1 W2 W3", 2, [["U1", "U2"], ["W1", "W2"]], ["W3"]),
        # A change in the last batch takes the waiting rows with it: that request goes anyway.
        (("W1", "U1"), "W1", 5, [["U1", "W1"]], []),
        # Exactly full batches: nothing held.
        (("W1", "W2", "W3", "W4"), "W1 W2 W3 W4", 2, [["W1", "W2"], ["W3", "W4"]], []),
        ((), "", 3, [], []),
        # Batches of one are always full.
        (("A", "B"), "B", 1, [["A"], ["B"]], []),
    ],
)
def test_batch_rows_holds_only_a_last_batch_of_waiting_first_rows(
    codes: tuple[str, ...], waiting: str, batch_size: int, sent: list, held: list
) -> None:
    to_send = _to_send(*codes)
    may_wait = to_send["sku_code"].isin(waiting.split())

    plan = batch_rows(to_send, may_wait=may_wait, batch_size=batch_size)

    assert [batch["sku_code"].tolist() for batch in plan.batches] == sent
    assert plan.held["sku_code"].tolist() == held
    assert all(len(batch) <= batch_size for batch in plan.batches)


def test_batch_rows_refuses_a_batch_size_below_one() -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1, not 0"):
        batch_rows(_to_send("A"), may_wait=pd.Series([False], index=[10]), batch_size=0)


def test_batch_rows_reads_any_mask_as_booleans_and_refuses_one_of_another_length() -> None:
    to_send = _to_send("A", "B", "C")
    # An object-dtype mask (pandas makes one where NaN met booleans): still booleans, not -1/-2.
    plan = batch_rows(to_send, may_wait=pd.Series([True, False, True], dtype=object), batch_size=2)
    assert [b["sku_code"].tolist() for b in plan.batches] == [["B", "A"]] and plan.held[
        "sku_code"
    ].tolist() == ["C"]
    with pytest.raises(ValueError, match="may_wait has 2 values for 3 rows"):
        batch_rows(to_send, may_wait=[True, False], batch_size=2)


# A Full deposit (the marketplace's warehouses, imported by fulfillment_stock): active, default-flagged
# and mapped as counting, the worst case: every rule must still leave it out.
FULL_DEPOSITS = pd.concat(
    [
        DEPOSITS.assign(is_default=0),
        pd.DataFrame(
            {"id": [9], "code": ["FULL-ML"], "name": ["Full Mercado Livre"], "is_default": [1], "active": [1]}
        ),
    ],
    ignore_index=True,
)
FULL_MAPPINGS = {**MAPPINGS, "FULL-ML": {"value": "100", "attributes": COUNTS}}
FULL_BALANCES = pd.concat([BALANCES, frame([(1, 9, 1000), (3, 9, 70)])], ignore_index=True)


@pytest.mark.parametrize(
    ("stock", "expected"),
    [
        # consolidated: every active deposit of the seller — A 10+5+2, B 3, C 0; never the 1000 at Full.
        (StockSettings(rule="consolidated", balance="physical"), {("A", ""): 17, ("B", ""): 3, ("C", ""): 0}),
        (StockSettings(rule="consolidated"), {("A", ""): 12, ("B", ""): 2, ("C", ""): 0}),
        # mapped: SP+CWB → 100, REC → 200, Full mapped to 100 "counting" and still left out.
        (
            StockSettings(rule="mapped_deposits", balance="physical"),
            {
                ("A", "100"): 12,
                ("A", "200"): 5,
                ("B", "100"): 3,
                ("B", "200"): 0,
                ("C", "100"): 0,
                ("C", "200"): 0,
            },
        ),
        # default_deposit naming the seller's SP: the Full deposit's default flag is irrelevant.
        (
            StockSettings(rule="default_deposit", default_deposit="SP", balance="physical"),
            {("A", ""): 10, ("B", ""): 3, ("C", ""): 0},
        ),
    ],
)
def test_a_full_deposit_is_never_counted(stock: StockSettings, expected: dict) -> None:
    resolved = deposit_targets(FULL_DEPOSITS, FULL_MAPPINGS, stock, fulfillment={"FULL-ML"})
    assert 9 not in set(resolved.targets["deposit_id"])
    assert resolved.fulfillment == ["Full Mercado Livre (FULL-ML)"]
    got = desired_stock(
        skus=skus(),
        balances=FULL_BALANCES,
        reservations=RESERVATIONS,
        targets=resolved.targets,
        stock=stock,
        products=ProductSettings(send_crossdocking=False),
    )
    assert {(r.sku_code, r.stock_local_id): r.quantity for r in got.itertuples()} == expected
    # Without the Full mapping the same deposit would be counted: the exclusion is what keeps it out.
    if stock.rule != "default_deposit":
        counted = deposit_targets(FULL_DEPOSITS, FULL_MAPPINGS, stock).targets
        assert 9 in set(counted["deposit_id"])


@pytest.mark.parametrize(
    ("stock", "match"),
    [
        # The Full deposit is the only one flagged default: the rule finds no default of the seller's.
        (StockSettings(rule="default_deposit"), "no active default deposit"),
        (
            StockSettings(rule="default_deposit", default_deposit="FULL-ML"),
            re.escape(
                "stock.default_deposit is 'FULL-ML', a deposit mapped as Full stock (fulfillment_deposit "
                "mappings): its stock sits at the marketplace and is never sent as the seller's. Name the "
                "seller's own deposit in the setting, or remove that mapping."
            ),
        ),
    ],
)
def test_default_deposit_rule_refuses_a_full_deposit(stock: StockSettings, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        deposit_targets(FULL_DEPOSITS, FULL_MAPPINGS, stock, fulfillment={"FULL-ML"})
    only_full = FULL_DEPOSITS[FULL_DEPOSITS["code"] == "FULL-ML"]
    with pytest.raises(ConfigurationError, match="no active deposit"):
        deposit_targets(only_full, {}, StockSettings(rule="consolidated"), fulfillment={"FULL-ML"})
