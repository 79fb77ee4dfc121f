"""The order importer (:class:`anymarket.orders.importer.OrderImporter`) on a real SQLite reference ERP,
without a sandbox or Airflow: the settings a seller relies on (interest, freight, discounts, item cost,
Multi-CD split, payment method, sales channel, status mappings), what is never created or revived,
the cutoff, and the duplicate-key retry. Table-driven where it can be; fast enough for mutation runs."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.erp.database import ErpDatabase
from anymarket.orders.importer import (
    DEFAULT_STATUS_MAP,
    OrderImporter,
    References,
    day_start,
    normalize_document,
    parse_datetime,
)
from anymarket.settings import OrderSettings

SP, REC = 10, 20  # AnyMarket warehouse ids


@functools.cache
def _seeded_erp() -> bytes:
    """The SQLite ERP file with the reference schema and the seed rows, built once per process.

    Every test writes these bytes to its own file: building the schema per test cost most of the
    module's time, and mutation runs execute these tests once per mutant.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "erp.db"
        db = ErpDatabase(f"sqlite:///{path}")
        db.create_schema()
        with db.engine.begin() as c:
            for sql in (
                "INSERT INTO deposits (id, code, name, is_default) VALUES "
                "(1, 'SP', 'CD SP', 1), (2, 'REC', 'CD REC', 0)",
                "INSERT INTO carriers (id, code, name) VALUES (1, 'CORREIOS', 'Correios')",
                "INSERT INTO payment_methods (id, code, name) VALUES "
                "(1, 'CARTAO', 'Cartão'), (2, 'BOLETO', 'Boleto')",
                "INSERT INTO sales_channels (id, code, name, marketplace) VALUES (1, 'ML', 'Mercado Livre', "
                "'MERCADO_LIVRE'), (2, 'SITE', 'Loja', NULL)",
                "INSERT INTO products (id, code, name) VALUES (1, 'P1', 'Produto')",
                "INSERT INTO skus (id, product_id, code, name, cost_price, sell_price) VALUES "
                "(1, 1, 'SKU-1', 'Um', 10, 50), (2, 1, 'SKU-2', 'Dois', NULL, 30)",
            ):
                c.execute(sa.text(sql))
        db.engine.dispose()
        return path.read_bytes()


@pytest.fixture
def erp(tmp_path: Path) -> Iterator[ErpDatabase]:
    path = tmp_path / "erp.db"
    path.write_bytes(_seeded_erp())
    db = ErpDatabase(f"sqlite:///{path}")
    yield db
    db.engine.dispose()


def references(**overrides: Any) -> References:
    values: dict[str, Any] = {
        "carriers": {"CORREIOS": 1},
        "payment_methods": {"CARTAO": 1, "BOLETO": 2},
        "channels": {"ML": 1, "SITE": 2},
        "channel_by_marketplace": {"MERCADO_LIVRE": 1},
        "deposits": {"SP": 1, "REC": 2},
        "default_deposit_id": 1,
        "carrier_map": {"Correios": "CORREIOS"},
        "payment_map": {"CREDIT_CARD": "CARTAO"},
        "channel_map": {},
        "status_map": dict(DEFAULT_STATUS_MAP),
        "deposit_by_local": {str(SP): "SP", str(REC): "REC"},
    }
    values.update(overrides)
    return References(**values)


def importer(erp: ErpDatabase, refs: References | None = None, **settings: Any) -> OrderImporter:
    integration = SimpleNamespace(orders=OrderSettings(**settings))
    return OrderImporter(integration=integration, erp=erp, references=refs or references())  # type: ignore[arg-type]


def item(code: str, amount: int, unit: str, discount: str = "0", stocks: Any = None) -> dict[str, Any]:
    return {
        "sku": {"partnerId": code},
        "amount": amount,
        "unit": unit,
        "discount": discount,
        "idInMarketPlace": f"mlb-{code}",
        "stocks": [{"stockLocalId": SP, "amount": amount}] if stocks is None else stocks,
        "shippings": [{"shippingCarrierNormalized": "Correios", "shippingtype": "PAC"}],
    }


def order(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 100,
        "status": "PAID_WAITING_SHIP",
        "createdAt": "2026-03-01T10:00:00-03:00",
        "paymentDate": "2026-03-01T10:05:00-03:00",
        "marketPlace": "MERCADO_LIVRE",
        "marketPlaceNumber": "ML-1",
        "accountName": "loja",
        "buyer": {"name": "Ana Souza", "document": "123.456.789-09"},
        "shipping": {
            "receiverName": "Ana",
            "street": "Rua A",
            "number": "1",
            "city": "Recife",
            "state": "PE",
        },
        "discount": 0,
        "freight": 0,
        "interestValue": 0,
        "items": [item("SKU-1", 2, "50.00")],
        "payments": [
            {"paymentMethodNormalized": "CREDIT_CARD", "method": "Cartão", "value": 100, "installments": 3}
        ],
    }
    base.update(overrides)
    return base


def rows(erp: ErpDatabase, sql: str, **params: Any) -> list[dict[str, Any]]:
    with erp.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.text(sql), params)]


def orders_of(erp: ErpDatabase, anymarket_id: int = 100) -> list[dict[str, Any]]:
    return rows(erp, "SELECT * FROM sales_orders WHERE anymarket_order_id = :i ORDER BY id", i=anymarket_id)


def items_of(erp: ErpDatabase, sales_order_id: int) -> list[dict[str, Any]]:
    return rows(
        erp, "SELECT * FROM sales_order_items WHERE sales_order_id = :i ORDER BY position", i=sales_order_id
    )


def money(row: dict[str, Any]) -> tuple[Decimal, ...]:
    keys = ("items_total", "discount", "freight", "interest", "total")
    return tuple(Decimal(str(row[k])).quantize(Decimal("0.01")) for k in keys)


