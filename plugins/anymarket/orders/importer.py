"""Turn one AnyMarket order into ERP sales orders: rules, mappings, and one ERP transaction.

:class:`OrderImporter` is the single door every source (callback, feed, backfill, re-checks, holds)
goes through, so they all behave the same and can race safely:

* **idempotent on the AnyMarket order id** — inside the ERP transaction the importer looks for sales
  orders carrying the id; none → create, some → update. The first sales order of an AnyMarket order
  always has the code ``AM-<id>`` (unique in the ERP), so when two imports of the same order race,
  the second insert fails on that key, rolls back, and is retried as an update that finds nothing
  to change;
* **rules** from the settings (cutoff date, paid/pending, fulfillment, interest/freight/discounts,
  item cost) and **mappings** (carrier — required, SKU, warehouse → deposit — required; payment
  method, sales channel, status — with defaults). A missing required mapping *holds* the order;
* **fiscal and commercial data** (:mod:`anymarket.orders.fiscal`): the natureza de operação by rule
  (ICMS-contributor buyer, marketplace, default), the intermediador of a marketplace sale
  (``intermediary`` mapping + the seller's id from the order), every payment with its installments
  and fees, the sales channel, the contact name's format. What a rule requires and is missing holds
  the order like an unmapped carrier;
* **writes** through ``include/sql/erp/queries/order_*.sql`` in one transaction per order: the
  customer (upsert by CPF/CNPJ digits), one sales order per shipping deposit (Multi-CD) with its
  items and stock reservations;
* **updates** of imported orders: paid, cancelled (every part cancelled, reservations released),
  other status moves never backwards unless ``allow_status_regression``, a changed delivery address
  applied, changed items recorded in the history for a person (the ERP order may be picked already).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.erp.database import ErpQueryError
from anymarket.orders import allocation, fiscal
from anymarket.orders.fiscal import HoldOrder
from anymarket.vocabulary import (
    BRAZIL,
    CANCELED,
    CONCLUDED,
    DELIVERY_ISSUE,
    INVOICED,
    PAID,
    PENDING,
    RANK,
    SHIPPED,
    STATUSES,
)

if TYPE_CHECKING:
    from anymarket.erp.database import ErpDatabase
    from anymarket.mapping.database import MappingDatabase
    from anymarket.rules.kits import KitPart
    from anymarket.settings import IntegrationConfig

CENT = Decimal("0.01")

#: AnyMarket status → ERP status of the reference vocabulary, used when no mapping says otherwise.
DEFAULT_STATUS_MAP = {
    PENDING: "pending",
    PAID: "approved",
    INVOICED: "invoiced",
    SHIPPED: "shipped",
    DELIVERY_ISSUE: "shipped",
    CONCLUDED: "delivered",
    CANCELED: "cancelled",
}
#: Statuses whose ERP order still holds stock (afterwards the ERP's own invoicing releases it).
RESERVING_STATUSES = {PENDING, PAID}
SHIP_FIELDS = (
    "ship_receiver_name",
    "ship_street",
    "ship_number",
    "ship_complement",
    "ship_neighborhood",
    "ship_city",
    "ship_state",
    "ship_zip_code",
)


@dataclass(frozen=True)
class Outcome:
    """What importing one order did. ``kind``: created | updated | unchanged | held | waiting | skipped."""

    kind: str
    detail: str = ""
    erp_order_codes: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    #: What a created order carries besides items (sales operation, intermediary, channel, payments):
    #: kept in the order's history so the ops page's lookup shows it without an ERP query.
    commercial: dict[str, Any] | None = None


@dataclass
class References:
    """Mappings and ERP reference rows, read once per run (and again when holds are re-checked)."""

    carriers: dict[str, int]
    payment_methods: dict[str, int]
    channels: dict[str, int]
    channel_by_marketplace: dict[str, int]
    deposits: dict[str, int]
    default_deposit_id: int | None
    carrier_map: dict[str, str]
    payment_map: dict[str, str]
    channel_map: dict[str, str]
    status_map: dict[str, str]
    deposit_by_local: dict[str, str]
    sku_code_by_anymarket_id: dict[str, str] = field(default_factory=dict)
    sales_operations: dict[str, int] = field(default_factory=dict)
    #: ``intermediary`` mappings: ``{key: {"value": CNPJ, "attributes": {...}}}``
    intermediary_map: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(
        cls, *, erp: ErpDatabase, mapping: MappingDatabase, integration: IntegrationConfig
    ) -> References:
        rows = erp.query("order_reference_data")
        by_kind: dict[str, dict[str, int]] = defaultdict(dict)
        channel_by_marketplace: dict[str, int] = {}
        for row in rows:
            if not row["active"]:
                continue
            by_kind[row["kind"]][str(row["code"])] = int(row["id"])
            if row["kind"] == "sales_channel" and row.get("marketplace"):
                channel_by_marketplace.setdefault(str(row["marketplace"]), int(row["id"]))
        deposits = [d for d in erp.query("list_deposits") if d["active"]]
        deposit_ids = {str(d["code"]): int(d["id"]) for d in deposits}
        wanted = integration.stock.default_deposit
        default_id = deposit_ids.get(wanted) if wanted else None
        if default_id is None:
            default_id = next((int(d["id"]) for d in deposits if d["is_default"]), None)

        def values(kind: str) -> dict[str, str]:
            return {k: v["value"] for k, v in mapping.mappings_of(integration.id, kind).items()}

        status_map = {**DEFAULT_STATUS_MAP, **values("order_status_import")}
        return cls(
            carriers=by_kind["carrier"],
            payment_methods=by_kind["payment_method"],
            channels=by_kind["sales_channel"],
            channel_by_marketplace=channel_by_marketplace,
            deposits=deposit_ids,
            default_deposit_id=default_id,
            carrier_map=values("carrier"),
            payment_map=values("payment_method"),
            channel_map=values("sales_channel"),
            status_map=status_map,
            deposit_by_local={local: code for code, local in values("deposit").items()},
            sku_code_by_anymarket_id={am: erp for erp, am in mapping.links_of(integration.id, "sku").items()},
            sales_operations=by_kind["sales_operation"],
            intermediary_map=mapping.mappings_of(integration.id, "intermediary"),
        )

    def erp_status(self, anymarket_status: str) -> str:
        return self.status_map.get(anymarket_status) or self.status_map.get("*") or "pending"

    def rank_of_erp_status(self, erp_status: str) -> int | None:
        """Lifecycle rank of an ERP status (via the status mapping); ``None`` for the ERP's own ones."""
        ranks = [RANK[s] for s, e in self.status_map.items() if e == erp_status and s in RANK]
        return min(ranks) if ranks else None


