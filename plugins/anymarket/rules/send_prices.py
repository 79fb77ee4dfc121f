"""What AnyMarket must show for prices, computed from the ERP with pandas, and what changed since.

Pure functions over DataFrames (no I/O), like :mod:`anymarket.rules.send_stock` for stock: the send-prices
operator (:mod:`anymarket.operators.send_prices`) feeds them the ERP queries' frames and the mapping DB's
state, and sends what :func:`select_changes` returns.

A *price row* is one SKU x target: ``sku_code``, ``target`` (where the price goes, per
``products.price_scope``: ``""`` for the SKU itself in the ``SKU`` scope, the ``stockLocalId`` of a
stock row in the ``COST`` scope — ``""`` being AnyMarket's default warehouse — or the listing id in
the ``SKU_MARKETPLACE`` scope), ``anymarket_id`` (the SKU's AnyMarket id) and the values sent:
``price`` ("preço de"), ``sell_price`` ("preço por": ``sellPrice`` or a listing's ``discountPrice``)
and ``cost`` (COST scope); ``NaN`` = not sent in this scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from anymarket.errors import ConfigurationError
from anymarket.rules import changes
from anymarket.rules.send_stock import DEFAULT_WAREHOUSE, stock_payload

if TYPE_CHECKING:
    from anymarket.settings import ProductSettings

SKU_SCOPE, COST_SCOPE, MARKETPLACE_SCOPE = "SKU", "COST", "SKU_MARKETPLACE"
#: ``target`` of SKU-scope rows: the price lives on the SKU itself.
SKU_TARGET = ""
KEY = ["sku_code", "target"]
#: The values AnyMarket receives (with the SKU id they went to); a row differing in any is resent.
COMPARED = ["anymarket_id", "price", "sell_price", "cost"]
VALUES = ["price", "sell_price", "cost"]
# Prices are NUMERIC(15,2) in the ERP and reach us as binary floats; a markup product such as
# 49.9 x 1.15 = 57.385 must round half up to 57.39, so cents are taken after this tolerance.
_CENT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class BasePrices:
    """The prices AnyMarket must show per SKU, before they are spread over targets.

    ``prices`` has columns ``sku_id, sku_code, product_code, price, sell_price`` (whole cents).
    ``missing`` names the SKUs the chosen price list has no price for and ``invalid`` those whose
    price is zero or negative: neither is sent (a missing price must not fall back to another one,
    and a zero price would sell for free), both are reported in the run summary.
    """

    prices: pd.DataFrame
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def check_price_list(lists: pd.DataFrame, code: str) -> None:
    """Fail clearly when ``products.price_list`` names no active ERP price list.

    :param lists: the ``price_lists`` query (``id, code, name, active``).
    :raises ConfigurationError: naming the setting and the lists that exist.
    """
    chosen = lists[lists["code"].astype(str) == code]
    known = ", ".join(lists["code"].astype(str)) or "none"
    if chosen.empty:
        raise ConfigurationError(
            f"products.price_list is {code!r}, but the ERP has no price list with that code "
            f"(price_lists.sql; lists: {known}): fix the setting in the integrations file."
        )
    if int(chosen["active"].iloc[0]) != 1:
        raise ConfigurationError(
            f"products.price_list is {code!r}, but that ERP price list is inactive: activate it or choose "
            f"another one (lists: {known})."
        )


def base_prices(skus: pd.DataFrame, list_items: pd.DataFrame | None, products: ProductSettings) -> BasePrices:
    """The price of every SKU per the price settings.

    * source: the price list's ``sell_price``/``list_price`` when ``products.price_list`` is set (the
      ``price_list_items`` query as ``list_items``), else the SKU's own ones (``price_skus``);
    * "preço de" (``price``) is never below "preço por" (``sell_price``): a missing or lower list
      price is sent as the sell price (no discount shown);
    * ``price_format: markup`` multiplies both by ``price_factor`` — except in the ``COST`` scope,
      where the value sent is the *cost* and AnyMarket itself multiplies it by the product's
      ``priceFactor`` (multiplying here as well would apply the markup twice);
    * rounded half up to cents.

    :param skus: ``price_skus`` (``sku_id, code, product_code, sell_price, list_price``).
    """
    frame = skus[["sku_id", "code", "product_code"]].rename(columns={"code": "sku_code"})
    frame["sku_code"] = frame["sku_code"].astype(str)
    frame["product_code"] = frame["product_code"].astype(str)
    source = skus if list_items is None else list_items
    frame = frame.merge(
        source[["sku_id", "sell_price", "list_price"]].drop_duplicates("sku_id"), on="sku_id", how="left"
    )
    sell = _numbers(frame["sell_price"])
    listed = _numbers(frame["list_price"])
    listed = listed.where(listed.notna() & (listed >= sell), sell)
    factor = products.price_factor if _markup_applied_here(products) else 1.0
    frame["sell_price"] = to_cents(sell * factor)
    frame["price"] = to_cents(listed * factor)

    missing = frame["sell_price"].isna()
    invalid = ~missing & (frame["sell_price"] <= 0)
    prices = frame.loc[~missing & ~invalid, ["sku_id", "sku_code", "product_code", "price", "sell_price"]]
    return BasePrices(
        prices.reset_index(drop=True),
        missing=frame.loc[missing, "sku_code"].tolist(),
        invalid=frame.loc[invalid, "sku_code"].tolist(),
    )


def _markup_applied_here(products: ProductSettings) -> bool:
    return products.price_format == "markup" and products.price_scope != COST_SCOPE


def select_one(prices: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of one SKU code, or of every SKU of one product code (a manual run's Param)."""
    chosen = prices[(prices["sku_code"] == code) | (prices["product_code"] == code)]
    if chosen.empty:
        raise ConfigurationError(
            f"Param 'sku' is {code!r}, but no ERP SKU or product with a sendable price has that code "
            "(price_skus.sql): check the code, and that the SKU has a price in the chosen price list."
        )
    return chosen