def D(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


# -- money on the ERP order: interest, freight, discounts, Multi-CD --------------------------------

TWO_DEPOSITS = [
    item(
        "SKU-1",
        3,
        "50.00",
        discount="6.00",
        stocks=[{"stockLocalId": SP, "amount": 2}, {"stockLocalId": REC, "amount": 1}],
    ),
    item("SKU-2", 1, "30.00", stocks=[{"stockLocalId": REC, "amount": 1}]),
]


@pytest.mark.parametrize(
    ("settings", "overrides", "expected"),
    [
        # interest is in the total
        ({}, {"interestValue": "4.50"}, [("100.00", "0", "0", "4.50", "104.50")]),
        ({"import_interest": False}, {"interestValue": "4.50"}, [("100.00", "0", "0", "0", "100.00")]),
        # freight, and its off switch
        ({}, {"freight": "19.90"}, [("100.00", "0", "19.90", "0", "119.90")]),
        ({"import_freight": False}, {"freight": "19.90"}, [("100.00", "0", "0", "0", "100.00")]),
        # an item-level discount is on the line; the order-level one is what exceeds the items'
        (
            {},
            {"items": [item("SKU-1", 2, "50.00", discount="5.00")], "discount": 5},
            [("95.00", "0", "0", "0", "95.00")],
        ),
        (
            {},
            {"items": [item("SKU-1", 2, "50.00", discount="5.00")], "discount": 12},
            [("95.00", "7.00", "0", "0", "88.00")],
        ),
        (
            {"import_discounts": False},
            {"items": [item("SKU-1", 2, "50.00", discount="5.00")], "discount": 12},
            [("100.00", "0", "0", "0", "100.00")],
        ),
        # Multi-CD: one ERP order per deposit, order-level amounts by the parts' item totals
        (
            {},
            {"items": TWO_DEPOSITS, "discount": "16.00", "freight": "30.00", "interestValue": "9.00"},
            [("96.00", "5.52", "16.55", "4.97", "112.00"), ("78.00", "4.48", "13.45", "4.03", "91.00")],
        ),
        # split_multi_cd off: one ERP order with every line
        (
            {"split_multi_cd": False},
            {"items": TWO_DEPOSITS, "discount": "16.00", "freight": "30.00", "interestValue": "9.00"},
            [("174.00", "10.00", "30.00", "9.00", "203.00")],
        ),
    ],
)
def test_money_of_the_erp_orders(
    erp: ErpDatabase, settings: dict[str, Any], overrides: dict[str, Any], expected: list[tuple[str, ...]]
) -> None:
    outcome = importer(erp, **settings).apply(order(**overrides))
    assert outcome.kind == "created"
    created = orders_of(erp)
    assert [money(r) for r in created] == [D(*row) for row in expected]
    assert [r["code"] for r in created] == ["AM-100", "AM-100-2"][: len(expected)]


def test_multi_cd_lines_share_the_item_discount_and_keep_their_deposits(erp: ErpDatabase) -> None:
    importer(erp).apply(order(items=TWO_DEPOSITS, discount="6.00"))
    first, second = orders_of(erp)
    lines = [
        (
            r["sku_id"],
            r["deposit_id"],
            Decimal(str(r["quantity"])),
            Decimal(str(r["discount"])),
            Decimal(str(r["total"])),
        )
        for part in (first, second)
        for r in items_of(erp, part["id"])
    ]
    assert lines == [
        (1, 1, Decimal(2), Decimal("4.00"), Decimal("96.00")),
        (1, 2, Decimal(1), Decimal("2.00"), Decimal("48.00")),
        (2, 2, Decimal(1), Decimal("0.00"), Decimal("30.00")),
    ]
    assert "part 1/2 (Multi-CD)" in first["notes"] and "part 2/2 (Multi-CD)" in second["notes"]


@pytest.mark.parametrize(
    ("settings", "code", "expected"),
    [
        ({}, "SKU-1", Decimal("10.00")),  # the ERP's cost price
        ({}, "SKU-2", None),  # none in the ERP: none on the line
        ({"item_cost_from_sell_price": True}, "SKU-1", Decimal("50.00")),  # the sell price instead
        ({"item_cost_from_sell_price": True}, "SKU-2", Decimal("50.00")),
    ],
)
def test_item_cost(erp: ErpDatabase, settings: dict[str, Any], code: str, expected: Decimal | None) -> None:
    importer(erp, **settings).apply(order(items=[item(code, 2, "50.00")]))
    (line,) = items_of(erp, orders_of(erp)[0]["id"])
    cost = line["unit_cost"]
    assert (Decimal(str(cost)).quantize(Decimal("0.01")) if cost is not None else None) == expected
    assert Decimal(str(line["unit_price"])) == Decimal("50.00")
    assert line["marketplace_item_id"] == f"mlb-{code}"


# -- mappings and defaults ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment_map", "default", "payment", "expected"),
    [
        ({"CREDIT_CARD": "CARTAO"}, None, "CREDIT_CARD", 1),
        ({"CREDIT_CARD": "CARTAO"}, "BOLETO", "PIX", 2),  # default_payment_method for the unmapped
        ({"CREDIT_CARD": "CARTAO"}, None, "PIX", None),
        ({"*": "BOLETO"}, "CARTAO", "PIX", 2),  # the catch-all mapping before the setting
    ],
)
def test_payment_method(
    erp: ErpDatabase, payment_map: dict[str, str], default: str | None, payment: str, expected: int | None
) -> None:
    refs = references(payment_map=payment_map)
    payments = [{"paymentMethodNormalized": payment, "value": 100, "installments": 2}]
    importer(erp, refs, default_payment_method=default).apply(order(payments=payments))
    (created,) = orders_of(erp)
    assert created["payment_method_id"] == expected
    assert created["installments"] == 2


@pytest.mark.parametrize(
    ("channel_map", "marketplace", "expected"),
    [
        ({}, "MERCADO_LIVRE", 1),  # the ERP channel naming the marketplace
        ({"MERCADO_LIVRE": "SITE"}, "MERCADO_LIVRE", 2),  # the mapping wins
        ({"MERCADO_LIVRE:loja": "SITE", "MERCADO_LIVRE": "ML"}, "MERCADO_LIVRE", 2),  # account first
        ({"*": "SITE"}, "AMAZON", 2),
        ({}, "AMAZON", None),
    ],
)
def test_sales_channel(
    erp: ErpDatabase, channel_map: dict[str, str], marketplace: str, expected: int | None
) -> None:
    importer(erp, references(channel_map=channel_map)).apply(order(marketPlace=marketplace))
    assert orders_of(erp)[0]["channel_id"] == expected


def test_order_status_import_mapping(erp: ErpDatabase) -> None:
    refs = references(status_map={**DEFAULT_STATUS_MAP, "PAID_WAITING_SHIP": "liberado"})
    importer(erp, refs).apply(order())
    assert orders_of(erp)[0]["status"] == "liberado"


# -- what is never created, revived or imported --------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "overrides", "kind", "detail"),
    [
        ({}, {"status": "CANCELED"}, "skipped", "cancelled before it was imported"),
        ({"cutoff_date": "2026-03-02"}, {}, "skipped", "before the cutoff date 2026-03-02"),
        # 00:30 in Brazil on the cutoff day is 03:30 UTC: imported
        ({"cutoff_date": "2026-03-01"}, {"createdAt": "2026-03-01T00:30:00-03:00"}, "created", ""),
        ({}, {"status": "PENDING"}, "waiting", "pending payment (orders.import_statuses is 'paid')"),
        ({"import_statuses": "paid_and_pending"}, {"status": "PENDING"}, "created", ""),
        ({}, {"fulfillment": True}, "skipped", "fulfillment order (orders.import_fulfillment is off)"),
        ({}, {"status": "LOST"}, "skipped", "unknown AnyMarket status 'LOST'"),
    ],
)
def test_skip_reasons(
    erp: ErpDatabase, settings: dict[str, Any], overrides: dict[str, Any], kind: str, detail: str
) -> None:
    outcome = importer(erp, **settings).apply(order(**overrides))
    assert outcome.kind == kind
    assert outcome.detail.endswith(detail)
    assert len(orders_of(erp)) == (1 if kind == "created" else 0)


def test_a_cancellation_cancels_with_its_reason_and_a_cancelled_order_is_never_revived(
    erp: ErpDatabase,
) -> None:
    imp = importer(erp)
    imp.apply(order())
    cancelled = imp.apply(
        order(status="CANCELED", cancelDetails="comprador desistiu", cancelDate="2026-03-02T09:00:00-03:00")
    )
    assert cancelled.kind == "updated"
    (row,) = orders_of(erp)
    assert row["status"] == "cancelled"
    assert row["cancel_reason"] == "comprador desistiu"
    assert str(row["cancelled_at"]).startswith("2026-03-02 12:00:00")
    revived = imp.apply(order(status="PAID_WAITING_SHIP"))
    assert revived.kind == "unchanged"
    assert orders_of(erp)[0]["status"] == "cancelled"


