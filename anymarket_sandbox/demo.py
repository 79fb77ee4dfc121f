"""Demo mode: seeded warehouses plus a steady trickle of marketplace sales, payments and cancellations.

Runs in a daemon thread that calls :meth:`DemoGenerator.tick` every ``interval`` seconds; each tick is
also reachable as ``POST /_sandbox/demo/tick`` so tests need not wait.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING, Any

from anymarket_sandbox import fake
from anymarket_sandbox.orders import apply_update, build_order
from anymarket_sandbox.publishing import publish_catalog
from anymarket_sandbox.routes.fulfillment import stock_demo_full
from anymarket_sandbox.routes.marketplaces import listings_of
from anymarket_sandbox.routes.stocks import create_local

if TYPE_CHECKING:
    from anymarket_sandbox.runtime import Sandbox

DEMO_LOCALS = (
    {"name": "CD São Paulo", "defaultLocal": True, "virtual": False, "zipCode": "01310-100"},
    {"name": "CD Recife", "defaultLocal": False, "virtual": False, "zipCode": "50030-230"},
    {"name": "Full Mercado Livre", "defaultLocal": False, "virtual": True, "zipCode": "07750-000"},
)
# NETSHOES sells less and is the marketplace the demo mappings leave without an intermediary (its
# orders are held on purpose, like the unmapped carriers).
DEMO_MARKETPLACES = ("MERCADO_LIVRE", "AMAZON", "SHOPEE", "MAGAZINE_LUIZA", "NETSHOES")
MARKETPLACE_WEIGHTS = (40, 20, 20, 15, 5)
CARRIERS = {
    "MERCADO_LIVRE": ["Mercado Envios"],
    "AMAZON": ["Correios", "Jadlog", "Amazon Logistics"],
    "SHOPEE": ["Correios", "Jadlog", "Shopee Xpress"],
    "MAGAZINE_LUIZA": ["Correios", "Jadlog", "Magalu Entregas"],
    "NETSHOES": ["Correios", "Total Express"],
}
COMPANY_BUYER_SHARE = 0.12  # buyers with a CNPJ and a state tax id (ICMS contributors)
# Payment methods as the marketplaces report them, with how often; card installments 1..12.
PAYMENT_MIX = (("CREDIT_CARD", 60), ("PIX", 25), ("BOLETO", 10), ("DEBIT_CARD", 5))
INSTALLMENTS = (1, 1, 1, 2, 3, 4, 6, 10, 12)
PENDING_SHARE = 0.3  # share of sales that start unpaid (boleto/PIX not yet confirmed)
PAY_SHARE = 0.45  # chance a tick pays a pending order instead of selling
CANCEL_SHARE = 0.06  # chance a tick cancels an open order


class DemoGenerator:
    """Generates marketplace activity on the primary account."""

    def __init__(self, sandbox: Sandbox, interval: float, skus: list[str], seed: int | None = None) -> None:
        self.sb = sandbox
        self.interval = interval
        self.env_skus = skus
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Set through PUT /_sandbox/demo: the timer keeps running but makes no sale, payment or
        # cancellation (a soak's quiet period); an explicit POST /_sandbox/demo/tick still acts.
        self.paused = False

    def seed_locals(self) -> None:
        """Create the demo warehouses that do not exist yet."""
        account = self.sb.state.account()
        with self.sb.state.lock:
            names = {loc["name"] for loc in account.stock_locals.values()}
            for local in DEMO_LOCALS:
                if local["name"] not in names:
                    create_local(self.sb, account, dict(local))

    def start(self) -> None:
        self.seed_locals()
        if self.interval > 0:
            self._thread = threading.Thread(target=self._run, name="sandbox-demo", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.paused:
                continue
            try:
                self.tick()
            except Exception:
                continue

    def _sku_pool(self) -> list[tuple[str, float | None]]:
        account = self.sb.state.account()
        catalog = [
            (s["partnerId"], s.get("sellPrice") or s.get("price"))
            for s in account.skus.values()
            if s.get("active", True)
        ]
        if catalog:
            return catalog
        names = self.env_skus or [f"DEMO-SKU-{i}" for i in range(1, 21)]
        return [(name, None) for name in names]

    def tick(self) -> dict[str, Any]:
        """One step: pay a pending order, cancel an open one, or make a new sale."""
        account = self.sb.state.account()
        with self.sb.state.lock:
            # The marketplaces publish what the integration placed on AnyMarket (listings with their
            # warnings and refusals, read by listing_health).
            publish_catalog(self.sb, account)
            # Some of what Mercado Livre lists sits in its Full CDs (read by fulfillment_stock).
            stock_demo_full(account, list(listings_of(account).values()))
            pending = [o for o in account.orders.values() if o["status"] == "PENDING"]
            open_orders = [
                o for o in account.orders.values() if o["status"] in ("PENDING", "PAID_WAITING_SHIP")
            ]
            roll = self.rng.random()
            if pending and roll < PAY_SHARE:
                order = self.rng.choice(pending)
                apply_update(account, order, {"status": "PAID_WAITING_SHIP"}, enforce=False)
                self.sb.order_changed(account, order["id"])
                return {"action": "paid", "orderId": order["id"]}
            if open_orders and roll > 1 - CANCEL_SHARE:
                order = self.rng.choice(open_orders)
                apply_update(
                    account,
                    order,
                    {"status": "CANCELED", "cancelDetails": "Cancelado pelo comprador"},
                    enforce=False,
                )
                self.sb.order_changed(account, order["id"])
                return {"action": "canceled", "orderId": order["id"]}
            order = build_order(self.sb, account, self._sale_spec(), self.rng)
            return {"action": "created", "orderId": order["id"], "status": order["status"]}

    def _sale_spec(self) -> dict[str, Any]:
        rng = self.rng
        account = self.sb.state.account()
        locals_by_name = {loc["name"]: loc["id"] for loc in account.stock_locals.values()}
        marketplace = rng.choices(DEMO_MARKETPLACES, MARKETPLACE_WEIGHTS)[0]
        fulfillment = (
            marketplace == "MERCADO_LIVRE" and "Full Mercado Livre" in locals_by_name and rng.random() < 0.25
        )
        pool = self._sku_pool()
        chosen = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
        items = []
        for partner_id, price in chosen:
            if fulfillment:
                local_name = "Full Mercado Livre"
            else:
                local_name = rng.choice(
                    [n for n in ("CD São Paulo", "CD Recife") if n in locals_by_name] or [None]
                )
            quantity = rng.choice([1, 1, 1, 2, 3])
            item: dict[str, Any] = {
                "partnerId": partner_id,
                "quantity": quantity,
                "unitPrice": price or round(rng.uniform(29.9, 499.9), 2),
            }
            if local_name is not None:
                item["stocks"] = [{"stockLocalId": locals_by_name[local_name], "amount": quantity}]
            items.append(item)
        logistic = "fulfillment" if fulfillment else rng.choice(["drop_off", "cross_docking", "xd_drop_off"])
        if rng.random() < COMPANY_BUYER_SHARE:
            buyer = fake.company_buyer(rng)
        else:
            buyer = fake.buyer(rng)
            if rng.random() < 0.3:  # marketplaces often send names in capitals
                buyer["name"] = buyer["name"].upper()
        method = rng.choices([m for m, _ in PAYMENT_MIX], [w for _, w in PAYMENT_MIX])[0]
        return {
            "buyer": buyer,
            "paymentMethod": method,
            "installments": rng.choice(INSTALLMENTS) if method == "CREDIT_CARD" else 1,
            "marketplace": marketplace,
            "status": "PENDING" if rng.random() < PENDING_SHARE else "PAID_WAITING_SHIP",
            "fulfillment": fulfillment,
            "items": items,
            "carrier": rng.choice(CARRIERS[marketplace]),
            "shippingtype": rng.choice(["Normal", "Expresso"]),
            "freight": round(rng.uniform(0, 39.9), 2),
            "accountName": "Loja Demo",
            "metadata": {
                "logistic_type": logistic,
                "needInvoiceXML": marketplace == "MERCADO_LIVRE",
                "number-of-packages": "1",
            },
        }
