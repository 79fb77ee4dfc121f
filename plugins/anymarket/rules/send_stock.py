"""What AnyMarket must show for stock, computed from the ERP with pandas, and what changed since.

Pure functions over DataFrames (no I/O), so the rules are tested without a server and stay fast on a
large catalog: every step is a merge, a group-by or a column expression — never a Python loop over
SKUs. The send-stock operator (:mod:`anymarket.operators.send_stock`) feeds them the ERP queries' frames
and the mapping DB's state, and sends what :func:`select_changes` returns.

A *stock row* is one SKU x AnyMarket warehouse: ``sku_code`` (the ERP code), ``stock_local_id``
(``""`` = AnyMarket's default warehouse, i.e. sent without a ``stockLocalId``), ``quantity`` (whole
units, never negative), ``cost`` and ``additional_time`` (``NaN`` = not sent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from anymarket.errors import ConfigurationError
from anymarket.rules import changes

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from anymarket.settings import ProductSettings, StockSettings

#: ``stock_local_id`` of rows sent without one: AnyMarket puts them in its default warehouse.
DEFAULT_WAREHOUSE = ""
KEY = ["sku_code", "stock_local_id"]
#: The columns AnyMarket receives (besides the key); a row differing in any of them is resent.
COMPARED = ["anymarket_id", "quantity", "cost", "additional_time"]
# Balances are NUMERIC in the ERP and may reach us as binary floats (2.9999999 for 3); fractional
# units cannot be shipped, so quantities are floored after this tolerance.
_FLOOR_TOLERANCE = 1e-6


@dataclass(frozen=True)
class DepositTargets:
    """Which ERP deposits feed which AnyMarket warehouse under the stock rule.

    ``targets`` has columns ``deposit_id`` and ``stock_local_id``; several deposits may feed one
    warehouse (their balances are summed). ``not_mapped``/``not_counted`` name the active deposits
    the mapped-deposits rule leaves out, for the run summary; ``fulfillment`` the active deposits
    holding a marketplace's Full stock, which no rule counts.
    """

    targets: pd.DataFrame
    not_mapped: list[str] = field(default_factory=list)
    not_counted: list[str] = field(default_factory=list)
    fulfillment: list[str] = field(default_factory=list)


def deposit_targets(
    deposits: pd.DataFrame,
    deposit_mappings: dict[str, dict[str, Any]],
    stock: StockSettings,
    *,
    fulfillment: Collection[str] = (),
) -> DepositTargets:
    """Resolve the stock rule to ``deposit_id → stock_local_id`` (inactive deposits never count).

    :param deposits: the ``list_deposits`` query (``id, code, name, is_default, active``).
    :param deposit_mappings: ``MappingDatabase.mappings_of(integration, "deposit")``.
    :param fulfillment: the codes of the ERP deposits mapped as a marketplace's Full stock
        (``fulfillment_deposit`` mappings). They never count, under any rule: that stock sits in the
        marketplace's warehouses and sells there only; sending it as the seller's own would sell
        it twice.
    :raises ConfigurationError: when the rule selects no deposit at all — sending every SKU as 0
        would empty the seller's listings, so the run stops and names the setting to fix — or when
        the default-deposit rule's deposit is a Full one.
    """
    active = deposits[deposits["active"].astype(int) == 1]
    full = active["code"].astype(str).isin([str(code) for code in fulfillment])
    full_labels = [
        f"{name} ({code})" for name, code in zip(active["name"][full], active["code"][full], strict=True)
    ]
    active = active[~full]
    if stock.rule == "default_deposit" and stock.default_deposit in set(map(str, fulfillment)):
        raise ConfigurationError(
            f"stock.default_deposit is {stock.default_deposit!r}, a deposit mapped as Full stock "
            "(fulfillment_deposit mappings): its stock sits at the marketplace and is never sent as the "
            "seller's. Name the seller's own deposit in the setting, or remove that mapping."
        )
    if stock.rule == "default_deposit":
        if stock.default_deposit:
            chosen = active[active["code"].astype(str) == stock.default_deposit]
            if chosen.empty:
                raise ConfigurationError(
                    f"stock.default_deposit is {stock.default_deposit!r}, but the ERP has no active deposit "
                    "with that code (list_deposits.sql): fix the setting in the integrations file."
                )
        else:
            chosen = active[active["is_default"].astype(int) == 1]
            if chosen.empty:
                raise ConfigurationError(
                    "stock.rule is default_deposit, but the ERP has no active default deposit and "
                    "stock.default_deposit is not set: set it in the integrations file."
                )
        return DepositTargets(_targets(chosen["id"].iloc[:1], DEFAULT_WAREHOUSE), fulfillment=full_labels)
    if stock.rule == "consolidated":
        if active.empty:
            raise ConfigurationError("stock.rule is consolidated, but the ERP has no active deposit.")
        return DepositTargets(_targets(active["id"], DEFAULT_WAREHOUSE), fulfillment=full_labels)

    # mapped_deposits. A handful of deposits, not the catalog: a loop reads best here.
    ids: list[int] = []
    locals_: list[str] = []
    not_mapped: list[str] = []
    not_counted: list[str] = []
    for deposit_id, code, name in zip(active["id"], active["code"].astype(str), active["name"], strict=True):
        mapping = deposit_mappings.get(code)
        label = f"{name} ({code})"
        if mapping is None:
            not_mapped.append(label)
        elif (mapping.get("attributes") or {}).get("counts_toward_balance") is not True:
            # Only an explicit "counts toward balance" sells a deposit's stock: counting one by
            # mistake oversells, leaving one out merely undersells until someone marks it.
            not_counted.append(label)
        else:
            ids.append(int(deposit_id))
            locals_.append(str(mapping["value"]))
    if not ids:
        raise ConfigurationError(
            "stock.rule is mapped_deposits, but no active ERP deposit is mapped to an AnyMarket warehouse "
            "with counts_toward_balance: run the deposit installer (install_deposits) or map the deposits "
            "by hand."
        )
    targets = pd.DataFrame({"deposit_id": ids, "stock_local_id": locals_})
    return DepositTargets(targets, not_mapped=not_mapped, not_counted=not_counted, fulfillment=full_labels)


def _targets(deposit_ids: pd.Series, stock_local_id: str) -> pd.DataFrame:
    return pd.DataFrame({"deposit_id": deposit_ids.astype(int).to_numpy(), "stock_local_id": stock_local_id})


def desired_stock(
    *,
    skus: pd.DataFrame,
    balances: pd.DataFrame,
    reservations: pd.DataFrame,
    targets: pd.DataFrame,
    stock: StockSettings,
    products: ProductSettings,
) -> pd.DataFrame:
    """One row per SKU x target warehouse with what AnyMarket must show.

    * balance per SKU x deposit: physical, or available = physical - open reservations;
    * summed over the deposits that feed each warehouse (a SKU with no balance row shows 0);
    * floored to whole units; never negative; inactive SKUs 0;
    * at or below ``safety_stock`` → 0, except made-to-order SKUs (they are produced on demand);
    * ``cost`` per ``products.cost_field`` and ``additional_time`` (crossdocking days) when
      ``products.send_crossdocking``; ``NaN`` when not sent.

    :param skus: ``stock_skus`` (``sku_id, code, made_to_order, active, crossdocking_days,
        cost_price, sell_price``).
    :param balances: ``stock_balances`` (``sku_id, deposit_id, quantity``).
    :param reservations: ``stock_reservations`` (``sku_id, deposit_id, quantity``); ignored for the
        physical balance.
    :param targets: :attr:`DepositTargets.targets`.
    :returns: columns ``sku_id, sku_code, stock_local_id, quantity (int64), cost, additional_time``.
    """
    on_hand = balances[["sku_id", "deposit_id"]].assign(quantity=_numbers(balances["quantity"]))
    if stock.balance == "available" and not reservations.empty:
        held = reservations[["sku_id", "deposit_id"]].assign(reserved=_numbers(reservations["quantity"]))
        # Outer: a reservation in a deposit with no balance row is stock owed (a negative balance).
        on_hand = on_hand.merge(held, on=["sku_id", "deposit_id"], how="outer")
        on_hand["quantity"] = on_hand["quantity"].fillna(0) - on_hand["reserved"].fillna(0)
    per_warehouse = (
        on_hand.merge(targets, on="deposit_id")
        .groupby(["sku_id", "stock_local_id"], sort=False, as_index=False)["quantity"]
        .sum()
    )
    warehouses = targets[["stock_local_id"]].drop_duplicates()
    rows = (
        skus[["sku_id", "code", "made_to_order", "active"]]
        .rename(columns={"code": "sku_code"})
        .merge(warehouses, how="cross")
        .merge(per_warehouse, on=["sku_id", "stock_local_id"], how="left")
    )
    quantity = np.floor(rows["quantity"].fillna(0).to_numpy(dtype=float) + _FLOOR_TOLERANCE)
    made_to_order = rows["made_to_order"].astype(int).to_numpy() == 1
    active = rows["active"].astype(int).to_numpy() == 1
    quantity = np.where(made_to_order | (quantity > stock.safety_stock), quantity, 0)
    quantity = np.where(active, np.maximum(quantity, 0), 0)

    per_sku = skus[["sku_id"]].copy()
    per_sku["cost"] = (
        _numbers(skus[products.cost_field]).round(2) if products.cost_field != "none" else np.nan
    )
    per_sku["additional_time"] = _numbers(skus["crossdocking_days"]) if products.send_crossdocking else np.nan
    result = rows[["sku_id", "sku_code", "stock_local_id"]].assign(quantity=quantity.astype("int64"))
    result["sku_code"] = result["sku_code"].astype(str)
    return result.merge(per_sku, on="sku_id", how="left")


#: ``select_changes(desired, sent, rejected, *, full_resend=False)``: the linked rows AnyMarket must
#: receive, per SKU x warehouse (:func:`anymarket.rules.changes.select_changes`).
select_changes = partial(changes.select_changes, key=KEY, compared=COMPARED)


@dataclass(frozen=True)
class StockBatches:
    """The rows a run sends, in batches, and the first rows it holds back for a later, fuller batch."""

    batches: list[pd.DataFrame]
    held: pd.DataFrame


def batch_rows(
    to_send: pd.DataFrame, *, may_wait: Sequence[bool] | pd.Series, batch_size: int
) -> StockBatches:
    """Cut the rows to send into ``PUT /stocks`` batches, holding back what may wait for a full one.

    A catalog load under ``mapped_deposits`` makes a few products a minute, and each run of send stock
    would send their first rows in a part-filled batch: one more request per run than the rows need.
    Rows that may wait (the first rows of SKUs created moments ago at amount 0: AnyMarket shows 0, so
    waiting can only undersell) go after the others; when the last batch would hold nothing but such
    rows, it is held back until a later run fills it (or the rows are old enough to go alone). Every
    other row — a change of a SKU AnyMarket already shows — goes in this run.

    :param to_send: the rows :func:`select_changes` chose, oldest waiting rows first.
    :param may_wait: a boolean per row of ``to_send``, in its order.
    :raises ValueError: when ``batch_size`` is below 1 or ``may_wait`` does not match the rows.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    # As booleans whatever the mask's dtype: ``~`` on an object array of bools gives -1/-2.
    waits = np.asarray(may_wait, dtype=bool)
    if waits.shape != (len(to_send),):
        raise ValueError(f"may_wait has {waits.size} values for {len(to_send)} rows")
    order = np.concatenate([np.flatnonzero(~waits), np.flatnonzero(waits)])
    ordered, ordered_waits = to_send.iloc[order], waits[order]
    whole = len(ordered) - len(ordered) % batch_size
    cut = whole if ordered_waits[whole:].all() else len(ordered)
    batches = [ordered.iloc[start : min(start + batch_size, cut)] for start in range(0, cut, batch_size)]
    return StockBatches(batches=batches, held=ordered.iloc[cut:])


def stock_payload(row: dict[str, Any]) -> dict[str, Any]:
    """One element of the ``PUT /stocks`` array for a stock row (``NaN`` fields are left out)."""
    payload: dict[str, Any] = {"id": _api_id(row["anymarket_id"]), "quantity": int(row["quantity"])}
    if pd.notna(row["cost"]):
        payload["cost"] = float(row["cost"])
    if pd.notna(row["additional_time"]):
        payload["additionalTime"] = int(row["additional_time"])
    if row["stock_local_id"] != DEFAULT_WAREHOUSE:
        payload["stockLocalId"] = _api_id(row["stock_local_id"])
    return payload


def _api_id(value: str) -> int | str:
    """AnyMarket ids are int64 in JSON; the mapping DB keeps them as text."""
    return int(value) if str(value).isdigit() else str(value)


def _numbers(series: pd.Series) -> pd.Series:
    """ERP numerics as floats: PostgreSQL hands back ``Decimal``, SQLite floats or ints."""
    return pd.to_numeric(series, errors="coerce").astype(float)