def test_status_moves_forward_only_unless_regression_is_allowed(erp: ErpDatabase) -> None:
    importer(erp).apply(order(status="INVOICED"))
    assert importer(erp).apply(order(status="PAID_WAITING_SHIP")).kind == "unchanged"
    assert orders_of(erp)[0]["status"] == "invoiced"
    assert (
        importer(erp, allow_status_regression=True).apply(order(status="PAID_WAITING_SHIP")).kind == "updated"
    )
    assert orders_of(erp)[0]["status"] == "approved"


def test_a_concurrent_insert_is_retried_as_an_update(erp: ErpDatabase) -> None:
    imp = importer(erp)
    assert imp.apply(order()).kind == "created"
    real_query = erp.query
    calls = {"find": 0}

    def racing_query(name: str, /, **params: Any) -> list[dict[str, Any]]:
        if name == "order_find_by_anymarket_id":
            calls["find"] += 1
            if calls["find"] == 1:
                return []  # the other import had not committed when this one looked
        return real_query(name, **params)

    erp.query = racing_query  # type: ignore[method-assign]
    outcome = imp.apply(order())
    assert calls["find"] == 2
    assert outcome.kind == "unchanged"
    assert len(orders_of(erp)) == 1


# -- references: mappings and ERP reference rows ---------------------------------------------------


@pytest.mark.parametrize(("default_deposit", "expected"), [(None, 1), ("REC", 2), ("GONE", 1)])
def test_references_load(
    erp: ErpDatabase, tmp_path: Path, default_deposit: str | None, expected: int
) -> None:
    from anymarket.mapping import get_mapping_db

    with erp.engine.begin() as c:
        c.execute(sa.text("INSERT INTO carriers (id, code, name, active) VALUES (9, 'OLD', 'Velha', 0)"))
        c.execute(
            sa.text("INSERT INTO deposits (id, code, name, is_default, active) VALUES (3, 'X', 'X', 0, 0)")
        )
        c.execute(
            sa.text(
                "INSERT INTO sales_channels (id, code, name, marketplace) "
                "VALUES (3, 'ML2', 'ML 2', 'MERCADO_LIVRE')"
            )
        )
        c.execute(sa.text("INSERT INTO sales_operations (id, code, name) VALUES (5, 'VENDA', 'Venda')"))
        c.execute(
            sa.text("INSERT INTO sales_operations (id, code, name, active) VALUES (6, 'OFF', 'Off', 0)")
        )
    mapping = get_mapping_db(f"sqlite:///{tmp_path / 'mapping.db'}")
    mapping.upsert_integration("loja1", name="Loja 1", environment="sandbox", settings={})
    mapping.set_mapping("loja1", "carrier", "Correios", "CORREIOS")
    mapping.set_mapping("loja1", "payment_method", "PIX", "BOLETO")
    mapping.set_mapping("loja1", "sales_channel", "AMAZON", "SITE")
    mapping.set_mapping("loja1", "order_status_import", "PAID_WAITING_SHIP", "liberado")
    mapping.set_mapping("loja1", "deposit", "REC", str(REC))
    mapping.set_mapping(
        "loja1", "intermediary", "AMAZON", "15436940000103", attributes={"intermediary_name": "Amazon"}
    )
    mapping.link("loja1", "sku", "SKU-1", "777")
    integration = SimpleNamespace(
        id="loja1", stock=SimpleNamespace(default_deposit=default_deposit), orders=OrderSettings()
    )
    refs = References.load(erp=erp, mapping=mapping, integration=integration)  # type: ignore[arg-type]
    assert refs.carriers == {"CORREIOS": 1}
    assert refs.payment_methods == {"CARTAO": 1, "BOLETO": 2}
    assert refs.channels == {"ML": 1, "SITE": 2, "ML2": 3}
    assert refs.channel_by_marketplace == {"MERCADO_LIVRE": 1}  # the first channel naming it
    assert refs.deposits == {"SP": 1, "REC": 2}
    assert refs.default_deposit_id == expected
    assert refs.carrier_map == {"Correios": "CORREIOS"}
    assert refs.payment_map == {"PIX": "BOLETO"}
    assert refs.channel_map == {"AMAZON": "SITE"}
    assert refs.status_map == {**DEFAULT_STATUS_MAP, "PAID_WAITING_SHIP": "liberado"}
    assert refs.deposit_by_local == {str(REC): "REC"}
    assert refs.sku_code_by_anymarket_id == {"777": "SKU-1"}
    assert refs.sales_operations == {"VENDA": 5}
    assert refs.intermediary_map["AMAZON"]["value"] == "15436940000103"
    assert refs.intermediary_map["AMAZON"]["attributes"] == {"intermediary_name": "Amazon"}


def test_erp_status_and_its_rank() -> None:
    refs = references(status_map={**DEFAULT_STATUS_MAP, "INVOICED": "faturado", "SHIPPED": "faturado"})
    assert refs.erp_status("INVOICED") == "faturado"
    assert refs.erp_status("WHATEVER") == "pending"
    assert references(status_map={"*": "aberto"}).erp_status("PAID_WAITING_SHIP") == "aberto"
    assert refs.rank_of_erp_status("faturado") == 2  # the lowest of INVOICED and SHIPPED
    assert refs.rank_of_erp_status("approved") == 1
    assert refs.rank_of_erp_status("pending") == 0
    assert refs.rank_of_erp_status("em separação") is None  # the ERP's own status


# -- updates of an imported order -------------------------------------------------------------------


def test_an_update_applies_payment_status_address_and_records_item_changes(erp: ErpDatabase) -> None:
    imp = importer(erp, import_statuses="paid_and_pending")
    imp.apply(order(status="PENDING", paymentDate=None))
    (row,) = orders_of(erp)
    assert (row["status"], row["paid_at"]) == ("pending", None)
    assert imp.apply(order(status="PENDING", paymentDate=None)).kind == "unchanged"
    moved = {**order()["shipping"], "street": "Rua Nova", "zipCode": "50.000-123"}
    outcome = imp.apply(order(shipping=moved, items=[item("SKU-1", 3, "50.00")]))
    assert outcome.kind == "updated"
    assert outcome.changes == (
        "AM-100: pending → approved",
        "AM-100: delivery address changed",
        "items changed on AnyMarket (SKU-1 x 3) but the ERP order has SKU-1 x 2: review it by hand",
    )
    assert outcome.detail == "; ".join(outcome.changes)
    assert outcome.erp_order_codes == ("AM-100",)
    (row,) = orders_of(erp)
    assert row["status"] == "approved"
    assert str(row["paid_at"]).startswith("2026-03-01 13:05:00")
    assert (row["ship_street"], row["ship_zip_code"]) == ("Rua Nova", "50000123")
    assert row["cancelled_at"] is None and row["cancel_reason"] is None
    reservations = rows(erp, "SELECT * FROM stock_reservations")
    assert [r["released_at"] for r in reservations] == [None]


def test_a_cancellation_releases_the_reservations_of_every_part(erp: ErpDatabase) -> None:
    imp = importer(erp)
    imp.apply(order(items=TWO_DEPOSITS))
    outcome = imp.apply(order(items=TWO_DEPOSITS, status="CANCELED", cancelDetails="  sem estoque  "))
    assert outcome.changes == ("AM-100: approved → cancelled", "AM-100-2: approved → cancelled")
    assert [r["cancel_reason"] for r in orders_of(erp)] == ["sem estoque", "sem estoque"]
    # paid before: the payment is kept (the ERP's query keeps facts once set), the cancellation is added
    assert all(r["paid_at"] is not None and r["cancelled_at"] is not None for r in orders_of(erp))
    reservations = rows(erp, "SELECT * FROM stock_reservations ORDER BY id")
    assert len(reservations) == 3 and all(r["released_at"] is not None for r in reservations)


