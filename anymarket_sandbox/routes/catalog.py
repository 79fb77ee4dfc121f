"""Brands, categories (a tree) and variation types/values."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from anymarket_sandbox.common import (
    account_of,
    paged,
    parse_id,
    read_object,
    require,
    sandbox_of,
    sort_items,
    strip_none,
)
from anymarket_sandbox.errors import ApiError, not_found, unprocessable
from anymarket_sandbox.state import Account

router = APIRouter()
PRICE_SCOPES = {"SKU", "SKU_MARKETPLACE", "COST"}


# -- brands -------------------------------------------------------------------------------------
def _check_brand(account: Account, body: dict[str, Any], brand_id: int | None) -> None:
    require(body, ["name"])
    reduced = body.get("reducedName")
    if reduced is not None and len(str(reduced)) > 30:
        raise unprocessable(
            "O nome reduzido deve ter no máximo 30 caracteres.",
            [{"field": "reducedName", "message": "tamanho máximo 30"}],
        )
    for other in account.brands.values():
        if other["id"] != brand_id and other["name"].lower() == str(body["name"]).lower():
            raise unprocessable(f"Já existe uma marca com o nome '{body['name']}'.")


@router.get("/brands")
async def list_brands(
    request: Request, name: str | None = None, partnerId: str | None = None
) -> JSONResponse:
    """Paged; ``name`` matches case-insensitive substrings (clients must compare exactly)."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        items = [
            b
            for b in account.brands.values()
            if (name is None or name.lower() in b["name"].lower())
            and (partnerId is None or b.get("partnerId") == partnerId)
        ]
        items = sort_items(request, items, default_key=lambda b: b["id"])
        return JSONResponse(paged(request, [strip_none(b) for b in items]))


@router.post("/brands")
async def create_brand(request: Request) -> JSONResponse:
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        _check_brand(account, body, None)
        brand = {
            "id": sb.state.next_id(),
            "name": body["name"],
            "reducedName": body.get("reducedName") or str(body["name"])[:30].lower(),
            "partnerId": body.get("partnerId"),
        }
        account.brands[brand["id"]] = brand
        return JSONResponse(strip_none(brand))


@router.get("/brands/{brand_id}")
async def get_brand(request: Request, brand_id: str) -> JSONResponse:
    account = account_of(request)
    brand = account.brands.get(parse_id(brand_id))
    if brand is None:
        raise not_found(brand_id)
    return JSONResponse(strip_none(brand))


