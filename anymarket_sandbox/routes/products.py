"""Products, their SKUs and images.

Stored forms differ from wire forms: products keep ``categoryId``/``brandId`` and SKUs keep the ids of
their variation values, so renames of categories, brands or values show up in every later GET.
"""

from __future__ import annotations

import time
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
from anymarket_sandbox.routes.catalog import PRICE_SCOPES, add_variation_value, category_path
from anymarket_sandbox.state import Account, now_iso

router = APIRouter()

PRODUCT_FIELDS = (
    "title",
    "description",
    "externalIdProduct",
    "nbm",
    "origin",
    "model",
    "videoUrl",
    "gender",
    "warrantyTime",
    "warrantyText",
    "height",
    "width",
    "weight",
    "length",
    "priceFactor",
    "calculatedPrice",
    "definitionPriceScope",
    "hasVariations",
    "isProductActive",
    "characteristics",
    "allowAutomaticSkuMarketplaceCreation",
    "kitComponents",
)
GENDERS = {"MALE", "FEMALE", "BOY", "GIRL", "UNISSEX", "BABIES", "CHILDISH_UNISSEX"}
SKU_PUT_FIELDS = {"title", "partnerId", "ean", "price", "sellPrice", "externalId", "active"}
# maxLength of the spec's PostProduct/ProductUpdate: AnyMarket answers 422 beyond them.
TEXT_LIMITS = {"title": 150, "description": 10000, "videoUrl": 255}
SKU_TITLE_MAX = 150  # the spec's Sku/SkuPost/SkuPut title maxLength
# Images become PROCESSED this long after upload, imitating AnyMarket's asynchronous image pipeline.
IMAGE_PROCESSING_SECONDS = 2.0


# -- rendering ----------------------------------------------------------------------------------
def sku_amount(account: Account, sku_id: int) -> float:
    # Looked up per warehouse: scanning every stock row per SKU made large listings quadratic.
    rows = (account.stocks.get((sku_id, local_id)) for local_id in account.stock_locals)
    return sum(row["amount"] for row in rows if row is not None)


def render_sku(account: Account, sku: dict[str, Any]) -> dict[str, Any]:
    """Wire form: variations become ``[{id, description, type:{id, name, visualVariation}}]``."""
    variations = []
    for value_id in sku.get("variationValueIds", []):
        value = account.variation_values.get(value_id)
        if value is None:
            continue
        vtype = account.variation_types[value["typeId"]]
        variations.append(
            {
                "id": value["id"],
                "description": value["description"],
                "type": {
                    "id": vtype["id"],
                    "name": vtype["name"],
                    "visualVariation": vtype.get("visualVariation", False),
                },
            }
        )
    amount = sku_amount(account, sku["id"])
    return strip_none(
        {
            "id": sku["id"],
            "title": sku["title"],
            "partnerId": sku["partnerId"],
            "ean": sku.get("ean"),
            "amount": int(amount) if float(amount).is_integer() else amount,
            "additionalTime": sku.get("additionalTime", 0),
            "price": sku.get("price"),
            "sellPrice": sku.get("sellPrice"),
            "externalId": sku.get("externalId"),
            "active": sku.get("active", True),
            "variations": variations,
        }
    )


def render_image(image: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in image.items() if k not in {"productId", "createdAt"}}
    if out["status"] == "UNPROCESSED" and time.monotonic() - image["createdAt"] >= IMAGE_PROCESSING_SECONDS:
        from anymarket_sandbox.publishing import image_outcome

        image["status"], message = image_outcome(image["url"])
        if message:
            image["statusMessage"] = message
        out = {k: v for k, v in image.items() if k not in {"productId", "createdAt"}}
    return strip_none(out)


def _image_order(image: dict[str, Any]) -> tuple[int, int]:
    return (image.get("index") or 0, image["id"])


def product_images(account: Account, product_id: int) -> list[dict[str, Any]]:
    return sorted((i for i in account.images.values() if i["productId"] == product_id), key=_image_order)