def test_an_erp_status_the_mapping_does_not_know_is_never_overwritten(erp: ErpDatabase) -> None:
    importer(erp).apply(order())
    with erp.engine.begin() as c:
        c.execute(sa.text("UPDATE sales_orders SET status = 'em separação'"))
    assert importer(erp).apply(order(status="INVOICED")).kind == "unchanged"
    assert importer(erp).apply(order(status="CANCELED")).kind == "updated"  # a cancellation always applies


# -- what a created order carries, and the checks without writes -----------------------------------


def test_the_commercial_summary_of_a_created_order(erp: ErpDatabase) -> None:
    payments = [
        {
            "paymentMethodNormalized": "CREDIT_CARD",
            "method": "Visa",
            "value": 100,
            "installments": 4,
            "marketplaceFee": "12.00",
            "gatewayFee": "1.50",
        }
    ]
    refs = references(
        sales_operations={"VENDA": 5},
        intermediary_map={
            "MERCADO_LIVRE": {"value": "03.007.331/0001-41", "attributes": {"seller_id": "S1"}}
        },
    )
    with erp.engine.begin() as c:
        c.execute(sa.text("INSERT INTO sales_operations (id, code, name) VALUES (5, 'VENDA', 'Venda')"))
    outcome = importer(erp, refs, default_sales_operation="VENDA").apply(order(payments=payments))
    assert outcome.commercial == {
        "sales_channel": "ML",
        "sales_operation": "VENDA",
        "sales_operation_rule": "default",
        "intermediary_cnpj": "03007331000141",
        "intermediary_name": "Mercado Livre",
        "intermediary_seller_id": "S1",
        "marketplace_fee": "12.00",
        "gateway_fee": "1.50",
        "payments": [{"method": "CREDIT_CARD", "value": "100.00", "installments": 4}],
    }
    (row,) = orders_of(erp)
    assert (row["sales_operation_id"], row["intermediary_cnpj"], row["intermediary_seller_id"]) == (
        5,
        "03007331000141",
        "S1",
    )
    assert Decimal(str(row["marketplace_fee"])) == Decimal("12.00")
    assert importer(erp, references()).apply(order(id=101)).commercial == {
        "sales_channel": "ML",
        "sales_operation": None,
        "sales_operation_rule": None,
        "intermediary_cnpj": None,
        "intermediary_name": None,
        "intermediary_seller_id": None,
        "marketplace_fee": "0.00",
        "gateway_fee": "0.00",
        "payments": [{"method": "CREDIT_CARD", "value": "100.00", "installments": 3}],
    }


def test_check_mappings_names_what_holds_the_order(erp: ErpDatabase) -> None:
    imp = importer(erp)
    assert imp.check_mappings(order()) is None
    assert imp.check_mappings(order(items=[item("NOPE", 1, "1.00")])) == "unknown SKU: NOPE not in the ERP"
    unmapped = {**item("SKU-1", 1, "1.00"), "shippings": [{"shippingCarrierNormalized": "Jadlog"}]}
    assert imp.check_mappings(order(items=[unmapped])).startswith("unmapped carrier: 'Jadlog'")
    assert orders_of(erp) == []


def test_payload_hash_follows_the_data_not_the_key_order() -> None:
    from datetime import datetime

    from anymarket.orders.importer import payload_hash

    a = {"id": 1, "status": "PAID", "at": datetime(2026, 3, 1)}
    b = {"at": datetime(2026, 3, 1), "status": "PAID", "id": 1}
    assert payload_hash(a) == payload_hash(b)
    assert len(payload_hash(a)) == 64 and int(payload_hash(a), 16) >= 0
    assert payload_hash(a) != payload_hash({**a, "status": "PENDING"})


def test_day_start_is_midnight_in_brazil_as_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as clock

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # the worker's own zone must not matter
    clock.tzset()
    try:
        start = day_start(date(2026, 3, 1))
        assert start == datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
        assert start.utcoffset() == timedelta(0) and start.tzinfo == UTC
    finally:
        monkeypatch.undo()
        clock.tzset()


def test_an_unchanged_update_still_names_the_erp_orders(erp: ErpDatabase) -> None:
    imp = importer(erp)
    imp.apply(order(items=TWO_DEPOSITS))
    outcome = imp.apply(order(items=TWO_DEPOSITS))
    assert (outcome.kind, outcome.erp_order_codes) == ("unchanged", ("AM-100", "AM-100-2"))


def test_a_cancelled_order_cancelled_again_is_unchanged(erp: ErpDatabase) -> None:
    imp = importer(erp)
    imp.apply(order())
    assert imp.apply(order(status="CANCELED", cancelDetails="x")).kind == "updated"
    assert imp.apply(order(status="CANCELED", cancelDetails="x")).kind == "unchanged"


def test_a_pending_order_cancelled_gets_no_payment_date_and_a_long_reason_is_cut(erp: ErpDatabase) -> None:
    imp = importer(erp, import_statuses="paid_and_pending")
    imp.apply(order(status="PENDING", paymentDate=None))
    imp.apply(order(status="CANCELED", paymentDate=None, cancelDetails="r" * 600))
    (row,) = orders_of(erp)
    assert row["status"] == "cancelled" and row["paid_at"] is None
    assert row["cancel_reason"] == "r" * 500


def test_cancel_details_of_an_order_not_cancelled_are_not_a_cancel_reason(erp: ErpDatabase) -> None:
    imp = importer(erp, import_statuses="paid_and_pending")
    imp.apply(order(status="PENDING", paymentDate=None))
    imp.apply(order(cancelDetails="cliente desistiu"))
    (row,) = orders_of(erp)
    assert row["status"] == "approved" and row["cancel_reason"] is None and row["cancelled_at"] is None


@pytest.mark.parametrize(
    ("created", "updated", "change"),
    [
        # The same SKU twice on AnyMarket is two ERP lines: the sum is compared, not the last line.
        ([item("SKU-1", 1, "50.00"), item("SKU-1", 1, "50.00")], None, None),
        # A line without an amount counts as one.
        ([item("SKU-1", 1, "50.00")], [{**item("SKU-1", 1, "50.00"), "amount": None}], None),
        # Quantities compare to the thousandth.
        ([item("SKU-1", 1, "50.00")], [item("SKU-1", Decimal("1.004"), "50.00")], "SKU-1 x 1.004"),
        # Several SKUs are listed in order; none at all is said so.
        (
            [item("SKU-1", 1, "50.00")],
            [item("SKU-2", 1, "30.00"), item("SKU-1", 1, "50.00")],
            "SKU-1 x 1, SKU-2 x 1",
        ),
        ([item("SKU-1", 1, "50.00")], [], "no items"),
    ],
)
def test_item_changes_are_described(
    erp: ErpDatabase, created: list, updated: list | None, change: str | None
) -> None:
    imp = importer(erp)
    imp.apply(order(items=created))
    outcome = imp.apply(order(items=created if updated is None else updated))
    if change is None:
        assert outcome.kind == "unchanged"
    else:
        assert outcome.changes == (
            f"items changed on AnyMarket ({change}) but the ERP order has SKU-1 x 1: review it by hand",
        )