@dataclass(frozen=True)
class Line:
    sku_id: int
    sku_code: str
    deposit_id: int
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    total: Decimal
    unit_cost: Decimal | None
    marketplace_item_id: str | None


@dataclass(frozen=True)
class Commercial:
    """The fiscal and commercial choices for one order (see :mod:`anymarket.orders.fiscal`)."""

    channel_id: int | None
    channel_code: str | None
    sales_operation: fiscal.SalesOperation | None
    sales_operation_id: int | None
    intermediary: fiscal.Intermediary | None

    def summary(self, payments: list[fiscal.Payment]) -> dict[str, Any]:
        marketplace_fee, gateway_fee = fiscal.fee_totals(payments)
        return {
            "sales_channel": self.channel_code,
            "sales_operation": self.sales_operation.code if self.sales_operation else None,
            "sales_operation_rule": self.sales_operation.rule if self.sales_operation else None,
            "intermediary_cnpj": self.intermediary.cnpj if self.intermediary else None,
            "intermediary_name": self.intermediary.name if self.intermediary else None,
            "intermediary_seller_id": self.intermediary.seller_id if self.intermediary else None,
            "marketplace_fee": str(marketplace_fee),
            "gateway_fee": str(gateway_fee),
            "payments": [
                {"method": p.method, "value": str(p.value), "installments": p.installments} for p in payments
            ],
        }


