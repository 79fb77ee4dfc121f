"""Warehouses ("locais de estoque") and stock per SKU x warehouse."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from anymarket_sandbox.common import (
    account_of,
    paged,
    parse_id,
    read_json,
    read_object,
    require,
    sandbox_of,
    sort_items,
    strip_none,
)
from anymarket_sandbox.errors import not_found, unprocessable
from anymarket_sandbox.state import Account, now_iso

router = APIRouter()
# The spec: "Tamanho máximo do lote é de 200 itens".
MAX_STOCK_BATCH = 200


def render_local(local: dict[str, Any]) -> dict[str, Any]:
    return strip_none(dict(local))


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def render_stock(account: Account, sku_id: int, local_id: int, row: dict[str, Any]) -> dict[str, Any]:
    sku = account.skus[sku_id]
    local = account.stock_locals[local_id]
    return strip_none(
        {
            "stockKeepingUnit": {"id": sku["id"], "title": sku["title"], "partnerId": sku["partnerId"]},
            "stockLocal": {
                "id": local["id"],
                # As in AnyMarket's own example: the account's OI rides on each stock row.
                "oi": {"value": account.oi},
                "name": local["name"],
                "virtual": local.get("virtual", False),
                "defaultLocal": local.get("defaultLocal", False),
            },
            "amount": _num(row["amount"]),
            "reservationAmount": _num(row["reservation"]),
            "availableAmount": _num(max(0, row["amount"] - row["reservation"])),
            "price": sku.get("price"),
            "cost": row.get("cost"),
            "active": sku.get("active", True),
            "additionalTime": row.get("additionalTime", sku.get("additionalTime", 0)),
            "lastStockUpdate": row["updatedAt"],
        }
    )


def create_local(sb: Any, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    """Create a warehouse; the first one, or one flagged ``defaultLocal``, becomes the only default."""
    require(body, ["name"])
    if any(loc["name"].lower() == str(body["name"]).lower() for loc in account.stock_locals.values()):
        raise unprocessable(f"Já existe um local de estoque com o nome '{body['name']}'.")
    default = bool(body.get("defaultLocal")) or account.default_local() is None
    if default:
        for other in account.stock_locals.values():
            other["defaultLocal"] = False
    local = {
        "id": sb.state.next_id(),
        "name": body["name"],
        "virtual": bool(body.get("virtual", False)),
        "defaultLocal": default,
        "zipCode": body.get("zipCode"),
    }
    account.stock_locals[local["id"]] = local
    return local


@router.get("/stocks/locals")
async def list_locals(request: Request) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        return JSONResponse([render_local(loc) for loc in account.stock_locals.values()])


@router.post("/stocks/locals")
async def post_local(request: Request) -> JSONResponse:
    """Answers the unusual ``{"message": ..., "data": {...}}`` envelope (status 200)."""
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        local = create_local(sb, account, body)
        return JSONResponse({"message": "Estoque criado com sucesso!", "data": render_local(local)})


@router.get("/stocks/locals/{local_id}")
async def get_local(request: Request, local_id: str) -> JSONResponse:
    account = account_of(request)
    local = account.stock_locals.get(parse_id(local_id))
    if local is None:
        raise not_found(local_id)
    return JSONResponse(render_local(local))


@router.put("/stocks/locals/{local_id}")
async def put_local(request: Request, local_id: str) -> JSONResponse:
    body = await read_object(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        local = account.stock_locals.get(parse_id(local_id))
        if local is None:
            raise not_found(local_id)
        for key in ("name", "virtual", "zipCode"):
            if key in body:
                local[key] = body[key]
        if body.get("defaultLocal"):
            for other in account.stock_locals.values():
                other["defaultLocal"] = False
            local["defaultLocal"] = True
        return JSONResponse(render_local(local))


def _resolve_rows(account: Account, body: Any) -> list[tuple[int, int, dict[str, Any]]]:
    """Validate a whole batch before applying any row (a 422 leaves stock untouched)."""
    if not isinstance(body, list):
        raise unprocessable("O corpo deve ser uma lista de estoques.")
    if len(body) > MAX_STOCK_BATCH:
        raise unprocessable(f"Tamanho máximo do lote é de {MAX_STOCK_BATCH} itens (recebidos {len(body)}).")
    resolved = []
    for index, row in enumerate(body):
        prefix = f"[{index}]."
        if not isinstance(row, dict):
            raise unprocessable(
                "Item de estoque inválido.", [{"field": f"[{index}]", "message": "objeto esperado"}]
            )
        if row.get("id") is None and row.get("partnerId") in (None, ""):
            raise unprocessable(
                "Informe 'id' ou 'partnerId' do SKU.",
                [{"field": prefix + "partnerId", "message": "obrigatório"}],
            )
        sku = (
            account.skus.get(row["id"])
            if row.get("id") is not None
            else account.sku_by_partner_id(str(row["partnerId"]))
        )
        if sku is None:
            ref = row.get("partnerId") if row.get("id") is None else row["id"]
            raise unprocessable(
                f"SKU '{ref}' não encontrado.",
                [{"field": prefix + "partnerId", "message": f"SKU '{ref}' não encontrado"}],
            )
        quantity = row.get("quantity")
        if quantity is None:
            raise unprocessable(
                "Campos obrigatórios não informados: quantity.",
                [{"field": prefix + "quantity", "message": "obrigatório"}],
            )
        if isinstance(quantity, bool) or not isinstance(quantity, int | float) or quantity < 0:
            raise unprocessable(
                f"Quantidade inválida para o SKU '{sku['partnerId']}': {quantity}.",
                [{"field": prefix + "quantity", "message": "deve ser maior ou igual a zero"}],
            )
        cost = row.get("cost")
        if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0):
            raise unprocessable(
                f"Custo inválido para o SKU '{sku['partnerId']}'.",
                [{"field": prefix + "cost", "message": "inválido"}],
            )
        local_id = row.get("stockLocalId")
        if local_id is None:
            local = account.default_local()
            if local is None:
                raise unprocessable(
                    "Nenhum local de estoque padrão cadastrado.",
                    [{"field": prefix + "stockLocalId", "message": "obrigatório"}],
                )
        else:
            local = account.stock_locals.get(local_id)
            if local is None:
                raise unprocessable(
                    f"Local de estoque '{local_id}' não encontrado.",
                    [{"field": prefix + "stockLocalId", "message": "inexistente"}],
                )
        resolved.append((sku["id"], local["id"], row))
    return resolved


async def _write_stocks(request: Request) -> Response:
    body = await read_json(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        stamp = now_iso()
        for sku_id, local_id, row in _resolve_rows(account, body):
            current = account.stocks.setdefault(
                (sku_id, local_id), {"amount": 0, "reservation": 0, "cost": None, "updatedAt": stamp}
            )
            current["amount"] = row["quantity"]
            current["updatedAt"] = stamp
            if row.get("cost") is not None:
                current["cost"] = row["cost"]
            if row.get("additionalTime") is not None:
                current["additionalTime"] = row["additionalTime"]
    return Response(status_code=204)


@router.put("/stocks")
async def put_stocks(request: Request) -> Response:
    """Batch update: ``[{id|partnerId, quantity, cost, additionalTime, stockLocalId}]`` → 204."""
    return await _write_stocks(request)


@router.post("/stocks")
async def post_stocks(request: Request) -> Response:
    """Creates the SKU x warehouse rows; the sandbox upserts exactly like PUT."""
    return await _write_stocks(request)


@router.get("/stocks")
async def list_stocks(
    request: Request,
    sku: str | None = None,
    idSku: str | None = None,
    idStockLocal: str | None = None,
    hasReservation: str | None = None,
) -> JSONResponse:
    """Paged rows; ``sku`` is a SKU partnerId (or AnyMarket SKU id), ``idSku`` an AnyMarket SKU id,
    ``idStockLocal`` a warehouse id. Ordered by SKU then warehouse in the ``list_order`` switch's
    direction unless ``sort`` names a field of the row."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        rows = []
        for (sku_id, local_id), row in account.stocks.items():
            sku_row = account.skus[sku_id]
            if sku is not None and sku not in (sku_row["partnerId"], str(sku_id)):
                continue
            if idSku is not None and str(sku_id) != idSku:
                continue
            if idStockLocal is not None and str(local_id) != idStockLocal:
                continue
            if hasReservation is not None and (row["reservation"] > 0) != (hasReservation.lower() == "true"):
                continue
            rows.append((sku_id, local_id, row))
        if request.query_params.get("sort"):
            rows = sort_items(
                request, rows, default_key=lambda r: (r[0], r[1]), view=lambda r: render_stock(account, *r)
            )
        else:
            rows = sort_items(request, rows, default_key=lambda r: (r[0], r[1]))
        return JSONResponse(paged(request, rows, lambda r: render_stock(account, *r)))
