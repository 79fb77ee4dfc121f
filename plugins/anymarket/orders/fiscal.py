"""Fiscal and commercial rules of an imported order: pure functions, no database, no request.

What an ERP needs to invoice a marketplace sale without a person touching it:

* the **natureza de operação** (sales operation), chosen by rule — a separate one for buyers who are
  ICMS contributors (a state tax id, *inscrição estadual*, in AnyMarket's ``buyer.companyStateTaxId``),
  else one per marketplace/channel, else the default (:func:`choose_sales_operation`);
* the **intermediador** of a marketplace sale (NF-e group ``infIntermed``, required since NT 2020.006
  for sales made on third-party platforms): the marketplace's CNPJ and name from the ``intermediary``
  mapping, and the seller's id on it from the order's ``intermediateRegistrationId``
  (:func:`choose_intermediary`);
* the **payments** with their installments and the marketplace and gateway fees
  (``payments[].marketplaceFee``, ``gatewayFee``), split across Multi-CD parts so every sum stays exact
  to the cent (:func:`payments_of`, :func:`split_payments`);
* the buyer's **contact name** formatted as the seller's ERP wants it (:func:`format_contact_name`).

A rule that cannot be met raises :class:`HoldOrder` naming what is missing: the order is held and
reported, never imported half-ready.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from anymarket.orders import allocation

CENT = Decimal("0.01")

#: AnyMarket ``marketPlace`` values → the name an intermediary gets when its mapping names none.
MARKETPLACE_NAMES = {
    "MERCADO_LIVRE": "Mercado Livre",
    "AMAZON": "Amazon",
    "SHOPEE": "Shopee",
    "MAGAZINE_LUIZA": "Magazine Luiza",
    "B2W_NEW_API": "Americanas",
    "NETSHOES": "Netshoes",
    "CARREFOUR": "Carrefour",
    "VIA_VAREJO": "Casas Bahia",
    "DAFITI": "Dafiti",
    "SHEIN": "Shein",
}
#: Words a Brazilian name keeps in lower case after the first word ("Maria da Silva").
NAME_PARTICLES = {"da", "das", "de", "do", "dos", "e", "di", "du", "del", "van", "von"}
#: Kept in upper case: roman numerals and company-type suffixes.
NAME_UPPER = {"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "me", "epp", "eireli", "s/a", "sa"}


class HoldOrder(Exception):
    """The order cannot be imported until a person adds a mapping or fixes a setting; the message
    names it (``<category>: <details>``, the category before the colon groups it on the ops page)."""


# -- the buyer --------------------------------------------------------------------------------


def state_tax_id(buyer: dict[str, Any]) -> str | None:
    """The buyer's *inscrição estadual*, digits only; ``None`` for none or ``ISENTO`` (exempt).

    AnyMarket sends it in ``buyer.companyStateTaxId`` (BuyerGet: "Inscrição Estadual do comprador");
    an exempt buyer's ``ISENTO`` has no digits, so it reads as none.
    """
    return _digits(buyer.get("companyStateTaxId")) or None


def is_icms_contributor(buyer: dict[str, Any]) -> bool:
    """An ICMS contributor: a buyer with a state tax id (an exempt one, ``ISENTO``, is not)."""
    return state_tax_id(buyer) is not None


def format_contact_name(name: str | None, style: str) -> str | None:
    """The buyer's name as the ERP wants it: ``as_received``, ``title_case`` or ``upper``.

    ``title_case`` is how a person writes a Brazilian name: ``JOÃO DA SILVA`` and ``joão da silva``
    become ``João da Silva``; particles (da, de, dos, e…) stay lower case except first; hyphenated and
    apostrophised parts are capitalised each (``Ana-Clara D'Ávila``); roman numerals and company
    suffixes stay upper case (``Pedro II``, ``Comércio ME``). Spaces are collapsed in every style.
    """
    if name is None:
        return None
    text = " ".join(str(name).split())
    if style == "upper":
        return text.upper()
    if style != "title_case":
        return text
    words = []
    for index, word in enumerate(text.lower().split(" ")):
        if index > 0 and word in NAME_PARTICLES:
            words.append(word)
        elif word in NAME_UPPER:
            words.append(word.upper())
        else:
            words.append(re.sub(r"(^|[-'\u2019.])(\w)", lambda m: m.group(1) + m.group(2).upper(), word))
    return " ".join(words)


# -- natureza de operação ---------------------------------------------------------------------


@dataclass(frozen=True)
class SalesOperation:
    """The ERP sales operation chosen for an order and the rule that chose it."""

    code: str
    rule: str  # "contributor" | "channel <key>" | "default"
    setting: str  # the setting that holds the code (named in a hold reason)


def channel_keys(order: dict[str, Any]) -> list[str]:
    """The keys a per-marketplace rule is looked up with, most specific first:
    ``MARKETPLACE:account``, then ``MARKETPLACE``."""
    marketplace = str(order.get("marketPlace") or "").strip()
    account = str(order.get("accountName") or "").strip()
    keys = [f"{marketplace}:{account}"] if marketplace and account else []
    return [*keys, marketplace] if marketplace else keys


def choose_sales_operation(
    order: dict[str, Any],
    *,
    default: str | None,
    contributor: str | None,
    by_channel: dict[str, str],
    channel_code: str | None = None,
) -> SalesOperation | None:
    """The natureza de operação of ``order``, by rule, or ``None`` when no rule gives one.

    1. an ICMS-contributor buyer → ``contributor`` (``orders.contributor_sales_operation``): a sale to a
       contributor is taxed differently from one to a final consumer, whatever the channel;
    2. the order's marketplace → ``by_channel`` (``orders.sales_operation_by_channel``), keyed
       ``MARKETPLACE:account``, ``MARKETPLACE`` or the ERP sales channel code;
    3. ``default`` (``orders.default_sales_operation``).
    """
    if contributor and is_icms_contributor(order.get("buyer") or {}):
        return SalesOperation(contributor, "contributor", "orders.contributor_sales_operation")
    keys = channel_keys(order) + ([channel_code] if channel_code else [])
    for key in keys:
        if by_channel.get(key):
            setting = f"orders.sales_operation_by_channel.{key}"
            return SalesOperation(by_channel[key], f"channel {key}", setting)
    if default:
        return SalesOperation(default, "default", "orders.default_sales_operation")
    return None


# -- intermediador ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Intermediary:
    """The NF-e ``infIntermed`` of a marketplace sale: who intermediated it and the seller's id there."""

    cnpj: str
    name: str
    seller_id: str


def is_valid_cnpj(value: str) -> bool:
    """14 digits with valid check digits (and not all equal)."""
    digits = [int(c) for c in value] if value.isdigit() else []
    if len(digits) != 14 or len(set(digits)) == 1:
        return False
    for size in (12, 13):
        weights = list(range(size - 7, 1, -1)) + list(range(9, 1, -1))
        total = sum(d * w for d, w in zip(digits[:size], weights, strict=True))
        check = 11 - total % 11
        if (0 if check >= 10 else check) != digits[size]:
            return False
    return True


def choose_intermediary(
    order: dict[str, Any],
    mappings: dict[str, dict[str, Any]],
    *,
    required: bool,
    own_store_marketplaces: set[str] | frozenset[str],
) -> Intermediary | None:
    """The intermediary of ``order`` from the ``intermediary`` mappings (``{key: {"value": CNPJ,
    "attributes": {"intermediary_name", "seller_id"}}}``, keyed ``MARKETPLACE:account`` or
    ``MARKETPLACE``). The name defaults to the marketplace's; the seller id is the order's
    ``intermediateRegistrationId``, else the mapping's ``seller_id``.

    ``None`` for a sale in the seller's own store (``own_store_marketplaces``: no intermediary on the
    NF-e) and, when not ``required``, for a marketplace without a mapping. A ``required`` one that is
    missing — no mapping, an invalid CNPJ, no seller id — raises :class:`HoldOrder`.
    """
    marketplace = str(order.get("marketPlace") or "").strip()
    if marketplace in own_store_marketplaces:
        return None
    key = next((k for k in channel_keys(order) if k in mappings), None)
    if key is None:
        if not required:
            return None
        said = _digits(order.get("documentIntermediator"))
        hint = f"; the order names intermediary CNPJ {said}" if said else ""
        account = order.get("accountName") or ""
        raise HoldOrder(
            f"unmapped intermediary: marketplace '{marketplace}' (account '{account}') "
            f"has no intermediary mapping{hint} (add one under Mappings → intermediaries: the "
            "marketplace's CNPJ and name; the order is imported on the next run)"
        )
    row = mappings[key]
    attributes = row.get("attributes") or {}
    cnpj = _digits(row.get("value"))
    if not is_valid_cnpj(cnpj):
        raise HoldOrder(
            f"unmapped intermediary: the intermediary mapping of '{key}' has CNPJ {row.get('value')!r}, "
            "which is not a valid CNPJ (fix it under Mappings → intermediaries)"
        )
    seller_id = _clean(order.get("intermediateRegistrationId")) or _clean(attributes.get("seller_id"))
    if seller_id is None and required:
        raise HoldOrder(
            f"unmapped intermediary: marketplace '{marketplace}' sent no seller id "
            "(intermediateRegistrationId) and the intermediary mapping of "
            f"'{key}' has no seller_id (add it under Mappings → intermediaries)"
        )
    name = _clean(attributes.get("intermediary_name")) or MARKETPLACE_NAMES.get(marketplace) or marketplace
    return Intermediary(cnpj=cnpj, name=name[:120], seller_id=(seller_id or "")[:120])


# -- payments, fees, installments -------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    """One of the order's payments as the ERP stores it (one row per payment and ERP order)."""

    method: str | None  # AnyMarket ``paymentMethodNormalized`` (else the marketplace's ``method``)
    method_detail: str | None  # the marketplace's own ``method`` text
    value: Decimal
    installments: int
    marketplace_fee: Decimal
    gateway_fee: Decimal
    marketplace_payment_id: str | None
    status: str | None


def payments_of(order: dict[str, Any]) -> list[Payment]:
    """The order's payments (``payments[]``): value, installments (at least 1) and both fees."""
    result = []
    for payment in order.get("payments") or []:
        if not isinstance(payment, dict):
            continue
        normalized = _clean(payment.get("paymentMethodNormalized"))
        result.append(
            Payment(
                method=(normalized if normalized and normalized != "UNKNOWN" else None)
                or _clean(payment.get("method")),
                method_detail=_clean(payment.get("method")),
                value=_money(payment.get("value")),
                installments=max(1, int(payment.get("installments") or 1)),
                marketplace_fee=_money(payment.get("marketplaceFee")),
                gateway_fee=_money(payment.get("gatewayFee")),
                marketplace_payment_id=_clean(payment.get("marketplaceId")),
                status=_clean(payment.get("status")),
            )
        )
    return result


def split_payments(payments: list[Payment], weights: list[Decimal]) -> list[list[Payment]]:
    """Each payment shared among the ERP orders of a Multi-CD split, in proportion to ``weights``
    (their totals). Value and fees are shared to the cent: the parts' shares add up exactly to the
    payment, the rounding remainder landing on the first part (as freight and discounts do);
    installments and the rest are copied."""
    if len(weights) <= 1:
        return [list(payments) for _ in weights] or [list(payments)]
    parts: list[list[Payment]] = [[] for _ in weights]
    for payment in payments:
        shares = {
            name: allocation.split_by_weight(getattr(payment, name), weights)
            for name in ("value", "marketplace_fee", "gateway_fee")
        }
        for index in range(len(weights)):
            parts[index].append(
                replace(
                    payment,
                    value=shares["value"][index],
                    marketplace_fee=shares["marketplace_fee"][index],
                    gateway_fee=shares["gateway_fee"][index],
                )
            )
    return parts


def fee_totals(payments: list[Payment]) -> tuple[Decimal, Decimal]:
    """``(marketplace fees, gateway fees)`` of some payments."""
    return (
        sum((p.marketplace_fee for p in payments), Decimal(0)),
        sum((p.gateway_fee for p in payments), Decimal(0)),
    )


# -- helpers ----------------------------------------------------------------------------------


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _clean(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _money(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)