def test_a_status_of_the_same_rank_never_overwrites_the_erp_one(erp: ErpDatabase) -> None:
    # DELIVERY_ISSUE ranks with SHIPPED: mapped to an ERP status of its own, it is no step forward.
    refs = references(status_map={**DEFAULT_STATUS_MAP, "DELIVERY_ISSUE": "problem"})
    importer(erp, refs).apply(order(status="PAID_WAITING_DELIVERY"))
    assert orders_of(erp)[0]["status"] == "shipped"
    assert importer(erp, refs).apply(order(status="DELIVERY_ISSUE")).kind == "unchanged"
    assert orders_of(erp)[0]["status"] == "shipped"


def _without_clock(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("id", "created_at", "updated_at")}


def test_every_column_of_a_created_order_its_customer_payment_and_item(erp: ErpDatabase) -> None:
    full = order(
        buyer={
            "name": "ana souza",
            "document": "123.456.789-09",
            "email": " ana@ex.com ",
            "phone": "(81) 3333-4444",
            "cellPhone": "(81) 99999-8888",
            "companyStateTaxId": "ISENTO",
        },
        billingAddress={
            "street": "Rua B",
            "number": "2",
            "comment": "ap 3",
            "neighborhood": "Boa Vista",
            "city": "Recife",
            "state": "PE",
            "zipCode": "50.000-000",
            "country": "Brasil",
        },
        shipping={
            "receiverName": "ana",
            "address": "Rua C",
            "number": "3",
            "comment": "fundos",
            "neighborhood": "Centro",
            "city": "Olinda",
            "state": "PE",
            "zipCode": "53.000-111",
            "country": "BR",
        },
        payments=[
            {
                "paymentMethodNormalized": "CREDIT_CARD",
                "method": "Cartão",
                "value": 100,
                "installments": 3,
                "marketplaceFee": "5.50",
                "gatewayFee": "1.25",
                "marketplaceId": "pay-1",
            }
        ],
        items=[
            {
                **item("SKU-1", 2, "50.00"),
                "shippings": [{"shippingCarrierNormalized": "Correios", "shippingtype": "SEDEX"}],
            }
        ],
    )
    outcome = importer(erp).apply(full)
    assert (outcome.kind, outcome.detail, outcome.erp_order_codes) == ("created", "", ("AM-100",))
    (so,) = orders_of(erp)
    assert _without_clock(so) == {
        "code": "AM-100",
        "customer_id": 1,
        "channel_id": 1,
        "status": "approved",
        "order_date": "2026-03-01 13:00:00",
        "paid_at": "2026-03-01 13:05:00",
        "cancelled_at": None,
        "cancel_reason": None,
        "payment_method_id": 1,
        "installments": 3,
        "sales_operation_id": None,
        "intermediary_cnpj": None,
        "intermediary_name": None,
        "intermediary_seller_id": None,
        "marketplace_fee": 5.5,
        "gateway_fee": 1.25,
        "carrier_id": 1,
        "shipping_service": "SEDEX",
        "items_total": 100,
        "discount": 0,
        "freight": 0,
        "interest": 0,
        "total": 100,
        "marketplace_order_number": "ML-1",
        "anymarket_order_id": 100,
        "fulfillment": 0,
        "ship_receiver_name": "ana",
        "ship_street": "Rua C",
        "ship_number": "3",
        "ship_complement": "fundos",
        "ship_neighborhood": "Centro",
        "ship_city": "Olinda",
        "ship_state": "PE",
        "ship_zip_code": "53000111",
        "ship_country": "BR",
        "notes": "AnyMarket 100 · MERCADO_LIVRE ML-1",
    }
    (customer,) = rows(erp, "SELECT * FROM customers")
    assert _without_clock(customer) == {
        "code": None,
        "name": "ana souza",
        "document": "12345678909",
        "document_type": "CPF",
        "state_tax_id": "ISENTO",
        "email": "ana@ex.com",
        "phone": "8133334444",
        "cell_phone": "81999998888",
        "birth_date": None,
        "street": "Rua B",  # the billing address beats the shipping one
        "number": "2",
        "complement": "ap 3",
        "neighborhood": "Boa Vista",
        "city": "Recife",
        "state": "PE",
        "zip_code": "50000000",
        "country": "BR",
    }
    (payment,) = rows(erp, "SELECT * FROM sales_order_payments")
    assert _without_clock(payment) == {
        "sales_order_id": so["id"],
        "position": 1,
        "payment_method_id": 1,
        "method": "Cartão",
        "value": 100,
        "installments": 3,
        "marketplace_fee": 5.5,
        "gateway_fee": 1.25,
        "marketplace_payment_id": "pay-1",
    }
    (line,) = items_of(erp, so["id"])
    assert _without_clock(line) == {
        "sales_order_id": so["id"],
        "position": 1,
        "sku_id": 1,
        "deposit_id": 1,
        "quantity": 2,
        "unit_price": 50,
        "discount": 0,
        "total": 100,
        "unit_cost": 10,
        "marketplace_item_id": "mlb-SKU-1",
    }


def test_a_buyer_without_a_billing_address_gets_the_shipping_one(erp: ErpDatabase) -> None:
    importer(erp).apply(order(buyer={"name": "", "document": "11.222.333/0001-81"}))
    (customer,) = rows(erp, "SELECT * FROM customers")
    assert (customer["name"], customer["document_type"]) == ("Comprador sem nome", "CNPJ")
    assert (customer["street"], customer["number"], customer["city"], customer["state"]) == (
        "Rua A",
        "1",
        "Recife",
        "PE",
    )
    assert customer["country"] == "BR" and customer["zip_code"] is None and customer["phone"] is None


def _carrier_item(**shipping: Any) -> dict[str, Any]:
    return {**item("SKU-1", 1, "50.00"), "shippings": [shipping]}


@pytest.mark.parametrize(
    ("refs", "settings", "overrides", "held"),
    [
        (
            {},
            {},
            {"items": [_carrier_item(shippingCarrierNormalized="Jadlog", shippingtype="Expresso")]},
            "unmapped carrier: 'Jadlog' / shipping type 'Expresso' has no carrier mapping "
            "(add one under Mappings → carriers; the order is imported on the next run)",
        ),
        (
            {"carrier_map": {"Expresso": "CORREIOS"}},
            {},
            {
                "items": [
                    _carrier_item(
                        shippingCarrierNormalized="Jadlog", shippingCarrierTypeNormalized="Expresso"
                    )
                ]
            },
            None,  # the shipping type's mapping when the carrier has none
        ),
        (
            {"carrier_map": {"Correios": "LOGGI"}},
            {},
            {},
            "unmapped carrier: 'Correios' is mapped to ERP carrier 'LOGGI', which does not exist",
        ),
        (
            {},
            {},
            {"items": [item("NOPE", 1, "1.00"), {**item("", 1, "1.00"), "sku": {"title": "x"}}]},
            "unknown SKU: (item without SKU partnerId: {'title': 'x'}), NOPE not in the ERP",
        ),
        (
            {},
            {},
            {
                "items": [
                    item(
                        "SKU-1",
                        1,
                        "1.00",
                        stocks=[{"stockLocalId": 77, "stockName": "CD Norte", "amount": 1}],
                    )
                ]
            },
            "unmapped warehouse: AnyMarket warehouse CD Norte (77) has no ERP deposit (run the deposit "
            "installer or map it)",
        ),
        (
            {"default_deposit_id": None},
            {},
            {"items": [item("NOPE", 1, "1.00"), item("SKU-1", 1, "1.00", stocks=[])]},
            "unknown SKU: NOPE not in the ERP; unmapped warehouse: AnyMarket warehouse (default) has no ERP "
            "deposit (run the deposit installer or map it)",
        ),
        (
            {},
            {"require_sales_channel": True},
            {"marketPlace": "AMAZON", "accountName": "loja2"},
            "unmapped sales channel: marketplace 'AMAZON' (account 'loja2') has no sales channel mapping "
            "and no active ERP sales channel names that marketplace "
            "(add one under Mappings → sales channels)",
        ),
        ({}, {"require_sales_channel": True}, {}, None),
        (
            {},
            {"default_sales_operation": "VENDA"},
            {},
            "unknown sales operation: 'VENDA' (orders.default_sales_operation, rule default) is not an "
            "active ERP sales operation (natureza de operação): fix the setting or create it in the ERP",
        ),
    ],
)
def test_hold_reasons_in_full(
    erp: ErpDatabase,
    refs: dict[str, Any],
    settings: dict[str, Any],
    overrides: dict[str, Any],
    held: str | None,
) -> None:
    imp = importer(erp, references(**refs), **settings)
    assert imp.check_mappings(order(**overrides)) == held
    outcome = imp.apply(order(**overrides))
    if held is None:
        assert outcome.kind == "created"
    else:
        assert (outcome.kind, outcome.detail) == ("held", held) and orders_of(erp) == []


