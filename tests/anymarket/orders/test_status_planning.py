"""Status planning (:func:`anymarket.orders.status.plan_status`), table-driven: every pair of what
AnyMarket holds and what the ERP says, the settings that bend the rules, and what holds a status back.
Pure: no server, no database."""

from __future__ import annotations

from typing import Any

import pytest

from anymarket.orders.status import DEFAULT_EXPORT_MAP, export_map, needs_xml, plan_status
from anymarket.settings import OrderSettings
from anymarket.vocabulary import CANCELED, CONCLUDED, INVOICED, PAID, PENDING, SHIPPED

KEY = "3" * 44
INVOICE = {
    "invoice_number": 1234,
    "invoice_series": 1,
    "invoice_access_key": KEY,
    "invoice_issued_at": "2026-03-10T12:00:00+00:00",
    "invoice_cfop": "5102",
    "invoice_xml": "<nfeProc/>",
}
TRACKING = {
    "tracking_code": "BR123",
    "carrier_code": "CORREIOS",
    "carrier_name": "Correios",
    "shipped_at": "2026-03-11T09:00:00+00:00",
}
#: One ERP sales order in each state the reference ERP knows, with what that state implies.
ERP = {
    "pending": {"status": "pending"},
    "approved": {"status": "approved"},
    "invoiced": {"status": "invoiced", **INVOICE},
    "shipped": {"status": "shipped", **INVOICE, **TRACKING},
    "delivered": {"status": "delivered", **INVOICE, **TRACKING, "delivered_at": "2026-03-12T15:00:00+00:00"},
    "cancelled": {"status": "cancelled", "cancel_reason": "sem estoque"},
}
REFUSED = "refused"


def part(state: str, code: str = "PV-1", **extra: Any) -> dict[str, Any]:
    return {"code": code, **ERP[state], **extra}


def plan(parts: list[dict[str, Any]], current: str | None, *, send_xml: bool = False, **settings: Any):
    return plan_status(
        parts,
        current=current,
        status_map=export_map({}),
        orders=OrderSettings(**settings),
        tracking_templates={"CORREIOS": "https://rastreio.example/{tracking_code}"},
        send_xml=send_xml,
    )


def outcome(result) -> list[str] | str:
    assert result.held is None, result.held
    return REFUSED if result.refused else [step.status for step in result.steps]


