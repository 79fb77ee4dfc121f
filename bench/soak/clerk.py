"""The ERP clerk: does, through the ERP's own tables, what the seller's people do during the soak.

Each :meth:`ErpClerk.tick` picks a few imported orders and moves them on as an ERP user would —
invoice (an authorized NF-e with a valid 44-digit access key and its XML; the goods leave the
warehouse: reservations released, physical balance lowered), ship (a shipment with carrier and
tracking code), deliver (the shipment's delivered date), or cancel an order not invoiced yet
(reservations released) — and receives goods (raises a stock balance). Every change is one
transaction conditional on the row still being in the state the clerk read, so a marketplace
cancellation the importer applies at the same moment wins cleanly. Nothing here goes through the
integration: the automations must notice these changes on their own.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from anymarket_sandbox.demo_erp import SELLER_CNPJ, nfe_access_key_check_digit

#: Chance per eligible order and tick of each move (a tick every 2 s: an order waits ~20 s per step,
#: so some are still open, reserving stock, when the soak ends); at most ``PER_TICK`` moves per kind.
INVOICE, SHIP, DELIVER, CANCEL, RECEIVE = 0.1, 0.15, 0.15, 0.04, 0.3
PER_TICK = 3
CANCEL_REASON = "Cancelado pelo vendedor no ERP (soak)"
#: Deposits the clerk receives goods in (the ones AnyMarket warehouses are linked to in the demo).
RECEIVING_DEPOSITS = ("CD-SP", "CD-REC")


def erp_now() -> str:
    """Now in the reference schema's timestamp format (UTC text, milliseconds)."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def access_key(number: int, series: int = 1, when: datetime | None = None) -> str:
    """A valid NF-e access key (SP, the demo seller's CNPJ, model 55) for ``number``/``series``."""
    when = when or datetime.now(UTC)
    first43 = f"35{when:%y%m}{SELLER_CNPJ}55{series:03d}{number:09d}1{number % 10**8:08d}"
    return first43 + str(nfe_access_key_check_digit(first43))


def nfe_xml(key: str, number: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><nfeProc versao="4.00"><NFe><infNFe '
        f'Id="NFe{key}" versao="4.00"><ide><nNF>{number}</nNF><serie>1</serie></ide></infNFe></NFe>'
        f"<protNFe><infProt><chNFe>{key}</chNFe><cStat>100</cStat></infProt></protNFe></nfeProc>"
    )