class OrderImporter:
    """Apply AnyMarket orders to the ERP (see the module docstring).

    :param integration: the integration's settings.
    :param erp: the ERP database (named queries).
    :param references: mappings and reference data; reload with :meth:`reload` after mappings change.
    """

    def __init__(self, *, integration: IntegrationConfig, erp: ErpDatabase, references: References) -> None:
        self.integration = integration
        self.settings = integration.orders
        self.erp = erp
        self.references = references
        self._kits: dict[int, tuple[KitPart, ...]] | None = None

    # -- the one entry point ------------------------------------------------------------------

    def apply(self, order: dict[str, Any]) -> Outcome:
        """Import or update ``order`` in one ERP transaction; raises on failure (nothing committed)."""
        order_id = int(order["id"])
        for attempt in (1, 2):
            try:
                with self.erp.transaction():
                    existing = self.erp.query("order_find_by_anymarket_id", anymarket_order_id=order_id)
                    if existing:
                        return self._update(order, existing)
                    return self._create(order)
            except ErpQueryError as exc:
                # A concurrent import of the same order (or of the same buyer) committed first: read
                # again, which now takes the update path. A second collision is a real error.
                if attempt == 1 and isinstance(exc.__cause__, sa.exc.IntegrityError):
                    continue
                raise
        raise AssertionError("unreachable")

    def check_mappings(self, order: dict[str, Any]) -> str | None:
        """Why ``order`` would be held now (``None`` when every required mapping exists). No writes."""
        try:
            self._carrier(order)
            self._lines(order, self._skus(order))
            self._commercial(order)
        except HoldOrder as hold:
            return str(hold)
        return None

    # -- create -------------------------------------------------------------------------------

    def _create(self, order: dict[str, Any]) -> Outcome:
        status = str(order.get("status") or "")
        skip = self._skip_reason(order, status)
        if skip is not None:
            return skip
        try:
            carrier_id, shipping_service = self._carrier(order)
            lines = self._lines(order, self._skus(order))
            document = normalize_document(order.get("buyer") or {})
            commercial = self._commercial(order)
        except HoldOrder as hold:
            return Outcome("held", str(hold))
        customer_id = self._upsert_customer(order, document)
        erp_status = self.references.erp_status(status)
        reserve = status in RESERVING_STATUSES and not order.get("fulfillment")
        parts = self._parts(lines)
        totals = self._allocate(order, parts)
        payments = fiscal.payments_of(order)
        part_payments = fiscal.split_payments(payments, [money["total"] for money in totals])
        codes = []
        common = self._order_fields(order, erp_status)
        common.update(
            customer_id=customer_id,
            carrier_id=carrier_id,
            shipping_service=shipping_service,
            channel_id=commercial.channel_id,
            payment_method_id=self._payment_method(order),
            sales_operation_id=commercial.sales_operation_id,
            intermediary_cnpj=commercial.intermediary.cnpj if commercial.intermediary else None,
            intermediary_name=commercial.intermediary.name if commercial.intermediary else None,
            intermediary_seller_id=commercial.intermediary.seller_id if commercial.intermediary else None,
        )
        for index, (part, money, paid) in enumerate(zip(parts, totals, part_payments, strict=True), start=1):
            code = f"AM-{order['id']}" if index == 1 else f"AM-{order['id']}-{index}"
            note = f"AnyMarket {order['id']} · {order.get('marketPlace')} {order.get('marketPlaceNumber')}"
            if len(parts) > 1:
                note += f" · part {index}/{len(parts)} (Multi-CD)"
            marketplace_fee, gateway_fee = fiscal.fee_totals(paid)
            sales_order_id = self.erp.query(
                "order_insert",
                code=code,
                notes=note,
                marketplace_fee=marketplace_fee,
                gateway_fee=gateway_fee,
                **common,
                **money,
            )[0]["id"]
            for position, payment in enumerate(paid, start=1):
                self.erp.query(
                    "order_insert_payment",
                    sales_order_id=sales_order_id,
                    position=position,
                    payment_method_id=self._payment_method_id(payment.method),
                    method=_text(payment.method_detail or payment.method, 120),
                    value=payment.value,
                    installments=payment.installments,
                    marketplace_fee=payment.marketplace_fee,
                    gateway_fee=payment.gateway_fee,
                    marketplace_payment_id=_text(payment.marketplace_payment_id, 120),
                )
            for position, line in enumerate(part, start=1):
                item_id = self.erp.query(
                    "order_insert_item",
                    sales_order_id=sales_order_id,
                    position=position,
                    sku_id=line.sku_id,
                    deposit_id=line.deposit_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    total=line.total,
                    unit_cost=line.unit_cost,
                    marketplace_item_id=line.marketplace_item_id,
                )[0]["id"]
                if reserve:
                    # A kit's line stays the kit; the stock it holds is its components' (kits_by_sku_id).
                    for sku_id, quantity in self._held_by(line):
                        self.erp.execute(
                            "order_reserve_stock",
                            sku_id=sku_id,
                            deposit_id=line.deposit_id,
                            sales_order_id=sales_order_id,
                            sales_order_item_id=item_id,
                            quantity=quantity,
                        )
            codes.append(code)
        detail = f"{len(parts)} ERP orders (Multi-CD)" if len(parts) > 1 else ""
        return Outcome("created", detail, tuple(codes), commercial=commercial.summary(payments))

    def _held_by(self, line: Line) -> list[tuple[int, Any]]:
        """``(SKU id, quantity)`` a line reserves: itself, or — a kit — each component, the line's
        quantity x the component's quantity per kit (:func:`anymarket.rules.kits.component_reservations`)."""
        from anymarket.rules.kits import component_reservations, kits_by_sku_id

        if self._kits is None:  # read once per importer (one run), and only when an order reserves
            self._kits = kits_by_sku_id(self.erp.query("kit_components"))
        parts = self._kits.get(int(line.sku_id))
        if not parts:
            return [(line.sku_id, line.quantity)]
        return component_reservations(float(line.quantity), parts)

    def _skip_reason(self, order: dict[str, Any], status: str) -> Outcome | None:
        cutoff = self.settings.cutoff_date
        created = parse_datetime(order.get("createdAt"))
        if cutoff is not None and created is not None and created < day_start(cutoff):
            return Outcome("skipped", f"created {order.get('createdAt')}, before the cutoff date {cutoff}")
        if order.get("fulfillment") and not self.settings.import_fulfillment:
            return Outcome("skipped", "fulfillment order (orders.import_fulfillment is off)")
        if status == CANCELED:
            return Outcome("skipped", "cancelled before it was imported")
        if status == PENDING and self.settings.import_statuses == "paid":
            return Outcome("waiting", "pending payment (orders.import_statuses is 'paid')")
        if status not in STATUSES:
            return Outcome("skipped", f"unknown AnyMarket status {status!r}")
        return None

    def _order_fields(self, order: dict[str, Any], erp_status: str) -> dict[str, Any]:
        status = order.get("status")
        paid = status not in (PENDING, CANCELED) or bool(order.get("paymentDate"))
        payments = order.get("payments") or [{}]
        return {
            "status": erp_status,
            "order_date": parse_datetime(order.get("createdAt")) or datetime.now(UTC),
            "paid_at": (parse_datetime(order.get("paymentDate")) or datetime.now(UTC)) if paid else None,
            "cancelled_at": self._cancelled_at(order),
            "cancel_reason": _text(order.get("cancelDetails"), 500) if status == CANCELED else None,
            "installments": int(payments[0].get("installments") or 1),
            "marketplace_order_number": _text(order.get("marketPlaceNumber"), 120),
            "anymarket_order_id": int(order["id"]),
            "fulfillment": bool(order.get("fulfillment")),
            "ship_country": _country((order.get("shipping") or {}).get("country")),
            **self._shipping(order),
        }

    @staticmethod
    def _cancelled_at(order: dict[str, Any]) -> datetime | None:
        if order.get("status") != CANCELED:
            return None
        return parse_datetime(order.get("cancelDate")) or datetime.now(UTC)

    def _shipping(self, order: dict[str, Any]) -> dict[str, Any]:
        ship = order.get("shipping") or {}
        return {
            "ship_receiver_name": _text(self._contact_name(ship.get("receiverName")), 255),
            "ship_street": _text(ship.get("street") or ship.get("address"), 255),
            "ship_number": _text(ship.get("number"), 20),
            "ship_complement": _text(ship.get("comment"), 255),
            "ship_neighborhood": _text(ship.get("neighborhood"), 120),
            "ship_city": _text(ship.get("city"), 120),
            "ship_state": _text(ship.get("state"), 2),
            "ship_zip_code": _digits(ship.get("zipCode"))[:8] or None,
        }

    def _upsert_customer(self, order: dict[str, Any], document: tuple[str, str]) -> int:
        buyer = order.get("buyer") or {}
        document_number, document_type = document
        address = order.get("billingAddress") or order.get("shipping") or {}
        return int(
            self.erp.query(
                "order_upsert_customer",
                name=_text(self._contact_name(buyer.get("name")), 255) or "Comprador sem nome",
                document=document_number,
                document_type=document_type,
                state_tax_id=_text(buyer.get("companyStateTaxId"), 20),
                email=_text(buyer.get("email"), 255),
                phone=_digits(buyer.get("phone"))[:20] or None,
                cell_phone=_digits(buyer.get("cellPhone"))[:20] or None,
                street=_text(address.get("street") or address.get("address"), 255),
                number=_text(address.get("number"), 20),
                complement=_text(address.get("comment"), 255),
                neighborhood=_text(address.get("neighborhood"), 120),
                city=_text(address.get("city"), 120),
                state=_text(address.get("state"), 2),
                zip_code=_digits(address.get("zipCode"))[:8] or None,
                country=_country(address.get("country")),
            )[0]["id"]
        )

    def _contact_name(self, name: Any) -> str | None:
        return fiscal.format_contact_name(name, self.settings.contact_name_format) if name else None

    # -- mappings -----------------------------------------------------------------------------

    def _commercial(self, order: dict[str, Any]) -> Commercial:
        """Sales channel, natureza de operação and intermediador of ``order``; holds when a rule that
        the settings require cannot be met (no channel, an unknown operation, no intermediary)."""
        channel_code, channel_id = self._channel_choice(order)
        if channel_id is None and self.settings.require_sales_channel:
            raise HoldOrder(
                f"unmapped sales channel: marketplace '{order.get('marketPlace') or ''}' (account "
                f"'{order.get('accountName') or ''}') has no sales channel mapping and no active ERP "
                "sales channel names that marketplace (add one under Mappings → sales channels)"
            )
        operation = fiscal.choose_sales_operation(
            order,
            default=self.settings.default_sales_operation,
            contributor=self.settings.contributor_sales_operation,
            by_channel=self.settings.sales_operation_by_channel,
            channel_code=channel_code,
        )
        operation_id = None
        if operation is not None:
            operation_id = self.references.sales_operations.get(operation.code)
            if operation_id is None:
                raise HoldOrder(
                    f"unknown sales operation: '{operation.code}' ({operation.setting}, rule "
                    f"{operation.rule}) is not an active ERP sales operation (natureza de operação): fix "
                    "the setting or create it in the ERP"
                )
        intermediary = fiscal.choose_intermediary(
            order,
            self.references.intermediary_map,
            required=self.settings.require_intermediary,
            own_store_marketplaces=frozenset(self.settings.own_store_marketplaces),
        )
        return Commercial(
            channel_id=channel_id,
            channel_code=channel_code,
            sales_operation=operation,
            sales_operation_id=operation_id,
            intermediary=intermediary,
        )

    def _carrier(self, order: dict[str, Any]) -> tuple[int, str | None]:
        """ERP carrier id and shipping service; holds the order when the carrier is not mapped."""
        shipping: dict[str, Any] = next(
            (s for item in order.get("items") or [] for s in item.get("shippings") or []), {}
        )
        carrier = str(shipping.get("shippingCarrierNormalized") or "").strip()
        shipping_type = str(
            shipping.get("shippingtype") or shipping.get("shippingCarrierTypeNormalized") or ""
        )
        candidates = [k for k in (carrier, shipping_type.strip()) if k]
        code = next(
            (self.references.carrier_map[k] for k in candidates if k in self.references.carrier_map), None
        )
        if code is None:
            raise HoldOrder(
                f"unmapped carrier: '{carrier}' / shipping type '{shipping_type}' has no carrier mapping "
                "(add one under Mappings → carriers; the order is imported on the next run)"
            )
        if code not in self.references.carriers:
            raise HoldOrder(
                f"unmapped carrier: '{carrier}' is mapped to ERP carrier '{code}', which does not exist"
            )
        return self.references.carriers[code], _text(shipping_type, 120)

    def _payment_method(self, order: dict[str, Any]) -> int | None:
        payment = (order.get("payments") or [{}])[0]
        key = payment.get("paymentMethodNormalized") or payment.get("method")
        return self._payment_method_id(str(key or ""))

    def _payment_method_id(self, key: str | None) -> int | None:
        mapped = self.references.payment_map
        code = mapped.get(key or "") or mapped.get("*") or self.settings.default_payment_method
        return self.references.payment_methods.get(code) if code else None

    def _channel_choice(self, order: dict[str, Any]) -> tuple[str | None, int | None]:
        """``(ERP sales channel code, id)``: the channel mapping (``MARKETPLACE:account``,
        ``MARKETPLACE``, ``*``), else the active ERP channel naming the marketplace."""
        marketplace = str(order.get("marketPlace") or "")
        mapped = self.references.channel_map
        code = (
            mapped.get(f"{marketplace}:{order.get('accountName')}")
            or mapped.get(marketplace)
            or mapped.get("*")
        )
        if code and code in self.references.channels:
            return code, self.references.channels[code]
        channel_id = self.references.channel_by_marketplace.get(marketplace)
        if channel_id is None:
            return None, None
        return next(c for c, i in self.references.channels.items() if i == channel_id), channel_id

    def _skus(self, order: dict[str, Any]) -> dict[str, dict[str, Any]]:
        codes = {self._sku_code(item) for item in order.get("items") or []} - {""}
        rows = self.erp.query("order_skus_by_code", codes=sorted(codes)) if codes else []
        return {str(r["code"]): r for r in rows}

    def _sku_code(self, item: dict[str, Any]) -> str:
        """The ERP SKU code of an item: the catalog's SKU link first, the SKU partnerId otherwise."""
        sku = item.get("sku") or {}
        linked = self.references.sku_code_by_anymarket_id.get(str(sku.get("id")))
        return linked or str(sku.get("partnerId") or "")

    def _lines(self, order: dict[str, Any], skus: dict[str, dict[str, Any]]) -> list[Line]:
        """ERP lines, one per item x shipping warehouse; holds on unknown SKUs or warehouses."""
        lines: list[Line] = []
        unknown_skus: list[str] = []
        unknown_locals: list[str] = []
        discounts = self.settings.import_discounts
        for item in order.get("items") or []:
            code = self._sku_code(item)
            sku = skus.get(code)
            if sku is None:
                unknown_skus.append(code or f"(item without SKU partnerId: {item.get('sku')})")
                continue
            quantity = _dec(item.get("amount") or 1, "0.001")
            unit = _dec(item.get("unit") or 0)
            discount = _dec(item.get("discount") or 0) if discounts else Decimal(0)
            stocks = [s for s in item.get("stocks") or [] if s.get("stockLocalId") is not None]
            if not stocks or sum(_dec(s.get("amount") or 0, "0.001") for s in stocks) != quantity:
                stocks = [{"stockLocalId": stocks[0]["stockLocalId"] if stocks else None, "amount": quantity}]
            cost = unit if self.settings.item_cost_from_sell_price else sku.get("cost_price")
            amounts = [_dec(stock.get("amount") or quantity, "0.001") for stock in stocks]
            shares = allocation.item_discount_shares(discount, amounts, quantity)
            for stock, amount, share in zip(stocks, amounts, shares, strict=True):
                deposit_id = self._deposit(stock, unknown_locals)
                if deposit_id is None:
                    continue
                lines.append(
                    Line(
                        sku_id=int(sku["id"]),
                        sku_code=code,
                        deposit_id=deposit_id,
                        quantity=amount,
                        unit_price=unit,
                        discount=share,
                        total=allocation.line_total(amount, unit, share),
                        unit_cost=_dec(cost) if cost is not None else None,
                        marketplace_item_id=_text(
                            item.get("idInMarketPlace") or item.get("orderItemId"), 120
                        ),
                    )
                )
        problems = []
        if unknown_skus:
            problems.append(f"unknown SKU: {', '.join(sorted(set(unknown_skus)))} not in the ERP")
        if unknown_locals:
            problems.append(
                f"unmapped warehouse: AnyMarket warehouse {', '.join(sorted(set(unknown_locals)))} has no "
                "ERP deposit (run the deposit installer or map it)"
            )
        if problems:
            raise HoldOrder("; ".join(problems))
        return lines

    def _deposit(self, stock: dict[str, Any], unknown: list[str]) -> int | None:
        local = stock.get("stockLocalId")
        if local is None:
            if self.references.default_deposit_id is None:
                unknown.append("(default)")
            return self.references.default_deposit_id
        code = self.references.deposit_by_local.get(str(local))
        deposit_id = self.references.deposits.get(code) if code else None
        if deposit_id is None:
            unknown.append(f"{stock.get('stockName') or ''} ({local})".strip())
        return deposit_id

    def _parts(self, lines: list[Line]) -> list[list[Line]]:
        """One list of lines per ERP order: per deposit (first seen first) when splitting Multi-CD."""
        if not self.settings.split_multi_cd:
            return [lines]
        by_deposit: dict[int, list[Line]] = {}
        for line in lines:
            by_deposit.setdefault(line.deposit_id, []).append(line)
        return list(by_deposit.values())

    def _allocate(self, order: dict[str, Any], parts: list[list[Line]]) -> list[dict[str, Decimal]]:
        """Totals per part; order-level discount, freight and interest shared in proportion to items
        (:mod:`anymarket.orders.allocation`)."""
        s = self.settings
        extras = allocation.order_extras(
            order, discounts=s.import_discounts, freight=s.import_freight, interest=s.import_interest
        )
        items_totals = [sum((line.total for line in part), Decimal(0)) for part in parts]
        return allocation.allocate_parts(items_totals, extras)

    # -- update -------------------------------------------------------------------------------

    def _update(self, order: dict[str, Any], existing: list[dict[str, Any]]) -> Outcome:
        codes = tuple(str(row["code"]) for row in existing)
        status = str(order.get("status") or "")
        changes: list[str] = []
        target = self.references.erp_status(status)
        for row in existing:
            if self._status_move_allowed(str(row["status"]), target, status):
                self.erp.execute(
                    "order_update_status",
                    id=row["id"],
                    status=target,
                    paid_at=parse_datetime(order.get("paymentDate")) or datetime.now(UTC)
                    if status not in (PENDING, CANCELED)
                    else None,
                    cancelled_at=self._cancelled_at(order),
                    cancel_reason=_text(order.get("cancelDetails"), 500) if status == CANCELED else None,
                )
                if status == CANCELED:
                    self.erp.execute(
                        "order_release_stock", sales_order_id=row["id"], released_at=datetime.now(UTC)
                    )
                changes.append(f"{row['code']}: {row['status']} → {target}")
            address = self._shipping(order)
            if any(_norm(row.get(k)) != _norm(address[k]) for k in SHIP_FIELDS):
                self.erp.execute("order_update_shipping", id=row["id"], **address)
                changes.append(f"{row['code']}: delivery address changed")
        items_change = self._items_change(order, existing)
        if items_change:
            changes.append(items_change)
        if not changes:
            return Outcome("unchanged", erp_order_codes=codes)
        return Outcome("updated", "; ".join(changes), codes, tuple(changes))

    def _status_move_allowed(self, current: str, target: str, anymarket_status: str) -> bool:
        if current == target:
            return False
        if anymarket_status == CANCELED:
            return True  # a cancellation always applies: the sale is gone
        if self.settings.allow_status_regression:
            return True
        if current == self.references.erp_status(CANCELED):
            return False  # reviving a cancelled order is a regression
        current_rank = self.references.rank_of_erp_status(current)
        target_rank = RANK.get(anymarket_status)
        # An ERP status the mapping does not know (the ERP's own workflow) is never overwritten.
        return current_rank is not None and target_rank is not None and target_rank > current_rank

    def _items_change(self, order: dict[str, Any], existing: list[dict[str, Any]]) -> str | None:
        """Describe a difference between AnyMarket's items and the ERP lines (not applied: recorded)."""
        rows = self.erp.query("order_items_of", sales_order_ids=[int(r["id"]) for r in existing])
        erp_items: Counter[str] = Counter()
        for row in rows:
            # Counter of Decimal quantities: typeshed types a Counter's counts as int.
            erp_items[str(row["sku_code"])] += _dec(row["quantity"], "0.001")  # type: ignore[assignment]
        anymarket_items: Counter[str] = Counter()
        for item in order.get("items") or []:
            anymarket_items[self._sku_code(item)] += _dec(item.get("amount") or 1, "0.001")  # type: ignore[assignment]
        if erp_items == anymarket_items:
            return None
        return (
            f"items changed on AnyMarket ({_describe_items(anymarket_items)}) but the ERP order has "
            f"{_describe_items(erp_items)}: review it by hand"
        )


