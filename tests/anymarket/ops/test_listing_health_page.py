"""The ops page's listing health and image sections, and the lookup's listings, over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

from anymarket.listings.rules import parse_listing
from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow
from tests.anymarket.ops.test_page import XSS, Ops, ops, rows, section

__all__ = ["ops"]  # the fixture, used by name

REFUSED = "Título com 72 caracteres: o Mercado Livre aceita no máximo 60."
GTIN = "GTIN (EAN) não informado: obrigatório para a categoria no Mercado Livre."


def add_listing(
    db,
    listing_id: int,
    sku: str,
    marketplace: str,
    status: str,
    warnings: list[str],
    permalink: str | None = None,
    integration: str = "loja1",
    age_minutes: int = 0,
) -> None:
    listing = parse_listing(
        sku,
        "7001" if sku == "SKU-1" else "7999",
        {
            "id": listing_id,
            "marketPlace": marketplace,
            "accountName": f"Conta {marketplace}",
            "idInMarketplace": f"ITEM{listing_id}",
            "publicationStatus": status,
            "marketplaceStatus": "Recusado" if status == "UNPUBLISHED" else "Ativo",
            "warnings": warnings,
            "permalink": permalink,
        },
    )
    assert listing is not None
    with db.begin() as conn:
        conn.execute(
            m.listings.insert().values(
                integration_id=integration,
                listing_id=listing.listing_id,
                **listing.row,
                data_hash=listing.data_hash,
                changed_at=utcnow() - timedelta(minutes=age_minutes),
            )
        )


def seed_listings(db) -> None:
    add_listing(
        db, 1, "SKU-1", "MERCADO_LIVRE", "ACTIVE", [GTIN], "https://produto.mercadolivre.com.br/ITEM1"
    )
    add_listing(db, 2, "SKU-1", "B2W", "ACTIVE", [], "https://www.americanas.com.br/produto/ITEM2")
    add_listing(db, 3, "SKU-2", "MERCADO_LIVRE", "UNPUBLISHED", [REFUSED], age_minutes=5)
    add_listing(db, 4, "SKU-2", "B2W", "WITHOUT_STOCK", [])
    add_listing(db, 5, "SKU-3", "NETSHOES", "CORRUPTED", [XSS], "javascript:alert(1)")
    add_listing(
        db, 6, "SKU-9", "MERCADO_LIVRE", "UNPUBLISHED", ["of another integration"], integration="loja2"
    )
    with db.begin() as conn:
        conn.execute(
            m.image_checks.insert(),
            [
                {
                    "integration_id": "loja1",
                    "product_code": "P-IMG",
                    "image_key": key,
                    "anymarket_product_id": "900",
                    "anymarket_image_id": image_id,
                    "url": url,
                    "status": status,
                    "message": message,
                    "checks": 1,
                    "posted_at": utcnow(),
                    "checked_at": utcnow(),
                }
                for key, image_id, url, status, message in (
                    (
                        "k1",
                        "91",
                        "https://img.example.com/p/1.tif",
                        "ERROR",
                        "Formato de imagem não suportado (TIF)",
                    ),
                    ("k2", "92", "https://img.example.com/p/2.jpg", "PROCESSED", None),
                    (
                        "k3",
                        "93",
                        "https://img.example.com/p/3.jpg",
                        "UNCONFIRMED",
                        "still UNPROCESSED after 5 reads",
                    ),
                    ("k4", "94", "https://img.example.com/p/4.jpg", "UNPROCESSED", None),
                )
            ],
        )


def test_listing_health_counts_per_marketplace_and_lists_the_refused_first(ops: Ops) -> None:
    seed_listings(ops.db)
    html = section(ops.get("/anymarket/ops/loja1").text, "listing-health")
    assert "Listing health (5 listings)" in html
    counts = rows(html, "data-marketplace")
    ml = counts["MERCADO_LIVRE"]
    assert (
        "<td>2</td>" in ml
        and 'data-status="ACTIVE">ACTIVE 1' in ml
        and 'data-status="UNPUBLISHED">UNPUBLISHED 1' in ml
    )
    assert re.search(r'data-count="error">1<', ml) and re.search(r'data-count="warning">1<', ml)
    assert re.search(r'data-count="error">0<', counts["B2W"]) and "WITHOUT_STOCK 1" in counts["B2W"]
    assert "SKU-9" not in html and "of another integration" not in html
    problems = re.search(r'<table id="listing-problems">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    order = re.findall(r'<tr data-health="(\w+)" data-sku="([^"]+)" data-marketplace="(\w+)"', problems)
    assert order == [
        ("error", "SKU-3", "NETSHOES"),
        ("error", "SKU-2", "MERCADO_LIVRE"),
        ("warning", "SKU-1", "MERCADO_LIVRE"),
    ]
    assert REFUSED in problems and GTIN in problems
    link = '<a href="https://produto.mercadolivre.com.br/ITEM1" rel="noopener noreferrer" target="_blank">'
    assert link + "ITEM1</a>" in problems
    # AnyMarket's texts are text: a script in a warning is escaped, a javascript: permalink not linked.
    assert XSS not in problems and "&lt;script&gt;" in problems and "javascript:" not in problems
    assert "ITEM5" in problems


def test_images_anymarket_could_not_process(ops: Ops) -> None:
    seed_listings(ops.db)
    html = section(ops.get("/anymarket/ops/loja1").text, "image-errors")
    assert "Images AnyMarket could not process (2)" in html
    assert (
        "1.tif" in html and "Formato de imagem não suportado (TIF)" in html and 'data-status="ERROR"' in html
    )
    assert "still UNPROCESSED after 5 reads" in html and "2.jpg" not in html and "4.jpg" not in html


def test_the_lookup_of_a_sku_shows_its_listings(ops: Ops) -> None:
    seed_listings(ops.db)
    for term in ("SKU-1", "7001"):
        lookup = section(ops.get("/anymarket/ops/loja1", params={"q": term}).text, "lookup")
        listed = re.search(r'<table id="lookup-listings">.*?</table>', lookup, re.S).group(0)  # type: ignore[union-attr]
        assert re.findall(r'data-marketplace="(\w+)" data-health="(\w+)"', listed) == [
            ("B2W", "ok"),
            ("MERCADO_LIVRE", "warning"),
        ]
        assert GTIN in listed and "https://www.americanas.com.br/produto/ITEM2" in listed
    only_listing = ops.get("/anymarket/ops/loja1", params={"q": "SKU-3"}).text
    assert 'id="lookup-listings"' in only_listing and 'id="lookup-nothing"' not in only_listing


def test_before_a_first_run_the_sections_say_so(ops: Ops) -> None:
    page = ops.get("/anymarket/ops/loja1").text
    assert "No listing read yet: listing_health has not run." in section(page, "listing-health")
    assert "Every image read back was processed." in section(page, "image-errors")
