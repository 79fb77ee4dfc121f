"""The catalog import's pure rules: description, technical sheet, category order, stock targets."""

from __future__ import annotations

from decimal import Decimal

from anymarket.catalog.importer import StockPlan, category_order, description_text, product_attributes


def test_description_becomes_plain_text_with_line_breaks() -> None:
    assert (
        description_text("<p>Algodão &amp; linho</p><p>Lave<br/>à mão</p>") == "Algodão & linho\nLave\nà mão"
    )
    assert description_text(None) is None


def test_technical_sheet_from_characteristics_and_product_fields() -> None:
    product = {
        "characteristics": [
            {"index": 2, "name": "Cor interna", "value": "Azul"},
            {"index": 1, "name": "Modelo", "value": "x"},
        ],
        "model": "M-1",
        "gender": "FEMALE",
        "warrantyTime": 12,
    }
    assert product_attributes(product) == {
        "Cor interna": ("Azul", 1),
        "Modelo": ("M-1", 2),  # the product field wins over a characteristic of the same name
        "Gênero": ("Feminino", 3),
        "Tempo de Garantia": ("12", 4),
    }


def test_category_order_puts_parents_first_and_flags_ambiguous_paths() -> None:
    nodes = [
        {"id": 3, "name": "C", "path": "A/B/C"},
        {"id": 1, "name": "A", "path": "A"},
        {"id": 2, "name": "B", "path": "A/B"},
        {"id": 4, "name": "B", "path": "A/B"},  # a sibling with the same name: "A/B" is ambiguous
    ]
    ordered, unresolved = category_order(nodes)
    assert [(n["id"], n["_parent"]) for n in ordered] == [(1, None), (2, "1"), (4, "1")]
    assert [n["id"] for n in unresolved] == [3]
    nodes[0]["parent"] = {"id": 4}  # what GET /categories/3 says
    ordered, unresolved = category_order(nodes)
    assert [(n["id"], n["_parent"]) for n in ordered][-1] == (3, "4") and not unresolved


def test_stock_goes_to_the_mapped_deposit_else_the_default_and_is_summed() -> None:
    deposits = [
        {"id": 1, "code": "SP", "is_default": 1, "active": 1},
        {"id": 2, "code": "REC", "is_default": 0, "active": 1},
        {"id": 3, "code": "OLD", "is_default": 0, "active": 0},
    ]
    mappings = {
        "REC": {"value": "20", "attributes": {"counts_toward_balance": True}},
        "OLD": {"value": "30", "attributes": {}},  # inactive deposit: its warehouse goes to the default
    }
    plan = StockPlan.build(
        deposits=deposits,
        deposit_mappings=mappings,
        default_deposit_code=None,
        warehouse_ids=["10", "20", "30"],
    )
    assert plan.needs_rows
    plan.amounts = {"7": {"10": Decimal(4), "20": Decimal(5), "30": Decimal(1)}}
    assert plan.balances({"id": 7}) == {1: Decimal("5.000"), 2: Decimal("5.000")}
    single = StockPlan.build(
        deposits=deposits, deposit_mappings={}, default_deposit_code="REC", warehouse_ids=["10"]
    )
    assert single.balances({"id": 7, "amount": 3}) == {2: Decimal("3.000")}
    nowhere = StockPlan.build(
        deposits=deposits,
        deposit_mappings={},
        default_deposit_code="NONE",
        warehouse_ids=["10"],
    )
    assert nowhere.balances({"id": 7, "amount": 3}) == {} and nowhere.unplaced == {"10": 1}
    both_to_default = StockPlan.build(
        deposits=deposits, deposit_mappings={}, default_deposit_code=None, warehouse_ids=["10", "20"]
    )
    assert not both_to_default.needs_rows  # the SKU's total is the default deposit's: no GET /stocks
    assert both_to_default.balances({"id": 7, "amount": 9}) == {1: Decimal("9.000")}