def render_product(
    account: Account,
    product: dict[str, Any],
    skus: list[dict[str, Any]] | None = None,
    *,
    kit_shape: str = "list",
) -> dict[str, Any]:
    """``skus``: the product's stored SKUs when the caller has them grouped (listings); ``kit_shape``:
    the ``kit_components`` behaviour (:func:`_render_kit`)."""
    out = {k: product.get(k) for k in PRODUCT_FIELDS}
    out["id"] = product["id"]
    out["kitComponents"] = _render_kit(account, product.get("kitComponents"), kit_shape)
    if out.get("allowAutomaticSkuMarketplaceCreation") is None:
        out["allowAutomaticSkuMarketplaceCreation"] = True
    category = account.categories.get(product.get("categoryId"))
    if category is not None:
        out["category"] = {
            "id": category["id"],
            "name": category["name"],
            "path": category_path(account, category),
        }
    brand = account.brands.get(product.get("brandId"))
    if brand is not None:
        out["brand"] = strip_none(dict(brand))
    out["images"] = [render_image(i) for i in product_images(account, product["id"])]
    if skus is None:
        skus = [s for s in account.skus.values() if s["productId"] == product["id"]]
    out["skus"] = [render_sku(account, s) for s in skus]
    return strip_none(out)


# -- kits ---------------------------------------------------------------------------------------
KIT_FIELDS = ("idSku", "stockLocalId", "percentage", "quantity", "isMainComponent")


