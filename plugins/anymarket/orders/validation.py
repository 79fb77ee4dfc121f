"""Check the shape of an AnyMarket order before any of it reaches the ERP.

The importer trusts what it reads, so everything it relies on is checked here first, against what the
API documents: an order that fails is recorded as failed with a message naming the field (``items[1].amount:
-2 is not a positive quantity``), stays queued (feed unacked, inbox pending) and is retried every run,
and the run goes on with the other orders. Hostile *text* (HTML, SQL-looking codes) is not an error:
it is stored as text through bound parameters and escaped wherever it is shown.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from anymarket.errors import AnyMarketError
from anymarket.vocabulary import STATUSES

#: Longer strings are not data a marketplace sends; they would be cut silently by the ERP's columns.
MAX_TEXT = 4096
#: AnyMarket's limit for a SKU's partnerId (the join key with the ERP).
MAX_SKU_CODE = 120
MONEY_FIELDS = ("total", "gross", "discount", "freight", "interestValue")
DATE_FIELDS = ("createdAt", "paymentDate", "cancelDate")


class MalformedOrderError(AnyMarketError):
    """AnyMarket sent an order the importer cannot trust; nothing of it was written."""

    def __init__(self, order_id: Any, problems: list[str]) -> None:
        self.order_id = order_id
        self.problems = problems
        super().__init__(
            f"AnyMarket order {order_id} is malformed: {'; '.join(problems[:5])}"
            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
            + ". Nothing was written; it stays queued and is retried every run. If AnyMarket keeps "
            "sending it like this, fix the order on the marketplace or ask AnyMarket's support."
        )


def validate_order(order: Any, *, expected_id: str | None = None) -> None:
    """Raise :class:`MalformedOrderError` listing every problem of ``order``; return when it is sound."""
    if not isinstance(order, dict):
        raise MalformedOrderError(expected_id or "?", [f"expected a JSON object, got {_kind(order)}"])
    problems: list[str] = []
    order_id = order.get("id")
    if not _is_id(order_id):
        problems.append(f"id: {_show(order_id)} is not an order id")
    elif expected_id is not None and str(order_id) != str(expected_id):
        problems.append(f"id: asked for order {expected_id}, AnyMarket answered order {order_id}")
    status = order.get("status")
    if status not in STATUSES:
        known = ", ".join(sorted(STATUSES))
        problems.append(f"status: {_show(status)} is not an AnyMarket order status ({known})")
    for name in DATE_FIELDS:
        _check_date(order.get(name), name, problems, required=name == "createdAt")
    for name in MONEY_FIELDS:
        _check_number(order.get(name), name, problems, minimum=Decimal(0))
    _check_object(order, "buyer", problems, required=True)
    _check_object(order, "shipping", problems, required=False)
    _check_items(order.get("items"), problems)
    _check_payments(order.get("payments"), problems)
    _check_text_sizes(order, "", problems)
    if problems:
        # Recorded under the id that was asked for, so the feed item / callback it came from is found.
        raise MalformedOrderError(expected_id or (order_id if _is_id(order_id) else "?"), problems)


def _check_items(items: Any, problems: list[str]) -> None:
    if not isinstance(items, list) or not items:
        problems.append(f"items: expected a non-empty list, got {_show(items)}")
        return
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected an object, got {_kind(item)}")
            continue
        sku = item.get("sku")
        if not isinstance(sku, dict) or not (sku.get("partnerId") or sku.get("id")):
            problems.append(f"{where}.sku: expected an object with partnerId, got {_show(sku)}")
        elif sku.get("partnerId") is not None and (
            not isinstance(sku["partnerId"], str | int) or len(str(sku["partnerId"])) > MAX_SKU_CODE
        ):
            problems.append(f"{where}.sku.partnerId: not a SKU code of at most {MAX_SKU_CODE} characters")
        _check_number(item.get("amount"), f"{where}.amount", problems, minimum=Decimal(0), strict=True)
        for name in ("unit", "gross", "total", "discount"):
            _check_number(item.get(name), f"{where}.{name}", problems, minimum=Decimal(0))
        stocks = item.get("stocks")
        if stocks is None:
            continue
        if not isinstance(stocks, list):
            problems.append(f"{where}.stocks: expected a list, got {_kind(stocks)}")
            continue
        for position, stock in enumerate(stocks):
            if not isinstance(stock, dict) or not _is_id(stock.get("stockLocalId")):
                problems.append(f"{where}.stocks[{position}].stockLocalId: missing or not a warehouse id")
            else:
                _check_number(
                    stock.get("amount"), f"{where}.stocks[{position}].amount", problems, minimum=Decimal(0)
                )


def _check_payments(payments: Any, problems: list[str]) -> None:
    if payments is None:
        return
    if not isinstance(payments, list):
        problems.append(f"payments: expected a list, got {_kind(payments)}")
        return
    for index, payment in enumerate(payments):
        if not isinstance(payment, dict):
            problems.append(f"payments[{index}]: expected an object, got {_kind(payment)}")
            continue
        _check_number(payment.get("value"), f"payments[{index}].value", problems, minimum=Decimal(0))
        installments = payment.get("installments")
        if installments is not None and not (_is_int(installments) and 1 <= int(installments) <= 99):
            problems.append(f"payments[{index}].installments: {_show(installments)} is not 1..99")


def _check_object(order: dict[str, Any], name: str, problems: list[str], *, required: bool) -> None:
    value = order.get(name)
    if value is None and not required:
        return
    if not isinstance(value, dict):
        problems.append(f"{name}: expected an object, got {_show(value)}")


def _check_date(value: Any, name: str, problems: list[str], *, required: bool) -> None:
    if value in (None, ""):
        if required:
            problems.append(f"{name}: missing")
        return
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        problems.append(f"{name}: {_show(value)} is not an ISO date-time")
        return
    if parsed.tzinfo is None:
        # A naive time could be Brazil's or UTC's: three hours decide the day (cutoff, backfill windows).
        problems.append(f"{name}: {_show(value)} has no timezone offset (AnyMarket sends e.g. -03:00)")


def _check_number(
    value: Any, name: str, problems: list[str], *, minimum: Decimal, strict: bool = False
) -> None:
    if value is None:
        if strict:
            problems.append(f"{name}: missing")
        return
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"{name}: {_show(value)} is not a number")
        return
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{name}: {_show(value)} is not a number")
        return
    if not number.is_finite():
        problems.append(f"{name}: {_show(value)} is not a finite number")
    elif number < minimum or (strict and number <= minimum):
        problems.append(f"{name}: {_show(value)} is not a {'positive' if strict else 'non-negative'} amount")


def _check_text_sizes(value: Any, where: str, problems: list[str]) -> None:
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            problems.append(f"{where or 'order'}: a text of {len(value)} characters (at most {MAX_TEXT})")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text_sizes(item, f"{where}.{key}" if where else str(key), problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text_sizes(item, f"{where}[{index}]", problems)


def _is_id(value: Any) -> bool:
    return _is_int(value) and int(value) > 0


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.isdigit()


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a text", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
