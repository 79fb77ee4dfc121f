"""The sandbox's marketplaces: listings published with their health, images processed or failed."""

from __future__ import annotations

import time

import pytest

from anymarket_sandbox import conformance
from anymarket_sandbox.publishing import image_outcome, listing_health
from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog

PRODUCT = {"title": "Camiseta", "gender": "MALE", "isProductActive": True}
SKU = {"title": "Camiseta Azul", "ean": "7891234567895", "active": True}
GTIN = "GTIN (EAN) não informado: obrigatório para a categoria no Mercado Livre."
GENDER = "Atributo obrigatório 'Gênero' não informado para a categoria da Netshoes."


def bad_format(extension: str) -> tuple[str, str]:
    return "ERROR", f"Formato de imagem não suportado ({extension}): envie JPG, PNG ou WEBP."


@pytest.mark.parametrize(
    ("marketplace", "product", "sku", "images", "amount", "expected"),
    [
        ("MERCADO_LIVRE", {}, {}, 1, 5, ("ACTIVE", "Ativo", [])),
        ("MERCADO_LIVRE", {}, {"ean": None}, 1, 5, ("ACTIVE", "Ativo com pendências", [GTIN])),
        ("B2W", {}, {"ean": None}, 1, 5, ("ACTIVE", "Ativo", [])),
        ("MERCADO_LIVRE", {}, {"title": "x" * 60}, 1, 5, ("ACTIVE", "Ativo", [])),
        ("MERCADO_LIVRE", {}, {"title": "x" * 61}, 1, 5,
         ("UNPUBLISHED", "Recusado", ["Título com 61 caracteres: o Mercado Livre aceita no máximo 60."])),
        ("B2W", {}, {"title": "x" * 61}, 1, 5, ("ACTIVE", "Ativo", [])),
        ("NETSHOES", {"gender": None}, {}, 1, 5,
         ("UNPUBLISHED", "Recusado", [GENDER])),
        ("MERCADO_LIVRE", {"gender": None}, {}, 1, 5, ("ACTIVE", "Ativo", [])),
        ("B2W", {}, {}, 0, 5,
         ("UNPUBLISHED", "Recusado", ["Produto sem imagem: o marketplace exige ao menos uma imagem."])),
        ("MERCADO_LIVRE", {}, {"ean": None}, 0, 5,
         ("UNPUBLISHED", "Recusado", ["Produto sem imagem: o marketplace exige ao menos uma imagem.", GTIN])),
        ("B2W", {}, {}, 1, 0, ("WITHOUT_STOCK", "Sem estoque", [])),
        ("MERCADO_LIVRE", {}, {"ean": None}, 1, 0, ("WITHOUT_STOCK", "Sem estoque", [GTIN])),
        ("B2W", {"isProductActive": False}, {}, 1, 5, ("PAUSED", "Pausado", [])),
        ("B2W", {}, {"active": False}, 1, 0, ("PAUSED", "Pausado", [])),
    ],
)  # fmt: skip
def test_listing_health(marketplace, product, sku, images, amount, expected) -> None:
    assert (
        listing_health(marketplace, {**PRODUCT, **product}, {**SKU, **sku}, images=images, amount=amount)
        == expected
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://img.example.com/a/1.jpg", ("PROCESSED", None)),
        ("http://img.example.com/a/1.PNG?w=800", ("PROCESSED", None)),
        ("https://cdn.example.com/a/1", ("PROCESSED", None)),  # no extension: a CDN, fine
        ("https://img.example.com/a/1.tif", bad_format("TIF")),
        ("https://img.example.com/a/1.HEIC", bad_format("HEIC")),
        ("https://img.example.com/a.tif/1.jpg", ("PROCESSED", None)),  # only the file's own extension
        ("https://fotos.loja.invalid/1.jpg",
         ("ERROR", "Não foi possível baixar a imagem: o servidor 'fotos.loja.invalid' não foi encontrado.")),
        ("ftp://img.example.com/1.jpg", ("ERROR", "Não foi possível baixar a imagem.")),
        ("/fotos/1.jpg", ("ERROR", "Não foi possível baixar a imagem.")),
    ],
)  # fmt: skip
def test_image_outcome(url, expected) -> None:
    assert image_outcome(url) == expected


