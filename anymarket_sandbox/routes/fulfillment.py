"""Fulfillment ("Full") stock: what a SKU holds in a marketplace's own distribution centres (CDs).

``/v2``: ``GET /stocks/fulfillment/{marketplace}/{idSku}`` → 200 ``[StockFulfillmentGet]``, one row
per CD (``sku`` = the SKU's code on the marketplace, ``document`` = the CD's CNPJ, ``description``,
``fulfillment_quantity_stock``, ``fulfillment_reserved_stock``, ``fulfillment_available_stock`` =
quantity - reserved). ``marketplace`` is an enum the spec spells in capitals (``B2W_NEW_API``,
``MERCADO_LIVRE``, ``OUTROS``): another value, lower case included, is a 400 ``{code, message}``
(the spec's ``400_2``); a SKU the account does not have is a 404; a SKU of the account with no stock
at that marketplace's CDs is an empty array.

Admin (``/_sandbox``, no budget, not logged): set a SKU's CDs for a test or the demo, and read them.
"""

from __future__ import annotations

import random
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from anymarket_sandbox.common import account_of, parse_id, read_json, sandbox_of
from anymarket_sandbox.errors import ApiError, not_found, unprocessable
from anymarket_sandbox.state import Account

router = APIRouter()
admin_router = APIRouter(prefix="/_sandbox")

#: The spec's ``marketplace`` enum for this endpoint.
MARKETPLACES = ("B2W_NEW_API", "MERCADO_LIVRE", "OUTROS")
#: Mercado Livre's Full CDs (names and CNPJs as a seller sees them; the CNPJs are valid).
ML_CDS = (
    ("SP01 - Cajamar", "03007331011580"),
    ("SP02 - Louveira", "03007331012714"),
    ("BA01 - Lauro de Freitas", "03007331012048"),
)


def fulfillment_of(account: Account) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """(marketplace, SKU id) → CD rows ``{document, description, quantity, reserved}``, kept on the
    account (a reset builds new accounts, so it clears too)."""
    return account.__dict__.setdefault("fulfillment_stocks", {})


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def render_row(sku: dict[str, Any], marketplace: str, row: dict[str, Any]) -> dict[str, Any]:
    """Wire form (``StockFulfillmentGet``); the marketplace knows the SKU by its own code."""
    available = max(0.0, float(row["quantity"]) - float(row["reserved"]))
    return {
        "sku": f"{marketplace[:3]}-{sku['partnerId']}",
        "document": row["document"],
        "description": row["description"],
        "fulfillment_quantity_stock": _num(row["quantity"]),
        "fulfillment_reserved_stock": _num(row["reserved"]),
        "fulfillment_available_stock": _num(available),
    }


def _marketplace(value: str) -> str:
    if value not in MARKETPLACES:
        # The spec: "Atributo 'marketplace' deve ser caixa alta (maiúsculo) pois trata-se de um ENUM."
        raise ApiError(
            400, f"Marketplace '{value}' inválido: use um de {', '.join(MARKETPLACES)} (caixa alta)."
        )
    return value


def set_fulfillment(account: Account, marketplace: str, sku_id: int, rows: list[dict[str, Any]]) -> None:
    """Replace a SKU's CDs at a marketplace (an empty list: no Full stock there)."""
    if sku_id not in account.skus:
        raise not_found(sku_id)
    clean = []
    for index, row in enumerate(rows):
        quantity, reserved = row.get("quantity"), row.get("reserved", 0)
        numbers = all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in (quantity, reserved)
        )
        if not isinstance(row.get("document"), str) or len(row["document"]) != 14 or not numbers:
            raise unprocessable(
                "CD inválido.", [{"field": f"[{index}]", "message": "document (14 dígitos), quantity >= 0"}]
            )
        if reserved > quantity:
            raise unprocessable(
                "Reserva maior que o estoque.", [{"field": f"[{index}].reserved", "message": ">"}]
            )
        clean.append(
            {
                "document": row["document"],
                "description": str(row.get("description") or row["document"]),
                "quantity": quantity,
                "reserved": reserved,
            }
        )
    table = fulfillment_of(account)
    if clean:
        table[(marketplace, sku_id)] = clean
    else:
        table.pop((marketplace, sku_id), None)


def stock_demo_full(account: Account, listings: list[dict[str, Any]]) -> int:
    """Demo: one SKU in three published on Mercado Livre (not refused) gets Full stock at two or
    three of its CDs, once (drawn from the SKU id, so the demo's seeded generator is untouched).
    Returns how many SKUs got it."""
    table = fulfillment_of(account)
    added = 0
    for listing in listings:
        sku_id = listing["skuId"]
        key = ("MERCADO_LIVRE", sku_id)
        published = listing.get("publicationStatus") not in ("UNPUBLISHED", "CORRUPTED")
        listed = listing["marketPlace"] == "MERCADO_LIVRE" and published
        if not listed or sku_id % 3 or key in table or sku_id not in account.skus:
            continue
        rng = random.Random(sku_id)
        rows = []
        for name, document in ML_CDS[: rng.randint(2, 3)]:
            quantity = rng.randint(0, 40)
            rows.append(
                {
                    "document": document,
                    "description": name,
                    "quantity": quantity,
                    "reserved": rng.randint(0, quantity // 4),
                }
            )
        set_fulfillment(account, "MERCADO_LIVRE", sku_id, rows)
        added += 1
    return added


@router.get("/stocks/fulfillment/{marketplace}/{sku_id}")
async def get_fulfillment(request: Request, marketplace: str, sku_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        chosen = _marketplace(marketplace)
        parsed = parse_id(sku_id)
        sku = account.skus.get(parsed)
        if sku is None:
            raise not_found(sku_id)
        rows = fulfillment_of(account).get((chosen, parsed), [])
        return JSONResponse([render_row(sku, chosen, row) for row in rows])


# -- admin ----------------------------------------------------------------------------------------


@admin_router.put("/stocks/fulfillment/{marketplace}/{sku_id}")
async def seed_fulfillment(
    request: Request, marketplace: str, sku_id: int, oi: str | None = None
) -> JSONResponse:
    """Set a SKU's Full stock (test/demo setup): ``[{document, description, quantity, reserved}]``."""
    body = await read_json(request)
    if not isinstance(body, list):
        raise unprocessable("O corpo deve ser uma lista de CDs.")
    sb = sandbox_of(request)
    with sb.state.lock:
        account = sb.state.account(oi)
        set_fulfillment(account, _marketplace(marketplace), sku_id, body)
        rows = fulfillment_of(account).get((marketplace, sku_id), [])
        return JSONResponse([render_row(account.skus[sku_id], marketplace, row) for row in rows])
