"""``/_sandbox/...``: test and demo control. No auth, no budget, no faults, not in the request log."""

from __future__ import annotations

import asyncio
import copy
import random
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from anymarket_sandbox.common import read_object, require, sandbox_of
from anymarket_sandbox.errors import ApiError, not_found, unprocessable
from anymarket_sandbox.orders import STATUSES, apply_update, build_order
from anymarket_sandbox.routes.stocks import create_local, render_stock

router = APIRouter(prefix="/_sandbox")


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/reset")
async def reset(request: Request) -> dict[str, bool]:
    sandbox_of(request).reset()
    return {"ok": True}


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    return sandbox_of(request).faults.snapshot().as_dict()


@router.put("/faults")
async def put_faults(request: Request) -> dict[str, Any]:
    body = await read_object(request)
    try:
        return sandbox_of(request).faults.configure(body)
    except KeyError as exc:
        raise unprocessable(f"Unknown fault setting(s): {exc.args[0]}") from exc


@router.get("/behaviour")
async def get_behaviour(request: Request) -> dict[str, Any]:
    return sandbox_of(request).behaviour.snapshot().as_dict()


@router.put("/behaviour")
async def put_behaviour(request: Request) -> dict[str, Any]:
    """Any of ``list_order`` (newest|oldest), ``created_before`` (exclusive|inclusive), ``put_mode``
    (lenient|strict); see anymarket_sandbox/behaviour.py. A reset returns to the server's settings."""
    body = await read_object(request)
    try:
        return sandbox_of(request).behaviour.configure(body)
    except KeyError as exc:
        raise unprocessable(f"Unknown behaviour setting(s): {exc.args[0]}") from exc
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc


@router.get("/conformance")
async def get_conformance(request: Request) -> dict[str, Any]:
    """Spec violations recorded since start (``validate_openapi`` servers only; else 409), once the
    checks of the exchanges already answered are done (up to 10 s)."""
    validator = sandbox_of(request).conformance
    if validator is None:
        raise ApiError(409, "OpenAPI validation is off (SandboxServer(validate_openapi=True)).")
    await asyncio.to_thread(validator.settle)
    return validator.report()


@router.get("/budget")
async def get_budget(request: Request) -> dict[str, Any]:
    sb = sandbox_of(request)
    return sb.budget.usage(dict(sb.state.tokens))


@router.put("/budget")
async def put_budget(request: Request) -> dict[str, Any]:
    """``{"requestsPerHour": int, "windowSeconds": float, "clearUsage": bool}`` (all optional)."""
    body = await read_object(request)
    sb = sandbox_of(request)
    sb.budget.configure(body.get("requestsPerHour"), body.get("windowSeconds"), bool(body.get("clearUsage")))
    return sb.budget.usage(dict(sb.state.tokens))


@router.get("/requests")
async def get_requests(
    request: Request,
    method: str | None = None,
    path: str | None = None,
    pathPrefix: str | None = None,
    since: int | None = None,
) -> JSONResponse:
    """The /v2 request log, oldest first; filters: method, exact path, path prefix, seq > since."""
    sb = sandbox_of(request)
    with sb.state.lock:
        rows = [
            copy.deepcopy(e)
            for e in sb.state.request_log
            if (method is None or e["method"] == method.upper())
            and (path is None or e["path"] == path)
            and (pathPrefix is None or e["path"].startswith(pathPrefix))
            and (since is None or e["seq"] > since)
        ]
    return JSONResponse(rows)


@router.delete("/requests")
async def clear_requests(request: Request) -> Response:
    sb = sandbox_of(request)
    with sb.state.lock:
        sb.state.request_log.clear()
    return Response(status_code=204)


@router.get("/tokens")
async def get_tokens(request: Request) -> list[dict[str, str]]:
    sb = sandbox_of(request)
    with sb.state.lock:
        return [{"token": t, "oi": oi} for t, oi in sb.state.tokens.items()]


@router.post("/tokens", status_code=201)
async def add_token(request: Request) -> dict[str, str]:
    body = await read_object(request)
    require(body, ["token", "oi"])
    sandbox_of(request).state.add_token(str(body["token"]), str(body["oi"]))
    return {"token": str(body["token"]), "oi": str(body["oi"])}


def _account_for(request: Request, body: dict[str, Any]) -> Any:
    """The account named by ``oi`` (or ``token``) in the body/query, else the primary one."""
    sb = sandbox_of(request)
    oi = body.get("oi") or request.query_params.get("oi")
    token = body.get("token") or request.query_params.get("token")
    if token is not None:
        oi = sb.state.oi_for_token(token)
        if oi is None:
            raise unprocessable("Unknown token.")
    if oi is not None and oi not in sb.state.accounts:
        raise unprocessable(f"Unknown OI '{oi}'.")
    return sb.state.account(oi)


@router.post("/orders", status_code=201)
async def create_order(request: Request) -> JSONResponse:
    """Create a marketplace order (fires the feed item and the callbacks); answers the order."""
    body = await read_object(request)
    sb = sandbox_of(request)
    with sb.state.lock:
        account = _account_for(request, body)
        order = build_order(sb, account, body, random.Random(body.get("seed")))
        return JSONResponse(copy.deepcopy(order), status_code=201)