def _check_kit(account: Account, body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A product's ``kitComponents``, stored as a list: the export types it as one object, clients send
    a list — both are taken. Every component must be a SKU AnyMarket has (``idSku``, its id), with a
    positive ``quantity``, at most once; ``None`` when the body has no kit (``[]`` clears one)."""
    raw = body.get("kitComponents")
    if raw is None:
        return None
    items = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise unprocessable(
            "'kitComponents' deve ser uma lista de componentes {idSku, quantity}.",
            [{"field": "kitComponents", "message": "formato inválido"}],
        )
    seen: set[int] = set()
    stored = []
    for index, item in enumerate(items):
        field = f"kitComponents[{index}]"
        try:
            sku_id = int(str(item.get("idSku")))
        except ValueError:
            sku_id = -1
        if sku_id not in account.skus:
            raise unprocessable(
                f"Componente do kit não encontrado: SKU '{item.get('idSku')}'.",
                [{"field": f"{field}.idSku", "message": "SKU inexistente"}],
            )
        if sku_id in seen:
            raise unprocessable(
                f"SKU '{sku_id}' repetido no kit.", [{"field": f"{field}.idSku", "message": "duplicado"}]
            )
        seen.add(sku_id)
        quantity = item.get("quantity")
        if not isinstance(quantity, int | float) or isinstance(quantity, bool) or quantity <= 0:
            raise unprocessable(
                f"Quantidade inválida do componente '{sku_id}' no kit.",
                [{"field": f"{field}.quantity", "message": "deve ser maior que zero"}],
            )
        percentage = item.get("percentage")
        if percentage is not None and (
            not isinstance(percentage, int | float)
            or isinstance(percentage, bool)
            or not 0 <= percentage <= 100
        ):
            raise unprocessable(
                f"Porcentagem inválida do componente '{sku_id}' no kit.",
                [{"field": f"{field}.percentage", "message": "deve estar entre 0 e 100"}],
            )
        stored.append({**{k: item.get(k) for k in KIT_FIELDS}, "idSku": str(sku_id)})
    if stored and not any(item.get("isMainComponent") for item in stored):
        stored[0]["isMainComponent"] = True  # a kit always has a main component
    return stored


def _render_kit(account: Account, stored: list[dict[str, Any]] | None, shape: str) -> Any:
    """The kit as answered: a list (what clients see), or — ``kit_components`` behaviour ``object`` —
    the main component alone, as the export's schema types it (``None`` for no kit)."""
    if not stored:
        return None
    items = [strip_none(dict(item)) for item in stored if int(item["idSku"]) in account.skus]
    if shape == "object":
        return next((item for item in items if item.get("isMainComponent")), items[0] if items else None)
    return items


# -- validation ---------------------------------------------------------------------------------
def _ref_id(body: dict[str, Any], key: str) -> int | None:
    ref = body.get(key)
    if ref is None:
        return None
    if not isinstance(ref, dict) or ref.get("id") is None:
        raise unprocessable(
            f"'{key}' deve ser um objeto com 'id'.", [{"field": f"{key}.id", "message": "obrigatório"}]
        )
    return ref["id"]


def _check_product_fields(
    account: Account, body: dict[str, Any], creating: bool
) -> tuple[int | None, int | None]:
    """Type/enum/reference checks shared by POST and PUT; returns (categoryId, brandId)."""
    if creating:
        require(body, ["title"])
    errors = []
    for key, limit in TEXT_LIMITS.items():
        if body.get(key) is not None and len(str(body[key])) > limit:
            errors.append({"field": key, "message": f"tamanho máximo {limit}"})
    for key in ("height", "width", "length", "weight", "warrantyTime"):
        value = body.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
            errors.append({"field": key, "message": "deve ser um número não negativo"})
    if body.get("definitionPriceScope") is not None and body["definitionPriceScope"] not in PRICE_SCOPES:
        errors.append({"field": "definitionPriceScope", "message": "valor inválido"})
    if body.get("gender") is not None and body["gender"] not in GENDERS:
        errors.append({"field": "gender", "message": "valor inválido"})
    origin = body.get("origin")
    if origin is not None and not (isinstance(origin, dict) and origin.get("id") in range(0, 9)):
        errors.append({"field": "origin.id", "message": "deve estar entre 0 e 8"})
    if errors:
        if len(errors) == 1 and errors[0]["field"] in TEXT_LIMITS:
            field = errors[0]["field"]
            raise unprocessable(
                f"O campo '{field}' deve ter no máximo {TEXT_LIMITS[field]} caracteres.", errors
            )
        raise unprocessable("Dados do produto inválidos.", errors)
    category_id = _ref_id(body, "category")
    if category_id is not None and category_id not in account.categories:
        raise unprocessable(
            f"Categoria '{category_id}' não encontrada.", [{"field": "category.id", "message": "inexistente"}]
        )
    brand_id = _ref_id(body, "brand")
    if brand_id is not None and brand_id not in account.brands:
        raise unprocessable(
            f"Marca '{brand_id}' não encontrada.", [{"field": "brand.id", "message": "inexistente"}]
        )
    return category_id, brand_id


MEASURES = ("height", "width", "length", "weight")


def _kit_shape(request: Request) -> str:
    return str(sandbox_of(request).behaviour.snapshot().kit_components)


def _spec_required(request: Request) -> bool:
    return sandbox_of(request).behaviour.snapshot().product_required == "spec"


def _unmeasured(sb: Any, body: dict[str, Any]) -> list[str]:
    """The package measures a new product lacks: a 422 naming them when ``product_required`` is
    ``spec`` (the export's PostProduct requires them), else the ones to store as 0."""
    missing = [key for key in MEASURES if body.get(key) is None]
    if missing and sb.behaviour.snapshot().product_required == "spec":
        raise unprocessable(
            f"Dimensões obrigatórias ausentes: {', '.join(missing)}.",
            [{"field": key, "message": "obrigatório"} for key in missing],
        )
    return missing


def _duplicate_sku(partner_id: str) -> Exception:
    return unprocessable(
        f"Duplicidade de SKU: já existe um SKU com o partnerId '{partner_id}'.",
        [{"field": "skus.partnerId", "message": "duplicado"}],
    )


def _check_sku_body(
    account: Account,
    sku: dict[str, Any],
    prefix: str,
    seen: set[str],
    own_id: int | None = None,
    creating: bool = False,
) -> None:
    # SkuPost requires title, price and amount; partnerId is the ERP's join key (notes).
    require(sku, ["title", "partnerId", *(("price", "amount") if creating else ())], prefix=prefix)
    partner_id = str(sku["partnerId"])
    if len(str(sku["title"])) > SKU_TITLE_MAX:
        raise unprocessable(
            f"O campo '{prefix}title' deve ter no máximo {SKU_TITLE_MAX} caracteres.",
            [{"field": prefix + "title", "message": f"tamanho máximo {SKU_TITLE_MAX}"}],
        )
    if len(partner_id) > 120:
        raise unprocessable(
            "O partnerId do SKU deve ter no máximo 120 caracteres.",
            [{"field": prefix + "partnerId", "message": "tamanho máximo 120"}],
        )
    existing = account.sku_by_partner_id(partner_id)
    if partner_id in seen or (existing is not None and existing["id"] != own_id):
        raise _duplicate_sku(partner_id)
    seen.add(partner_id)
    for key in ("price", "sellPrice", "amount"):
        value = sku.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
            raise unprocessable(
                f"Valor inválido em '{prefix}{key}'.", [{"field": prefix + key, "message": "inválido"}]
            )
    variations = sku.get("variations")
    if variations is not None:
        # The request form is a map {"Cor": "Azul"}; the array is only the response form.
        if not isinstance(variations, dict):
            raise unprocessable(
                "'variations' deve ser um mapa {tipo: valor}.",
                [{"field": prefix + "variations", "message": "formato inválido"}],
            )
        for type_name in variations:
            if _type_by_name(account, type_name) is None:
                raise unprocessable(
                    f"Tipo de variação '{type_name}' não encontrado.",
                    [{"field": prefix + "variations", "message": "tipo inexistente"}],
                )


def _check_parent_sku(product: dict[str, Any], sku: dict[str, Any], prefix: str) -> None:
    """Variations are mandatory for the SKUs of a product with variations (and only for them)."""
    if product.get("hasVariations") and not sku.get("variations"):
        raise unprocessable(
            f"O produto possui variações: o SKU '{sku.get('partnerId')}' deve informar suas variações.",
            [{"field": prefix + "variations", "message": "obrigatório para produtos com variações"}],
        )


def _type_by_name(account: Account, name: str) -> dict[str, Any] | None:
    for vtype in account.variation_types.values():
        if vtype["name"].lower() == str(name).lower():
            return vtype
    return None


def _variation_value_ids(sb: Any, account: Account, variations: dict[str, Any] | None) -> list[int]:
    """Resolve ``{"Cor": "Azul"}`` to value ids, creating unknown values of known types."""
    ids = []
    for type_name, description in (variations or {}).items():
        vtype = _type_by_name(account, type_name)
        assert vtype is not None  # checked by _check_sku_body
        for value in account.variation_values.values():
            if value["typeId"] == vtype["id"] and value["description"].lower() == str(description).lower():
                ids.append(value["id"])
                break
        else:
            ids.append(add_variation_value(sb, account, vtype["id"], {"description": str(description)})["id"])
    return ids


def _create_sku(sb: Any, account: Account, product_id: int, body: dict[str, Any]) -> dict[str, Any]:
    sku = {
        "id": sb.state.next_id(),
        "productId": product_id,
        "title": body["title"],
        "partnerId": str(body["partnerId"]),
        "ean": body.get("ean"),
        "price": body.get("price"),
        "sellPrice": body.get("sellPrice", body.get("price")),
        "additionalTime": body.get("additionalTime", 0),
        "externalId": body.get("externalId"),
        "active": body.get("active", True),
        "variationValueIds": _variation_value_ids(sb, account, body.get("variations")),
    }
    account.skus[sku["id"]] = sku
    account.sku_index[sku["partnerId"]] = sku["id"]
    # ``amount`` is honoured only at creation, into the given or the default warehouse.
    local_id = body.get("stockLocalId")
    local = account.stock_locals.get(local_id) if local_id is not None else account.default_local()
    if body.get("amount") is not None and local is not None:
        account.stocks[(sku["id"], local["id"])] = {
            "amount": body["amount"],
            "reservation": 0,
            "cost": None,
            "additionalTime": sku["additionalTime"],
            "updatedAt": now_iso(),
        }
    return sku


def _add_image(
    sb: Any,
    account: Account,
    product_id: int,
    body: dict[str, Any],
    added: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Store one image. ``added``: the images of a product being created, kept by the caller (no scan
    of every image of the account per image; the caller then settles the main image once)."""
    require(body, ["url"])
    existing = added if added is not None else product_images(account, product_id)
    image = {
        "id": sb.state.next_id(),
        "productId": product_id,
        "index": body.get("index", len(existing) + 1),
        "main": bool(body.get("main", False)),
        "url": body["url"],
        "variation": body.get("variation"),
        "status": "UNPROCESSED",
        "createdAt": time.monotonic(),
    }
    if image["main"]:
        for other in existing:
            other["main"] = False
    account.images[image["id"]] = image
    if added is not None:
        added.append(image)
    else:
        _ensure_main_image(account, product_id)
    return image


def _check_image_index(index: Any, highest: int, field: str) -> None:
    """The spec: an image's index "inicia-se em 1 e limita-se a quantidade de imagens no produto" —
    0, negatives and gaps past the number of images are a 422."""
    if index is None:
        return
    if not isinstance(index, int) or isinstance(index, bool) or not 1 <= index <= highest:
        raise unprocessable(
            f"Índice de imagem inválido: {index!r} (de 1 a {highest}).",
            [{"field": field, "message": f"deve estar entre 1 e {highest}"}],
        )


def _ensure_main_image(account: Account, product_id: int, images: list[dict[str, Any]] | None = None) -> None:
    """If no image is main, the lowest index becomes main (AnyMarket's rule)."""
    ordered = sorted(images, key=_image_order) if images is not None else product_images(account, product_id)
    if ordered and not any(i["main"] for i in ordered):
        ordered[0]["main"] = True


def _product(account: Account, raw_id: str) -> dict[str, Any]:
    product = account.products.get(parse_id(raw_id))
    if product is None:
        raise not_found(raw_id)
    return product


# -- products -----------------------------------------------------------------------------------
@router.get("/products")
async def list_products(
    request: Request, sku: str | None = None, externalId: str | None = None
) -> JSONResponse:
    """Paged; ``sku`` is a SKU partnerId (the lookup clients do before creating a product),
    ``externalId`` the product's ``externalIdProduct`` or one of its SKUs' ``externalId``. Ordered by
    id in the ``list_order`` switch's direction."""
    account = account_of(request)
    with sandbox_of(request).state.lock:
        products = list(account.products.values())
        if sku is not None:
            owner = account.sku_by_partner_id(sku)
            products = [p for p in products if owner is not None and p["id"] == owner["productId"]]
        # SKUs grouped once per request: a scan per product made a page of a large catalog slow.
        skus_of: dict[int, list[dict[str, Any]]] = {}
        for stored in account.skus.values():
            skus_of.setdefault(stored["productId"], []).append(stored)
        if externalId is not None:
            products = [
                p
                for p in products
                if p.get("externalIdProduct") == externalId
                or any(s.get("externalId") == externalId for s in skus_of.get(p["id"], []))
            ]
        products = sort_items(request, products, default_key=lambda p: p["id"])
        return JSONResponse(
            paged(
                request,
                products,
                lambda p: render_product(account, p, skus_of.get(p["id"], []), kit_shape=_kit_shape(request)),
            )
        )


@router.post("/products")
async def create_product(request: Request) -> JSONResponse:
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        category_id, brand_id = _check_product_fields(account, body, creating=True)
        unmeasured = _unmeasured(sb, body)
        skus = body.get("skus")
        if not isinstance(skus, list) or not skus:
            raise unprocessable(
                "O produto deve ter ao menos um SKU.", [{"field": "skus", "message": "obrigatório"}]
            )
        seen: set[str] = set()
        for index, sku in enumerate(skus):
            if not isinstance(sku, dict):
                raise unprocessable(
                    "SKU inválido.", [{"field": f"skus[{index}]", "message": "objeto esperado"}]
                )
            _check_sku_body(account, sku, f"skus[{index}].", seen, creating=True)
            _check_parent_sku(body, sku, f"skus[{index}].")
        images = body.get("images") or []
        for index, image in enumerate(images):
            require(image, ["url"], prefix=f"images[{index}].")
            _check_image_index(image.get("index"), len(images), f"images[{index}].index")
        kit = _check_kit(account, body)
        product = {k: body.get(k) for k in PRODUCT_FIELDS}
        product["kitComponents"] = kit
        product.setdefault("definitionPriceScope", "SKU")
        product["definitionPriceScope"] = product["definitionPriceScope"] or "SKU"
        product["isProductActive"] = body.get("isProductActive", True)
        # Required in the spec's Product (every answer carries them); AnyMarket's defaults when a client
        # leaves them out: the spec's own defaults, no markup, variations when the SKUs have them.
        if product.get("allowAutomaticSkuMarketplaceCreation") is None:
            product["allowAutomaticSkuMarketplaceCreation"] = True
        if product.get("hasVariations") is None:
            product["hasVariations"] = any(isinstance(s, dict) and s.get("variations") for s in skus)
        if product.get("priceFactor") is None:
            product["priceFactor"] = 1
        if product.get("calculatedPrice") is None:
            product["calculatedPrice"] = False
        product.update(dict.fromkeys(unmeasured, 0))  # product_required lenient: taken, measured 0
        product.update(id=sb.state.next_id(), categoryId=category_id, brandId=brand_id)
        account.products[product["id"]] = product
        for sku in skus:
            _create_sku(sb, account, product["id"], sku)
        added: list[dict[str, Any]] = []
        for image in images:
            _add_image(sb, account, product["id"], image, added)
        _ensure_main_image(account, product["id"], added)
        return JSONResponse(render_product(account, product, kit_shape=_kit_shape(request)), status_code=201)


@router.get("/products/{product_id}")
async def get_product(request: Request, product_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        return JSONResponse(
            render_product(account, _product(account, product_id), kit_shape=_kit_shape(request))
        )


@router.put("/products/{product_id}")
async def update_product(request: Request, product_id: str) -> JSONResponse:
    """Same fields as POST minus skus and images, which only change through their own endpoints:
    echoed ``skus``/``images`` are ignored like the real API does (``put_mode`` lenient) or refused
    with a 422 (``put_mode`` strict)."""
    body = await read_object(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        product = _product(account, product_id)
        strict = sandbox_of(request).behaviour.snapshot().put_mode == "strict"
        if strict and ("skus" in body or "images" in body):
            raise unprocessable(
                "SKUs e imagens não podem ser alterados por esta API; use /skus e /images.",
                [{"field": k, "message": "não permitido"} for k in ("skus", "images") if k in body],
            )
        category_id, brand_id = _check_product_fields(account, body, creating=False)
        if body.get("priceFactor") is None and _spec_required(request):
            raise unprocessable(
                "O fator de preço (priceFactor) é obrigatório.",
                [{"field": "priceFactor", "message": "obrigatório"}],
            )
        kit = _check_kit(account, body)
        for key in PRODUCT_FIELDS:
            if key in body:
                product[key] = body[key]
        if "kitComponents" in body:
            product["kitComponents"] = kit
        if category_id is not None:
            product["categoryId"] = category_id
        if brand_id is not None:
            product["brandId"] = brand_id
        return JSONResponse(render_product(account, product, kit_shape=_kit_shape(request)))


# -- skus ---------------------------------------------------------------------------------------
@router.get("/products/{product_id}/skus")
async def list_skus(request: Request, product_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        product = _product(account, product_id)
        return JSONResponse(
            [render_sku(account, s) for s in account.skus.values() if s["productId"] == product["id"]]
        )


@router.post("/products/{product_id}/skus")
async def create_sku(request: Request, product_id: str) -> JSONResponse:
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        product = _product(account, product_id)
        _check_sku_body(account, body, "", set(), creating=True)
        return JSONResponse(render_sku(account, _create_sku(sb, account, product["id"], body)))


def _sku_of(account: Account, product_id: str, sku_id: str) -> dict[str, Any]:
    product = _product(account, product_id)
    sku = account.skus.get(parse_id(sku_id))
    if sku is None or sku["productId"] != product["id"]:
        raise not_found(sku_id)
    return sku


@router.get("/products/{product_id}/skus/{sku_id}")
async def get_sku(request: Request, product_id: str, sku_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        return JSONResponse(render_sku(account, _sku_of(account, product_id, sku_id)))


@router.put("/products/{product_id}/skus/{sku_id}")
async def update_sku(request: Request, product_id: str, sku_id: str) -> JSONResponse:
    """Only title, partnerId, ean, price, sellPrice, externalId, active change. Other fields (``amount``,
    ``additionalTime``, ``variations``…) are ignored as the real API does (``put_mode`` lenient) or
    refused with a 422 (``put_mode`` strict, which surfaces e.g. stock sent through this call)."""
    body = await read_object(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        sku = _sku_of(account, product_id, sku_id)
        extra = sorted(set(body) - SKU_PUT_FIELDS - {"id"})
        if extra and sandbox_of(request).behaviour.snapshot().put_mode == "lenient":
            body = {k: v for k, v in body.items() if k not in extra}
        elif extra:
            raise unprocessable(
                f"Campos não alteráveis por esta API: {', '.join(extra)}.",
                [{"field": k, "message": "não permitido"} for k in extra],
            )
        _check_sku_body(
            account, {**render_sku(account, sku), **body, "variations": None}, "", set(), own_id=sku["id"]
        )
        product = account.products[sku["productId"]]
        scope = product.get("definitionPriceScope") or "SKU"
        price_changed = any(k in body and body[k] != sku.get(k) for k in ("price", "sellPrice"))
        if price_changed and scope != "SKU":
            raise unprocessable(
                f"O preço só pode ser alterado por SKU quando o tipo de cálculo é SKU (atual: {scope}).",
                [{"field": "price", "message": "não permitido"}],
            )
        if "partnerId" in body:
            account.sku_index.pop(sku["partnerId"], None)
            account.sku_index[str(body["partnerId"])] = sku["id"]
        for key in SKU_PUT_FIELDS & set(body):
            sku[key] = str(body[key]) if key == "partnerId" else body[key]
        return JSONResponse(render_sku(account, sku))


@router.get("/skus/partnerId/{partner_id}")
async def get_sku_by_partner_id(request: Request, partner_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        sku = account.sku_by_partner_id(partner_id)
        if sku is None:
            raise not_found(partner_id)
        out = render_sku(account, sku)
        product = account.products[sku["productId"]]
        out["product"] = {"id": product["id"], "title": product.get("title")}
        return JSONResponse(out)


# -- images -------------------------------------------------------------------------------------
@router.get("/products/{product_id}/images")
async def list_images(request: Request, product_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        product = _product(account, product_id)
        return JSONResponse([render_image(i) for i in product_images(account, product["id"])])


@router.post("/products/{product_id}/images")
async def create_image(request: Request, product_id: str) -> JSONResponse:
    body = await read_object(request)
    sb = sandbox_of(request)
    account = account_of(request)
    with sb.state.lock:
        product = _product(account, product_id)
        _check_image_index(body.get("index"), len(product_images(account, product["id"])) + 1, "index")
        return JSONResponse(render_image(_add_image(sb, account, product["id"], body)))


@router.get("/products/{product_id}/images/{image_id}")
async def get_image(request: Request, product_id: str, image_id: str) -> JSONResponse:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        product = _product(account, product_id)
        image = account.images.get(parse_id(image_id))
        if image is None or image["productId"] != product["id"]:
            raise not_found(image_id)
        return JSONResponse(render_image(image))


@router.put("/products/{product_id}/images")
async def update_images(request: Request, product_id: str) -> JSONResponse:
    """Reorder / change main: ``{id*, index*, main}`` (an array of those is accepted too)."""
    body = await read_json(request)
    account = account_of(request)
    with sandbox_of(request).state.lock:
        product = _product(account, product_id)
        rows = body if isinstance(body, list) else [body]
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise unprocessable("Imagem inválida.")
            require(row, ["id", "index"], prefix=f"[{index}]." if isinstance(body, list) else "")
            image = account.images.get(row["id"])
            if image is None or image["productId"] != product["id"]:
                raise not_found(row["id"])
            _check_image_index(row["index"], len(product_images(account, product["id"])), f"[{index}].index")
        updated = []
        for row in rows:
            image = account.images[row["id"]]
            image["index"] = row["index"]
            if row.get("main"):
                for other in product_images(account, product["id"]):
                    other["main"] = False
                image["main"] = True
            elif "main" in row:
                image["main"] = False
            updated.append(image)
        _ensure_main_image(account, product["id"])
        rendered = [render_image(i) for i in updated]
        return JSONResponse(rendered if isinstance(body, list) else rendered[0])


@router.delete("/products/{product_id}/images/{image_id}")
async def delete_image(request: Request, product_id: str, image_id: str) -> Response:
    account = account_of(request)
    with sandbox_of(request).state.lock:
        product = _product(account, product_id)
        image = account.images.get(parse_id(image_id))
        if image is None or image["productId"] != product["id"]:
            raise not_found(image_id)
        del account.images[image["id"]]
        _ensure_main_image(account, product["id"])
    return Response(status_code=204)
