"""Order domain rules shared by the API, the admin endpoints and the demo: building an order from a
marketplace description, the status lifecycle, stock reservations."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from anymarket_sandbox import fake
from anymarket_sandbox.common import parse_aware_datetime, strip_none
from anymarket_sandbox.errors import unprocessable
from anymarket_sandbox.state import Account, now_iso

if TYPE_CHECKING:
    from anymarket_sandbox.runtime import Sandbox

STATUSES = (
    "PENDING",
    "PAID_WAITING_SHIP",
    "INVOICED",
    "PAID_WAITING_DELIVERY",
    "CONCLUDED",
    "CANCELED",
    "DELIVERY_ISSUE",
)
# JSDK OrderStatus.acceptTransitionFrom; DELIVERY_ISSUE (spec only) sits beside "shipped".
ALLOWED_FROM: dict[str, set[str]] = {
    "PENDING": set(),
    "PAID_WAITING_SHIP": {"PENDING"},
    "INVOICED": {"PENDING", "PAID_WAITING_SHIP"},
    "PAID_WAITING_DELIVERY": {"PENDING", "PAID_WAITING_SHIP", "INVOICED"},
    "DELIVERY_ISSUE": {"PAID_WAITING_DELIVERY"},
    "CONCLUDED": {"PENDING", "PAID_WAITING_SHIP", "INVOICED", "PAID_WAITING_DELIVERY", "DELIVERY_ISSUE"},
    "CANCELED": set(STATUSES) - {"CANCELED"},
}
# What each target status needs in the merged order (required by AnyMarket per the notes' table).
REQUIRED_FOR: dict[str, tuple[str, tuple[str, ...]]] = {
    # The spec's OrderUpdateInvoiced requires only accessKey and date (number/series are optional).
    "INVOICED": ("invoice", ("accessKey", "date")),
    "PAID_WAITING_DELIVERY": ("tracking", ("number", "carrier", "shippedDate")),
    "CONCLUDED": ("tracking", ("deliveredDate",)),
}
# Fields the spec types string (OrderInvoice, OrderTracking): a number sent there is stored and
# echoed as its text, as AnyMarket's typed model does.
STRING_FIELDS = {
    "invoice": (
        "accessKey",
        "series",
        "number",
        "cfop",
        "companyStateTaxId",
        "linkNfe",
        "invoiceLink",
        "extraDescription",
    ),
    "tracking": ("url", "number", "carrier", "carrierDocument"),
}
DATE_FIELDS = {"invoice": ("date",), "tracking": ("date", "estimateDate", "shippedDate", "deliveredDate")}
MARKETPLACES = (
    "MERCADO_LIVRE",
    "AMAZON",
    "SHOPEE",
    "MAGAZINE_LUIZA",
    "B2W_NEW_API",
    "NETSHOES",
    "ECOMMERCE",
    "VTEX",
)
RESERVING = {"PENDING", "PAID_WAITING_SHIP"}
MARKETPLACE_STATUS = {
    "PENDING": "payment_required",
    "PAID_WAITING_SHIP": "paid",
    "INVOICED": "invoiced",
    "PAID_WAITING_DELIVERY": "shipped",
    "CONCLUDED": "delivered",
    "CANCELED": "cancelled",
    "DELIVERY_ISSUE": "not_delivered",
}


def as_strings(section: str, part: dict[str, Any]) -> dict[str, Any]:
    """``part`` with the fields the spec types string as strings (``5102`` → ``"5102"``)."""
    out = dict(part)
    for name in STRING_FIELDS[section]:
        value = out.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = str(int(value)) if float(value).is_integer() else str(value)
    return out


def _payment(payment: dict[str, Any], index: int, order_id: int) -> dict[str, Any]:
    """A given ``payments[]`` entry completed with what the spec's OrderPaymentGet requires."""
    method = payment.get("paymentMethodNormalized") or payment.get("method") or "CREDIT_CARD"
    return {
        "method": method,
        "paymentMethodNormalized": method,
        "paymentDetailNormalized": "UNKNOWN",
        "marketplaceId": f"{order_id}-{index + 1}",
        **payment,
    }