# -- rows per scope ---------------------------------------------------------------------------------


def sku_rows(prices: pd.DataFrame) -> pd.DataFrame:
    """``SKU`` scope: one row per SKU, ``price``/``sellPrice`` on the SKU itself."""
    return prices.assign(target=SKU_TARGET, cost=np.nan)


def cost_rows(prices: pd.DataFrame, stock_rows: pd.DataFrame) -> pd.DataFrame:
    """``COST`` scope: the cost on every stock row of the SKU (one per AnyMarket warehouse).

    ``PUT /stocks`` requires ``quantity`` on every row, so the cost travels with the quantity the
    stock rule gives right now (:func:`anymarket.rules.send_stock.desired_stock`, the same rows send stock
    sends) and its ``additional_time``.

    :param stock_rows: ``desired_stock`` output (``sku_code, stock_local_id, quantity, additional_time``).
    """
    stock = stock_rows[["sku_code", "stock_local_id", "quantity", "additional_time"]].rename(
        columns={"stock_local_id": "target"}
    )
    rows = prices.merge(stock, on="sku_code")
    rows["cost"] = rows["sell_price"]
    rows["price"] = rows["sell_price"] = np.nan
    return rows


def marketplace_rows(prices: pd.DataFrame, listings: pd.DataFrame) -> pd.DataFrame:
    """``SKU_MARKETPLACE`` scope: the SKU's price on each of its listings.

    :param listings: ``sku_code, listing_id`` (text), one row per known listing.
    """
    rows = prices.merge(listings[["sku_code", "listing_id"]], on="sku_code")
    return rows.rename(columns={"listing_id": "target"}).assign(cost=np.nan)


# -- what changed -----------------------------------------------------------------------------------


#: ``select_changes(desired, sent, rejected, *, full_resend=False)``: the linked rows AnyMarket must
#: receive, per SKU x target (:func:`anymarket.rules.changes.select_changes`).
select_changes = partial(changes.select_changes, key=KEY, compared=COMPARED)


# -- payloads ---------------------------------------------------------------------------------------


def sku_payload(row: dict[str, Any]) -> dict[str, Any]:
    """Body of ``PUT /products/{pid}/skus/{sid}``: only the two prices (the call takes partial bodies)."""
    return {"price": float(row["price"]), "sellPrice": float(row["sell_price"])}


def cost_payload(row: dict[str, Any]) -> dict[str, Any]:
    """One element of the ``PUT /stocks`` array: the stock row (quantity included) with the cost."""
    return stock_payload(
        {
            "anymarket_id": row["anymarket_id"],
            "quantity": row["quantity"],
            "cost": row["cost"],
            "additional_time": row["additional_time"],
            "stock_local_id": row["target"],
        }
    )


def marketplace_payload(row: dict[str, Any]) -> dict[str, Any]:
    """One element of the ``PUT /skus/marketplaces/prices`` array."""
    return {"id": int(row["target"]), "price": float(row["price"]), "discountPrice": float(row["sell_price"])}


def describe_target(scope: str, target: str) -> str:
    """Where a price went, for summaries and history (``the SKU``, ``warehouse 12``, ``listing 7``)."""
    if scope == COST_SCOPE:
        return "the default warehouse" if target == DEFAULT_WAREHOUSE else f"warehouse {target}"
    if scope == MARKETPLACE_SCOPE:
        return f"listing {target}"
    return "the SKU"


def to_cents(values: pd.Series) -> pd.Series:
    """Round money half up to whole cents (``NaN`` stays ``NaN``)."""
    return np.floor(values * 100 + 0.5 + _CENT_TOLERANCE) / 100


def _numbers(series: pd.Series) -> pd.Series:
    """ERP numerics as floats: PostgreSQL hands back ``Decimal``, SQLite floats or ints."""
    return pd.to_numeric(series, errors="coerce").astype(float)
