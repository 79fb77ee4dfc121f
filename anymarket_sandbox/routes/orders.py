"""Orders, the order feed, NF-e XML and callback registration."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from anymarket_sandbox.common import (
    account_of,
    clamp_limit,
    paged,
    parse_aware_datetime,
    parse_id,
    read_json,
    read_object,
    require,
    sandbox_of,
    sort_items,
    strip_none,
)
from anymarket_sandbox.errors import not_found, unprocessable
from anymarket_sandbox.orders import STATUSES, apply_update, build_order
from anymarket_sandbox.state import Account

router = APIRouter()
# Without ``limit`` the feed answers up to 100 items (spec); ``limit`` is clamped like paging.
FEED_DEFAULT_LIMIT = 100


def _order(account: Account, raw_id: str) -> dict[str, Any]:
    order = account.orders.get(parse_id(raw_id))
    if order is None:
        raise not_found(raw_id)
    return order


def _read_delay(request: Request) -> float:
    """Seconds a new order stays unreadable (the ``order_read_delay_seconds`` fault; 0 = off)."""
    return float(sandbox_of(request).faults.snapshot().order_read_delay_seconds or 0)


def _readable_order(request: Request, account: Account, raw_id: str) -> dict[str, Any]:
    """:func:`_order` for reads: a 404, like an unknown id, while the order is not readable yet."""
    order = _order(account, raw_id)
    if not account.readable(order["id"], _read_delay(request)):
        raise not_found(raw_id)
    return order


@router.get("/orders")
async def list_orders(
    request: Request,
    createdAfter: str | None = None,
    createdBefore: str | None = None,
    status: str | None = None,
    marketplace: str | None = None,
    marketplaceId: str | None = None,
    partnerId: str | None = None,
) -> JSONResponse:
    """Paged. Without ``sort``, by creation in the ``list_order`` switch's direction (newest first by
    default); ``sort``/``sortDirection`` order by any order field. ``createdAfter`` is inclusive,
    ``createdBefore`` exclusive ("criado antes de") unless the ``created_before`` switch says
    inclusive. ``marketplaceId`` is the order's id in its marketplace. Dates must carry a timezone
    (422 otherwise); there is no updatedAfter."""
    after = parse_aware_datetime(createdAfter, "createdAfter") if createdAfter is not None else None
    before = parse_aware_datetime(createdBefore, "createdBefore") if createdBefore is not None else None
    if status is not None and status not in STATUSES:
        raise unprocessable(
            f"Status inválido: '{status}'.", [{"field": "status", "message": "valor inválido"}]
        )
    sb = sandbox_of(request)
    inclusive = sb.behaviour.snapshot().created_before == "inclusive"
    account = account_of(request)
    delay = _read_delay(request)
    with sb.state.lock:
        selected = []
        for order in account.orders.values():
            if not account.readable(order["id"], delay):
                continue
            created = parse_aware_datetime(order["createdAt"], "createdAt")
            if after is not None and created < after:
                continue
            if before is not None and (created > before if inclusive else created >= before):
                continue
            if status is not None and order["status"] != status:
                continue
            if marketplace is not None and order["marketPlace"] != marketplace:
                continue
            if marketplaceId is not None and order.get("marketPlaceId") != marketplaceId:
                continue
            if partnerId is not None and order.get("partnerId") != partnerId:
                continue
            selected.append((created, order["id"], order))
        ordered = sort_items(request, selected, default_key=lambda t: (t[0], t[1]), view=lambda t: t[2])
        return JSONResponse(paged(request, [copy.deepcopy(o) for _, _, o in ordered]))


# PostOrder's required fields (the spec), checked before anything is created.
POST_ORDER_REQUIRED = [
    "marketPlaceId",
    "marketPlaceNumber",
    "marketPlace",
    "createdAt",
    "transmissionStatus",
    "status",
    "marketPlaceStatus",
    "total",
    "buyer",
    "items",
]


@router.post("/orders")
async def create_order(request: Request) -> JSONResponse:
    """An order created through the API (e.g. a seller's own store feeding AnyMarket): 201 with the
    order, which then reaches the feed and the callbacks like a marketplace sale."""
    body = await read_object(request)
    require(body, POST_ORDER_REQUIRED)
    items = body["items"]
    if not isinstance(items, list) or not items:
        raise unprocessable(
            "O pedido deve ter ao menos um item.", [{"field": "items", "message": "obrigatório"}]
        )
    spec_items = []
    for index, item in enumerate(items):
        sku = item.get("sku") if isinstance(item, dict) else None
        if not isinstance(sku, dict) or not sku.get("partnerId"):
            raise unprocessable(
                "Item sem SKU.", [{"field": f"items[{index}].sku.partnerId", "message": "obrigatório"}]
            )
        spec_items.append(
            strip_none(
                {
                    "partnerId": sku["partnerId"],
                    "title": sku.get("title"),
                    "quantity": item.get("amount", 1),
                    "unitPrice": item.get("unit", 0),
                    "discount": item.get("discount", 0),
                }
            )
        )
    spec = {
        k: body[k]
        for k in (
            "marketPlaceId",
            "marketPlaceNumber",
            "accountName",
            "partnerId",
            "fulfillment",
            "createdAt",
            "paymentDate",
            "status",
            "buyer",
            "shipping",
            "billingAddress",
            "payments",
            "freight",
            "discount",
            "interestValue",
            "metadata",
            "documentIntermediator",
            "intermediateRegistrationId",
        )
        if body.get(k) is not None
    }
    spec.update(marketplace=body["marketPlace"], items=spec_items)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        order = build_order(sb, account, spec)
        order["marketPlaceStatus"] = str(body["marketPlaceStatus"])
        order["transmissionStatus"] = str(body["transmissionStatus"])
        return JSONResponse(copy.deepcopy(order), status_code=201)


@router.post("/monitorings")
async def create_monitoring(request: Request) -> JSONResponse:
    """An integration alert shown in AnyMarket's panel: ``{partnerId, origin, message, createdAt}``
    required (the spec's MonitoringPost); answered 200 with the stored entry.

    ``partnerId`` is the integration's own key of the alert: posting it again updates that entry (e.g.
    ``status: CONCLUDED`` once solved) instead of adding one. The request's ``CONCLUDED`` is answered
    in the response schema's own spelling, ``CONCLUED``."""
    body = await read_object(request)
    require(body, ["partnerId", "origin", "message", "createdAt"])
    parse_aware_datetime(body["createdAt"], "createdAt")
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        same = next((e for e in account.monitorings.values() if e["partnerId"] == body["partnerId"]), None)
        entry_id = same["id"] if same is not None else sb.state.next_id()
        entry = {"id": entry_id, **{k: v for k, v in body.items() if k != "id"}}
        entry.setdefault("status", "PENDING")
        account.monitorings[entry_id] = entry
        answer = strip_none(dict(entry))
        if answer["status"] == "CONCLUDED":
            answer["status"] = "CONCLUED"
        return JSONResponse(answer)


@router.get("/orders/feeds")
async def get_feed(request: Request) -> JSONResponse:
    """Bare array ``[{id, token}]`` of orders created/changed and not yet acked with their current token."""
    limit = clamp_limit(request.query_params.get("limit"), default=FEED_DEFAULT_LIMIT)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        items = [{"id": oid, "token": item.token} for oid, item in account.feed.items() if not item.acked]
        return JSONResponse(items[:limit])


def _ack(account: Account, order_id: int, token: Any) -> None:
    """Ack only when ``token`` is the current one: a stale token (the order changed after it was read)
    is answered 204 like the real API but leaves the item in the feed."""
    item = account.feed.get(order_id)
    if item is None:
        raise not_found(order_id)
    if item.token == token:
        item.acked = True


@router.put("/orders/feeds/batch")
async def ack_feed_batch(request: Request) -> Response:
    """``[{"id", "token", "type"}]`` → 204 (newer API, uncertain in production)."""
    body = await read_json(request)
    if not isinstance(body, list):
        raise unprocessable("O corpo deve ser uma lista.")
    account = account_of(request)
    with sandbox_of(request).state.lock:
        for index, row in enumerate(body):
            if not isinstance(row, dict):
                raise unprocessable("Item inválido.")
            require(row, ["id", "token"], prefix=f"[{index}].")
        for row in body:
            if row["id"] in account.feed:
                _ack(account, row["id"], row["token"])
    return Response(status_code=204)


@router.put("/orders/feeds/{order_id}")
async def ack_feed(request: Request, order_id: str) -> Response:
    body = await read_object(request)
    require(body, ["token"])
    account = account_of(request)
    with sandbox_of(request).state.lock:
        _ack(account, parse_id(order_id), body["token"])
    return Response(status_code=204)


@router.put("/orders/partnerid/{order_id}")
async def set_partner_id(request: Request, order_id: str) -> JSONResponse:
    """Store the ERP order code; ``GET /orders?partnerId=`` finds it afterwards."""
    body = await read_object(request)
    require(body, ["partnerId"])
    account = account_of(request)
    with sandbox_of(request).state.lock:
        order = _order(account, order_id)
        order["partnerId"] = str(body["partnerId"])
        return JSONResponse(copy.deepcopy(order))


@router.get("/orders/{order_id}")
async def get_order(request: Request, order_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        return JSONResponse(copy.deepcopy(_readable_order(request, account, order_id)))


@router.get("/orders/{marketplace}/{id_in_marketplace}")
async def get_order_by_marketplace(
    request: Request, marketplace: str, id_in_marketplace: str
) -> JSONResponse:
    account = account_of(request)
    delay = _read_delay(request)
    with sandbox_of(request).state.lock:
        for order in account.orders.values():
            if not account.readable(order["id"], delay):
                continue
            if order["marketPlace"] == marketplace and id_in_marketplace in (
                order["marketPlaceId"],
                order["marketPlaceNumber"],
            ):
                return JSONResponse(copy.deepcopy(order))
    raise not_found(id_in_marketplace)


@router.put("/orders/{order_id}")
async def update_order(request: Request, order_id: str) -> JSONResponse:
    """Partial body driving the status (see orders.apply_update); 200 with the full order."""
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        order = _order(account, order_id)
        if apply_update(account, order, body):
            sb.order_changed(account, order["id"])
        return JSONResponse(copy.deepcopy(order))


@router.put("/orders/{order_id}/nfe")
async def put_nfe(request: Request, order_id: str) -> Response:
    """Store the raw NF-e XML (``application/xml``); anything that is not well-formed XML is a 422."""
    raw = await request.body()
    account = account_of(request)
    content_type = request.headers.get("content-type", "")
    if "xml" not in content_type:
        raise unprocessable(f"Content-Type deve ser application/xml (recebido '{content_type}').")
    try:
        ET.fromstring(raw)
    except ET.ParseError as exc:
        raise unprocessable(f"XML da NF-e inválido: {exc}.") from exc
    with sandbox_of(request).state.lock:
        order = _order(account, order_id)
        account.nfe[order["id"]] = raw.decode("utf-8", errors="replace")
    return Response(status_code=200)


# -- callbacks ----------------------------------------------------------------------------------
CALLBACK_FLAGS = ("orderActive", "productActive", "transmissionActive", "questionActive")


def _render_callback(cb: dict[str, Any]) -> dict[str, Any]:
    return strip_none(dict(cb))


@router.post("/callbacks")
async def create_callback(request: Request) -> JSONResponse:
    body = await read_object(request)
    require(body, ["url"])
    if not str(body["url"]).startswith(("http://", "https://")):
        raise unprocessable(
            "URL de callback inválida.", [{"field": "url", "message": "deve começar com http(s)://"}]
        )
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        cb = {"id": sb.state.next_id(), "url": body["url"], "token": body.get("token")}
        for flag in CALLBACK_FLAGS:
            cb[flag] = bool(body.get(flag, flag == "orderActive"))
        account.callbacks[cb["id"]] = cb
        return JSONResponse(_render_callback(cb), status_code=201)


@router.get("/callbacks")
async def list_callbacks(request: Request) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        return JSONResponse([_render_callback(cb) for cb in account.callbacks.values()])


@router.get("/callbacks/{callback_id}")
async def get_callback(request: Request, callback_id: str) -> JSONResponse:
    account = account_of(request)
    cb = account.callbacks.get(parse_id(callback_id))
    if cb is None:
        raise not_found(callback_id)
    return JSONResponse(_render_callback(cb))


@router.put("/callbacks/{callback_id}")
async def update_callback(request: Request, callback_id: str) -> JSONResponse:
    """Change a registration (its URL, token, flags): what the integration does when it rotates its
    callback secret. Flags left out of the body keep their value."""
    body = await read_object(request)
    require(body, ["url"])
    if not str(body["url"]).startswith(("http://", "https://")):
        raise unprocessable(
            "URL de callback inválida.", [{"field": "url", "message": "deve começar com http(s)://"}]
        )
    account = account_of(request)
    with sandbox_of(request).state.lock:
        cb = account.callbacks.get(parse_id(callback_id))
        if cb is None:
            raise not_found(callback_id)
        cb["url"] = body["url"]
        if "token" in body:
            cb["token"] = body["token"]
        for flag in CALLBACK_FLAGS:
            if flag in body:
                cb[flag] = bool(body[flag])
        return JSONResponse(_render_callback(cb))


@router.delete("/callbacks/{callback_id}")
async def delete_callback(request: Request, callback_id: str) -> Response:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        if account.callbacks.pop(parse_id(callback_id), None) is None:
            raise not_found(callback_id)
    return Response(status_code=204)