# What AnyMarket holds (columns) x the ERP's state (rows) → the PUTs, in order, or a refusal.
CURRENT = (None, PENDING, PAID, INVOICED, SHIPPED, CONCLUDED, CANCELED)
TABLE = {
    "pending": ([], [], REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
    "approved": ([], [], [], REFUSED, REFUSED, REFUSED, REFUSED),
    "invoiced": ([INVOICED], [INVOICED], [INVOICED], [], REFUSED, REFUSED, REFUSED),
    "shipped": (
        [INVOICED, SHIPPED],
        [INVOICED, SHIPPED],
        [INVOICED, SHIPPED],
        [SHIPPED],
        [],
        REFUSED,
        REFUSED,
    ),
    "delivered": (
        [INVOICED, SHIPPED, CONCLUDED],
        [INVOICED, SHIPPED, CONCLUDED],
        [INVOICED, SHIPPED, CONCLUDED],
        [SHIPPED, CONCLUDED],
        [CONCLUDED],
        [],
        REFUSED,
    ),
    "cancelled": ([CANCELED], [CANCELED], [CANCELED], [CANCELED], [CANCELED], [CANCELED], []),
}
PAIRS = [
    pytest.param(state, current, expected, id=f"{state}-vs-{current}")
    for state, row in TABLE.items()
    for current, expected in zip(CURRENT, row, strict=True)
]


@pytest.mark.parametrize(("state", "current", "expected"), PAIRS)
def test_every_pair_of_anymarket_and_erp_states(state: str, current: str | None, expected: Any) -> None:
    assert outcome(plan([part(state)], current)) == expected


@pytest.mark.parametrize(
    ("state", "current", "expected"),
    [
        ("invoiced", SHIPPED, [INVOICED]),  # one step back, straight to the ERP's status
        ("approved", INVOICED, [PAID]),
        ("invoiced", CANCELED, [INVOICED]),
        ("pending", CONCLUDED, [PENDING]),
    ],
)
def test_a_regression_allowed_goes_straight_back(state: str, current: str, expected: list[str]) -> None:
    assert outcome(plan([part(state)], current, allow_status_regression=True)) == expected


def test_request_bodies_carry_the_nfe_the_tracking_and_the_delivery() -> None:
    steps = plan([part("delivered")], PAID).steps
    invoiced, shipped, concluded = (step.body for step in steps)
    assert invoiced == {
        "status": INVOICED,
        "invoice": {
            "accessKey": KEY,
            "series": "1",
            "number": "1234",
            "date": "2026-03-10T09:00:00-03:00",
            "cfop": "5102",
        },
    }
    assert shipped == {
        "status": SHIPPED,
        "tracking": {
            "number": "BR123",
            "carrier": "Correios",
            "url": "https://rastreio.example/BR123",
            "shippedDate": "2026-03-11T06:00:00-03:00",
        },
    }
    assert concluded == {"status": CONCLUDED, "tracking": {"deliveredDate": "2026-03-12T12:00:00-03:00"}}
    assert steps[0].access_key == KEY and steps[0].xml is None


@pytest.mark.parametrize(
    ("parts", "settings", "expected"),
    [
        # An authorized NF-e alone says invoiced, unless the seller waits for fulfilment too.
        ([part("approved", **INVOICE)], {}, [INVOICED]),
        ([part("approved", **INVOICE)], {"invoiced_when": "nfe_authorized_and_fulfilled"}, []),
        # Shipped right after invoicing: the NF-e's date is the shipping date, its number the tracking.
        (
            [part("invoiced", carrier_name="Correios")],
            {"shipped_after_invoicing": True, "nfe_number_as_tracking": True},
            [INVOICED, SHIPPED],
        ),
    ],
)
def test_settings_that_move_the_target(parts: list[dict], settings: dict, expected: list[str]) -> None:
    assert outcome(plan(parts, PAID, **settings)) == expected


def test_nfe_number_as_tracking_and_invoice_date_as_shipping_date() -> None:
    result = plan(
        [part("invoiced", carrier_name="Correios")],
        INVOICED,
        shipped_after_invoicing=True,
        nfe_number_as_tracking=True,
    )
    assert result.steps[0].body["tracking"] == {
        "number": "1234",
        "carrier": "Correios",
        "shippedDate": "2026-03-10T09:00:00-03:00",
    }


@pytest.mark.parametrize(
    ("parts", "current", "send_xml", "steps", "held"),
    [
        ([part("invoiced", invoice_access_key=None)], PAID, False, [], "has no access key"),
        ([part("invoiced", invoice_xml=None)], PAID, True, [], "needs its XML first"),
        ([part("approved", status="invoiced")], PAID, False, [], "INVOICED needs an authorized NF-e"),
        ([part("shipped", tracking_code=None)], PAID, False, [INVOICED], "needs a tracking code"),
        ([part("shipped", carrier_name=None)], INVOICED, False, [], "a carrier"),
        ([part("shipped", shipped_at=None, status="shipped")], INVOICED, False, [], "a shipped date"),
        ([part("delivered", delivered_at=None)], SHIPPED, False, [], "CONCLUDED needs the delivered date"),
        ([part("approved", status="on_hold")], PAID, False, [], "'on_hold' has no order_status_export"),
    ],
)
def test_what_holds_a_status_back(
    parts: list[dict], current: str, send_xml: bool, steps: list[str], held: str
) -> None:
    result = plan(parts, current, send_xml=send_xml)
    assert [step.status for step in result.steps] == steps
    assert result.held is not None and held in result.held


def test_the_xml_goes_with_invoiced_when_it_must() -> None:
    [step] = plan([part("invoiced")], PAID, send_xml=True).steps
    assert step.xml == "<nfeProc/>"


def test_a_custom_export_mapping_wins_and_must_name_an_anymarket_status() -> None:
    mapped = export_map({"faturado": {"value": " INVOICED "}, "approved": {"value": INVOICED}})
    assert mapped["faturado"] == INVOICED and mapped["approved"] == INVOICED
    assert mapped["pending"] == DEFAULT_EXPORT_MAP["pending"]
    result = plan_status(
        [part("invoiced", status="faturado")],
        current=PAID,
        status_map=mapped,
        orders=OrderSettings(),
        tracking_templates={},
        send_xml=False,
    )
    assert [s.status for s in result.steps] == [INVOICED]
    wrong = plan_status(
        [part("approved")],
        current=None,
        status_map=export_map({"approved": {"value": "PAGO"}}),
        orders=OrderSettings(),
        tracking_templates={},
        send_xml=False,
    )
    assert wrong.held is not None and "'PAGO', which is not an AnyMarket status" in wrong.held


@pytest.mark.parametrize(
    ("states", "target", "steps"),
    [
        # A Multi-CD order moves as its slowest part.
        (("invoiced", "approved"), PAID, []),
        (("shipped", "invoiced"), INVOICED, [INVOICED]),
        (("delivered", "delivered"), CONCLUDED, [INVOICED, SHIPPED, CONCLUDED]),
        # One part cancelled cancels the order.
        (("shipped", "cancelled"), CANCELED, [CANCELED]),
    ],
)
def test_multi_cd_parts(states: tuple[str, str], target: str, steps: list[str]) -> None:
    parts = [part(state, code=f"PV-{n}") for n, state in enumerate(states, start=1)]
    result = plan(parts, PAID)
    assert result.target == target and [s.status for s in result.steps] == steps
    if len(set(states)) > 1 and target != CANCELED:
        assert result.partial is not None and set(result.partial) == {"PV-1", "PV-2"}


def test_cancel_details_name_the_cancelled_parts_and_reasons() -> None:
    [step] = plan([part("shipped", code="PV-1"), part("cancelled", code="PV-2")], PAID).steps
    assert step.body == {"status": CANCELED, "cancelDetails": "Cancelado no ERP (PV-2: sem estoque)"}


def test_the_latest_delivery_of_the_parts_concludes_the_order() -> None:
    parts = [
        part("delivered", code="PV-1"),
        part("delivered", code="PV-2", delivered_at="2026-03-14T10:00:00+00:00"),
    ]
    [step] = plan(parts, SHIPPED).steps
    assert step.body["tracking"]["deliveredDate"] == "2026-03-14T07:00:00-03:00"


@pytest.mark.parametrize(
    ("marketplace", "asks", "settings", "expected"),
    [
        ("MERCADO_LIVRE", None, {}, True),
        ("MERCADO_LIVRE", None, {"send_nfe_xml_mercado_livre": False}, False),
        ("AMAZON", None, {}, False),
        ("AMAZON", None, {"send_nfe_xml_other_marketplaces": True}, True),
        ("AMAZON", True, {}, True),  # the order itself asks for it
        (None, False, {}, False),
    ],
)
def test_when_the_nfe_xml_goes_first(
    marketplace: str | None, asks: bool | None, settings: dict, expected: bool
) -> None:
    assert needs_xml(OrderSettings(**settings), marketplace=marketplace, need_invoice_xml=asks) is expected


def test_a_multi_cd_orders_tracking_comes_from_the_part_that_shipped() -> None:
    # Both ERP orders say shipped; only PV-2 has left, with its tracking code.
    not_yet = part("invoiced", code="PV-1", status="shipped", carrier_name="Correios")
    shipped = part("shipped", code="PV-2", tracking_code="BR999")
    [step] = plan([not_yet, shipped], INVOICED).steps
    assert step.body["tracking"]["number"] == "BR999"


def test_a_contributor_buyers_state_tax_id_goes_with_the_invoice() -> None:
    [step] = plan([part("invoiced", customer_state_tax_id="110042490114")], PAID).steps
    assert step.body["invoice"]["companyStateTaxId"] == "110042490114"


def _held(parts: list[dict], current: str | None, **settings: Any) -> str | None:
    return plan(parts, current, **settings).held


@pytest.mark.parametrize(
    ("parts", "current", "settings", "held"),
    [
        (
            [
                part("approved", code="PV-1", status="invoiced"),
                part("approved", code="PV-2", status="invoiced"),
            ],
            PAID,
            {},
            "INVOICED needs an authorized NF-e: none in the ERP for PV-1, PV-2",
        ),
        (
            [part("invoiced", invoice_access_key=" ")],
            PAID,
            {},
            "NF-e 1234 series 1 of PV-1 has no access key: INVOICED is never sent without it",
        ),
        (
            [part("shipped", tracking_code=None, carrier_name="", shipped_at=None)],
            INVOICED,
            {},
            "PAID_WAITING_DELIVERY needs a tracking code (or orders.nfe_number_as_tracking with an NF-e), "
            "a carrier, a shipped date: PV-1 has none",
        ),
        (
            [part("delivered", code="PV-1"), part("delivered", code="PV-2", delivered_at=None)],
            SHIPPED,
            {},
            "CONCLUDED needs the delivered date: no shipment delivered_at for PV-2",
        ),
        (
            [part("approved", status="on_hold")],
            PAID,
            {},
            "PV-1: ERP status 'on_hold' has no order_status_export mapping",
        ),
    ],
)
def test_hold_texts_in_full(parts: list[dict], current: str, settings: dict, held: str) -> None:
    assert _held(parts, current, **settings) == held


def test_an_unknown_export_mapping_names_the_anymarket_statuses() -> None:
    result = plan_status(
        [part("approved")],
        current=None,
        status_map=export_map({"approved": {"value": "PAGO"}}),
        orders=OrderSettings(),
        tracking_templates={},
        send_xml=False,
    )
    assert result.held == (
        "PV-1: order_status_export maps 'approved' to 'PAGO', which is not an AnyMarket status "
        "(CANCELED, CONCLUDED, DELIVERY_ISSUE, INVOICED, PAID_WAITING_DELIVERY, PAID_WAITING_SHIP, PENDING)"
    )


def test_the_optional_invoice_and_tracking_fields_and_empty_ones_left_out() -> None:
    extra = {
        "invoice_link_url": "https://nfe.example/1234",
        "invoice_cfop": "",
        "carrier_document": "12345678000190",
        "estimated_delivery_at": "2026-03-15T12:00:00+00:00",
        "tracking_url": "https://carrier.example/track/BR123",
    }
    invoiced, shipped = (s.body for s in plan([part("shipped", **extra)], PAID).steps)
    assert invoiced["invoice"] == {
        "accessKey": KEY,
        "series": "1",
        "number": "1234",
        "date": "2026-03-10T09:00:00-03:00",
        "linkNfe": "https://nfe.example/1234",
    }
    assert shipped["tracking"] == {
        "number": "BR123",
        "carrier": "Correios",
        "url": "https://carrier.example/track/BR123",  # the ERP's own URL beats the template
        "carrierDocument": "12345678000190",
        "shippedDate": "2026-03-11T06:00:00-03:00",
        "estimateDate": "2026-03-15T09:00:00-03:00",
    }
    no_document = plan([part("shipped", carrier_document="")], INVOICED).steps[0].body["tracking"]
    assert "carrierDocument" not in no_document


@pytest.mark.parametrize(
    ("extra", "templates", "url"),
    [
        (
            {"carrier_tracking_url_template": "https://erp.example/{tracking_code}"},
            {},
            "https://erp.example/BR123",
        ),
        ({}, {}, None),  # no template anywhere: no URL
        ({"tracking_code": None}, {"CORREIOS": "https://x.example/{tracking_code}"}, None),  # no code
    ],
)
def test_the_tracking_url_template_from_the_carrier_row(
    extra: dict, templates: dict, url: str | None
) -> None:
    result = plan_status(
        [part("shipped", **extra)],
        current=INVOICED,
        status_map=export_map({}),
        orders=OrderSettings(nfe_number_as_tracking=True),
        tracking_templates=templates,
        send_xml=False,
    )
    assert result.steps[0].body["tracking"].get("url") == url


def test_a_part_with_a_shipped_date_but_no_code_is_the_one_that_shipped() -> None:
    not_yet = part("invoiced", code="PV-1", status="shipped", carrier_name="Correios")
    left = part("shipped", code="PV-2", tracking_code=None, invoice_number=999)
    [step] = plan([not_yet, left], INVOICED, nfe_number_as_tracking=True).steps
    assert step.body["tracking"]["number"] == "999"
    assert step.body["tracking"]["shippedDate"] == "2026-03-11T06:00:00-03:00"


def test_cancel_details_of_parts_with_and_without_a_reason() -> None:
    parts = [part("cancelled", code="PV-1"), part("cancelled", code="PV-2", cancel_reason=None)]
    [step] = plan(parts, PAID).steps
    assert step.body == {"status": CANCELED, "cancelDetails": "Cancelado no ERP (PV-1: sem estoque; PV-2)"}


def test_a_regression_to_a_marketplace_status_sends_only_the_status() -> None:
    [step] = plan([part("approved")], INVOICED, allow_status_regression=True).steps
    assert step.status == PAID and step.body == {"status": PAID} and step.xml is None


def test_the_refusal_text_names_both_statuses() -> None:
    assert plan([part("approved")], INVOICED).refused == (
        f"AnyMarket has {INVOICED} and the ERP says {PAID}: a status never moves backwards "
        "(orders.allow_status_regression is off)"
    )


def test_fingerprint_follows_the_parts_and_context_and_digests_the_xml() -> None:
    import hashlib
    import json
    from datetime import UTC, datetime

    from anymarket.orders.status import fingerprint

    parts = [{"code": "PV-1", "invoice_xml": "<nfeProc/>", "shipped_at": datetime(2026, 3, 1, tzinfo=UTC)}]
    context = {"send_xml": True}
    digest = hashlib.sha256(b"<nfeProc/>").hexdigest()
    expected = json.dumps(
        {
            "parts": [{"code": "PV-1", "invoice_xml": digest, "shipped_at": "2026-03-01 00:00:00+00:00"}],
            "context": context,
        },
        sort_keys=True,
    )
    assert fingerprint(parts, context=context) == hashlib.sha256(expected.encode()).hexdigest()
    assert (
        fingerprint([{"invoice_xml": None, "code": "PV-1"}], context={})
        == hashlib.sha256(
            json.dumps(
                {"parts": [{"code": "PV-1", "invoice_xml": None}], "context": {}}, sort_keys=True
            ).encode()
        ).hexdigest()
    )


def test_concluded_names_every_part_not_delivered() -> None:
    parts = [part("delivered", code=f"PV-{n}", delivered_at=None) for n in (1, 2)]
    assert (
        plan(parts, SHIPPED).held
        == "CONCLUDED needs the delivered date: no shipment delivered_at for PV-1, PV-2"
    )


def test_a_part_with_a_tracking_code_but_no_shipped_date_is_the_one_that_shipped() -> None:
    not_yet = part("invoiced", code="PV-1", status="shipped", carrier_name="Correios")
    coded = part("shipped", code="PV-2", tracking_code="BR-2", shipped_at=None)
    [step] = plan([not_yet, coded], INVOICED, shipped_after_invoicing=True).steps
    assert step.body["tracking"]["number"] == "BR-2"


def test_one_part_is_never_partial() -> None:
    result = plan([part("invoiced")], PAID)
    assert result.target == INVOICED and result.partial is None
