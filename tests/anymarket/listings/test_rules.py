"""Listing health rules: a listing's health, its parsing and what a read changes (no I/O)."""

from __future__ import annotations

import hashlib

import pytest

from anymarket.listings.rules import changes, health, parse_listing


@pytest.mark.parametrize(
    ("status", "warnings", "expected"),
    [
        ("ACTIVE", [], "ok"),
        ("ACTIVE", ["GTIN não informado"], "warning"),
        ("ACTIVE", ["  ", ""], "ok"),  # blank texts are no warning
        ("UNPUBLISHED", [], "error"),  # not published, no reason given: still does not sell
        ("UNPUBLISHED", ["Título longo"], "error"),
        ("CORRUPTED", [], "error"),
        ("unpublished", [], "error"),  # case as AnyMarket might send it
        ("PAUSED", [], "ok"),
        ("CLOSED", [], "ok"),
        ("WITHOUT_STOCK", [], "ok"),
        ("WITHOUT_STOCK", ["Sem EAN"], "warning"),
        (None, [], "ok"),
    ],
)
def test_health(status, warnings, expected) -> None:
    assert health(status, warnings) == expected


def item(**fields):
    return {"id": 7, "marketPlace": "MERCADO_LIVRE", "publicationStatus": "ACTIVE", **fields}


def test_parse_listing_keeps_what_the_page_shows() -> None:
    listing = parse_listing(
        "SKU-1",
        "55",
        item(
            accountName="Loja",
            idInMarketplace="MLB123",
            marketplaceStatus="Ativo com pendências",
            warnings=["  GTIN não informado  ", "", 3],
            permalink="https://produto.mercadolivre.com.br/MLB123",
            price=10,
        ),
    )
    assert listing is not None and listing.listing_id == "7"
    assert listing.row == {
        "sku_code": "SKU-1",
        "anymarket_sku_id": "55",
        "marketplace": "MERCADO_LIVRE",
        "account_name": "Loja",
        "id_in_marketplace": "MLB123",
        "publication_status": "ACTIVE",
        "marketplace_status": "Ativo com pendências",
        "health": "warning",
        "warnings": ["GTIN não informado", "3"],
        "permalink": "https://produto.mercadolivre.com.br/MLB123",
    }


@pytest.mark.parametrize("bad", [None, "x", 3, {}, {"id": None}, {"id": ""}, {"marketPlace": "B2W"}])
def test_an_item_without_id_is_skipped(bad) -> None:
    assert parse_listing("S", "1", bad) is None


def test_parse_listing_fills_gaps_and_cuts_long_texts() -> None:
    listing = parse_listing("S", "1", {"id": 1, "marketplaceItemCode": "X" * 300, "warnings": "not a list"})
    assert listing is not None
    assert listing.row["marketplace"] == "?" and listing.row["warnings"] == []
    assert listing.row["id_in_marketplace"] == "X" * 255 and listing.row["publication_status"] is None


def test_the_hash_follows_every_shown_field_and_ignores_the_rest() -> None:
    base = parse_listing("S", "1", item())
    assert parse_listing("S", "1", item(price=99, fields={"title": "x"})).data_hash == base.data_hash
    for changed in (
        item(warnings=["x"]),
        item(publicationStatus="PAUSED"),
        item(marketplaceStatus="Pausado"),
        item(permalink="https://x"),
        item(accountName="Outra"),
        item(idInMarketplace="MLB9"),
        item(marketPlace="B2W"),
    ):
        assert parse_listing("S", "1", changed).data_hash != base.data_hash
    assert parse_listing("S", "2", item()).data_hash != base.data_hash  # re-linked SKU
    assert parse_listing("T", "1", item()).data_hash != base.data_hash


def test_changes_write_only_new_or_different_and_delete_the_gone() -> None:
    a, b, c = (parse_listing("S", "1", item(id=n)) for n in (1, 2, 3))
    b2 = parse_listing("S", "1", item(id=2, warnings=["w"]))
    stored = {"1": a.data_hash, "2": b.data_hash, "9": "old"}
    diff = changes(stored, [a, b2, c, parse_listing("S", "1", item(id=3, warnings=["dup"]))])
    assert [x.listing_id for x in diff.write] == ["2", "3"]
    assert diff.write[1].row["warnings"] == []  # the first of a duplicated id counts
    assert diff.delete == ["9"] and diff.unchanged == 1
    nothing = changes({"1": a.data_hash}, [a])
    assert (nothing.write, nothing.delete, nothing.unchanged) == ([], [], 1)
    assert changes({}, []).write == [] and changes({"1": "h"}, []).delete == ["1"]


@pytest.mark.parametrize(
    ("field", "column", "limit"),
    [
        ("publicationStatus", "publication_status", 20),
        ("marketPlace", "marketplace", 40),
        ("accountName", "account_name", 200),
        ("idInMarketplace", "id_in_marketplace", 255),
        ("marketplaceStatus", "marketplace_status", 255),
        ("permalink", "permalink", 2000),
    ],
)
def test_each_text_is_cut_to_its_column_exactly(field: str, column: str, limit: int) -> None:
    assert parse_listing("S", "1", item(**{field: "x" * limit})).row[column] == "x" * limit
    assert parse_listing("S", "1", item(**{field: "y" * (limit + 50)})).row[column] == "y" * limit


def test_a_refused_listing_is_an_error_whatever_its_warnings() -> None:
    assert parse_listing("S", "1", item(publicationStatus="UNPUBLISHED")).row["health"] == "error"
    assert (
        parse_listing("S", "1", item(publicationStatus="CORRUPTED", warnings=["w"])).row["health"] == "error"
    )


def test_the_hash_keeps_its_format() -> None:
    """Stored hashes are compared with new ones: a change of format would rewrite every listing once."""
    listing = parse_listing("SKU-ç", "55", item(accountName="Loja São João", warnings=["Sem EAN", "Título"]))
    # Compact JSON of the FIELDS values in order, non-ASCII kept as UTF-8.
    text = (
        '["SKU-ç","55","MERCADO_LIVRE","Loja São João",null,"ACTIVE",null,"warning",'
        '["Sem EAN","Título"],null]'
    )
    assert listing.data_hash == hashlib.sha256(text.encode()).hexdigest()
    assert listing.data_hash == "51cc53119df39dc150e26da7e4b5db1a0333d2634dd6ba00dee9674520000fcf"


def test_changes_counts_every_unchanged_listing_and_reads_past_a_duplicate() -> None:
    a, b, c = (parse_listing("S", "1", item(id=n)) for n in (1, 2, 3))
    duplicate_a = parse_listing("S", "1", item(id=1, warnings=["dup"]))
    diff = changes({"1": a.data_hash, "2": b.data_hash}, [a, duplicate_a, b, c])
    assert diff.unchanged == 2 and [x.listing_id for x in diff.write] == ["3"] and diff.delete == []