def test_publish_makes_listings_that_conform_and_follow_the_catalog(sandbox: SandboxServer, api: Api) -> None:
    seeded = seed_catalog(api, with_stock=True)  # two SKUs without EAN, one image, stock 10
    first = sandbox.admin._call("POST", "/listings/publish")
    assert first == {"created": 6, "updated": 0}
    sku = seeded["product"]["skus"][0]
    listed = api.get(f"/skus/{sku['id']}/marketplaces")
    if conformance.spec_available():
        assert conformance.response_violations("GET", listed.url, 200, listed.json()) == []
    by_marketplace = {x["marketPlace"]: x for x in listed.json()}
    assert set(by_marketplace) == {"MERCADO_LIVRE", "B2W", "NETSHOES"}
    ml = by_marketplace["MERCADO_LIVRE"]
    assert (ml["publicationStatus"], ml["warnings"]) == ("ACTIVE", [GTIN])
    assert ml["permalink"] == f"https://produto.mercadolivre.com.br/{ml['idInMarketplace']}"
    assert ml["idInMarketplace"].startswith("MLB")
    netshoes = by_marketplace["NETSHOES"]  # the seeded product has no gender
    assert netshoes["publicationStatus"] == "UNPUBLISHED" and "permalink" not in netshoes

    # Publishing again creates nothing; a fixed product clears its refusal.
    assert sandbox.admin._call("POST", "/listings/publish") == {"created": 0, "updated": 0}
    api.put(f"/products/{seeded['product']['id']}", json={**_product_put(seeded), "gender": "MALE"})
    assert sandbox.admin._call("POST", "/listings/publish") == {"created": 0, "updated": 2}
    again = {x["marketPlace"]: x for x in api.get(f"/skus/{sku['id']}/marketplaces").json()}
    assert again["NETSHOES"]["publicationStatus"] == "ACTIVE" and again["NETSHOES"]["warnings"] == []


def _product_put(seeded) -> dict:
    product = seeded["product"]
    keep = ("title", "description", "warrantyTime", "height", "width", "length", "weight", "priceFactor",
            "calculatedPrice", "definitionPriceScope", "hasVariations")  # fmt: skip
    return {
        **{k: product[k] for k in keep if k in product},
        "category": {"id": product["category"]["id"]},
        "brand": {"id": product["brand"]["id"]},
    }


def test_a_listing_set_by_hand_keeps_its_state_and_bad_edits_are_422(
    sandbox: SandboxServer, api: Api
) -> None:
    seeded = seed_catalog(api)
    sandbox.admin._call("POST", "/listings/publish")
    sku = seeded["product"]["skus"][0]
    b2w = next(x for x in api.get(f"/skus/{sku['id']}/marketplaces").json() if x["marketPlace"] == "B2W")
    edited = sandbox.admin._call(
        "PATCH",
        f"/listings/{b2w['id']}",
        json={
            "publicationStatus": "CORRUPTED",
            "warnings": ["Categoria inválida"],
            "marketplaceStatus": "Erro",
        },
    )
    assert (edited["publicationStatus"], edited["warnings"]) == ("CORRUPTED", ["Categoria inválida"])
    sandbox.admin._call("POST", "/listings/publish")  # leaves a listing set by hand alone
    b2w = next(x for x in api.get(f"/skus/{sku['id']}/marketplaces").json() if x["marketPlace"] == "B2W")
    assert b2w["publicationStatus"] == "CORRUPTED"
    for bad in ({"price": 1}, {"publicationStatus": "GONE"}, {"warnings": "x"}, {"warnings": [""]}):
        response = api.session.patch(f"{sandbox.root_url}/_sandbox/listings/{b2w['id']}", json=bad, timeout=5)
        assert response.status_code == 422, bad
    assert api.session.patch(f"{sandbox.root_url}/_sandbox/listings/1", json={}, timeout=5).status_code == 404


def test_posted_images_are_processed_later_and_bad_ones_fail(
    sandbox: SandboxServer, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("anymarket_sandbox.routes.products.IMAGE_PROCESSING_SECONDS", 0.2)
    seeded = seed_catalog(api)
    pid = seeded["product"]["id"]
    posted = api.post(
        f"/products/{pid}/images", json={"index": 2, "main": False, "url": "https://img.example.com/2.bmp"}
    )
    assert posted.json()["status"] == "UNPROCESSED" and "statusMessage" not in posted.json()
    time.sleep(0.3)
    images = {i["url"]: i for i in api.get(f"/products/{pid}/images").json()}
    assert images["https://img.example.com/1.jpg"]["status"] == "PROCESSED"
    bmp = images["https://img.example.com/2.bmp"]
    assert (bmp["status"], bmp["statusMessage"]) == (
        "ERROR",
        "Formato de imagem não suportado (BMP): envie JPG, PNG ou WEBP.",
    )


def test_the_demo_publishes_the_catalog_every_tick(sandbox: SandboxServer, api: Api) -> None:
    """``make demo``: what sync_products places gets listings, some refused or warned, without a call."""
    from anymarket_sandbox.demo import DemoGenerator

    seeded = seed_catalog(api, with_stock=True)
    DemoGenerator(sandbox.sandbox, interval=0, skus=[], seed=3).tick()
    listings = sandbox.admin._call("GET", "/skus/marketplaces")
    assert len(listings) == 3 * len(seeded["product"]["skus"])
    assert {x["publicationStatus"] for x in listings} == {"ACTIVE", "UNPUBLISHED"}  # Netshoes: no gender
    assert all(x["warnings"] for x in listings if x["marketPlace"] == "MERCADO_LIVRE")  # no EAN