# -- helpers ----------------------------------------------------------------------------------


def payload_hash(order: dict[str, Any]) -> str:
    """A stable fingerprint of an order JSON: equal hashes mean nothing to apply."""
    return hashlib.sha256(json.dumps(order, sort_keys=True, default=str).encode()).hexdigest()


def parse_datetime(value: Any) -> datetime | None:
    """An AnyMarket date-time (ISO with an offset, or ``Z``) as an aware UTC datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=BRAZIL)).astimezone(UTC)


def day_start(day: date) -> datetime:
    """00:00 of ``day`` in Brazil, in UTC."""
    return datetime.combine(day, time(0), tzinfo=BRAZIL).astimezone(UTC)


def normalize_document(buyer: dict[str, Any]) -> tuple[str, str]:
    """``(digits, CPF|CNPJ|OTHER)``: the customer key, from the buyer's document in any format."""
    raw = buyer.get("document") or buyer.get("documentNumberNormalized") or ""
    digits = _digits(raw)
    kind = str(buyer.get("documentType") or "").upper()
    if len(digits) == 11 and kind in ("", "CPF"):
        return digits, "CPF"
    if len(digits) == 14 and kind in ("", "CNPJ"):
        return digits, "CNPJ"
    other = re.sub(r"[^0-9A-Za-z]", "", str(raw)).upper()[:14]
    if not other:
        raise HoldOrder("buyer has no document number: fix the order on the marketplace")
    return other, "OTHER"


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _text(value: Any, size: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:size] or None


def _country(value: Any) -> str:
    text = str(value or "").strip().upper()
    if text in ("", "BR", "BRA", "BRASIL", "BRAZIL"):
        return "BR"
    return text[:2]


def _dec(value: Any, quantum: str = "0.01") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(quantum), ROUND_HALF_UP)


def _norm(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _describe_items(items: Counter[str]) -> str:
    # The counts are Decimal quantities (see _items_change); typeshed types them as int.
    return ", ".join(f"{code} x {qty.normalize()}" for code, qty in sorted(items.items())) or "no items"  # type: ignore[attr-defined]