def _addresses(shipping: dict[str, Any], spec: dict[str, Any], promised: str) -> tuple[dict[str, Any], ...]:
    """Shipping, billing and AnyMarket addresses with the normalized fields the spec requires."""
    shipping = {"countryAcronymNormalized": "BR", "countryNameNormalized": "Brasil", **shipping}
    shipping.setdefault("stateNameNormalized", shipping.get("state"))
    shipping.setdefault("promisedShippingTime", promised)
    billing = spec.get("billingAddress") or {
        k: shipping[k]
        for k in (
            "address",
            "street",
            "number",
            "neighborhood",
            "city",
            "state",
            "stateNameNormalized",
            "country",
            "countryAcronymNormalized",
            "countryNameNormalized",
            "zipCode",
        )
        if k in shipping
    }
    anymarket = spec.get("anymarketAddress") or {
        **{
            k: shipping[k]
            for k in (
                "address",
                "street",
                "number",
                "neighborhood",
                "city",
                "state",
                "country",
                "zipCode",
                "receiverName",
            )
            if k in shipping
        },
        "stateAcronymNormalized": shipping.get("state"),
        "promisedShippingTime": promised,
    }
    return shipping, billing, anymarket


def _money(value: float) -> float:
    return round(float(value), 2)


def build_order(
    sb: Sandbox, account: Account, spec: dict[str, Any], rng: random.Random | None = None
) -> dict[str, Any]:
    """Create (and store) an order as a marketplace would, from the admin description ``spec``.

    Fires the feed item and the callbacks. Raises 422 on an invalid description.
    """
    rng = rng or random.Random()
    status = spec.get("status", "PAID_WAITING_SHIP")
    if status not in STATUSES:
        raise unprocessable(f"Status inválido: '{status}'.")
    marketplace = spec.get("marketplace") or spec.get("marketPlace") or "MERCADO_LIVRE"
    created_at = spec.get("createdAt") or now_iso()
    parse_aware_datetime(created_at, "createdAt")
    items_spec = spec.get("items")
    if not isinstance(items_spec, list) or not items_spec:
        raise unprocessable(
            "O pedido deve ter ao menos um item.", [{"field": "items", "message": "obrigatório"}]
        )
    order_id = sb.state.next_id()
    carrier = spec.get("carrier") or (spec.get("shipping") or {}).get("carrier") or "Correios"
    shipping_type = spec.get("shippingtype") or (spec.get("shipping") or {}).get("shippingtype") or "Normal"
    items = [
        _build_item(sb, account, item, index, order_id, carrier, shipping_type)
        for index, item in enumerate(items_spec)
    ]
    gross = sum(i["gross"] for i in items)
    item_discount = sum(i["discount"] for i in items)
    freight = _money(spec.get("freight", 0))
    interest = _money(spec.get("interestValue", 0))
    discount = _money(item_discount + float(spec.get("discount", 0)))
    total = _money(gross - discount + freight + interest)
    buyer = {**fake.buyer(rng), **(spec.get("buyer") or {})}
    shipping = {**fake.shipping_address(rng, buyer["name"]), **(spec.get("shipping") or {})}
    shipping.pop("carrier", None)
    shipping.pop("shippingtype", None)
    promised = (parse_aware_datetime(created_at, "createdAt") + timedelta(days=7)).isoformat(
        timespec="milliseconds"
    )
    shipping, billing, anymarket_address = _addresses(shipping, spec, promised)
    payments = [_payment(p, i, order_id) for i, p in enumerate(spec.get("payments") or [])] or [
        fake.payment(
            marketplace,
            method=spec.get("paymentMethod") or "CREDIT_CARD",
            installments=int(spec.get("installments") or 1),
            items_value=_money(gross - item_discount),
            total=total,
            status="approved" if status != "PENDING" else "pending",
            payment_id=str(order_id),
        )
    ]
    account_name = spec.get("accountName", "Loja Sandbox")
    intermediary = fake.INTERMEDIARIES.get(marketplace)
    number = spec.get("marketPlaceNumber") or str(rng.randint(2000000000, 2999999999))
    order = strip_none(
        {
            "id": order_id,
            "accountName": account_name,
            "idAccount": spec.get("idAccount", 1),
            "marketPlace": marketplace,
            "marketPlaceId": spec.get("marketPlaceId") or number,
            "marketPlaceNumber": number,
            "marketPlaceUrl": spec.get("marketPlaceUrl"),
            "partnerId": spec.get("partnerId"),
            "subChannel": spec.get("subChannel", marketplace),
            "subChannelNormalized": spec.get("subChannelNormalized", marketplace),
            "createdAt": created_at,
            "paymentDate": spec.get("paymentDate")
            or (created_at if status not in {"PENDING", "CANCELED"} else None),
            "cancelDate": now_iso() if status == "CANCELED" else None,
            "status": status,
            "marketPlaceStatus": MARKETPLACE_STATUS[status],
            "transmissionStatus": "OK",
            # The marketplace's CNPJ and the seller's id on it (NF-e infIntermed), for marketplace sales.
            "documentIntermediator": spec.get(
                "documentIntermediator", intermediary[0] if intermediary else None
            ),
            "intermediateRegistrationId": spec.get(
                "intermediateRegistrationId",
                fake.seller_id(marketplace, account_name) if intermediary else None,
            ),
            "fulfillment": bool(spec.get("fulfillment", False)),
            "discount": discount,
            "freight": freight,
            "sellerFreight": _money(spec.get("sellerFreight", freight)),
            "interestValue": interest,
            "gross": _money(gross),
            "total": total,
            "deliverStatus": "UNKNOWN",
            "buyer": buyer,
            "shipping": shipping,
            "billingAddress": billing,
            "anymarketAddress": anymarket_address,
            "payments": payments,
            "items": items,
            "invoice": as_strings("invoice", spec["invoice"]) if spec.get("invoice") else None,
            "tracking": as_strings("tracking", spec["tracking"]) if spec.get("tracking") else None,
            "metadata": dict(spec.get("metadata") or {}),
        }
    )
    account.orders[order_id] = order
    account.record_status(order_id, status, "marketplace")
    account.created_monotonic[order_id] = time.monotonic()
    if status in RESERVING:
        _reserve(account, order, +1)
    sb.order_changed(account, order_id)
    return order


