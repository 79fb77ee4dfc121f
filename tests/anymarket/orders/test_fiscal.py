"""The fiscal and commercial rules of an imported order (``anymarket.orders.fiscal``), table-driven."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from anymarket.orders import fiscal
from anymarket.orders.fiscal import HoldOrder, Intermediary, Payment, SalesOperation

D = Decimal
ML_CNPJ = "03007331000141"
AMAZON_CNPJ = "15436940000103"


def order(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"marketPlace": "MERCADO_LIVRE", "accountName": "Loja 1", "buyer": {}}
    base.update(fields)
    return base


# -- the buyer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state_tax_id", "expected", "contributor"),
    [
        (None, None, False),
        ("", None, False),
        ("   ", None, False),
        ("ISENTO", None, False),
        ("isenta", None, False),
        ("110.042.490.114", "110042490114", True),
        ("0623079040081", "0623079040081", True),
        (123456789, "123456789", True),
        ("---", None, False),
    ],
)
def test_state_tax_id_and_icms_contributor(
    state_tax_id: Any, expected: str | None, contributor: bool
) -> None:
    buyer = {"name": "X", "companyStateTaxId": state_tax_id}
    assert fiscal.state_tax_id(buyer) == expected
    assert fiscal.is_icms_contributor(buyer) is contributor


@pytest.mark.parametrize(
    ("name", "style", "expected"),
    [
        ("JOÃO DA SILVA", "title_case", "João da Silva"),
        ("maria  das   dores e souza", "title_case", "Maria das Dores e Souza"),
        ("DA COSTA ANA", "title_case", "Da Costa Ana"),  # a particle that starts the name is capitalised
        ("ana-clara d'ávila", "title_case", "Ana-Clara D'Ávila"),
        ("PEDRO II DOS SANTOS", "title_case", "Pedro II dos Santos"),
        ("papelaria nova era me", "title_case", "Papelaria Nova Era ME"),
        ("José da Silva", "upper", "JOSÉ DA SILVA"),
        ("  jOSÉ  da silva ", "as_received", "jOSÉ da silva"),
        ("JOSÉ", "as_received", "JOSÉ"),
        (None, "title_case", None),
    ],
)
def test_format_contact_name(name: str | None, style: str, expected: str | None) -> None:
    assert fiscal.format_contact_name(name, style) == expected


# -- natureza de operação ----------------------------------------------------------------------

CONTRIBUTOR = {"name": "Comercial Ltda", "companyStateTaxId": "110042490114"}
CONSUMER = {"name": "Ana"}
EXEMPT = {"name": "Associação", "companyStateTaxId": "ISENTO"}


@pytest.mark.parametrize(
    ("buyer", "marketplace", "account", "settings", "channel_code", "expected"),
    [
        # nothing configured: no operation (the ERP applies its own)
        (CONSUMER, "MERCADO_LIVRE", "Loja 1", {}, None, None),
        # the default for a consumer
        (CONSUMER, "MERCADO_LIVRE", "Loja 1", {"default": "VENDA"}, None, ("VENDA", "default")),
        # a contributor gets the contributor operation…
        (
            CONTRIBUTOR,
            "MERCADO_LIVRE",
            "Loja 1",
            {"default": "VENDA", "contributor": "VENDA_IE"},
            None,
            ("VENDA_IE", "contributor"),
        ),
        # …even over a channel rule (a contributor's sale is taxed differently whatever the channel)
        (
            CONTRIBUTOR,
            "AMAZON",
            "Loja 1",
            {"default": "VENDA", "contributor": "VENDA_IE", "by_channel": {"AMAZON": "VENDA_AMZ"}},
            None,
            ("VENDA_IE", "contributor"),
        ),
        # …but without a contributor operation a contributor follows the other rules
        (CONTRIBUTOR, "MERCADO_LIVRE", "Loja 1", {"default": "VENDA"}, None, ("VENDA", "default")),
        # an exempt buyer (ISENTO) is not a contributor
        (
            EXEMPT,
            "MERCADO_LIVRE",
            "Loja 1",
            {"default": "VENDA", "contributor": "VENDA_IE"},
            None,
            ("VENDA", "default"),
        ),
        # per marketplace
        (
            CONSUMER,
            "AMAZON",
            "Loja 1",
            {"default": "VENDA", "by_channel": {"AMAZON": "VENDA_AMZ"}},
            None,
            ("VENDA_AMZ", "channel AMAZON"),
        ),
        # marketplace:account is more specific than marketplace
        (
            CONSUMER,
            "AMAZON",
            "Loja 2",
            {"default": "VENDA", "by_channel": {"AMAZON": "VENDA_AMZ", "AMAZON:Loja 2": "VENDA_AMZ2"}},
            None,
            ("VENDA_AMZ2", "channel AMAZON:Loja 2"),
        ),
        # the ERP sales channel code is the last channel key
        (
            CONSUMER,
            "SHOPEE",
            "Loja 1",
            {"default": "VENDA", "by_channel": {"SHP": "VENDA_SHP"}},
            "SHP",
            ("VENDA_SHP", "channel SHP"),
        ),
        (
            CONSUMER,
            "SHOPEE",
            "Loja 1",
            {"default": "VENDA", "by_channel": {"SHOPEE": "VENDA_MKT", "SHP": "VENDA_SHP"}},
            "SHP",
            ("VENDA_MKT", "channel SHOPEE"),
        ),
        # another marketplace's rule does not apply
        (
            CONSUMER,
            "MERCADO_LIVRE",
            "Loja 1",
            {"default": "VENDA", "by_channel": {"AMAZON": "VENDA_AMZ"}},
            None,
            ("VENDA", "default"),
        ),
    ],
)
def test_choose_sales_operation(
    buyer: dict[str, Any],
    marketplace: str,
    account: str,
    settings: dict[str, Any],
    channel_code: str | None,
    expected: tuple[str, str] | None,
) -> None:
    chosen = fiscal.choose_sales_operation(
        order(buyer=buyer, marketPlace=marketplace, accountName=account),
        default=settings.get("default"),
        contributor=settings.get("contributor"),
        by_channel=settings.get("by_channel", {}),
        channel_code=channel_code,
    )
    assert (None if chosen is None else (chosen.code, chosen.rule)) == expected


def test_the_chosen_operation_names_its_setting() -> None:
    chosen = fiscal.choose_sales_operation(
        order(buyer=CONTRIBUTOR), default="V", contributor="VI", by_channel={"MERCADO_LIVRE": "VM"}
    )
    assert chosen == SalesOperation("VI", "contributor", "orders.contributor_sales_operation")
    chosen = fiscal.choose_sales_operation(
        order(), default="V", contributor="VI", by_channel={"MERCADO_LIVRE": "VM"}
    )
    assert chosen == SalesOperation(
        "VM", "channel MERCADO_LIVRE", "orders.sales_operation_by_channel.MERCADO_LIVRE"
    )


# -- intermediador -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cnpj", "valid"),
    [
        (ML_CNPJ, True),
        (AMAZON_CNPJ, True),
        ("12345678000195", True),
        ("03007331000142", False),  # second check digit wrong
        ("03007331000151", False),  # first check digit wrong
        ("11111111111111", False),
        ("0300733100014", False),
        ("03.007.331/0001-41", False),  # digits only here; the CSV and the importer strip punctuation
        ("", False),
    ],
)
def test_is_valid_cnpj(cnpj: str, valid: bool) -> None:
    assert fiscal.is_valid_cnpj(cnpj) is valid


MAPPINGS = {
    "MERCADO_LIVRE": {"value": ML_CNPJ, "attributes": {"intermediary_name": "Ebazar (Mercado Livre)"}},
    "AMAZON": {"value": AMAZON_CNPJ, "attributes": None},
    "AMAZON:Loja 2": {"value": "15.436.940/0001-03", "attributes": {"seller_id": "A2SELLER"}},
    "SHOPEE": {"value": "35635824000199", "attributes": {}},  # invalid check digits
}
OWN = frozenset({"ECOMMERCE"})


@pytest.mark.parametrize(
    ("fields", "required", "expected"),
    [
        # mapped: CNPJ and name from the mapping, the seller's id from the order
        (
            {"intermediateRegistrationId": "123456789"},
            True,
            Intermediary(ML_CNPJ, "Ebazar (Mercado Livre)", "123456789"),
        ),
        (
            {"intermediateRegistrationId": " 42 "},
            False,
            Intermediary(ML_CNPJ, "Ebazar (Mercado Livre)", "42"),
        ),
        # no name in the mapping: the marketplace's
        (
            {"marketPlace": "AMAZON", "intermediateRegistrationId": "A1"},
            True,
            Intermediary(AMAZON_CNPJ, "Amazon", "A1"),
        ),
        # MARKETPLACE:account first; the mapping's seller_id when the order has none; punctuation stripped
        (
            {"marketPlace": "AMAZON", "accountName": "Loja 2"},
            True,
            Intermediary(AMAZON_CNPJ, "Amazon", "A2SELLER"),
        ),
        # …and the order's seller id wins over the mapping's
        (
            {"marketPlace": "AMAZON", "accountName": "Loja 2", "intermediateRegistrationId": "FROM-ORDER"},
            True,
            Intermediary(AMAZON_CNPJ, "Amazon", "FROM-ORDER"),
        ),
        # the seller's own store: no intermediary, required or not, mapped or not
        ({"marketPlace": "ECOMMERCE"}, True, None),
        # not required and not mapped: none
        ({"marketPlace": "NETSHOES"}, False, None),
        # not required, mapped, no seller id: imported with what there is
        ({"marketPlace": "AMAZON"}, False, Intermediary(AMAZON_CNPJ, "Amazon", "")),
    ],
)
def test_choose_intermediary(fields: dict[str, Any], required: bool, expected: Intermediary | None) -> None:
    chosen = fiscal.choose_intermediary(
        order(**fields), MAPPINGS, required=required, own_store_marketplaces=OWN
    )
    assert chosen == expected


@pytest.mark.parametrize(
    ("fields", "required", "reason"),
    [
        (
            {"marketPlace": "NETSHOES", "documentIntermediator": "09.339.936/0001-16"},
            True,
            "unmapped intermediary: marketplace 'NETSHOES' (account 'Loja 1') has no intermediary mapping; "
            "the order names intermediary CNPJ 09339936000116",
        ),
        (
            {"marketPlace": "NETSHOES"},
            True,
            "unmapped intermediary: marketplace 'NETSHOES' (account 'Loja 1') has no intermediary mapping (",
        ),
        # an invalid CNPJ holds even when the rule is off: it would be printed on the NF-e
        (
            {"marketPlace": "SHOPEE", "intermediateRegistrationId": "1"},
            False,
            "unmapped intermediary: the intermediary mapping of 'SHOPEE' has CNPJ '35635824000199', "
            "which is not a valid CNPJ",
        ),
        (
            {"marketPlace": "AMAZON"},
            True,
            "unmapped intermediary: marketplace 'AMAZON' sent no seller id (intermediateRegistrationId)",
        ),
        (
            {"marketPlace": "AMAZON", "intermediateRegistrationId": "  "},
            True,
            "unmapped intermediary: marketplace 'AMAZON' sent no seller id",
        ),
    ],
)
def test_missing_intermediary_holds_with_the_reason(
    fields: dict[str, Any], required: bool, reason: str
) -> None:
    with pytest.raises(HoldOrder) as held:
        fiscal.choose_intermediary(order(**fields), MAPPINGS, required=required, own_store_marketplaces=OWN)
    assert str(held.value).startswith(reason)


# -- payments ----------------------------------------------------------------------------------


def test_payments_of_reads_value_installments_and_both_fees() -> None:
    payments = fiscal.payments_of(
        {
            "payments": [
                {
                    "method": "Cartão de crédito",
                    "paymentMethodNormalized": "CREDIT_CARD",
                    "value": 300.1,
                    "installments": 6,
                    "marketplaceFee": 42.014,
                    "gatewayFee": "8.97",
                    "marketplaceId": "PAY-1",
                    "status": "approved",
                },
                {"method": "Saldo", "paymentMethodNormalized": "UNKNOWN", "value": 10, "installments": 0},
                {"method": None, "value": None},
                "not a payment",
            ]
        }
    )
    assert payments == [
        Payment(
            "CREDIT_CARD", "Cartão de crédito", D("300.10"), 6, D("42.01"), D("8.97"), "PAY-1", "approved"
        ),
        Payment("Saldo", "Saldo", D("10.00"), 1, D("0.00"), D("0.00"), None, None),
        Payment(None, None, D("0.00"), 1, D("0.00"), D("0.00"), None, None),
    ]
    assert fiscal.fee_totals(payments) == (D("42.01"), D("8.97"))
    assert fiscal.payments_of({}) == [] and fiscal.payments_of({"payments": None}) == []


def _pay(value: str, marketplace_fee: str, gateway_fee: str, installments: int = 3) -> Payment:
    return Payment(
        "CREDIT_CARD", "Cartão", D(value), installments, D(marketplace_fee), D(gateway_fee), "P", "ok"
    )


@pytest.mark.parametrize(
    ("payments", "weights", "expected"),
    [
        # one ERP order: the payments as they are
        ([_pay("100.00", "14.00", "2.99")], [D("100.00")], [[("100.00", "14.00", "2.99")]]),
        # two parts 2:1 — shares rounded, the remainder on the first part, sums exact
        (
            [_pay("100.00", "14.00", "3.00")],
            [D("200.00"), D("100.00")],
            [[("66.67", "9.33", "2.00")], [("33.33", "4.67", "1.00")]],
        ),
        # three equal parts of an amount that does not divide: 0.01 left goes to the first
        (
            [_pay("100.00", "10.00", "0.01")],
            [D("1"), D("1"), D("1")],
            [[("33.34", "3.34", "0.01")], [("33.33", "3.33", "0.00")], [("33.33", "3.33", "0.00")]],
        ),
        # two payments, each shared on its own
        (
            [_pay("50.00", "7.00", "0.00"), _pay("25.00", "3.50", "1.00", installments=1)],
            [D("3"), D("1")],
            [
                [("37.50", "5.25", "0.00"), ("18.75", "2.62", "0.75")],
                [("12.50", "1.75", "0.00"), ("6.25", "0.88", "0.25")],  # 0.875 rounds half up
            ],
        ),
        # a part worth nothing gets nothing; all weights zero: the first part takes it all
        (
            [_pay("10.00", "1.00", "0.00")],
            [D("5"), D("0")],
            [[("10.00", "1.00", "0.00")], [("0.00", "0.00", "0.00")]],
        ),
        (
            [_pay("10.00", "1.00", "0.00")],
            [D("0"), D("0")],
            [[("10.00", "1.00", "0.00")], [("0.00", "0.00", "0.00")]],
        ),
        # no payments at all
        ([], [D("1"), D("2")], [[], []]),
    ],
)
def test_split_payments_shares_value_and_fees_to_the_cent(
    payments: list[Payment], weights: list[Decimal], expected: list[list[tuple[str, str, str]]]
) -> None:
    parts = fiscal.split_payments(payments, weights)
    assert [[(str(p.value), str(p.marketplace_fee), str(p.gateway_fee)) for p in part] for part in parts] == [
        [tuple(str(D(x)) for x in row) for row in part] for part in expected
    ]
    for index, payment in enumerate(payments):  # every share adds up exactly to the payment
        for name in ("value", "marketplace_fee", "gateway_fee"):
            assert sum(getattr(part[index], name) for part in parts) == getattr(payment, name)
        assert all(part[index].installments == payment.installments for part in parts)


@pytest.mark.parametrize(
    ("cnpj", "valid"),
    [
        ("09339936000116", True),
        ("00000000000000", False),  # its check digits add up, but all-equal digits are no CNPJ
        ("09339936000108", False),  # the second check digit fits the first 13, the first does not
    ],
)
def test_cnpj_check_digits(cnpj: str, valid: bool) -> None:
    assert fiscal.is_valid_cnpj(cnpj) is valid


@pytest.mark.parametrize(
    ("order", "keys"),
    [
        ({"marketPlace": "MERCADO_LIVRE", "accountName": "Loja"}, ["MERCADO_LIVRE:Loja", "MERCADO_LIVRE"]),
        ({"marketPlace": "MERCADO_LIVRE", "accountName": None}, ["MERCADO_LIVRE"]),
        ({"marketPlace": None, "accountName": "Loja"}, []),
        ({}, []),
    ],
)
def test_channel_keys_need_a_marketplace(order: dict[str, Any], keys: list[str]) -> None:
    assert fiscal.channel_keys(order) == keys


def test_payments_money_is_rounded_half_up_and_bad_entries_skipped() -> None:
    payments = fiscal.payments_of(
        {"payments": ["x", {"value": 10.005, "marketplaceFee": ""}, {"value": "2.5"}]}
    )
    assert [(p.value, p.marketplace_fee) for p in payments] == [
        (Decimal("10.01"), Decimal("0.00")),
        (Decimal("2.50"), Decimal("0.00")),
    ]


def test_payments_of_an_order_without_parts_stay_whole() -> None:
    payments = fiscal.payments_of({"payments": [{"value": 7}]})
    assert fiscal.split_payments(payments, []) == [payments]


def test_the_default_nature_names_its_setting() -> None:
    chosen = fiscal.choose_sales_operation({}, default="5102", contributor=None, by_channel={})
    assert chosen == SalesOperation("5102", "default", "orders.default_sales_operation")


def test_an_intermediarys_name_and_seller_id_are_cut_to_the_erp_columns() -> None:
    mappings = {"MERCADO_LIVRE": {"value": "09339936000116", "attributes": {"intermediary_name": "N" * 130}}}
    chosen = fiscal.choose_intermediary(
        {"marketPlace": "MERCADO_LIVRE", "intermediateRegistrationId": "S" * 130},
        mappings,
        required=True,
        own_store_marketplaces=frozenset({"ECOMMERCE"}),
    )
    assert chosen == Intermediary(cnpj="09339936000116", name="N" * 120, seller_id="S" * 120)
    with pytest.raises(HoldOrder) as held:
        fiscal.choose_intermediary(
            {"marketPlace": "NETSHOES"}, mappings, required=True, own_store_marketplaces=frozenset()
        )
    assert str(held.value) == (
        "unmapped intermediary: marketplace 'NETSHOES' (account '') has no intermediary mapping (add one "
        "under Mappings → intermediaries: the marketplace's CNPJ and name; the order is imported on the "
        "next run)"
    )


def test_an_order_without_a_marketplace_is_held_naming_none() -> None:
    with pytest.raises(HoldOrder, match=r"^unmapped intermediary: marketplace '' \(account ''\) has no"):
        fiscal.choose_intermediary({}, {}, required=True, own_store_marketplaces=frozenset({"ECOMMERCE"}))
