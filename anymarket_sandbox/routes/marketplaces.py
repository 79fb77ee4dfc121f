"""SKU listings on marketplaces ("anúncios", AnyMarket's *SKU marketplace*) and their prices.

``/v2``: read a SKU's listings (``GET /skus/{skuId}/marketplaces``, ``GET /skus/marketplaces?partnerID=``,
``GET /skus/{skuId}/marketplaces/{id}``), create one (``POST /skus/{skuId}/marketplaces``) and set
the prices of many (``PUT /skus/marketplaces/prices`` → 200 ``[{id, errorMsg}]`` naming the listings
that were *not* updated). Admin (``/_sandbox``, no budget, not logged): create listings for a test
or the demo and read every listing of an account.

Like the SKU PUT (which changes prices only under the ``SKU`` scope), a listing's price changes only
when its product's ``definitionPriceScope`` is ``SKU_MARKETPLACE``; another listing is refused in
the answer with a message, while the others of the batch are updated.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
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
from anymarket_sandbox.state import Account

router = APIRouter()
admin_router = APIRouter(prefix="/_sandbox")

MARKETPLACE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
PUBLICATION_STATUSES = {"ACTIVE", "CLOSED", "CORRUPTED", "PAUSED", "UNPUBLISHED", "WITHOUT_STOCK"}


def listings_of(account: Account) -> dict[int, dict[str, Any]]:
    """listing id → listing, kept on the account (a reset builds new accounts, so it clears too)."""
    return account.__dict__.setdefault("sku_marketplaces", {})


def render_listing(listing: dict[str, Any]) -> dict[str, Any]:
    """Wire form (``SkuMarketplace``); ``skuId`` is internal."""
    return strip_none({k: v for k, v in listing.items() if k != "skuId"})


def _is_money(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def create_listing(sb: Any, account: Account, sku_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Validate ``PostSkuMarketplace`` and store the listing (published at once, ``ACTIVE``)."""
    sku = account.skus.get(sku_id)
    if sku is None:
        raise not_found(sku_id)
    require(body, ["marketPlace", "price", "discountPrice"])
    errors = []
    if not MARKETPLACE_NAME.match(str(body["marketPlace"])):
        errors.append({"field": "marketPlace", "message": "valor inválido"})
    for key in ("price", "discountPrice"):
        if not _is_money(body[key]):
            errors.append({"field": key, "message": "inválido"})
    status = body.get("publicationStatus", "ACTIVE")
    if status not in PUBLICATION_STATUSES:
        errors.append({"field": "publicationStatus", "message": "valor inválido"})
    if errors:
        raise unprocessable("Dados do anúncio inválidos.", errors)
    listings = listings_of(account)
    index = 1 + sum(
        1 for x in listings.values() if x["skuId"] == sku_id and x["marketPlace"] == body["marketPlace"]
    )
    listing_id = sb.state.next_id()
    listing = {
        "id": listing_id,
        "skuId": sku_id,
        "accountName": body.get("accountName") or f"Conta {body['marketPlace']}",
        "idAccount": body.get("idAccount", 1),
        "marketPlace": body["marketPlace"],
        "idInMarketplace": body.get("idInMarketplace") or f"{body['marketPlace'][:3]}{listing_id}",
        "index": index,
        "publicationStatus": status,
        "marketplaceStatus": "Ativo",
        "price": body["price"],
        "priceFactor": body.get("priceFactor", 1),
        "discountPrice": body["discountPrice"],
        "permalink": body.get("permalink"),
        "skuInMarketplace": body.get("skuInMarketplace") or sku["partnerId"],
        "fields": body.get("fields") or {},
        "attributes": body.get("attributes") or {},
        "warnings": [],
    }
    listings[listing_id] = listing
    return listing


def _listings_of_sku(account: Account, sku_id: int) -> list[dict[str, Any]]:
    return [render_listing(x) for x in listings_of(account).values() if x["skuId"] == sku_id]