class ErpClerk:
    """Moves imported orders on and receives goods, straight in the ERP database (see module doc)."""

    def __init__(self, erp_url: str, *, seed: int | None = None, min_age_seconds: float = 5.0) -> None:
        self.engine = sa.create_engine(erp_url, connect_args={"timeout": 30} if "sqlite" in erp_url else {})
        self.rng = random.Random(seed)
        self.min_age = timedelta(seconds=min_age_seconds)
        self.done: Counter[str] = Counter()
        with self.engine.connect() as conn:
            top = conn.execute(sa.text("SELECT COALESCE(MAX(number), 0) FROM invoices")).scalar()
        self._next_number = int(top or 0) + 100_000

    def close(self) -> None:
        self.engine.dispose()

    def tick(self) -> None:
        """One round of ERP work; a move that loses a race (locked, state changed) is simply skipped."""
        for move in (
            self._cancel_some,
            self._invoice_some,
            self._ship_some,
            self._deliver_some,
            self._receive,
        ):
            try:
                move()
            except sa.exc.OperationalError:
                self.done["skipped_locked"] += 1

    # -- reading ------------------------------------------------------------------------------

    def _parts(self, status: str) -> list[dict[str, Any]]:
        cutoff = (datetime.now(UTC) - self.min_age).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, code, anymarket_order_id, carrier_id FROM sales_orders "
                    "WHERE anymarket_order_id IS NOT NULL AND status = :status AND created_at < :cutoff "
                    "ORDER BY id"
                ),
                {"status": status, "cutoff": cutoff},
            ).mappings()
            return [dict(r) for r in rows]

    def _pick(self, rows: list[dict[str, Any]], chance: float) -> list[dict[str, Any]]:
        return [r for r in rows if self.rng.random() < chance][:PER_TICK]

    # -- moves --------------------------------------------------------------------------------

    def _cancel_some(self) -> None:
        """Cancel a whole AnyMarket order none of whose parts is invoiced yet."""
        parts = self._parts("approved")
        by_order: dict[int, list[dict[str, Any]]] = {}
        for part in parts:
            by_order.setdefault(int(part["anymarket_order_id"]), []).append(part)
        for order_id in sorted(by_order):
            if self.rng.random() >= CANCEL:
                continue
            now = erp_now()
            with self.engine.begin() as conn:
                all_parts = conn.execute(
                    sa.text("SELECT id, status FROM sales_orders WHERE anymarket_order_id = :a"),
                    {"a": order_id},
                ).all()
                if any(p.status != "approved" for p in all_parts):
                    continue
                for part in all_parts:
                    conn.execute(
                        sa.text(
                            "UPDATE sales_orders SET status = 'cancelled', cancelled_at = :now, "
                            "cancel_reason = :reason WHERE id = :id AND status = 'approved'"
                        ),
                        {"now": now, "reason": CANCEL_REASON, "id": part.id},
                    )
                    self._release(conn, part.id, now)
            self.done["cancelled"] += 1
            return

    def _invoice_some(self) -> None:
        for part in self._pick(self._parts("approved"), INVOICE):
            self._next_number += 1
            number = self._next_number
            key = access_key(number)
            now = erp_now()
            with self.engine.begin() as conn:
                if not self._advance(conn, part["id"], "approved", "invoiced"):
                    continue
                total = conn.execute(
                    sa.text("SELECT total FROM sales_orders WHERE id = :id"), {"id": part["id"]}
                ).scalar()
                conn.execute(
                    sa.text(
                        "INSERT INTO invoices (sales_order_id, access_key, number, series, issued_at, cfop, "
                        "status, total, xml) VALUES (:o, :k, :n, '1', :t, '5102', 'authorized', :total, :xml)"
                    ),
                    {
                        "o": part["id"],
                        "k": key,
                        "n": number,
                        "t": now,
                        "total": total,
                        "xml": nfe_xml(key, number),
                    },
                )
                # The goods leave the warehouse with the NF-e: the reservation becomes a real exit.
                items = conn.execute(
                    sa.text(
                        "SELECT sku_id, deposit_id, quantity FROM sales_order_items "
                        "WHERE sales_order_id = :id"
                    ),
                    {"id": part["id"]},
                ).all()
                for item in items:
                    conn.execute(
                        sa.text(
                            "UPDATE stock_balances SET quantity = quantity - :q "
                            "WHERE sku_id = :s AND deposit_id = :d"
                        ),
                        {"q": item.quantity, "s": item.sku_id, "d": item.deposit_id},
                    )
                self._release(conn, part["id"], now)
            self.done["invoiced"] += 1

    def _ship_some(self) -> None:
        for part in self._pick(self._parts("invoiced"), SHIP):
            now = erp_now()
            with self.engine.begin() as conn:
                if not self._advance(conn, part["id"], "invoiced", "shipped"):
                    continue
                conn.execute(
                    sa.text(
                        "INSERT INTO shipments (sales_order_id, carrier_id, tracking_code, shipped_at, "
                        "estimated_delivery_at) VALUES (:o, :c, :code, :now, :eta)"
                    ),
                    {
                        "o": part["id"],
                        "c": part["carrier_id"],
                        "code": f"SK{self.rng.randint(10**8, 10**9 - 1)}BR",
                        "now": now,
                        "eta": (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%d %H:%M:%S"),
                    },
                )
            self.done["shipped"] += 1

    def _deliver_some(self) -> None:
        for part in self._pick(self._parts("shipped"), DELIVER):
            now = erp_now()
            with self.engine.begin() as conn:
                if not self._advance(conn, part["id"], "shipped", "delivered"):
                    continue
                conn.execute(
                    sa.text("UPDATE shipments SET delivered_at = :now WHERE sales_order_id = :id"),
                    {"now": now, "id": part["id"]},
                )
            self.done["delivered"] += 1

    def _receive(self) -> None:
        """Goods arrive: one SKU's balance in a receiving deposit goes up."""
        if self.rng.random() >= RECEIVE:
            return
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT b.id FROM stock_balances b JOIN deposits d ON d.id = b.deposit_id "
                    "JOIN skus s ON s.id = b.sku_id WHERE s.active AND d.code IN :codes ORDER BY b.id"
                ).bindparams(sa.bindparam("codes", expanding=True)),
                {"codes": list(RECEIVING_DEPOSITS)},
            ).all()
            if not rows:
                return
            conn.execute(
                sa.text("UPDATE stock_balances SET quantity = quantity + :q WHERE id = :id"),
                {"q": self.rng.randint(5, 20), "id": self.rng.choice(rows).id},
            )
        self.done["received"] += 1

    @staticmethod
    def _advance(conn: sa.Connection, sales_order_id: int, current: str, new: str) -> bool:
        """Move one sales order from ``current`` to ``new``; ``False`` when it is no longer ``current``
        (the importer applied a marketplace cancellation meanwhile)."""
        moved = conn.execute(
            sa.text("UPDATE sales_orders SET status = :new WHERE id = :id AND status = :current"),
            {"new": new, "id": sales_order_id, "current": current},
        ).rowcount
        return bool(moved)

    @staticmethod
    def _release(conn: sa.Connection, sales_order_id: int, now: str) -> None:
        conn.execute(
            sa.text(
                "UPDATE stock_reservations SET released_at = :now "
                "WHERE sales_order_id = :id AND released_at IS NULL"
            ),
            {"now": now, "id": sales_order_id},
        )
