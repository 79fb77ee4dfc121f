"""Kits: a SKU sold as a set of other SKUs (the ERP's ``kit_components`` table, AnyMarket's
``kitComponents``). Pure rules, no I/O.

* **Stock** — a kit can be sold as many times as its scarcest component allows: per AnyMarket
  warehouse, the minimum over its components of ``floor(component amount / quantity per kit)``, where
  the component amount is what the stock rules send for the component (rule, balance kind,
  deposits and safety stock already applied: a component AnyMarket shows as 0 sells no kit). The
  kit's own balance rows are never read (an ERP rarely keeps them right); its own ``active`` flag
  and safety stock still apply to the result.
* **Orders** — an order line for a kit stays the kit; the stock it holds is its components', each
  ``kit quantity x component quantity`` (:func:`component_reservations`).
* **Product** — the ``kitComponents`` AnyMarket takes with the kit's product
  (:func:`kit_components_body`), once every component is on AnyMarket.

The composition is the ``kit_components`` query's frame/rows: ``kit_sku_id, kit_code,
kit_product_code, component_sku_id, component_code, quantity, component_sell_price``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from anymarket.settings import StockSettings

# Same tolerance as the stock rules: 5.9999999 units of a component make 5 kits of 1.2, not 4.
_FLOOR_TOLERANCE = 1e-6


def kit_stock(
    desired: pd.DataFrame, components: pd.DataFrame, skus: pd.DataFrame, stock: StockSettings
) -> pd.DataFrame:
    """``desired`` (:func:`anymarket.rules.send_stock.desired_stock`) with each kit's rows derived from
    its components' rows in the same warehouse.

    A component missing from ``desired`` (unknown to ``stock_skus``) counts as 0. The kit's amount is
    then 0 when the kit is inactive, and 0 when at or below ``stock.safety_stock`` unless the kit is
    made to order — the rules every SKU's amount goes through. Rows of SKUs that are no kit are
    returned unchanged, in the same order.

    :param components: the ``kit_components`` query (``kit_sku_id, component_sku_id, quantity``).
    :param skus: the ``stock_skus`` query (``sku_id, made_to_order, active``).
    """
    if components.empty or desired.empty:
        return desired
    parts = pd.DataFrame(
        {
            "sku_id": components["kit_sku_id"].astype("int64").to_numpy(),
            "component_sku_id": components["component_sku_id"].astype("int64").to_numpy(),
            "per_kit": pd.to_numeric(components["quantity"], errors="coerce").astype(float).to_numpy(),
        }
    )
    kit_rows = desired[["sku_id", "stock_local_id"]].merge(parts, on="sku_id")
    if kit_rows.empty:
        return desired
    amounts = desired[["sku_id", "stock_local_id", "quantity"]].rename(
        columns={"sku_id": "component_sku_id", "quantity": "component_quantity"}
    )
    kit_rows = kit_rows.merge(amounts, on=["component_sku_id", "stock_local_id"], how="left")
    have = kit_rows["component_quantity"].fillna(0).to_numpy(dtype=float)
    per_kit = kit_rows["per_kit"].to_numpy(dtype=float)
    # A quantity of 0, negative or unreadable would divide into nonsense: such a kit sells nothing.
    valid = np.isfinite(per_kit) & (per_kit > 0)
    kit_rows["kits"] = np.where(valid, np.floor(have / np.where(valid, per_kit, 1.0) + _FLOOR_TOLERANCE), 0)
    per_kit_row = kit_rows.groupby(["sku_id", "stock_local_id"], sort=False, as_index=False)["kits"].min()
    flags = skus[["sku_id", "made_to_order", "active"]].astype({"sku_id": "int64"})
    per_kit_row = per_kit_row.merge(flags, on="sku_id", how="left")
    kits = np.maximum(per_kit_row["kits"].to_numpy(dtype=float), 0)
    made_to_order = per_kit_row["made_to_order"].fillna(0).astype(int).to_numpy() == 1
    active = per_kit_row["active"].fillna(0).astype(int).to_numpy() == 1
    kits = np.where(made_to_order | (kits > stock.safety_stock), kits, 0)
    kits = np.where(active, kits, 0)
    per_kit_row["kit_quantity"] = kits.astype("int64")

    out = desired.merge(
        per_kit_row[["sku_id", "stock_local_id", "kit_quantity"]], on=["sku_id", "stock_local_id"], how="left"
    )
    is_kit = out["kit_quantity"].notna().to_numpy()
    out["quantity"] = np.where(is_kit, out["kit_quantity"].fillna(0), out["quantity"]).astype("int64")
    return out.drop(columns="kit_quantity")


@dataclass(frozen=True)
class KitPart:
    """One component of a kit: its ERP SKU id and code, how many go in one kit, its own price."""

    sku_id: int
    code: str
    quantity: float
    sell_price: float


def kits_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, tuple[KitPart, ...]]:
    """``{kit SKU code: its components}`` from the ``kit_components`` query's rows (component order
    kept)."""
    kits: dict[str, list[KitPart]] = {}
    for row in rows:
        kits.setdefault(str(row["kit_code"]), []).append(
            KitPart(
                sku_id=int(row["component_sku_id"]),
                code=str(row["component_code"]),
                quantity=float(Decimal(str(row["quantity"]))),
                sell_price=float(Decimal(str(row["component_sell_price"] or 0))),
            )
        )
    return {code: tuple(parts) for code, parts in kits.items()}


def kits_by_sku_id(rows: Iterable[Mapping[str, Any]]) -> dict[int, tuple[KitPart, ...]]:
    """``{kit SKU id: its components}`` from the ``kit_components`` query's rows (what an order line,
    which names the SKU by id, needs)."""
    rows = list(rows)
    by_code = kits_from_rows(rows)
    return {int(row["kit_sku_id"]): by_code[str(row["kit_code"])] for row in rows}


def component_reservations(kit_quantity: float, parts: Iterable[KitPart]) -> list[tuple[int, float]]:
    """What an order line of ``kit_quantity`` kits holds: ``(component SKU id, quantity)`` per component,
    ``kit_quantity x`` its quantity per kit (whole kits; fractions of a component are kept as the ERP's
    NUMERIC quantity holds them)."""
    return [(part.sku_id, round(kit_quantity * part.quantity, 3)) for part in parts]


def kit_components_body(
    parts: Iterable[KitPart], linked: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """AnyMarket's ``kitComponents`` for a kit, and the component codes not on AnyMarket yet.

    Each component is addressed by its AnyMarket SKU id (``idSku``, a string in the spec), with its
    ``quantity`` per kit and ``percentage``: its share of the kit's price, from the components' own
    prices (equal shares when they have none), in hundredths that add up to exactly 100. The main
    component (``isMainComponent``) is the one with the largest share (the first on a tie).

    :param linked: ``{ERP SKU code: AnyMarket SKU id}`` of the SKUs already on AnyMarket.
    :returns: ``(body, missing)``; when ``missing`` is not empty the body must not be sent (AnyMarket
        refuses a kit naming a SKU it does not have).
    """
    parts = list(parts)
    missing = [part.code for part in parts if part.code not in linked]
    if not parts or missing:
        return [], missing
    values = [max(part.sell_price, 0.0) * part.quantity for part in parts]
    total = sum(values)
    weights = values if total > 0 else [1.0] * len(parts)
    weight_sum = sum(weights)
    hundredths = [int(w * 10_000 // weight_sum) for w in weights]
    # Round down, then give the cents left over to the largest shares: the sum is exactly 100.00.
    for index in sorted(range(len(parts)), key=lambda i: -weights[i])[: 10_000 - sum(hundredths)]:
        hundredths[index] += 1
    main = max(range(len(parts)), key=lambda i: (weights[i], -i))
    body = [
        {
            "idSku": str(linked[part.code]),
            "quantity": part.quantity if part.quantity % 1 else int(part.quantity),
            "percentage": hundredths[index] / 100,
            "isMainComponent": index == main,
        }
        for index, part in enumerate(parts)
    ]
    return body, []


def normalized_components(value: Any) -> list[dict[str, Any]]:
    """AnyMarket's ``kitComponents`` as a list whatever its shape: the export types it as one object,
    clients (and answers) carry a list; ``None``/missing is no kit."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    raise ValueError(f"kitComponents must be an object or a list of objects, not {type(value).__name__}")