@router.get("/transmissions")
async def list_transmissions(request: Request) -> JSONResponse:
    """Paged: one transmission per listing (the SKU as sent to that marketplace and its state)."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        listings = sort_items(request, list(listings_of(account).values()), default_key=lambda x: x["id"])

        def render(listing: dict[str, Any]) -> dict[str, Any]:
            sku = account.skus.get(listing["skuId"]) or {}
            product = account.products.get(sku.get("productId")) or {}
            return strip_none(
                {
                    "id": listing["id"],
                    "accountName": listing.get("accountName"),
                    "description": product.get("description"),
                    "product": {"id": product.get("id"), "title": product.get("title")} if product else None,
                    "status": "OK",
                    "publicationStatus": listing.get("publicationStatus"),
                    "marketPlaceStatus": listing.get("marketplaceStatus"),
                    "priceFactor": listing.get("priceFactor"),
                    "sku": strip_none(
                        {
                            "id": sku.get("id"),
                            "title": sku.get("title"),
                            "partnerId": sku.get("partnerId"),
                            "ean": sku.get("ean"),
                            "price": listing.get("price"),
                            "discountPrice": listing.get("discountPrice"),
                        }
                    ),
                }
            )

        return JSONResponse(paged(request, listings, render))


@router.get("/skus/marketplaces")
async def listings_by_partner_id(request: Request, partnerID: str | None = None) -> JSONResponse:
    """The listings of the SKU with that partnerId, or every listing without ``partnerID`` (the
    spec's parameter is optional); a bare array, empty when there are none."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        if not partnerID:
            return JSONResponse([render_listing(x) for x in listings_of(account).values()])
        sku = account.sku_by_partner_id(partnerID)
        if sku is None:
            raise not_found(partnerID)
        return JSONResponse(_listings_of_sku(account, sku["id"]))


@router.get("/skus/{sku_id}/marketplaces")
async def listings_of_sku(request: Request, sku_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        parsed = parse_id(sku_id)
        if parsed not in account.skus:
            raise not_found(sku_id)
        return JSONResponse(_listings_of_sku(account, parsed))


@router.post("/skus/{sku_id}/marketplaces")
async def post_listing(request: Request, sku_id: str) -> JSONResponse:
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        return JSONResponse(render_listing(create_listing(sb, account, parse_id(sku_id), body)))


@router.get("/skus/{sku_id}/marketplaces/{listing_id}")
async def get_listing(request: Request, sku_id: str, listing_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        listing = listings_of(account).get(parse_id(listing_id))
        if listing is None or listing["skuId"] != parse_id(sku_id):
            raise not_found(listing_id)
        return JSONResponse(render_listing(listing))


@router.put("/skus/marketplaces/prices")
async def put_prices(request: Request) -> JSONResponse:
    """``[{id, price, discountPrice}]`` → 200 ``[{id, errorMsg}]`` for the listings not updated.

    A malformed body (not an array, a row without ``id``/``price``/``discountPrice`` or with a
    non-numeric or negative value) is a 422 and changes nothing; an unknown listing, or one whose
    product does not price per listing, is reported in the answer and the rest is applied.
    """
    body = await read_json(request)
    if not isinstance(body, list):
        raise unprocessable("O corpo deve ser uma lista de preços de anúncios.")
    for index, row in enumerate(body):
        if not isinstance(row, dict):
            raise unprocessable("Item inválido.", [{"field": f"[{index}]", "message": "objeto esperado"}])
        require(row, ["id", "price", "discountPrice"], prefix=f"[{index}].")
        bad = [key for key in ("price", "discountPrice") if not _is_money(row[key])]
        if bad:
            raise unprocessable(
                f"Preço inválido para o anúncio '{row['id']}'.",
                [{"field": f"[{index}].{key}", "message": "inválido"} for key in bad],
            )
    account = account_of(request)
    errors = []
    with sandbox_of(request).state.lock:
        listings = listings_of(account)
        for row in body:
            listing = listings.get(row["id"]) if isinstance(row["id"], int) else None
            if listing is None:
                errors.append({"id": row["id"], "errorMsg": f"Anúncio '{row['id']}' não encontrado."})
                continue
            product = account.products[account.skus[listing["skuId"]]["productId"]]
            scope = product.get("definitionPriceScope") or "SKU"
            if scope != "SKU_MARKETPLACE":
                errors.append(
                    {
                        "id": row["id"],
                        "errorMsg": "O preço do anúncio só pode ser alterado quando o tipo de cálculo é "
                        f"SKU_MARKETPLACE (atual: {scope}).",
                    }
                )
                continue
            listing["price"] = row["price"]
            listing["discountPrice"] = row["discountPrice"]
    return JSONResponse(errors)


# -- admin ----------------------------------------------------------------------------------------


@admin_router.post("/skus/{sku_id}/marketplaces", status_code=201)
async def seed_listing(request: Request, sku_id: int) -> JSONResponse:
    """Create a listing without spending budget (test/demo setup); body as ``POST /v2/skus/{id}/marketplaces``
    plus optional ``oi`` (default: the primary account)."""
    body = await read_object(request)
    sb = sandbox_of(request)
    with sb.state.lock:
        account = sb.state.account(body.get("oi"))
        return JSONResponse(render_listing(create_listing(sb, account, sku_id, body)), status_code=201)


@admin_router.get("/skus/marketplaces")
async def all_listings(request: Request, oi: str | None = None) -> JSONResponse:
    """Every listing of an account (default: the primary one), with its ``skuId``, for assertions."""
    sb = sandbox_of(request)
    with sb.state.lock:
        return JSONResponse([dict(x) for x in listings_of(sb.state.account(oi)).values()])