@router.put("/brands/{brand_id}")
async def update_brand(request: Request, brand_id: str) -> JSONResponse:
    body = await read_object(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        brand = account.brands.get(parse_id(brand_id))
        if brand is None:
            raise not_found(brand_id)
        _check_brand(account, body, brand["id"])
        for key in ("name", "reducedName", "partnerId"):
            if key in body:
                brand[key] = body[key]
        return JSONResponse(strip_none(brand))


@router.delete("/brands/{brand_id}")
async def delete_brand(request: Request, brand_id: str) -> Response:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        bid = parse_id(brand_id)
        if bid not in account.brands:
            raise not_found(brand_id)
        if any(p.get("brandId") == bid for p in account.products.values()):
            raise unprocessable("A marca está vinculada a produtos e não pode ser excluída.")
        del account.brands[bid]
    return Response(status_code=204)


# -- categories ---------------------------------------------------------------------------------
def category_path(account: Account, category: dict[str, Any]) -> str:
    names = [category["name"]]
    parent_id = category.get("parentId")
    while parent_id is not None and parent_id in account.categories:
        parent = account.categories[parent_id]
        names.append(parent["name"])
        parent_id = parent.get("parentId")
    return "/".join(reversed(names))


def render_category(account: Account, category: dict[str, Any], detail: bool = False) -> dict[str, Any]:
    out = {
        "id": category["id"],
        "name": category["name"],
        "path": category_path(account, category),
        "partnerId": category.get("partnerId"),
        "priceFactor": category.get("priceFactor"),
        "definitionPriceScope": category.get("definitionPriceScope"),
    }
    if detail:
        parent_id = category.get("parentId")
        if parent_id is not None and parent_id in account.categories:
            parent = account.categories[parent_id]
            out["parent"] = strip_none({"id": parent_id, "partnerId": parent.get("partnerId")})
        out["children"] = [
            render_category(account, c)
            for c in account.categories.values()
            if c.get("parentId") == category["id"]
        ]
    return strip_none(out)


def _check_category(account: Account, body: dict[str, Any]) -> int | None:
    """Validate a category body; returns the parent id (None for a root)."""
    require(body, ["name"])
    scope = body.get("definitionPriceScope")
    if scope is not None and scope not in PRICE_SCOPES:
        raise unprocessable(
            f"definitionPriceScope inválido: '{scope}'.",
            [{"field": "definitionPriceScope", "message": "valor inválido"}],
        )
    parent = body.get("parent")
    if parent is None:
        return None
    parent_id = parent.get("id") if isinstance(parent, dict) else None
    if parent_id not in account.categories:
        raise unprocessable(
            f"Categoria pai '{parent_id}' não encontrada.",
            [{"field": "parent.id", "message": "categoria inexistente"}],
        )
    return parent_id


@router.get("/categories")
async def list_categories(request: Request, partnerId: str | None = None) -> JSONResponse:
    """Root categories only, paged, as the real API answers ("Consulta todas as categorias que estão
    no primeiro nível"); ``partnerId`` filters those roots, so a child category is *not* found by
    its ERP code here: clients read ``/categories/fullPath`` (or ``/categories/{id}``) for that."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        items = [
            c
            for c in account.categories.values()
            if c.get("parentId") is None and (partnerId is None or c.get("partnerId") == partnerId)
        ]
        items = sort_items(request, items, default_key=lambda c: c["id"])
        return JSONResponse(paged(request, [render_category(account, c) for c in items]))


@router.get("/categories/fullPath")
async def categories_full_path(request: Request) -> JSONResponse:
    """The whole tree as a bare array with ``path`` like ``"A/B"``."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        return JSONResponse([render_category(account, c) for c in account.categories.values()])


@router.post("/categories")
async def create_category(request: Request) -> JSONResponse:
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        parent_id = _check_category(account, body)
        category = {
            "id": sb.state.next_id(),
            "name": body["name"],
            "partnerId": body.get("partnerId"),
            "priceFactor": body.get("priceFactor", 1),
            "parentId": parent_id,
            "definitionPriceScope": body.get("definitionPriceScope", "SKU"),
        }
        account.categories[category["id"]] = category
        return JSONResponse(render_category(account, category, detail=True))


@router.get("/categories/{category_id}")
async def get_category(request: Request, category_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        category = account.categories.get(parse_id(category_id))
        if category is None:
            raise not_found(category_id)
        return JSONResponse(render_category(account, category, detail=True))


@router.put("/categories/{category_id}")
async def update_category(request: Request, category_id: str) -> JSONResponse:
    body = await read_object(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        category = account.categories.get(parse_id(category_id))
        if category is None:
            raise not_found(category_id)
        parent_id = _check_category(account, {**category, **body})
        if parent_id == category["id"]:
            raise unprocessable("Uma categoria não pode ser pai de si mesma.")
        for key in ("name", "partnerId", "priceFactor", "definitionPriceScope"):
            if key in body:
                category[key] = body[key]
        if "parent" in body:
            category["parentId"] = parent_id
        return JSONResponse(render_category(account, category, detail=True))


@router.delete("/categories/{category_id}")
async def delete_category(request: Request, category_id: str) -> Response:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        cid = parse_id(category_id)
        if cid not in account.categories:
            raise not_found(category_id)
        if any(c.get("parentId") == cid for c in account.categories.values()):
            raise unprocessable("A categoria possui subcategorias e não pode ser excluída.")
        if any(p.get("categoryId") == cid for p in account.products.values()):
            raise unprocessable("A categoria está vinculada a produtos e não pode ser excluída.")
        del account.categories[cid]
    return Response(status_code=204)


# -- variations ---------------------------------------------------------------------------------
def render_variation_type(account: Account, vtype: dict[str, Any]) -> dict[str, Any]:
    values = [
        strip_none({"id": v["id"], "description": v["description"], "partnerId": v.get("partnerId")})
        for v in account.variation_values.values()
        if v["typeId"] == vtype["id"]
    ]
    return strip_none(
        {
            "id": vtype["id"],
            "name": vtype["name"],
            "partnerId": vtype.get("partnerId"),
            "visualVariation": vtype.get("visualVariation", False),
            "values": values,
        }
    )


def add_variation_value(sb: Any, account: Account, type_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Create a value under a type (422 when the description already exists in that type)."""
    require(body, ["description"])
    for value in account.variation_values.values():
        if value["typeId"] == type_id and value["description"].lower() == str(body["description"]).lower():
            raise unprocessable(f"Já existe o valor '{body['description']}' para esta variação.")
    value = {
        "id": sb.state.next_id(),
        "typeId": type_id,
        "description": body["description"],
        "partnerId": body.get("partnerId"),
    }
    account.variation_values[value["id"]] = value
    return value


@router.get("/variations")
async def list_variations(
    request: Request, name: str | None = None, partnerId: str | None = None
) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        items = [
            render_variation_type(account, t)
            for t in account.variation_types.values()
            if (name is None or t["name"].lower() == name.lower())
            and (partnerId is None or t.get("partnerId") == partnerId)
        ]
        items = sort_items(request, items, default_key=lambda t: t["id"])
        return JSONResponse(paged(request, items))


@router.get("/variations/all")
async def all_variations(request: Request) -> JSONResponse:
    """Every type with its values, as a bare array."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        return JSONResponse([render_variation_type(account, t) for t in account.variation_types.values()])


@router.post("/variations")
async def create_variation(request: Request) -> JSONResponse:
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        require(body, ["name"])
        if any(t["name"].lower() == str(body["name"]).lower() for t in account.variation_types.values()):
            raise unprocessable(f"Já existe uma variação com o nome '{body['name']}'.")
        values = body.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            raise unprocessable("'values' deve ser uma lista de objetos.")
        for index, value in enumerate(values):
            require(value, ["description"], prefix=f"values[{index}].")
        vtype = {
            "id": sb.state.next_id(),
            "name": body["name"],
            "partnerId": body.get("partnerId"),
            "visualVariation": bool(body.get("visualVariation", False)),
        }
        account.variation_types[vtype["id"]] = vtype
        for value in values:
            add_variation_value(sb, account, vtype["id"], value)
        return JSONResponse(render_variation_type(account, vtype))


@router.get("/variations/{type_id}")
async def get_variation(request: Request, type_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        vtype = account.variation_types.get(parse_id(type_id))
        if vtype is None:
            raise not_found(type_id)
        return JSONResponse(render_variation_type(account, vtype))


def _variation_type(account: Account, type_id: str) -> dict[str, Any]:
    vtype = account.variation_types.get(parse_id(type_id))
    if vtype is None:
        raise not_found(type_id)
    return vtype


def _variation_value(account: Account, type_id: str, value_id: str) -> dict[str, Any]:
    vtype = _variation_type(account, type_id)
    value = account.variation_values.get(parse_id(value_id))
    if value is None or value["typeId"] != vtype["id"]:
        raise not_found(value_id)
    return value


def _render_value(value: dict[str, Any]) -> dict[str, Any]:
    return strip_none(
        {"id": value["id"], "description": value["description"], "partnerId": value.get("partnerId")}
    )


@router.put("/variations/{type_id}")
async def update_variation(request: Request, type_id: str) -> JSONResponse:
    """VariationTypePut ``{name, partnerId, visualVariation}``: the fields given change."""
    body = await read_object(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        vtype = _variation_type(account, type_id)
        if "name" in body:
            require(body, ["name"])
            if any(
                t["id"] != vtype["id"] and t["name"].lower() == str(body["name"]).lower()
                for t in account.variation_types.values()
            ):
                raise unprocessable(f"Já existe uma variação com o nome '{body['name']}'.")
            vtype["name"] = body["name"]
        if "partnerId" in body:
            vtype["partnerId"] = body["partnerId"]
        if "visualVariation" in body:
            vtype["visualVariation"] = bool(body["visualVariation"])
        return JSONResponse(render_variation_type(account, vtype))


def _value_in_use(account: Account, value_ids: set[int]) -> bool:
    return any(value_ids & set(s.get("variationValueIds", [])) for s in account.skus.values())


@router.delete("/variations/{type_id}")
async def delete_variation(request: Request, type_id: str) -> Response:
    """204; a type whose values some SKU uses cannot be removed (400, as the spec documents)."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        vtype = _variation_type(account, type_id)
        ids = {v["id"] for v in account.variation_values.values() if v["typeId"] == vtype["id"]}
        if _value_in_use(account, ids):
            raise ApiError(400, "O tipo de variação está em uso por SKUs e não pode ser excluído.")
        for value_id in ids:
            del account.variation_values[value_id]
        del account.variation_types[vtype["id"]]
    return Response(status_code=204)


@router.get("/variations/{type_id}/values")
async def list_variation_values(request: Request, type_id: str, partnerId: str | None = None) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        vtype = _variation_type(account, type_id)
        values = [
            v
            for v in render_variation_type(account, vtype)["values"]
            if partnerId is None or v.get("partnerId") == partnerId
        ]
        return JSONResponse(paged(request, values))


@router.get("/variations/{type_id}/values/{value_id}")
async def get_variation_value(request: Request, type_id: str, value_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        return JSONResponse(_render_value(_variation_value(account, type_id, value_id)))


@router.put("/variations/{type_id}/values/{value_id}")
async def update_variation_value(request: Request, type_id: str, value_id: str) -> JSONResponse:
    """VariationValuePut ``{description, partnerId}``; a description taken in the type is a 422."""
    body = await read_object(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        value = _variation_value(account, type_id, value_id)
        if "description" in body:
            require(body, ["description"])
            for other in account.variation_values.values():
                if (
                    other["typeId"] == value["typeId"]
                    and other["id"] != value["id"]
                    and other["description"].lower() == str(body["description"]).lower()
                ):
                    raise unprocessable(f"Já existe o valor '{body['description']}' para esta variação.")
            value["description"] = body["description"]
        if "partnerId" in body:
            value["partnerId"] = body["partnerId"]
        return JSONResponse(_render_value(value))


@router.delete("/variations/{type_id}/values/{value_id}")
async def delete_variation_value(request: Request, type_id: str, value_id: str) -> Response:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        value = _variation_value(account, type_id, value_id)
        if _value_in_use(account, {value["id"]}):
            raise ApiError(400, "O valor de variação está em uso por SKUs e não pode ser excluído.")
        del account.variation_values[value["id"]]
    return Response(status_code=204)


@router.post("/variations/{type_id}/values")
async def create_variation_value(request: Request, type_id: str) -> JSONResponse:
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        tid = parse_id(type_id)
        if tid not in account.variation_types:
            raise not_found(type_id)
        value = add_variation_value(sb, account, tid, body)
        return JSONResponse(
            strip_none(
                {"id": value["id"], "description": value["description"], "partnerId": value.get("partnerId")}
            )
        )