def test_a_known_sales_operation_is_on_the_order(erp: ErpDatabase) -> None:
    with erp.engine.begin() as c:
        c.execute(sa.text("INSERT INTO sales_operations (id, code, name) VALUES (7, 'VENDA', 'Venda')"))
    importer(erp, references(sales_operations={"VENDA": 7}), default_sales_operation="VENDA").apply(order())
    assert orders_of(erp)[0]["sales_operation_id"] == 7


def test_a_multi_cd_order_says_so_and_numbers_its_parts(erp: ErpDatabase) -> None:
    outcome = importer(erp).apply(order(items=TWO_DEPOSITS))
    assert (outcome.detail, outcome.erp_order_codes) == ("2 ERP orders (Multi-CD)", ("AM-100", "AM-100-2"))
    notes = [r["notes"] for r in orders_of(erp)]
    assert notes == [
        "AnyMarket 100 · MERCADO_LIVRE ML-1 · part 1/2 (Multi-CD)",
        "AnyMarket 100 · MERCADO_LIVRE ML-1 · part 2/2 (Multi-CD)",
    ]


@pytest.mark.parametrize(
    ("overrides", "skipped"),
    [
        (
            {"createdAt": "2026-02-28T23:59:00-03:00"},
            "created 2026-02-28T23:59:00-03:00, before the cutoff date 2026-03-01",
        ),
        ({"createdAt": "2026-03-01T00:00:00-03:00"}, None),  # midnight in Brazil is on the cutoff day
    ],
)
def test_the_cutoff_text_and_its_edge(
    erp: ErpDatabase, overrides: dict[str, Any], skipped: str | None
) -> None:
    outcome = importer(erp, cutoff_date="2026-03-01").apply(order(**overrides))
    assert (outcome.kind, outcome.detail) == (("skipped", skipped) if skipped else ("created", ""))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T10:05:00-03:00", datetime(2026, 3, 1, 13, 5, tzinfo=UTC)),
        ("2026-03-01T13:05:00Z", datetime(2026, 3, 1, 13, 5, tzinfo=UTC)),
        ("2026-03-01T10:05:00", datetime(2026, 3, 1, 13, 5, tzinfo=UTC)),  # no offset: Brazilian time
        ("amanhã", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(value: Any, expected: datetime | None, far_zone: None) -> None:
    parsed = parse_datetime(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("buyer", "expected"),
    [
        ({"document": "123.456.789-09"}, ("12345678909", "CPF")),
        ({"documentNumberNormalized": "11222333000181", "documentType": "cnpj"}, ("11222333000181", "CNPJ")),
        ({"document": "123.456.789-09", "documentType": "CNPJ"}, ("12345678909", "OTHER")),  # type disagrees
        ({"document": "123.456.789-09", "documentType": "cpf"}, ("12345678909", "CPF")),
        ({"document": "AB-12.345"}, ("AB12345", "OTHER")),
        ({"document": "11.222.333/0001-81", "documentType": "CPF"}, ("11222333000181", "OTHER")),
        ({"document": "ab-12.345"}, ("AB12345", "OTHER")),  # a foreign document
        ({"document": "passaporte x-1234567890"}, ("PASSAPORTEX123", "OTHER")),  # 14 characters at most
        ({"document": "", "documentNumberNormalized": "123.456.789-09"}, ("12345678909", "CPF")),
    ],
)
def test_normalize_document(buyer: dict[str, Any], expected: tuple[str, str]) -> None:
    assert normalize_document(buyer) == expected


def test_a_buyer_without_a_document_is_held(erp: ErpDatabase) -> None:
    outcome = importer(erp).apply(order(buyer={"name": "Ana", "document": " - "}))
    assert (outcome.kind, outcome.detail) == (
        "held",
        "buyer has no document number: fix the order on the marketplace",
    )


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        (None, "BR"),
        ("", "BR"),
        ("bra", "BR"),
        (" Brasil ", "BR"),
        ("BRAZIL", "BR"),
        ("Portugal", "PO"),
        ("ar", "AR"),
    ],
)
def test_the_shipping_country(erp: ErpDatabase, country: str | None, expected: str) -> None:
    importer(erp).apply(order(shipping={**order()["shipping"], "country": country}))
    assert orders_of(erp)[0]["ship_country"] == expected


def test_references_without_a_default_deposit(erp: ErpDatabase, tmp_path: Path) -> None:
    from anymarket.mapping import get_mapping_db

    with erp.engine.begin() as c:
        c.execute(sa.text("UPDATE deposits SET is_default = 0"))
    mapping = get_mapping_db(f"sqlite:///{tmp_path / 'mapping.db'}")
    mapping.upsert_integration("loja1", name="Loja 1", environment="sandbox", settings={})
    integration = SimpleNamespace(
        id="loja1", stock=SimpleNamespace(default_deposit=None), orders=OrderSettings()
    )
    refs = References.load(erp=erp, mapping=mapping, integration=integration)  # type: ignore[arg-type]
    assert refs.default_deposit_id is None and refs.deposits == {"SP": 1, "REC": 2}


@pytest.mark.parametrize(
    ("overrides", "settings", "paid"),
    [
        (
            {"status": "PENDING", "paymentDate": "2026-03-01T10:05:00-03:00"},
            {"import_statuses": "paid_and_pending"},
            True,
        ),
        ({"status": "PENDING", "paymentDate": None}, {"import_statuses": "paid_and_pending"}, False),
        ({"paymentDate": None}, {}, True),  # paid on AnyMarket without a date: paid now
    ],
)
def test_when_a_created_order_is_paid(erp: ErpDatabase, overrides: dict, settings: dict, paid: bool) -> None:
    importer(erp, **settings).apply(order(**overrides))
    assert (orders_of(erp)[0]["paid_at"] is not None) is paid


def test_a_fulfillment_order_imported_is_marked_and_installments_default_to_one(erp: ErpDatabase) -> None:
    payments = [{"paymentMethodNormalized": "CREDIT_CARD", "value": 100}]
    importer(erp, import_fulfillment=True).apply(order(fulfillment=True, payments=payments))
    (row,) = orders_of(erp)
    assert row["fulfillment"] == 1 and row["installments"] == 1


