"""What marketplaces make of a catalog: listings with their health, and image processing.

AnyMarket publishes each SKU on the seller's marketplaces (``allowAutomaticSkuMarketplaceCreation``)
as a listing (``SkuMarketplace``) whose ``publicationStatus``, ``marketplaceStatus`` and ``warnings``
say whether it sells; and it downloads each posted image asynchronously, ending ``PROCESSED`` or
``ERROR`` with a ``statusMessage``. The sandbox imitates both with deterministic rules, taken from
the data, so a test or the demo can make a listing refused or an image broken on purpose:

Listings (:func:`listing_health`), per marketplace:

- a product without images is refused everywhere (``UNPUBLISHED``, "Recusado");
- ``MERCADO_LIVRE``: a title over 60 characters is refused; a SKU without EAN is published with a
  warning (the GTIN is required by most of its categories);
- ``NETSHOES``: a product without ``gender`` is refused (a required attribute there);
- a SKU with no stock is ``WITHOUT_STOCK``; an inactive product or SKU ``PAUSED``.

Images (:func:`image_outcome`): a URL that is not http(s), whose host is under the reserved
``.invalid`` domain, or whose file is not an image format marketplaces accept (``.tif``, ``.bmp``,
``.pdf``, ``.svg``, ``.heic``) ends ``ERROR`` with AnyMarket's kind of message.

Admin (``/_sandbox``, no budget, not logged): ``POST /_sandbox/listings/publish`` publishes every
active SKU that has no listing yet on :data:`MARKETPLACES` and re-evaluates the ones published that
way (the demo calls it every tick); ``PATCH /_sandbox/listings/{id}`` sets a listing's state.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from anymarket_sandbox.common import read_object, sandbox_of
from anymarket_sandbox.errors import not_found, unprocessable
from anymarket_sandbox.routes.marketplaces import (
    PUBLICATION_STATUSES,
    create_listing,
    listings_of,
    render_listing,
)
from anymarket_sandbox.state import Account

admin_router = APIRouter(prefix="/_sandbox")

#: Where the sandbox publishes a catalog: marketplaces of the spec's ``SkuMarketplace`` enum.
MARKETPLACES = ("MERCADO_LIVRE", "B2W", "NETSHOES")
ACCOUNT_NAMES = {
    "MERCADO_LIVRE": "Loja Demo ML",
    "B2W": "Loja Demo Americanas",
    "NETSHOES": "Loja Demo Netshoes",
}
ML_TITLE_MAX = 60
PERMALINKS = {
    "MERCADO_LIVRE": "https://produto.mercadolivre.com.br/{item}",
    "B2W": "https://www.americanas.com.br/produto/{item}",
    "NETSHOES": "https://www.netshoes.com.br/p/{item}",
}
ITEM_PREFIX = {"MERCADO_LIVRE": "MLB", "B2W": "B2W", "NETSHOES": "NS"}
#: Formats no marketplace accepts (JPG, PNG, WEBP and GIF are processed).
BAD_IMAGE_FORMATS = {"tif", "tiff", "bmp", "pdf", "svg", "heic"}
EDITABLE = ("publicationStatus", "marketplaceStatus", "warnings", "permalink")


# -- rules ------------------------------------------------------------------------------------------


def image_outcome(url: str) -> tuple[str, str | None]:
    """``(status, statusMessage)`` AnyMarket ends an image with once it has tried to download it."""
    text = str(url)
    if not text.startswith(("http://", "https://")):
        return "ERROR", "Não foi possível baixar a imagem."
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if host.endswith(".invalid") or host == "invalid":
        return "ERROR", f"Não foi possível baixar a imagem: o servidor '{host}' não foi encontrado."
    name = parts.path.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in BAD_IMAGE_FORMATS:
        return "ERROR", f"Formato de imagem não suportado ({extension.upper()}): envie JPG, PNG ou WEBP."
    return "PROCESSED", None


def listing_health(
    marketplace: str, product: dict[str, Any], sku: dict[str, Any], *, images: int, amount: float
) -> tuple[str, str, list[str]]:
    """``(publicationStatus, marketplaceStatus, warnings)`` of a SKU's listing on ``marketplace``."""
    refusals: list[str] = []
    warnings: list[str] = []
    if images == 0:
        refusals.append("Produto sem imagem: o marketplace exige ao menos uma imagem.")
    title = str(sku.get("title") or product.get("title") or "")
    if marketplace == "MERCADO_LIVRE":
        if len(title) > ML_TITLE_MAX:
            refusals.append(
                f"Título com {len(title)} caracteres: o Mercado Livre aceita no máximo {ML_TITLE_MAX}."
            )
        if not sku.get("ean"):
            warnings.append("GTIN (EAN) não informado: obrigatório para a categoria no Mercado Livre.")
    if marketplace == "NETSHOES" and not product.get("gender"):
        refusals.append("Atributo obrigatório 'Gênero' não informado para a categoria da Netshoes.")
    if refusals:
        return "UNPUBLISHED", "Recusado", refusals + warnings
    if not product.get("isProductActive", True) or not sku.get("active", True):
        return "PAUSED", "Pausado", warnings
    if amount <= 0:
        return "WITHOUT_STOCK", "Sem estoque", warnings
    return "ACTIVE", "Ativo com pendências" if warnings else "Ativo", warnings