@router.post("/orders/{order_id}/status")
async def marketplace_status(request: Request, order_id: int) -> JSONResponse:
    """Marketplace-side change (``{"status": "PAID_WAITING_SHIP" | "CANCELED" | ...}`` plus optional
    invoice/tracking/cancelDetails); lifecycle rules are not enforced here. Fires feed + callbacks."""
    body = await read_object(request)
    require(body, ["status"])
    if body["status"] not in STATUSES:
        raise unprocessable(f"Invalid status '{body['status']}'.")
    sb = sandbox_of(request)
    with sb.state.lock:
        found = sb.state.find_order(order_id)
        if found is None:
            raise not_found(order_id)
        account, order = found
        if apply_update(account, order, body, enforce=False):
            sb.order_changed(account, order_id)
        return JSONResponse(copy.deepcopy(order))


@router.get("/orders/{order_id}/nfe")
async def get_nfe(request: Request, order_id: int) -> Response:
    sb = sandbox_of(request)
    with sb.state.lock:
        found = sb.state.find_order(order_id)
        if found is None or order_id not in found[0].nfe:
            raise not_found(order_id)
        return Response(found[0].nfe[order_id], media_type="application/xml")


@router.get("/feed")
async def get_feed_state(request: Request) -> JSONResponse:
    """Every feed item of an account (``?oi=``), acked or not — for assertions and debugging."""
    sb = sandbox_of(request)
    with sb.state.lock:
        account = _account_for(request, {})
        return JSONResponse(
            [{"id": oid, "token": it.token, "acked": it.acked} for oid, it in account.feed.items()]
        )


@router.get("/callbacks/deliveries")
async def get_deliveries(request: Request, orderId: int | None = None) -> JSONResponse:
    sb = sandbox_of(request)
    with sb.state.lock:
        rows = [copy.deepcopy(d) for d in sb.state.deliveries if orderId is None or d["orderId"] == orderId]
    return JSONResponse(rows)


@router.delete("/callbacks/deliveries")
async def clear_deliveries(request: Request) -> Response:
    sb = sandbox_of(request)
    with sb.state.lock:
        sb.state.deliveries.clear()
    return Response(status_code=204)


@router.post("/stock-locals", status_code=201)
async def seed_local(request: Request) -> JSONResponse:
    """Create a warehouse without spending budget (test setup); same body as POST /v2/stocks/locals."""
    body = await read_object(request)
    sb = sandbox_of(request)
    with sb.state.lock:
        return JSONResponse(dict(create_local(sb, _account_for(request, body), body)), status_code=201)


@router.post("/demo/tick")
async def demo_tick(request: Request) -> JSONResponse:
    """Run one demo step now (sale, payment or cancellation); answers what happened."""
    sb = sandbox_of(request)
    if sb.demo is None:
        raise ApiError(409, "Demo mode is off.")
    return JSONResponse(sb.demo.tick())


# -- soak and invariant checks: read the whole state without spending budget or logging -------------


@router.get("/orders")
async def list_all_orders(request: Request) -> JSONResponse:
    """Every order of an account (``?oi=``), each with ``statusHistory`` (``[{status, at, source}]``,
    source ``marketplace`` or ``api``), whatever its readability: for invariant checkers."""
    sb = sandbox_of(request)
    with sb.state.lock:
        account = _account_for(request, {})
        return JSONResponse(
            [
                {**copy.deepcopy(order), "statusHistory": copy.deepcopy(account.status_history.get(oid, []))}
                for oid, order in account.orders.items()
            ]
        )


@router.get("/stocks")
async def list_all_stocks(request: Request) -> JSONResponse:
    """Every stock row of an account (``?oi=``) in the ``GET /v2/stocks`` shape, unpaged."""
    sb = sandbox_of(request)
    with sb.state.lock:
        account = _account_for(request, {})
        rows = account.stocks.items()
        return JSONResponse([render_stock(account, sku, local, row) for (sku, local), row in rows])


@router.get("/catalog")
async def get_catalog(request: Request) -> JSONResponse:
    """``{"products": [...], "skus": [...]}`` of an account (``?oi=``) as stored: duplicate checks."""
    sb = sandbox_of(request)
    with sb.state.lock:
        account = _account_for(request, {})
        return JSONResponse(
            {
                "products": copy.deepcopy(list(account.products.values())),
                "skus": copy.deepcopy(list(account.skus.values())),
            }
        )


@router.put("/demo")
async def configure_demo(request: Request) -> JSONResponse:
    """``{"paused": bool}``: stop or resume the demo's marketplace activity (409 when not in demo mode)."""
    body = await read_object(request)
    sb = sandbox_of(request)
    if sb.demo is None:
        raise ApiError(409, "Demo mode is off.")
    if "paused" in body:
        sb.demo.paused = bool(body["paused"])
    return JSONResponse({"paused": sb.demo.paused, "interval": sb.demo.interval})