def test_long_texts_are_cut_to_the_erp_columns(erp: ErpDatabase) -> None:
    long = "x" * 300
    digits = "9" * 30
    importer(erp).apply(
        order(
            marketPlaceNumber=long,
            buyer={
                "name": long,
                "document": "123.456.789-09",
                "companyStateTaxId": long,
                "email": long,
                "phone": digits,
                "cellPhone": digits,
            },
            shipping={
                "receiverName": long,
                "street": long,
                "number": long,
                "comment": long,
                "neighborhood": long,
                "city": long,
                "state": long,
                "zipCode": digits,
            },
        )
    )
    (so,) = orders_of(erp)
    sizes = {k: len(so[k]) for k in so if k.startswith("ship_") or k == "marketplace_order_number"}
    assert sizes == {
        "marketplace_order_number": 120,
        "ship_receiver_name": 255,
        "ship_street": 255,
        "ship_number": 20,
        "ship_complement": 255,
        "ship_neighborhood": 120,
        "ship_city": 120,
        "ship_state": 2,
        "ship_zip_code": 8,
        "ship_country": 2,
    }
    (customer,) = rows(erp, "SELECT * FROM customers")
    assert {k: len(customer[k]) for k in ("name", "state_tax_id", "email", "phone", "cell_phone")} == {
        "name": 255,
        "state_tax_id": 20,
        "email": 255,
        "phone": 20,
        "cell_phone": 20,
    }


def _recent(value: Any) -> bool:
    """Stored in UTC, within a minute of now (whatever the worker's own zone)."""
    stamp = datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
    return abs((datetime.now(UTC) - stamp).total_seconds()) < 60


@pytest.fixture
def far_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import time as clock

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    clock.tzset()
    yield
    monkeypatch.undo()
    clock.tzset()


def test_dates_missing_on_the_order_are_now_in_utc(erp: ErpDatabase, far_zone: None) -> None:
    imp = importer(erp, import_statuses="paid_and_pending")
    imp.apply(order(createdAt=None, paymentDate=None))
    (row,) = orders_of(erp)
    assert _recent(row["order_date"]) and _recent(row["paid_at"])
    imp.apply(order(id=101, status="PENDING", paymentDate=None))
    imp.apply(order(id=101, paymentDate=None))
    assert _recent(orders_of(erp, 101)[0]["paid_at"])
    imp.apply(order(status="CANCELED", cancelDate=None))
    (row,) = orders_of(erp)
    assert _recent(row["cancelled_at"])
    reservations = rows(erp, "SELECT r.* FROM stock_reservations r WHERE r.sales_order_id = :i", i=row["id"])
    assert reservations and all(_recent(r["released_at"]) for r in reservations)


def test_an_address_changed_in_a_field_set_on_both_sides_is_applied(erp: ErpDatabase) -> None:
    imp = importer(erp)
    imp.apply(order())
    moved = {**order()["shipping"], "street": "Rua B"}
    assert imp.apply(order(shipping=moved)).changes == ("AM-100: delivery address changed",)
    assert orders_of(erp)[0]["ship_street"] == "Rua B"
    assert imp.apply(order(shipping=moved)).kind == "unchanged"


def test_the_customer_billing_address_cut_and_read_from_its_own_keys(erp: ErpDatabase) -> None:
    long = "y" * 300
    billing = {
        "address": long,
        "number": long,
        "comment": long,
        "neighborhood": long,
        "city": long,
        "state": long,
        "zipCode": "9" * 30,
        "country": "Argentina",
    }
    importer(erp).apply(order(billingAddress=billing))
    (customer,) = rows(erp, "SELECT * FROM customers")
    sizes = {
        k: len(customer[k])
        for k in ("street", "number", "complement", "neighborhood", "city", "state", "zip_code")
    }
    assert sizes == {
        "street": 255,
        "number": 20,
        "complement": 255,
        "neighborhood": 120,
        "city": 120,
        "state": 2,
        "zip_code": 8,
    }
    assert customer["country"] == "AR"


def test_the_payment_method_from_the_method_key_when_not_normalized(erp: ErpDatabase) -> None:
    payments = [{"method": "CREDIT_CARD", "value": 100, "installments": 1}]
    importer(erp).apply(order(payments=payments))
    assert orders_of(erp)[0]["payment_method_id"] == 1


def test_contact_names_follow_the_format_setting(erp: ErpDatabase) -> None:
    importer(erp, contact_name_format="title_case").apply(
        order(
            buyer={"name": "ANA  souza", "document": "123.456.789-09"},
            shipping={**order()["shipping"], "receiverName": "ana SOUZA"},
        )
    )
    (customer,) = rows(erp, "SELECT * FROM customers")
    assert (customer["name"], orders_of(erp)[0]["ship_receiver_name"]) == ("Ana Souza", "Ana Souza")


@pytest.fixture
def operations(erp: ErpDatabase) -> dict[str, int]:
    with erp.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO sales_operations (id, code, name) VALUES "
                "(7, 'VENDA', 'Venda'), (8, 'CONTRIB', 'Contribuinte'), (9, 'VENDA_ML', 'Venda ML')"
            )
        )
    return {"VENDA": 7, "CONTRIB": 8, "VENDA_ML": 9}


@pytest.mark.parametrize(
    ("settings", "buyer", "expected"),
    [
        ({"contributor_sales_operation": "CONTRIB"}, {"companyStateTaxId": "110042490114"}, 8),
        ({"contributor_sales_operation": "CONTRIB"}, {}, 7),
        ({"sales_operation_by_channel": {"ML": "VENDA_ML"}}, {}, 9),  # by the ERP sales channel
    ],
)
def test_the_sales_operation_rules_through_the_importer(
    erp: ErpDatabase, operations: dict[str, int], settings: dict, buyer: dict, expected: int
) -> None:
    refs = references(sales_operations=operations)
    full_buyer = {"name": "Ana", "document": "123.456.789-09", **buyer}
    importer(erp, refs, default_sales_operation="VENDA", **settings).apply(order(buyer=full_buyer))
    assert orders_of(erp)[0]["sales_operation_id"] == expected


def test_a_required_intermediary_holds_a_marketplace_order_without_one(erp: ErpDatabase) -> None:
    outcome = importer(erp, require_intermediary=True).apply(order())
    assert outcome.kind == "held" and "intermedi" in outcome.detail
    assert orders_of(erp) == []


def test_the_sales_channel_hold_of_an_order_without_marketplace_or_account(erp: ErpDatabase) -> None:
    held = importer(erp, require_sales_channel=True).apply(order(marketPlace=None, accountName=None))
    assert held.detail.startswith("unmapped sales channel: marketplace '' (account '') has no")


def test_cancel_details_on_an_order_created_paid_are_no_cancel_reason(erp: ErpDatabase) -> None:
    importer(erp).apply(order(cancelDetails="pedido em análise"))
    (row,) = orders_of(erp)
    assert (row["cancel_reason"], row["cancelled_at"]) == (None, None)


def test_a_fractional_quantity_compares_to_the_thousandth(erp: ErpDatabase) -> None:
    imp = importer(erp)
    imp.apply(order(items=[item("SKU-1", Decimal("1.004"), "50.00")]))
    assert imp.apply(order(items=[item("SKU-1", Decimal("1.004"), "50.00")])).kind == "unchanged"


def test_a_buyer_with_no_document_key_at_all_is_held(erp: ErpDatabase) -> None:
    outcome = importer(erp).apply(order(buyer={"name": "Ana"}))
    assert (outcome.kind, outcome.detail) == (
        "held",
        "buyer has no document number: fix the order on the marketplace",
    )


