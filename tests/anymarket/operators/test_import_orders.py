"""Import orders over the real sandbox, a real SQLite ERP and the mapping DB (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.operators.import_orders import AnyMarketImportOrdersOperator
from tests.anymarket.conftest import IntegrationEnv

SETTINGS = """\
integrations:
  loja1:
    name: Loja 1
    environment: sandbox
    alert_emails: [ops@loja1.example]
    orders: {orders}
"""


class Shop:
    """The ERP reference rows, AnyMarket warehouses and mappings the tests need."""

    def __init__(self, env: IntegrationEnv, tmp_path: Any, **orders: Any) -> None:
        self.env = env
        self.tmp_path = tmp_path
        self.configure(reconcile_days=0, **orders)
        with env.erp.engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO deposits (id, code, name, is_default) VALUES "
                    "(1, 'CD-SP', 'CD São Paulo', 1), (2, 'CD-REC', 'CD Recife', 0)"
                )
            )
            c.execute(sa.text("INSERT INTO carriers (id, code, name) VALUES (1, 'CORREIOS', 'Correios')"))
            c.execute(sa.text("INSERT INTO carriers (id, code, name) VALUES (2, 'JADLOG', 'Jadlog')"))
            c.execute(sa.text("INSERT INTO payment_methods (id, code, name) VALUES (1, 'CARTAO', 'Cartão')"))
            c.execute(
                sa.text(
                    "INSERT INTO sales_channels (id, code, name, marketplace) "
                    "VALUES (1, 'ML', 'Mercado Livre', 'MERCADO_LIVRE')"
                )
            )
            c.execute(sa.text("INSERT INTO products (id, code, name) VALUES (1, 'P1', 'Produto')"))
            for sku_id, code in ((1, "SKU-1"), (2, "SKU-2")):
                c.execute(
                    sa.text(
                        "INSERT INTO skus (id, product_id, code, name, cost_price, sell_price) "
                        "VALUES (:id, 1, :code, :code, 10, 50)"
                    ),
                    {"id": sku_id, "code": code},
                )
        admin = env.sandbox.admin
        self.sp = admin.create_stock_local("CD São Paulo", default_local=True)["id"]
        self.rec = admin.create_stock_local("CD Recife")["id"]
        env.mapping.set_mapping("loja1", "deposit", "CD-SP", str(self.sp))
        env.mapping.set_mapping("loja1", "deposit", "CD-REC", str(self.rec))
        env.mapping.set_mapping("loja1", "carrier", "Correios", "CORREIOS")
        env.mapping.set_mapping("loja1", "payment_method", "CREDIT_CARD", "CARTAO")

    def configure(self, **orders: Any) -> None:
        inline = "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in orders.items()) + "}"
        path = self.tmp_path / "integrations.yaml"
        path.write_text(SETTINGS.format(orders=inline))

    def run(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("watch_seconds", 0)
        op = AnyMarketImportOrdersOperator(task_id="import_orders", integration_id="loja1", **kwargs)
        return op.execute({"run_id": "test"})

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.env.erp.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(sa.text(sql), params)]

    def orders(self, anymarket_id: int) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT * FROM sales_orders WHERE anymarket_order_id = :id ORDER BY code", id=anymarket_id
        )

    def reservations(self, anymarket_id: int) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT r.*, o.code FROM stock_reservations r JOIN sales_orders o ON o.id = r.sales_order_id "
            "WHERE o.anymarket_order_id = :id ORDER BY r.deposit_id",
            id=anymarket_id,
        )

    def feed(self) -> dict[int, bool]:
        return {item["id"]: item["acked"] for item in self.env.sandbox.admin.feed_state()}


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.fixture
def shop(integration_env: IntegrationEnv, tmp_path: Any) -> Shop:
    return Shop(integration_env, tmp_path)


def order_spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "items": [{"partnerId": "SKU-1", "quantity": 2, "unitPrice": 50.0}],
        "buyer": {"name": "Ana Silva", "document": "529.982.247-25", "documentType": "CPF"},
        "freight": 12.5,
    }
    spec.update(overrides)
    return spec


def test_feed_import_creates_customer_order_items_reservation_and_acks_after(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec())
    admin.clear_requests()

    summary = shop.run()

    [erp_order] = shop.orders(order["id"])
    assert erp_order["code"] == f"AM-{order['id']}"
    assert erp_order["status"] == "approved"
    assert Decimal(str(erp_order["total"])) == Decimal("112.50")
    assert (
        erp_order["carrier_id"] == 1 and erp_order["payment_method_id"] == 1 and erp_order["channel_id"] == 1
    )
    [customer] = shop.rows("SELECT * FROM customers")
    assert customer["document"] == "52998224725" and customer["document_type"] == "CPF"
    [reservation] = shop.reservations(order["id"])
    assert (reservation["deposit_id"], float(reservation["quantity"]), reservation["released_at"]) == (
        1,
        2.0,
        None,
    )
    assert shop.feed() == {order["id"]: True}
    assert summary["counts"]["new"] == 1
    calls = [(r["method"], r["path"]) for r in admin.requests()]
    assert calls == [
        ("GET", "/v2/orders/feeds"),
        ("GET", f"/v2/orders/{order['id']}"),
        ("PUT", f"/v2/orders/partnerid/{order['id']}"),
        ("PUT", "/v2/orders/feeds/batch"),
    ]
    # The ERP code is on the AnyMarket order; a second run finds nothing to do.
    assert shop.env.sandbox.admin.requests(method="PUT")[0]["body"] == {"partnerId": f"AM-{order['id']}"}
    admin.clear_requests()
    shop.run()
    assert [(r["method"], r["path"]) for r in admin.requests()] == [("GET", "/v2/orders/feeds")]
    assert len(shop.orders(order["id"])) == 1


def test_killed_between_erp_commit_and_ack_reimports_nothing_and_acks_next_run(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = shop.env.sandbox.admin.create_order(**order_spec())
    from anymarket.hooks.anymarket import AnyMarketHook

    real_put = AnyMarketHook.put

    def die_on_ack(self: AnyMarketHook, endpoint: str, body: Any) -> Any:
        if endpoint.startswith("/orders/feeds/"):
            raise SystemExit("worker killed")  # not an Exception: nothing may catch it
        return real_put(self, endpoint, body)

    monkeypatch.setattr(AnyMarketHook, "put", die_on_ack)
    with pytest.raises(SystemExit):
        shop.run()
    assert len(shop.orders(order["id"])) == 1
    assert shop.feed() == {order["id"]: False}

    monkeypatch.setattr(AnyMarketHook, "put", real_put)
    summary = shop.run()
    assert len(shop.orders(order["id"])) == 1
    assert len(shop.reservations(order["id"])) == 1
    assert shop.feed() == {order["id"]: True}
    assert summary["counts"].get("new", 0) == 0 and summary["counts"]["acked"] == 1


def test_feed_items_are_acked_in_batches_of_the_connection_size(
    shop: Shop, reconnect: Callable[..., None]
) -> None:
    reconnect(feed_ack_batch_size=2)
    orders = [shop.env.sandbox.admin.create_order(**order_spec()) for _ in range(5)]
    summary = shop.run()
    acks = shop.env.sandbox.admin.requests(method="PUT", path="/v2/orders/feeds/batch")
    assert [[row["id"] for row in ack["body"]] for ack in acks] == [
        [orders[0]["id"], orders[1]["id"]],
        [orders[2]["id"], orders[3]["id"]],
        [orders[4]["id"]],
    ]
    assert all(row["type"] == "ORDER" for ack in acks for row in ack["body"])
    assert shop.feed() == {order["id"]: True for order in orders}
    assert summary["counts"]["acked"] == 5 and summary["counts"]["ack_requests"] == 3


def test_an_anymarket_without_batch_acks_gets_single_acks_and_is_remembered(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    admin.set_faults(missing_endpoints=["PUT /v2/orders/feeds/batch"])
    first = admin.create_order(**order_spec())
    shop.run()
    assert shop.feed() == {first["id"]: True}
    assert [r["path"] for r in admin.requests(method="PUT") if "/feeds/" in r["path"]] == [
        "/v2/orders/feeds/batch",
        f"/v2/orders/feeds/{first['id']}",
    ]
    admin.clear_requests()
    second = admin.create_order(**order_spec())
    shop.run()
    # The next run does not probe the batch endpoint again (for a day).
    assert [r["path"] for r in admin.requests(method="PUT") if "/feeds/" in r["path"]] == [
        f"/v2/orders/feeds/{second['id']}"
    ]
    assert shop.feed() == {first["id"]: True, second["id"]: True}


def test_a_run_stopped_midway_still_acks_what_it_committed(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = shop.env.sandbox.admin
    done, broken = admin.create_order(**order_spec()), admin.create_order(**order_spec())
    from anymarket.errors import AnyMarketUnavailableError
    from anymarket.hooks.anymarket import AnyMarketHook

    real_get = AnyMarketHook.get

    def outage_on_second(self: AnyMarketHook, endpoint: str, params: Any = None) -> Any:
        if endpoint == f"/orders/{broken['id']}":
            raise AnyMarketUnavailableError("AnyMarket answered 503 five times")
        return real_get(self, endpoint, params)

    monkeypatch.setattr(AnyMarketHook, "get", outage_on_second)
    with pytest.raises(AnyMarketUnavailableError):
        shop.run()
    assert shop.feed() == {done["id"]: True, broken["id"]: False}
    monkeypatch.setattr(AnyMarketHook, "get", real_get)
    shop.run()
    assert shop.feed() == {done["id"]: True, broken["id"]: True}
    assert len(shop.orders(done["id"])) == 1 and len(shop.orders(broken["id"])) == 1


def test_failed_import_stays_unacked_and_succeeds_later(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    order = shop.env.sandbox.admin.create_order(**order_spec())
    from anymarket.erp.database import ErpDatabase

    real_query = ErpDatabase.query

    def broken_insert(self: ErpDatabase, name: str, /, **params: Any) -> Any:
        if name == "order_insert":
            raise RuntimeError("ERP is read-only right now")
        return real_query(self, name, **params)

    monkeypatch.setattr(ErpDatabase, "query", broken_insert)
    summary = shop.run()
    assert summary["counts"]["failed"] == 1
    assert shop.orders(order["id"]) == [] and shop.rows("SELECT * FROM customers") == []
    assert shop.feed() == {order["id"]: False}

    monkeypatch.setattr(ErpDatabase, "query", real_query)
    summary = shop.run()
    assert summary["counts"]["new"] == 1
    assert shop.feed() == {order["id"]: True}


def test_unmapped_carrier_holds_until_mapped(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec(carrier="Jadlog"))
    summary = shop.run()
    assert shop.orders(order["id"]) == []
    assert shop.feed() == {order["id"]: True}  # the hold is stored durably: the feed item is done
    [example] = summary["examples"]["held (unmapped carrier)"]
    assert "Jadlog" in example
    history = shop.env.mapping.history_of("loja1", "order", str(order["id"]))
    assert history[-1]["outcome"] == "held"

    admin.clear_requests()
    summary = shop.run()  # still unmapped: re-checked for free, still reported
    assert [r["path"] for r in admin.requests()] == ["/v2/orders/feeds"]
    assert summary["held_now"] == 1

    shop.env.mapping.set_mapping("loja1", "carrier", "Jadlog", "JADLOG")
    summary = shop.run()
    [erp_order] = shop.orders(order["id"])
    assert erp_order["carrier_id"] == 2
    assert summary["counts"]["new"] == 1 and summary["held_now"] == 0


def test_unknown_sku_holds_the_order(shop: Shop) -> None:
    order = shop.env.sandbox.admin.create_order(**order_spec(items=[{"partnerId": "NOPE", "quantity": 1}]))
    summary = shop.run()
    assert shop.orders(order["id"]) == []
    assert "NOPE" in summary["examples"]["held (unknown SKU)"][0]


def test_multi_cd_order_splits_and_cancellation_releases_both(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(
        **order_spec(
            items=[
                {
                    "partnerId": "SKU-1",
                    "quantity": 2,
                    "unitPrice": 50.0,
                    "stocks": [{"stockLocalId": shop.sp}],
                },
                {
                    "partnerId": "SKU-2",
                    "quantity": 1,
                    "unitPrice": 30.0,
                    "stocks": [{"stockLocalId": shop.rec}],
                },
            ]
        )
    )
    shop.run()
    parts = shop.orders(order["id"])
    assert [p["code"] for p in parts] == [f"AM-{order['id']}", f"AM-{order['id']}-2"]
    assert [float(p["items_total"]) for p in parts] == [100.0, 30.0]
    assert sum(Decimal(str(p["freight"])) for p in parts) == Decimal("12.50")
    reservations = shop.reservations(order["id"])
    assert [(r["deposit_id"], float(r["quantity"])) for r in reservations] == [(1, 2.0), (2, 1.0)]
    assert all(r["released_at"] is None for r in reservations)

    admin.cancel_order(order["id"])
    summary = shop.run()
    assert summary["counts"]["updated"] == 1
    assert {p["status"] for p in shop.orders(order["id"])} == {"cancelled"}
    assert all(r["released_at"] is not None for r in shop.reservations(order["id"]))


def test_pending_orders_wait_for_payment_with_paid_only(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec(status="PENDING"))
    summary = shop.run()
    assert shop.orders(order["id"]) == [] and summary["counts"]["waiting"] == 1
    assert shop.feed() == {order["id"]: True}
    admin.pay_order(order["id"])
    shop.run()
    [erp_order] = shop.orders(order["id"])
    assert erp_order["status"] == "approved" and erp_order["paid_at"] is not None


def test_pending_orders_imported_then_paid_with_paid_and_pending(shop: Shop) -> None:
    shop.configure(reconcile_days=0, import_statuses="paid_and_pending")
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec(status="PENDING"))
    shop.run()
    [erp_order] = shop.orders(order["id"])
    assert erp_order["status"] == "pending" and erp_order["paid_at"] is None
    assert len(shop.reservations(order["id"])) == 1
    admin.pay_order(order["id"])
    shop.run()
    [erp_order] = shop.orders(order["id"])
    assert erp_order["status"] == "approved" and erp_order["paid_at"] is not None


@pytest.mark.parametrize("import_fulfillment", [False, True])
def test_fulfillment_orders_follow_the_setting(shop: Shop, import_fulfillment: bool) -> None:
    shop.configure(reconcile_days=0, import_fulfillment=import_fulfillment)
    order = shop.env.sandbox.admin.create_order(**order_spec(fulfillment=True))
    summary = shop.run()
    assert shop.feed() == {order["id"]: True}
    if import_fulfillment:
        [erp_order] = shop.orders(order["id"])
        assert erp_order["fulfillment"] == 1
        assert shop.reservations(order["id"]) == []  # the marketplace ships from its own stock
    else:
        assert shop.orders(order["id"]) == [] and summary["counts"]["skipped"] == 1


def test_status_never_moves_backwards(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec())
    shop.run()
    admin.set_order_status(order["id"], "PENDING")
    summary = shop.run()
    assert shop.orders(order["id"])[0]["status"] == "approved"
    assert summary["counts"]["unchanged"] == 1


def test_backfill_params_import_the_window_from_the_cutoff(shop: Shop) -> None:
    shop.configure(reconcile_days=0, cutoff_date="2026-03-02")
    admin = shop.env.sandbox.admin
    before = admin.create_order(**order_spec(createdAt="2026-03-01T12:00:00-03:00"))
    inside = admin.create_order(**order_spec(createdAt="2026-03-02T23:30:00-03:00"))
    later = admin.create_order(**order_spec(createdAt="2026-03-05T10:00:00-03:00"))
    admin.clear_requests()
    summary = shop.run(created_from="2026-02-28", created_to="2026-03-03")
    assert shop.orders(before["id"]) == [] and shop.orders(later["id"]) == []
    assert len(shop.orders(inside["id"])) == 1
    assert summary["backfill_window"] == "2026-03-02..2026-03-03"
    listings = admin.requests(method="GET", path="/v2/orders")
    assert [r["query"]["createdAfter"] for r in listings] == [
        "2026-03-02T00:00:00.000-03:00",
        "2026-03-03T00:00:00.000-03:00",
    ]
    assert not admin.requests(path="/v2/orders/feeds")  # a backfill run does only its window


def test_bad_backfill_param_names_the_param(shop: Shop) -> None:
    from anymarket.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="created_from='31/01/2026' is not a date"):
        shop.run(created_from="31/01/2026")


def test_pending_orders_are_reread_when_their_recheck_is_due(shop: Shop) -> None:
    """orders.pending_recheck_minutes: a pending order is re-read then, even when no feed item says so."""
    from datetime import UTC, datetime, timedelta

    from anymarket.mapping.models import order_imports

    shop.configure(reconcile_days=0, pending_recheck_minutes=30)
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec(status="PENDING"))
    started = datetime.now(UTC)
    assert shop.run()["counts"]["waiting"] == 1
    with shop.env.mapping.engine.connect() as c:
        [due] = c.execute(sa.select(order_imports.c.next_check_at)).scalars().all()
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    assert started + timedelta(minutes=29) < due < datetime.now(UTC) + timedelta(minutes=31)
    admin.clear_requests()
    summary = shop.run()  # not due yet: nothing re-read
    assert summary["counts"].get("rechecked", 0) == 0
    assert not admin.requests(method="GET", path=f"/v2/orders/{order['id']}")
    with shop.env.mapping.engine.begin() as c:
        c.execute(sa.update(order_imports).values(next_check_at=started - timedelta(minutes=1)))
    summary = shop.run()
    assert summary["counts"]["rechecked"] == 1
    assert len(admin.requests(method="GET", path=f"/v2/orders/{order['id']}")) == 1


def test_the_daily_reconcile_lists_the_last_days_once_a_day(shop: Shop) -> None:
    """orders.reconcile_days: once a day the last N Brazilian days are listed again; 0 = off."""
    from datetime import datetime

    from anymarket.vocabulary import BRAZIL

    shop.configure(reconcile_days=2)
    admin = shop.env.sandbox.admin
    summary = shop.run()
    today = datetime.now(BRAZIL).date()
    listings = admin.requests(method="GET", path="/v2/orders")
    assert [r["query"]["createdAfter"][:10] for r in listings] == [
        str(today.fromordinal(today.toordinal() - 1)),
        str(today),
    ]
    assert summary["reconcile_window"] == f"{today.fromordinal(today.toordinal() - 1)}..{today}"
    admin.clear_requests()
    shop.run()  # within 24 hours: not again
    assert not admin.requests(method="GET", path="/v2/orders")
    shop.configure(reconcile_days=0)
    shop.env.mapping.set_cursor("loja1", "orders_reconciled_at", "2000-01-01T00:00:00+00:00")
    shop.run()
    assert not admin.requests(method="GET", path="/v2/orders")