def _build_item(
    sb: Sandbox,
    account: Account,
    item: dict[str, Any],
    index: int,
    order_id: int,
    carrier: str,
    shipping_type: str,
) -> dict[str, Any]:
    partner_id = item.get("partnerId") or item.get("sku")
    if not partner_id:
        raise unprocessable(
            "Item sem SKU.", [{"field": f"items[{index}].partnerId", "message": "obrigatório"}]
        )
    quantity = item.get("quantity", item.get("amount", 1))
    unit = _money(item.get("unitPrice", item.get("unit", 100.0)))
    discount = _money(item.get("discount", 0))
    sku = account.sku_by_partner_id(str(partner_id))
    if sku is not None:
        product = account.products[sku["productId"]]
        sku_json = strip_none(
            {"id": sku["id"], "title": sku["title"], "partnerId": sku["partnerId"], "ean": sku.get("ean")}
        )
        product_json = {"id": product["id"], "title": product.get("title") or sku["title"]}
    else:
        # A SKU unknown to the catalog (demo without catalog, or a test): ids invented once per
        # partnerId and kept, as a marketplace SKU has one AnyMarket id however often it sells.
        title = item.get("title") or f"Produto {partner_id}"
        ids = account.unlisted_skus.get(str(partner_id))
        if ids is None:
            ids = account.unlisted_skus[str(partner_id)] = (sb.state.next_id(), sb.state.next_id())
        sku_json = {"id": ids[0], "title": title, "partnerId": str(partner_id)}
        product_json = {"id": ids[1], "title": title}
    stocks = []
    for stock in item.get("stocks") or []:
        local = (
            account.stock_locals.get(stock.get("stockLocalId"))
            if stock.get("stockLocalId") is not None
            else None
        )
        if local is None and stock.get("stockName"):
            local = next((v for v in account.stock_locals.values() if v["name"] == stock["stockName"]), None)
        if local is None:
            raise unprocessable(
                f"Local de estoque do item {index} não encontrado.",
                [{"field": f"items[{index}].stocks", "message": "local inexistente"}],
            )
        stocks.append(
            {"stockLocalId": local["id"], "amount": stock.get("amount", quantity), "stockName": local["name"]}
        )
    if not stocks and account.default_local() is not None:
        local = account.default_local()
        assert local is not None
        stocks.append({"stockLocalId": local["id"], "amount": quantity, "stockName": local["name"]})
    gross = _money(unit * quantity)
    item_id = str(sb.state.next_id())
    return {
        "product": product_json,
        "sku": sku_json,
        "amount": quantity,
        "unit": unit,
        "gross": gross,
        "total": _money(gross - discount),
        "discount": discount,
        "shippings": [
            {
                "id": sb.state.next_id(),
                "shippingtype": item.get("shippingtype", shipping_type),
                "shippingCarrierNormalized": item.get("carrier", carrier),
                "shippingCarrierTypeNormalized": item.get("shippingtype", shipping_type),
            }
        ],
        "stocks": stocks,
        "orderItemId": item_id,
        "idInMarketPlace": item.get("idInMarketPlace", f"MLB{item_id}"),
        "marketPlaceId": f"{order_id}-{index + 1}",
    }


