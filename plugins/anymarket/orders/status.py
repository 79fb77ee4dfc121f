"""What to tell AnyMarket about one order's status: pure rules, no I/O.

An AnyMarket order is imported as one ERP sales order, or several for a Multi-CD split. From those
parts, the status mapping (``order_status_export``), the order settings and what AnyMarket last
accepted, :func:`plan_status` builds the ``PUT /orders/{id}`` bodies to send, in lifecycle order, or
says why nothing (more) can be sent: *held* (data AnyMarket requires is missing in the ERP, e.g. the
NF-e access key) or *refused* (a backwards move while ``orders.allow_status_regression`` is off).
Keeping this free of I/O lets the tests walk every rule without a server.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from anymarket.erp.database import parse_timestamp
from anymarket.vocabulary import (
    BRAZIL,
    CANCELED,
    CONCLUDED,
    INVOICED,
    PAID,
    PENDING,
    RANK,
    SHIPPED,
    STATUSES,
)

if TYPE_CHECKING:
    from anymarket.settings import OrderSettings

#: The steps the ERP drives; PENDING and PAID_WAITING_SHIP belong to the marketplace.
ERP_STEPS = (INVOICED, SHIPPED, CONCLUDED)
#: The reference ERP vocabulary (include/sql/erp/README.md); ``order_status_export`` rows override it.
DEFAULT_EXPORT_MAP = {
    "pending": PENDING,
    "approved": PAID,
    "invoiced": INVOICED,
    "shipped": SHIPPED,
    "delivered": CONCLUDED,
    "cancelled": CANCELED,
}


class Hold(Exception):
    """A status cannot be sent yet because the ERP lacks something AnyMarket requires."""


@dataclass(frozen=True)
class Step:
    """One ``PUT /orders/{id}``, optionally preceded by the NF-e XML (``PUT /orders/{id}/nfe``)."""

    status: str
    body: dict[str, Any]
    xml: str | None = None
    access_key: str | None = None


@dataclass
class Plan:
    """What to send for one AnyMarket order, and why not more."""

    target: str | None = None
    steps: list[Step] = field(default_factory=list)
    held: str | None = None
    refused: str | None = None
    #: ``{ERP code: AnyMarket status it alone would reach}`` when Multi-CD parts differ.
    partial: dict[str, str] | None = None


def export_map(mappings: dict[str, dict[str, Any]]) -> dict[str, str]:
    """ERP status → AnyMarket status: the reference defaults overridden by ``order_status_export``."""
    return {**DEFAULT_EXPORT_MAP, **{key: str(row["value"]).strip() for key, row in mappings.items()}}


def needs_xml(orders: OrderSettings, *, marketplace: str | None, need_invoice_xml: bool | None) -> bool:
    """Whether the NF-e XML goes before INVOICED: the order asks for it, or the settings do."""
    if need_invoice_xml:
        return True
    if marketplace == "MERCADO_LIVRE":
        return orders.send_nfe_xml_mercado_livre
    return orders.send_nfe_xml_other_marketplaces


def fingerprint(parts: list[dict[str, Any]], *, context: dict[str, Any]) -> str:
    """Hash of everything a plan depends on besides AnyMarket's status (ERP rows, settings, maps)."""
    rows = [{k: (_digest(v) if k == "invoice_xml" and v else v) for k, v in p.items()} for p in parts]
    text = json.dumps({"parts": rows, "context": context}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_status(
    parts: list[dict[str, Any]],
    *,
    current: str | None,
    status_map: dict[str, str],
    orders: OrderSettings,
    tracking_templates: dict[str, str],
    send_xml: bool,
) -> Plan:
    """The steps taking AnyMarket from ``current`` to what the ERP parts say.

    :param parts: ``status_order_parts`` rows of one AnyMarket order (one per ERP sales order).
    :param current: the status AnyMarket holds, as far as we know (``None`` = unknown: the lifecycle
        guard then lets AnyMarket itself judge).
    :param status_map: :func:`export_map`.
    :param tracking_templates: ERP carrier code → tracking URL template from the carrier mapping.
    :param send_xml: the NF-e XML must go before INVOICED (:func:`needs_xml`).
    """
    plan = Plan()
    try:
        targets = {str(p["code"]): _part_target(p, status_map, orders) for p in parts}
    except Hold as hold:
        plan.held = str(hold)
        return plan
    cancelled = [p for p in parts if targets[str(p["code"])] == CANCELED]
    if cancelled:
        plan.target = CANCELED
    else:
        plan.target = min(targets.values(), key=RANK.__getitem__)
        if len(set(targets.values())) > 1:
            plan.partial = targets
    target = plan.target
    if current == target:
        return plan
    if target == CANCELED:
        plan.steps.append(Step(CANCELED, {"status": CANCELED, "cancelDetails": _cancel_details(cancelled)}))
        return plan
    backwards = current == CANCELED or (current in RANK and RANK[target] < RANK[current])
    if backwards:
        if not orders.allow_status_regression:
            plan.refused = (
                f"AnyMarket has {current} and the ERP says {target}: a status never moves backwards "
                "(orders.allow_status_regression is off)"
            )
            return plan
        wanted = [target]
    else:
        floor = RANK.get(current or "", -1)
        wanted = [s for s in ERP_STEPS if floor < RANK[s] <= RANK[target]]
    for status in wanted:
        try:
            plan.steps.append(_step(status, parts, orders, tracking_templates, send_xml))
        except Hold as hold:
            plan.held = str(hold)
            break
    return plan


# -- one part ---------------------------------------------------------------------------------


def _part_target(part: dict[str, Any], status_map: dict[str, str], orders: OrderSettings) -> str:
    erp_status = str(part["status"])
    mapped = status_map.get(erp_status)
    if mapped is None:
        raise Hold(f"{part['code']}: ERP status '{erp_status}' has no order_status_export mapping")
    if mapped not in STATUSES:
        raise Hold(
            f"{part['code']}: order_status_export maps '{erp_status}' to '{mapped}', which is not an "
            f"AnyMarket status ({', '.join(sorted(STATUSES))})"
        )
    if mapped == CANCELED:
        return mapped
    has_invoice = part.get("invoice_number") is not None
    if orders.invoiced_when == "nfe_authorized" and has_invoice and RANK[mapped] < RANK[INVOICED]:
        mapped = INVOICED  # an authorized NF-e alone says "invoiced"
    if orders.shipped_after_invoicing and mapped == INVOICED and has_invoice:
        mapped = SHIPPED
    return mapped


# -- request bodies -----------------------------------------------------------------------------


def _step(
    status: str,
    parts: list[dict[str, Any]],
    orders: OrderSettings,
    templates: dict[str, str],
    send_xml: bool,
) -> Step:
    if status == INVOICED:
        return _invoiced(parts, send_xml)
    if status == SHIPPED:
        return Step(SHIPPED, {"status": SHIPPED, "tracking": _tracking(parts, orders, templates)})
    if status != CONCLUDED:  # a marketplace status, sent only as an allowed regression
        return Step(status, {"status": status})
    delivered = [parse_timestamp(p.get("delivered_at")) for p in parts]
    if any(d is None for d in delivered):
        missing = ", ".join(str(p["code"]) for p, d in zip(parts, delivered, strict=True) if d is None)
        raise Hold(f"CONCLUDED needs the delivered date: no shipment delivered_at for {missing}")
    last = max(d for d in delivered if d is not None)
    return Step(CONCLUDED, {"status": CONCLUDED, "tracking": {"deliveredDate": _iso(last)}})


def _invoiced(parts: list[dict[str, Any]], send_xml: bool) -> Step:
    part = next((p for p in parts if p.get("invoice_number") is not None), None)
    if part is None:
        codes = ", ".join(str(p["code"]) for p in parts)
        raise Hold(f"INVOICED needs an authorized NF-e: none in the ERP for {codes}")
    key = str(part.get("invoice_access_key") or "").strip()
    label = f"NF-e {part['invoice_number']} series {part['invoice_series']} of {part['code']}"
    if not key:
        raise Hold(f"{label} has no access key: INVOICED is never sent without it")
    invoice = {
        "accessKey": key,
        "series": str(part["invoice_series"]),
        "number": str(part["invoice_number"]),
        "date": _iso(parse_timestamp(part["invoice_issued_at"])),
        "cfop": part.get("invoice_cfop"),
        "companyStateTaxId": part.get("customer_state_tax_id"),
        "linkNfe": part.get("invoice_link_url"),
    }
    xml = None
    if send_xml:
        xml = part.get("invoice_xml")
        if not xml:
            raise Hold(f"{label}: AnyMarket needs its XML first, and the ERP has none (invoices.xml)")
    body = {"status": INVOICED, "invoice": {k: v for k, v in invoice.items() if v not in (None, "")}}
    return Step(INVOICED, body, xml=xml, access_key=key)


def _tracking(
    parts: list[dict[str, Any]], orders: OrderSettings, templates: dict[str, str]
) -> dict[str, Any]:
    shipped = [p for p in parts if p.get("shipped_at") is not None or p.get("tracking_code")]
    part = shipped[0] if shipped else parts[0]
    code = str(part.get("tracking_code") or "").strip()
    number = code
    if not number and orders.nfe_number_as_tracking and part.get("invoice_number") is not None:
        number = str(part["invoice_number"])
    shipped_at = parse_timestamp(part.get("shipped_at"))
    if shipped_at is None and orders.shipped_after_invoicing:
        shipped_at = parse_timestamp(part.get("invoice_issued_at"))
    missing = []
    if not number:
        missing.append("a tracking code (or orders.nfe_number_as_tracking with an NF-e)")
    if not part.get("carrier_name"):
        missing.append("a carrier")
    if shipped_at is None:
        missing.append("a shipped date")
    if missing:
        raise Hold(f"PAID_WAITING_DELIVERY needs {', '.join(missing)}: {part['code']} has none")
    url = part.get("tracking_url")
    template = templates.get(str(part.get("carrier_code"))) or part.get("carrier_tracking_url_template")
    if not url and code and template:
        url = str(template).replace("{tracking_code}", code)
    tracking = {
        "number": number,
        "carrier": part["carrier_name"],
        "url": url,
        "carrierDocument": part.get("carrier_document"),
        "shippedDate": _iso(shipped_at),
        "estimateDate": _iso(parse_timestamp(part.get("estimated_delivery_at"))),
    }
    return {k: v for k, v in tracking.items() if v not in (None, "")}


def _cancel_details(cancelled: list[dict[str, Any]]) -> str:
    reasons = "; ".join(
        f"{p['code']}: {p['cancel_reason']}" if p.get("cancel_reason") else str(p["code"]) for p in cancelled
    )
    return f"Cancelado no ERP ({reasons})"


def _iso(value: datetime | None) -> str | None:
    """AnyMarket wants dates with an offset; Brazilian time reads naturally in its panel."""
    return value.astimezone(BRAZIL).isoformat(timespec="seconds") if value is not None else None


def _digest(text: str) -> str:
    return hashlib.sha256(str(text).encode()).hexdigest()