def test_an_item_linked_by_its_anymarket_sku_id(erp: ErpDatabase) -> None:
    linked = {**item("SKU-1", 1, "50.00"), "sku": {"id": 777, "partnerId": "OTHER-CODE"}}
    importer(erp, references(sku_code_by_anymarket_id={"777": "SKU-1"})).apply(order(items=[linked]))
    (line,) = items_of(erp, orders_of(erp)[0]["id"])
    assert line["sku_id"] == 1


def test_an_order_without_shippings_and_a_warehouse_without_a_name(erp: ErpDatabase) -> None:
    imp = importer(erp)
    bare = {**item("SKU-1", 1, "50.00"), "shippings": []}
    assert imp.check_mappings(order(items=[bare])) == (
        "unmapped carrier: '' / shipping type '' has no carrier mapping "
        "(add one under Mappings → carriers; the order is imported on the next run)"
    )
    nameless = item("SKU-1", 1, "50.00", stocks=[{"stockLocalId": 77, "amount": 1}])
    assert imp.check_mappings(order(items=[nameless])) == (
        "unmapped warehouse: AnyMarket warehouse (77) has no ERP deposit "
        "(run the deposit installer or map it)"
    )


def test_a_long_shipping_type_is_cut_and_money_rounds_half_up(erp: ErpDatabase) -> None:
    shipped = {
        **item("SKU-1", 1, "10.005"),
        "shippings": [{"shippingCarrierNormalized": "Correios", "shippingtype": "z" * 200}],
    }
    importer(erp).apply(order(items=[shipped]))
    (row,) = orders_of(erp)
    assert len(row["shipping_service"]) == 120
    (line,) = items_of(erp, row["id"])
    assert Decimal(str(line["unit_price"])) == Decimal("10.01")


def test_a_second_collision_is_a_real_error(erp: ErpDatabase) -> None:
    from anymarket.erp.database import ErpQueryError

    imp = importer(erp)
    imp.apply(order())
    real_query = erp.query

    def always_racing(name: str, /, **params: Any) -> list[dict[str, Any]]:
        if name == "order_find_by_anymarket_id":
            return []  # never sees the committed order: every insert collides
        return real_query(name, **params)

    erp.query = always_racing  # type: ignore[method-assign]
    with pytest.raises(ErpQueryError, match="IntegrityError"):
        imp.apply(order())


def test_stocks_that_do_not_add_up_ship_all_from_the_first_warehouse(erp: ErpDatabase) -> None:
    short = item("SKU-1", 3, "50.00", stocks=[{"stockLocalId": REC, "amount": 1}])
    importer(erp).apply(order(items=[short]))
    (line,) = items_of(erp, orders_of(erp)[0]["id"])
    assert (line["deposit_id"], line["quantity"]) == (2, 3)


def test_an_item_without_amount_unit_or_discount_and_with_only_its_order_item_id(erp: ErpDatabase) -> None:
    bare = {
        **item("SKU-1", 1, "0"),
        "amount": None,
        "unit": None,
        "discount": None,
        "idInMarketPlace": None,
        "orderItemId": "i" * 200,
    }
    importer(erp).apply(order(items=[bare], payments=[]))
    (line,) = items_of(erp, orders_of(erp)[0]["id"])
    assert (line["quantity"], line["unit_price"], line["discount"], line["total"]) == (1, 0, 0, 0)
    assert line["marketplace_item_id"] == "i" * 120


def test_every_unmapped_warehouse_of_an_item_is_named(erp: ErpDatabase) -> None:
    stocks = [
        {"stockLocalId": 77, "stockName": "Norte", "amount": 1},
        {"stockLocalId": 78, "stockName": "Sul", "amount": 1},
    ]
    held = importer(erp).check_mappings(order(items=[item("SKU-1", 2, "50.00", stocks=stocks)]))
    assert held == (
        "unmapped warehouse: AnyMarket warehouse Norte (77), Sul (78) has no ERP deposit "
        "(run the deposit installer or map it)"
    )


def test_a_channel_mapping_to_a_channel_the_erp_lacks_falls_back(erp: ErpDatabase) -> None:
    importer(erp, references(channel_map={"MERCADO_LIVRE": "GONE"})).apply(order())
    assert orders_of(erp)[0]["channel_id"] == 1


@pytest.mark.parametrize(
    ("overrides", "settings", "reserved"),
    [
        ({}, {}, True),  # paid, waiting to ship: the stock is held
        ({"fulfillment": True}, {"import_fulfillment": True}, False),  # the marketplace ships it
        ({"status": "PAID_WAITING_DELIVERY"}, {}, False),  # already shipped
    ],
)
def test_which_created_orders_reserve_stock(
    erp: ErpDatabase, overrides: dict, settings: dict, reserved: bool
) -> None:
    importer(erp, **settings).apply(order(**overrides))
    reservations = rows(erp, "SELECT * FROM stock_reservations")
    assert bool(reservations) is reserved
    if reserved:
        (line,) = items_of(erp, orders_of(erp)[0]["id"])
        assert [r["sales_order_item_id"] for r in reservations] == [line["id"]]


def test_long_payment_texts_are_cut(erp: ErpDatabase) -> None:
    payments = [
        {
            "paymentMethodNormalized": "CREDIT_CARD",
            "method": "m" * 200,
            "value": 100,
            "marketplaceId": "p" * 200,
        }
    ]
    importer(erp).apply(order(payments=payments))
    (payment,) = rows(erp, "SELECT * FROM sales_order_payments")
    assert (len(payment["method"]), len(payment["marketplace_payment_id"])) == (120, 120)


def test_the_intermediary_goes_on_the_order(erp: ErpDatabase) -> None:
    mapping = {
        "MERCADO_LIVRE": {"value": "15436940000103", "attributes": {"intermediary_name": "Mercado Livre"}}
    }
    importer(erp, references(intermediary_map=mapping)).apply(order())
    (row,) = orders_of(erp)
    assert (row["intermediary_cnpj"], row["intermediary_name"]) == ("15436940000103", "Mercado Livre")


def test_an_order_without_a_status_is_skipped_as_unknown(erp: ErpDatabase) -> None:
    outcome = importer(erp).apply(order(status=None))
    assert (outcome.kind, outcome.detail) == ("skipped", "unknown AnyMarket status ''")


def test_a_kit_line_stays_the_kit_and_reserves_its_components(erp: ErpDatabase) -> None:
    with erp.engine.begin() as c:
        c.execute(sa.text("INSERT INTO products (id, code, name) VALUES (2, 'K1', 'Kit')"))
        c.execute(
            sa.text(
                "INSERT INTO skus (id, product_id, code, name, sell_price) VALUES (3, 2, 'KIT-1', 'Kit', 90)"
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO kit_components (kit_sku_id, component_sku_id, quantity) "
                "VALUES (3, 1, 2), (3, 2, 1)"
            )
        )
    importer(erp).apply(order(items=[item("KIT-1", 3, "30.00"), item("SKU-2", 1, "30.00")]))

    [sales_order] = orders_of(erp)
    assert [(i["sku_id"], float(i["quantity"])) for i in items_of(erp, sales_order["id"])] == [
        (3, 3.0),
        (2, 1.0),
    ]
    held = rows(erp, "SELECT sku_id, deposit_id, quantity FROM stock_reservations ORDER BY id")
    # 3 kits = 6 x SKU-1 and 3 x SKU-2, in the line's deposit; the plain line holds itself.
    assert [(r["sku_id"], r["deposit_id"], float(r["quantity"])) for r in held] == [
        (1, 1, 6.0),
        (2, 1, 3.0),
        (2, 1, 1.0),
    ]