def _reserve(account: Account, order: dict[str, Any], sign: int) -> None:
    """Hold (sign=+1) or release (-1) the items' quantities in their warehouses' reservationAmount."""
    if sign > 0:
        account.reserved_orders.add(order["id"])
    else:
        account.reserved_orders.discard(order["id"])
    for item in order["items"]:
        for stock in item.get("stocks", []):
            row = account.stocks.get((item["sku"]["id"], stock["stockLocalId"]))
            if row is not None:
                row["reservation"] = max(0, row["reservation"] + sign * stock["amount"])


def apply_update(account: Account, order: dict[str, Any], body: dict[str, Any], enforce: bool = True) -> bool:
    """Apply a partial ``PUT /orders/{id}`` body; returns whether anything changed.

    Same→same is accepted (a resend); forbidden transitions and missing required fields are 422.
    ``enforce=False`` is the marketplace side (admin), which may move statuses freely.
    """
    target = body.get("status", order["status"])
    if target not in STATUSES:
        raise unprocessable(
            f"Status inválido: '{target}'.", [{"field": "status", "message": "valor inválido"}]
        )
    current = order["status"]
    if enforce and target != current and current not in ALLOWED_FROM[target]:
        raise unprocessable(
            f"Não é permitido alterar o status do pedido de {current} para {target}.",
            [{"field": "status", "message": "transição não permitida"}],
        )
    merged: dict[str, dict[str, Any]] = {}
    for section in ("invoice", "tracking"):
        part = body.get(section)
        if part is not None and not isinstance(part, dict):
            raise unprocessable(f"'{section}' deve ser um objeto.")
        merged[section] = {**(order.get(section) or {}), **as_strings(section, part or {})}
        for name in DATE_FIELDS[section]:
            if part and part.get(name) is not None:
                parse_aware_datetime(part[name], f"{section}.{name}")
    if target in REQUIRED_FOR and enforce:
        section, names = REQUIRED_FOR[target]
        missing = [n for n in names if merged[section].get(n) in (None, "")]
        if missing:
            raise unprocessable(
                f"Para o status {target} informe: {', '.join(f'{section}.{n}' for n in missing)}.",
                [{"field": f"{section}.{n}", "message": "obrigatório"} for n in missing],
            )
    before = repr(order)
    for section in ("invoice", "tracking"):
        if merged[section]:
            order[section] = merged[section]
    if isinstance(body.get("metadata"), dict):
        order["metadata"] = {
            **order.get("metadata", {}),
            **body["metadata"],
        }
    if body.get("cancelDetails"):
        order["cancelDetails"] = body["cancelDetails"]
    if target != current:
        order["status"] = target
        account.record_status(order["id"], target, "api" if enforce else "marketplace")
        order["marketPlaceStatus"] = MARKETPLACE_STATUS[target]
        if target == "PAID_WAITING_SHIP" and not order.get("paymentDate"):
            order["paymentDate"] = now_iso()
            for payment in order.get("payments", []):
                payment["status"] = "approved"
        if target == "CANCELED":
            order["cancelDate"] = now_iso()
        order["deliverStatus"] = {
            "PAID_WAITING_DELIVERY": "IN_TRANSIT",
            "CONCLUDED": "DELIVERED",
            "DELIVERY_ISSUE": "NOT_DELIVERED",
        }.get(target, order.get("deliverStatus", "UNKNOWN"))
        reserved = order["id"] in account.reserved_orders
        if reserved and target not in RESERVING:
            _reserve(account, order, -1)
    return repr(order) != before