# -- publishing -------------------------------------------------------------------------------------


def _auto_listings(account: Account) -> set[int]:
    """Ids of the listings :func:`publish_catalog` made (re-evaluated on each call); kept on the
    account, so a reset forgets them with it."""
    return account.__dict__.setdefault("auto_listings", set())


def _apply_health(account: Account, listing: dict[str, Any], images: Counter[int]) -> bool:
    """Set the listing's state from its SKU as it is now; True when that changed it.
    ``images``: the number of images per product id (counted once per publish, not per listing)."""
    from anymarket_sandbox.routes.products import sku_amount

    sku = account.skus[listing["skuId"]]
    product = account.products[sku["productId"]]
    status, marketplace_status, warnings = listing_health(
        listing["marketPlace"],
        product,
        sku,
        images=images[product["id"]],
        amount=sku_amount(account, sku["id"]),
    )
    live = status != "UNPUBLISHED"
    item = listing["idInMarketplace"]
    changed = {
        "publicationStatus": status,
        "marketplaceStatus": marketplace_status,
        "warnings": warnings,
        "permalink": PERMALINKS[listing["marketPlace"]].format(item=item) if live else None,
    }
    before = {k: listing.get(k) for k in changed}
    listing.update(changed)
    return before != changed


def publish_catalog(sb: Any, account: Account) -> dict[str, int]:
    """Publish every SKU of a product allowing it on :data:`MARKETPLACES` where it has no listing, and
    re-evaluate the listings published this way (a fixed product clears its warnings)."""
    listings = listings_of(account)
    auto = _auto_listings(account)
    on = {(x["skuId"], x["marketPlace"]) for x in listings.values()}
    created = updated = 0
    new: set[int] = set()
    for sku in list(account.skus.values()):
        product = account.products.get(sku["productId"])
        if product is None or product.get("allowAutomaticSkuMarketplaceCreation") is False:
            continue
        for marketplace in MARKETPLACES:
            if (sku["id"], marketplace) in on:
                continue
            listing = create_listing(
                sb,
                account,
                sku["id"],
                {
                    "marketPlace": marketplace,
                    "price": sku.get("price") or 0,
                    "discountPrice": sku.get("sellPrice") or sku.get("price") or 0,
                    "accountName": ACCOUNT_NAMES[marketplace],
                },
            )
            listing["idInMarketplace"] = f"{ITEM_PREFIX[marketplace]}{listing['id']}"
            auto.add(listing["id"])
            new.add(listing["id"])
            created += 1
    images = Counter(image["productId"] for image in account.images.values())
    for listing_id in list(auto):
        listing = listings.get(listing_id)
        if listing is None or listing["skuId"] not in account.skus:
            auto.discard(listing_id)
            continue
        if _apply_health(account, listing, images) and listing_id not in new:
            updated += 1
    return {"created": created, "updated": updated}


# -- admin ------------------------------------------------------------------------------------------


@admin_router.post("/listings/publish")
async def publish(request: Request) -> JSONResponse:
    """Publish the catalog (body optional: ``{"oi": ...}``, default the primary account)."""
    raw = await request.body()
    body = await read_object(request) if raw.strip() else {}
    sb = sandbox_of(request)
    with sb.state.lock:
        return JSONResponse(publish_catalog(sb, sb.state.account(body.get("oi"))))


@admin_router.patch("/listings/{listing_id}")
async def edit_listing(request: Request, listing_id: int) -> JSONResponse:
    """Set a listing's ``publicationStatus``, ``marketplaceStatus``, ``warnings`` or ``permalink``
    (what the marketplace decided), e.g. to refuse one in a test; ``oi`` as for publish."""
    body = await read_object(request)
    unknown = sorted(set(body) - {*EDITABLE, "oi"})
    if unknown:
        raise unprocessable(f"Campos não editáveis: {', '.join(unknown)} (editáveis: {', '.join(EDITABLE)}).")
    if "publicationStatus" in body and body["publicationStatus"] not in PUBLICATION_STATUSES:
        raise unprocessable(f"publicationStatus inválido: {body['publicationStatus']!r}.")
    warnings = body.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) and w.strip() for w in warnings):
        raise unprocessable("warnings deve ser uma lista de textos.")
    sb = sandbox_of(request)
    with sb.state.lock:
        account = sb.state.account(body.get("oi"))
        listing = listings_of(account).get(listing_id)
        if listing is None:
            raise not_found(listing_id)
        listing.update({k: body[k] for k in EDITABLE if k in body})
        _auto_listings(account).discard(listing_id)  # set by hand: publish leaves it alone now
        return JSONResponse(render_listing(listing))
