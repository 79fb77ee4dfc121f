"""Fiscal and commercial data on imported orders, over the real sandbox, a real ERP and the mapping DB.

An order from each marketplace of the demo reaches the ERP ready to invoice — natureza de operação,
intermediador (the demo mappings), fees and installments per payment, sales channel — and sync order
status still invoices it; a contributor buyer gets the contributor nature; what a rule requires and is
missing holds the order with the reason, like an unmapped carrier.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from anymarket.mapping.csv_io import CsvUpload, import_files
from anymarket.ops import queries
from anymarket_sandbox import fake
from anymarket_sandbox.demo import DEMO_MARKETPLACES
from tests.anymarket.operators.test_import_orders import order_spec
from tests.anymarket.operators.test_sync_order_status import StatusShop, remote

DEMO_MAPPINGS = yaml.safe_load(
    (Path(__file__).resolve().parents[3] / "anymarket_sandbox" / "demo_mappings.yaml").read_text()
)
#: ERP sales channels per AnyMarket marketplace (ML, id 1, is the base Shop's).
CHANNELS = {"MERCADO_LIVRE": 1, "AMAZON": 2, "SHOPEE": 3, "MAGAZINE_LUIZA": 4, "NETSHOES": 5}
CONSUMER, CONTRIBUTOR, RETIRED = 1, 2, 3  # sales_operations ids
DEMO_SETTINGS = {
    "default_sales_operation": "VENDA_CONSUMIDOR",
    "contributor_sales_operation": "VENDA_CONTRIBUINTE",
    "require_intermediary": True,
    "require_sales_channel": True,
    "contact_name_format": "title_case",
}


class FiscalShop(StatusShop):
    """The base shop plus the ERP's sales operations and channels, and the demo's intermediaries."""

    def __init__(self, env: Any, tmp_path: Any, **orders: Any) -> None:
        super().__init__(env, tmp_path, **orders)
        self.sql(
            "INSERT INTO sales_operations (id, code, name, icms_contributor, active) VALUES "
            "(1, 'VENDA_CONSUMIDOR', 'Venda a consumidor final', 0, 1), "
            "(2, 'VENDA_CONTRIBUINTE', 'Venda a contribuinte do ICMS', 1, 1), "
            "(3, 'VENDA_ANTIGA', 'Venda (desativada)', 0, 0)"
        )
        for marketplace, channel_id in CHANNELS.items():
            if channel_id != 1:
                self.sql(
                    "INSERT INTO sales_channels (id, code, name, marketplace) VALUES (:id, :code, :code, :m)",
                    id=channel_id,
                    code=marketplace[:10],
                    m=marketplace,
                )
        for key, cnpj in DEMO_MAPPINGS["intermediary"].items():
            env.mapping.set_mapping("loja1", "intermediary", str(key), str(cnpj))

    def create(self, **spec: Any) -> dict[str, Any]:
        return self.env.sandbox.admin.create_order(**order_spec(carrier="Correios", **spec))

    def held(self) -> dict[str, dict[str, Any]]:
        rows = queries.held_orders(self.env.mapping, "loja1")["rows"]
        return {r["anymarket_order_id"]: r for r in rows}


@pytest.fixture
def shop(integration_env: Any, tmp_path: Any) -> FiscalShop:
    return FiscalShop(integration_env, tmp_path, **DEMO_SETTINGS)


def test_the_demo_maps_every_marketplace_but_one_on_purpose() -> None:
    mapped = set(DEMO_MAPPINGS["intermediary"])
    assert set(DEMO_MARKETPLACES) - mapped == {"NETSHOES"}
    for key, cnpj in DEMO_MAPPINGS["intermediary"].items():
        assert fake.INTERMEDIARIES[key][0] == cnpj  # what the marketplace's orders say


def test_an_order_from_each_demo_marketplace_reaches_the_erp_ready_to_invoice(shop: FiscalShop) -> None:
    marketplaces = [m for m in DEMO_MARKETPLACES if m in DEMO_MAPPINGS["intermediary"]]
    orders = {
        m: shop.create(marketplace=m, paymentMethod="CREDIT_CARD", installments=6, accountName="Loja Demo")
        for m in marketplaces
    }

    shop.run()

    for marketplace, order in orders.items():
        [erp_order] = shop.orders(order["id"])
        [payment] = order["payments"]
        assert erp_order["sales_operation_id"] == CONSUMER, marketplace
        assert erp_order["intermediary_cnpj"] == DEMO_MAPPINGS["intermediary"][marketplace]
        assert (
            erp_order["intermediary_name"]
            == {
                "MERCADO_LIVRE": "Mercado Livre",
                "AMAZON": "Amazon",
                "SHOPEE": "Shopee",
                "MAGAZINE_LUIZA": "Magazine Luiza",
            }[marketplace]
        )
        assert erp_order["intermediary_seller_id"] == order["intermediateRegistrationId"]
        assert order["intermediateRegistrationId"] == fake.seller_id(marketplace, "Loja Demo")
        assert erp_order["channel_id"] == CHANNELS[marketplace]
        assert erp_order["installments"] == 6
        assert payment["marketplaceFee"] > 0
        assert Decimal(str(erp_order["marketplace_fee"])) == Decimal(str(payment["marketplaceFee"]))
        assert Decimal(str(erp_order["gateway_fee"])) == Decimal(str(payment["gatewayFee"]))
        [row] = shop.rows("SELECT * FROM sales_order_payments WHERE sales_order_id = :id", id=erp_order["id"])
        assert (row["position"], row["payment_method_id"], row["installments"]) == (1, 1, 6)
        assert row["method"] == "Cartão de crédito" and row["marketplace_payment_id"] == str(order["id"])
        assert Decimal(str(row["value"])) == Decimal(str(order["total"])) == Decimal(str(erp_order["total"]))
        assert Decimal(str(row["marketplace_fee"])) == Decimal(str(payment["marketplaceFee"]))
        assert Decimal(str(row["gateway_fee"])) == Decimal(str(payment["gatewayFee"]))
    # Mercado Livre charges the Mercado Pago gateway on cards; Amazon settles inside its commission.
    assert orders["MERCADO_LIVRE"]["payments"][0]["gatewayFee"] > 0
    assert orders["AMAZON"]["payments"][0]["gatewayFee"] == 0

    # … and the ERP invoices them: sync order status tells AnyMarket.
    shop.env.sandbox.admin.clear_requests()
    for number, order in enumerate(orders.values(), start=501):
        shop.invoice(f"AM-{order['id']}", number)
        shop.set_status(f"AM-{order['id']}", "invoiced")
    shop.sync()
    assert {remote(shop, o["id"])["status"] for o in orders.values()} == {"INVOICED"}


def test_a_contributor_buyer_gets_the_contributor_nature_and_names_are_title_cased(shop: FiscalShop) -> None:
    company = shop.create(
        buyer={
            "name": "COMERCIAL ANDRADE DOS SANTOS LTDA",
            "document": "12.345.678/0001-95",
            "documentType": "CNPJ",
            "companyStateTaxId": "110.042.490.114",
        },
        shipping={"receiverName": "MARIA DA SILVA"},
    )
    exempt = shop.create(
        buyer={
            "name": "associação de bairro",
            "document": "11.222.333/0001-81",
            "documentType": "CNPJ",
            "companyStateTaxId": "ISENTO",
        }
    )
    consumer = shop.create()

    shop.run()

    [company_order] = shop.orders(company["id"])
    assert company_order["sales_operation_id"] == CONTRIBUTOR
    assert company_order["ship_receiver_name"] == "Maria da Silva"
    [customer] = shop.rows("SELECT * FROM customers WHERE id = :id", id=company_order["customer_id"])
    assert customer["name"] == "Comercial Andrade dos Santos Ltda"
    assert customer["state_tax_id"] == "110.042.490.114"
    assert shop.orders(exempt["id"])[0]["sales_operation_id"] == CONSUMER  # ISENTO is no contributor
    assert shop.orders(consumer["id"])[0]["sales_operation_id"] == CONSUMER


def test_sales_operation_per_marketplace(shop: FiscalShop) -> None:
    shop.configure(
        reconcile_days=0,
        **DEMO_SETTINGS,
        sales_operation_by_channel={"AMAZON": "VENDA_CONTRIBUINTE"},
    )
    amazon = shop.create(marketplace="AMAZON")
    ml = shop.create(marketplace="MERCADO_LIVRE")

    shop.run()

    assert shop.orders(amazon["id"])[0]["sales_operation_id"] == CONTRIBUTOR
    assert shop.orders(ml["id"])[0]["sales_operation_id"] == CONSUMER


def test_a_marketplace_without_intermediary_mapping_holds_until_mapped(shop: FiscalShop) -> None:
    order = shop.create(marketplace="NETSHOES", accountName="Loja Demo")

    summary = shop.run()

    assert shop.orders(order["id"]) == []  # never imported half-ready
    held = shop.held()[str(order["id"])]
    assert held["category"] == "unmapped intermediary" and held["fix_kind"] == "intermediary"
    assert held["reason"].startswith(
        "unmapped intermediary: marketplace 'NETSHOES' (account 'Loja Demo') has no intermediary mapping; "
        "the order names intermediary CNPJ 09339936000116"
    )
    assert summary["counts"]["held"] == 1
    assert shop.feed() == {order["id"]: True}  # held is handled: the feed item is acked

    # The ops team maps it with the CSV the held row links to; the next run imports it.
    import_files(
        shop.env.mapping,
        "loja1",
        [
            CsvUpload(
                "intermediaries.csv",
                "anymarket_marketplace,intermediary_cnpj,intermediary_name,seller_id\n"
                "NETSHOES,09.339.936/0001-16,Netshoes,\n",
            )
        ],
        erp=lambda: shop.env.erp,
    )
    shop.run()

    [erp_order] = shop.orders(order["id"])
    assert (erp_order["intermediary_cnpj"], erp_order["intermediary_name"]) == ("09339936000116", "Netshoes")
    assert erp_order["intermediary_seller_id"] == order["intermediateRegistrationId"]
    assert shop.held() == {}


def test_without_the_rule_an_unmapped_marketplace_imports_without_intermediary(shop: FiscalShop) -> None:
    shop.configure(reconcile_days=0)  # the defaults: no rule requires anything
    netshoes = shop.create(marketplace="NETSHOES")
    own_store = shop.create(marketplace="ECOMMERCE")

    shop.run()

    for order in (netshoes, own_store):
        [erp_order] = shop.orders(order["id"])
        assert erp_order["intermediary_cnpj"] is None and erp_order["sales_operation_id"] is None
    assert shop.orders(netshoes["id"])[0]["channel_id"] == CHANNELS["NETSHOES"]


def test_own_store_sales_need_no_intermediary(shop: FiscalShop) -> None:
    shop.sql(
        "INSERT INTO sales_channels (id, code, name, marketplace) VALUES (9, 'SITE', 'Site', 'ECOMMERCE')"
    )
    order = shop.create(marketplace="ECOMMERCE")

    shop.run()

    [erp_order] = shop.orders(order["id"])
    assert erp_order["intermediary_cnpj"] is None and erp_order["channel_id"] == 9
    assert erp_order["sales_operation_id"] == CONSUMER


CONTRIBUTOR_BUYER = {"name": "Loja X", "document": "12345678000195", "companyStateTaxId": "123456789"}


@pytest.mark.parametrize(
    ("settings", "buyer", "reason", "fixed"),
    [
        (
            {"default_sales_operation": "NAO_EXISTE"},
            {},
            "unknown sales operation: 'NAO_EXISTE' (orders.default_sales_operation, rule default) is not an "
            "active ERP sales operation",
            CONSUMER,
        ),
        (
            {"contributor_sales_operation": "VENDA_ANTIGA"},  # inactive in the ERP
            CONTRIBUTOR_BUYER,
            "unknown sales operation: 'VENDA_ANTIGA' (orders.contributor_sales_operation, rule contributor)",
            CONTRIBUTOR,
        ),
    ],
)
def test_a_sales_operation_the_erp_lacks_holds(
    shop: FiscalShop, settings: dict[str, str], buyer: dict[str, str], reason: str, fixed: int
) -> None:
    shop.configure(reconcile_days=0, **{**DEMO_SETTINGS, **settings})
    order = shop.create(**({"buyer": buyer} if buyer else {}))

    shop.run()

    assert shop.orders(order["id"]) == []
    assert shop.held()[str(order["id"])]["reason"].startswith(reason)
    shop.configure(reconcile_days=0, **DEMO_SETTINGS)  # the setting is fixed
    shop.run()
    assert shop.orders(order["id"])[0]["sales_operation_id"] == fixed


def test_an_order_without_sales_channel_holds_when_required(shop: FiscalShop) -> None:
    shop.env.mapping.set_mapping("loja1", "intermediary", "B2W_NEW_API", "00776574000156")
    order = shop.create(marketplace="B2W_NEW_API")

    shop.run()

    held = shop.held()[str(order["id"])]
    assert (held["category"], held["fix_kind"]) == ("unmapped sales channel", "sales_channel")
    shop.env.mapping.set_mapping("loja1", "sales_channel", "B2W_NEW_API", "AMAZON")  # any ERP channel
    shop.run()
    assert shop.orders(order["id"])[0]["channel_id"] == CHANNELS["AMAZON"]


def test_multi_cd_parts_share_payments_and_fees_to_the_cent(shop: FiscalShop) -> None:
    order = shop.create(
        marketplace="MAGAZINE_LUIZA",
        items=[
            {"partnerId": "SKU-1", "quantity": 1, "unitPrice": 100.0, "stocks": [{"stockLocalId": shop.sp}]},
            {"partnerId": "SKU-2", "quantity": 2, "unitPrice": 33.33, "stocks": [{"stockLocalId": shop.rec}]},
        ],
        freight=10.0,
        payments=[
            {
                "method": "Pix",
                "paymentMethodNormalized": "PIX",
                "value": 100.0,
                "installments": 1,
                "marketplaceFee": 13.33,
                "gatewayFee": 0.99,
                "marketplaceId": "P1",
            },
            {
                "method": "Cartão",
                "paymentMethodNormalized": "CREDIT_CARD",
                "value": 76.66,
                "installments": 3,
                "marketplaceFee": 10.0,
                "gatewayFee": 2.29,
                "marketplaceId": "P2",
            },
        ],
    )

    shop.run()

    parts = shop.orders(order["id"])
    assert [p["code"] for p in parts] == [f"AM-{order['id']}", f"AM-{order['id']}-2"]
    payments = shop.rows(
        "SELECT p.* FROM sales_order_payments p JOIN sales_orders o ON o.id = p.sales_order_id "
        "WHERE o.anymarket_order_id = :id ORDER BY p.position, o.code",
        id=order["id"],
    )
    assert len(payments) == 4
    for position, given in enumerate(order["payments"], start=1):
        shares = [p for p in payments if p["position"] == position]
        for column, key in (
            ("value", "value"),
            ("marketplace_fee", "marketplaceFee"),
            ("gateway_fee", "gatewayFee"),
        ):
            assert sum(Decimal(str(s[column])) for s in shares) == Decimal(str(given[key])), column
        assert {s["installments"] for s in shares} == {given["installments"]}
    assert sum(Decimal(str(p["marketplace_fee"])) for p in parts) == Decimal("23.33")
    assert sum(Decimal(str(p["gateway_fee"])) for p in parts) == Decimal("3.28")
    for part in parts:  # each part's fees are the sum of its payment shares
        mine = [p for p in payments if p["sales_order_id"] == part["id"]]
        assert Decimal(str(part["marketplace_fee"])) == sum(Decimal(str(p["marketplace_fee"])) for p in mine)


def test_the_ops_lookup_shows_what_the_order_was_imported_with(shop: FiscalShop) -> None:
    order = shop.create(marketplace="SHOPEE", paymentMethod="PIX")

    shop.run()

    found = queries.lookup(shop.env.mapping, "loja1", str(order["id"]))
    commercial = found["commercial"]
    assert commercial["sales_channel"] == "SHOPEE"
    assert (commercial["sales_operation"], commercial["sales_operation_rule"]) == (
        "VENDA_CONSUMIDOR",
        "default",
    )
    assert (commercial["intermediary_cnpj"], commercial["intermediary_name"]) == ("35635824000112", "Shopee")
    assert commercial["intermediary_seller_id"] == order["intermediateRegistrationId"]
    assert commercial["marketplace_fee"] == f"{order['payments'][0]['marketplaceFee']:.2f}"
    assert commercial["payments"] == [{"method": "PIX", "value": f"{order['total']:.2f}", "installments": 1}]
