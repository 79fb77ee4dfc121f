"""Send stock over the real sandbox, a real ERP and the mapping DB (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from airflow.sdk import AssetAlias
from airflow.sdk.execution_time.context import OutletEventAccessors

from anymarket.errors import ConfigurationError
from anymarket.operators.send_stock import AnyMarketSendStockOperator
from anymarket_sandbox.testing import Api, seed_catalog

SKU_CODES = ("SKU-1", "SKU-2", "SKU-3", "SKU-4")
ALIAS = AssetAlias("anymarket_loja1__stock")


@pytest.fixture
def shop(integration_env, tmp_path: Path) -> dict[str, Any]:
    """ERP deposits SP (default), REC, CWB; four SKUs linked to the sandbox's; sandbox warehouses
    "CD São Paulo" (default) and "CD Recife", mapped from SP and REC (CWB unmapped)."""
    env = integration_env
    seeded = seed_catalog(env.sandbox, SKU_CODES)
    sandbox_ids = {sku["partnerId"]: str(sku["id"]) for sku in seeded["product"]["skus"]}
    with env.erp.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO deposits (id, code, name, is_default, active) VALUES (:i, :c, :n, :d, 1)"),
            [
                {"i": 1, "c": "SP", "n": "CD São Paulo", "d": 1},
                {"i": 2, "c": "REC", "n": "CD Recife", "d": 0},
                {"i": 3, "c": "CWB", "n": "Loja Curitiba", "d": 0},
            ],
        )
        conn.execute(sa.text("INSERT INTO products (id, code, name) VALUES (1, 'P1', 'Camiseta')"))
        conn.execute(
            sa.text(
                "INSERT INTO skus (id, product_id, code, name, crossdocking_days, cost_price, sell_price) "
                "VALUES (:i, 1, :c, :c, :x, 10, 20)"
            ),
            [{"i": i, "c": code, "x": i} for i, code in enumerate(SKU_CODES, start=1)],
        )
    for code, anymarket_id in sandbox_ids.items():
        env.mapping.link("loja1", "sku", code, anymarket_id)
    counts = {"counts_toward_balance": True}
    env.mapping.set_mapping("loja1", "deposit", "SP", str(seeded["sp"]["id"]), attributes=counts)
    env.mapping.set_mapping("loja1", "deposit", "REC", str(seeded["recife"]["id"]), attributes=counts)
    env.sandbox.admin.clear_requests()
    return {"env": env, "ids": sandbox_ids, "sp": seeded["sp"]["id"], "tmp": tmp_path}


def settings(shop: dict[str, Any], **stock: Any) -> None:
    """Rewrite loja1's settings (the operator reads them at run time)."""
    products = stock.pop("products", {"send_crossdocking": False})
    path = shop["tmp"] / "integrations.yaml"
    path.write_text(
        "integrations:\n  loja1:\n    name: Loja 1\n    environment: sandbox\n"
        "    alert_emails: [ops@loja1.example]\n"
        f"    stock: {stock!r}\n    products: {products!r}\n".replace("'", '"')
    )


def set_balances(erp, *rows: tuple[str, str, float]) -> None:
    with erp.engine.begin() as conn:
        for sku, deposit, quantity in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO stock_balances (sku_id, deposit_id, quantity) "
                    "SELECT s.id, d.id, :q FROM skus s, deposits d WHERE s.code = :s AND d.code = :d "
                    "ON CONFLICT (sku_id, deposit_id) DO UPDATE SET quantity = excluded.quantity"
                ),
                {"s": sku, "d": deposit, "q": quantity},
            )


def reserve(erp, sku: str, deposit: str, quantity: float, order: str = "PV-1") -> None:
    """What order import does: a sales order holding stock in a deposit."""
    with erp.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO customers (name, document, document_type) SELECT 'Ana', '12345678909', 'CPF' "
                "WHERE NOT EXISTS (SELECT 1 FROM customers)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO sales_orders (code, customer_id, order_date) "
                "SELECT :o, (SELECT MIN(id) FROM customers), CURRENT_TIMESTAMP"
            ),
            {"o": order},
        )
        conn.execute(
            sa.text(
                "INSERT INTO stock_reservations (sku_id, deposit_id, sales_order_id, quantity) "
                "SELECT s.id, d.id, o.id, :q FROM skus s, deposits d, sales_orders o "
                "WHERE s.code = :s AND d.code = :d AND o.code = :o"
            ),
            {"s": sku, "d": deposit, "o": order, "q": quantity},
        )


def run(shop: dict[str, Any], *, full_resend: bool = False, outlet_events: Any = None) -> dict[str, Any]:
    operator = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1", outlets=[ALIAS])
    context: dict[str, Any] = {"run_id": "test-run", "params": {"full_resend": full_resend}}
    if outlet_events is not None:
        context["outlet_events"] = outlet_events
    return operator.execute(context)


def shown(shop: dict[str, Any]) -> dict[tuple[str, str], int]:
    """What the sandbox shows per SKU partnerId x warehouse name."""
    sandbox = shop["env"].sandbox
    rows = Api(sandbox.base_url, sandbox.token).get("/stocks", params={"limit": 100}).json()["content"]
    return {(r["stockKeepingUnit"]["partnerId"], r["stockLocal"]["name"]): r["amount"] for r in rows}


def stock_puts(shop: dict[str, Any], status: int | None = 204) -> list[dict[str, Any]]:
    logged = shop["env"].sandbox.admin.requests(method="PUT", path="/v2/stocks")
    return [r for r in logged if status is None or r["status"] == status]


def accepted_rows(shop: dict[str, Any]) -> list[tuple[int, Any]]:
    return sorted((row["id"], row.get("stockLocalId")) for put in stock_puts(shop) for row in put["body"])


SP, REC = "CD São Paulo", "CD Recife"


@pytest.mark.parametrize(
    ("rule", "balance", "expected"),
    [
        ("default_deposit", "physical", {("SKU-1", SP): 10, ("SKU-2", SP): 3}),
        ("default_deposit", "available", {("SKU-1", SP): 6, ("SKU-2", SP): 3}),
        ("consolidated", "physical", {("SKU-1", SP): 17, ("SKU-2", SP): 3}),
        ("consolidated", "available", {("SKU-1", SP): 12, ("SKU-2", SP): 2}),
        ("mapped_deposits", "physical", {("SKU-1", SP): 10, ("SKU-1", REC): 5, ("SKU-2", SP): 3}),
        ("mapped_deposits", "available", {("SKU-1", SP): 6, ("SKU-1", REC): 4, ("SKU-2", SP): 3}),
    ],
)
def test_each_rule_and_balance_kind(shop, rule: str, balance: str, expected: dict) -> None:
    settings(shop, rule=rule, balance=balance)
    set_balances(
        shop["env"].erp, ("SKU-1", "SP", 10), ("SKU-1", "REC", 5), ("SKU-1", "CWB", 2), ("SKU-2", "SP", 3)
    )
    reserve(shop["env"].erp, "SKU-1", "SP", 4)
    reserve(shop["env"].erp, "SKU-1", "REC", 1, order="PV-2")
    reserve(shop["env"].erp, "SKU-2", "CWB", 1, order="PV-3")

    summary = run(shop)

    got = {key: amount for key, amount in shown(shop).items() if key[0] in ("SKU-1", "SKU-2")}
    zeros = {key: 0 for key in got if key not in expected}
    assert got == expected | zeros
    warehouses = 2 if rule == "mapped_deposits" else 1
    assert summary["counts"]["considered"] == summary["counts"]["sent"] == 4 * warehouses
    assert len(stock_puts(shop)) == 1
    if rule == "mapped_deposits":
        assert summary["examples"]["deposits_not_mapped"] == ["Loja Curitiba (CWB)"]


def test_several_deposits_on_one_warehouse_are_summed(shop) -> None:
    env = shop["env"]
    settings(shop, rule="mapped_deposits", balance="physical")
    env.mapping.set_mapping(
        "loja1", "deposit", "CWB", str(shop["sp"]), attributes={"counts_toward_balance": True}
    )
    set_balances(env.erp, ("SKU-1", "SP", 10), ("SKU-1", "CWB", 2), ("SKU-1", "REC", 5))

    run(shop)

    assert shown(shop)[("SKU-1", SP)] == 12 and shown(shop)[("SKU-1", REC)] == 5


def test_safety_stock_made_to_order_cost_and_crossdocking(shop) -> None:
    env = shop["env"]
    settings(
        shop,
        rule="default_deposit",
        balance="available",
        safety_stock=2,
        products={"cost_field": "cost_price", "send_crossdocking": True},
    )
    with env.erp.engine.begin() as conn:
        conn.execute(sa.text("UPDATE skus SET made_to_order = 1 WHERE code = 'SKU-4'"))
    set_balances(env.erp, ("SKU-1", "SP", 2), ("SKU-2", "SP", 3), ("SKU-3", "SP", -5), ("SKU-4", "SP", 1))

    run(shop)

    assert {key[0]: amount for key, amount in shown(shop).items()} == {
        "SKU-1": 0,  # at the safety stock
        "SKU-2": 3,  # above it
        "SKU-3": 0,  # negative in the ERP: never sent below 0
        "SKU-4": 1,  # made to order: no safety stock
    }
    body = stock_puts(shop)[0]["body"]
    assert {row["cost"] for row in body} == {10} and sorted(row["additionalTime"] for row in body) == [
        1,
        2,
        3,
        4,
    ]
    assert all("stockLocalId" not in row for row in body)  # the default warehouse


def test_unlinked_sku_is_skipped_and_counted(shop) -> None:
    env = shop["env"]
    settings(shop, rule="default_deposit")
    with env.mapping.begin() as conn:
        conn.execute(sa.text("DELETE FROM links WHERE erp_id = 'SKU-3'"))
    set_balances(env.erp, ("SKU-3", "SP", 9), ("SKU-1", "SP", 1))

    summary = run(shop)

    assert summary["counts"]["skipped_unlinked_skus"] == 1 and summary["counts"]["skipped_unlinked_rows"] == 1
    assert summary["examples"]["skipped_unlinked_skus"] == ["SKU-3"]
    assert summary["counts"]["sent"] == 3
    assert ("SKU-3", SP) not in {k for k, v in shown(shop).items() if v}


def test_rejected_batch_is_split_down_to_the_bad_row(shop, reconnect) -> None:
    env = shop["env"]
    settings(shop, rule="default_deposit")
    reconnect(stock_batch_size=4)
    env.mapping.link("loja1", "sku", "SKU-3", "999999")  # deleted on AnyMarket since it was linked
    set_balances(env.erp, *((code, "SP", 5) for code in SKU_CODES))

    summary = run(shop)

    assert summary["counts"]["sent"] == 3 and summary["counts"]["failed"] == 1
    assert "SKU-3 @ the default warehouse" in summary["examples"]["failed"][0]
    assert {k[0]: v for k, v in shown(shop).items()} == {"SKU-1": 5, "SKU-2": 5, "SKU-3": 0, "SKU-4": 5}
    # 4 rows refused → halves [SKU-1, SKU-2] accepted, [SKU-3, SKU-4] refused → [SKU-3] refused, [SKU-4].
    assert [(len(r["body"]), r["status"]) for r in stock_puts(shop, status=None)] == [
        (4, 422),
        (2, 204),
        (2, 422),
        (1, 422),
        (1, 204),
    ]
    history = env.mapping.history_of("loja1", "sku", "SKU-3")
    assert history[-1]["outcome"] == "error" and history[-1]["request"] == {"id": 999999, "quantity": 5}
    assert "999999" in history[-1]["response"]["message"] and "não encontrado" in history[-1]["error"]

    # The refused row is not offered again while its values stay the same ...
    env.sandbox.admin.clear_requests()
    again = run(shop)
    assert stock_puts(shop, status=None) == [] and again["counts"]["skipped_rejected_unchanged"] == 1
    # ... and is once the product sync re-links it.
    env.mapping.link("loja1", "sku", "SKU-3", shop["ids"]["SKU-3"])
    assert run(shop)["counts"]["sent"] == 1 and shown(shop)[("SKU-3", SP)] == 5


def test_429_mid_run_is_retried_and_nothing_is_lost_or_sent_twice(shop, reconnect) -> None:
    env = shop["env"]
    settings(shop, rule="mapped_deposits", balance="physical")
    reconnect(stock_batch_size=2)
    set_balances(env.erp, *((code, deposit, 7) for code in SKU_CODES for deposit in ("SP", "REC")))
    operator = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1")
    real_request = operator.hook.request

    def request(method: str, endpoint: str, **kwargs: Any):
        response = real_request(method, endpoint, **kwargs)
        if method == "PUT" and len(stock_puts(shop)) == 1:  # after the first batch: a 429 burst
            env.sandbox.admin.set_faults(burst_429=2, burst_retry_after=0)
        return response

    operator.hook.request = request  # type: ignore[method-assign]
    summary = operator.execute({"run_id": "r1", "params": {}})

    assert summary["counts"]["sent"] == 8
    assert [r["status"] for r in stock_puts(shop, status=None)] == [204, 429, 429, 204, 204, 204]
    assert len(accepted_rows(shop)) == len(set(accepted_rows(shop))) == 8
    assert set(shown(shop).values()) == {7}


def test_a_run_stopped_half_way_is_continued_by_the_next(shop, reconnect) -> None:
    env = shop["env"]
    settings(shop, rule="mapped_deposits", balance="physical")
    reconnect(stock_batch_size=2, max_retries=1, max_retry_after=0.5)
    set_balances(env.erp, *((code, deposit, 7) for code in SKU_CODES for deposit in ("SP", "REC")))
    operator = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1")
    real_request = operator.hook.request

    def request(method: str, endpoint: str, **kwargs: Any):
        response = real_request(method, endpoint, **kwargs)
        if method == "PUT" and len(stock_puts(shop)) == 2:  # AnyMarket then throttles past our patience
            env.sandbox.admin.set_faults(burst_429=5, burst_retry_after=30)
        return response

    operator.hook.request = request  # type: ignore[method-assign]
    with pytest.raises(Exception, match="429"):
        operator.execute({"run_id": "r1", "params": {}})
    assert len(accepted_rows(shop)) == 4
    env.sandbox.admin.set_faults(burst_429=0)

    summary = run(shop)  # the task's retry, or the next minute's run

    assert summary["counts"]["sent"] == 4 and summary["counts"]["unchanged"] == 4
    assert len(accepted_rows(shop)) == len(set(accepted_rows(shop))) == 8
    assert set(shown(shop).values()) == {7}


def test_reservation_lowers_the_next_send_and_no_change_sends_nothing(shop) -> None:
    env = shop["env"]
    settings(shop, rule="default_deposit", balance="available")
    set_balances(env.erp, ("SKU-1", "SP", 10), ("SKU-2", "SP", 4))
    first_events = OutletEventAccessors()
    run(shop, outlet_events=first_events)
    assert shown(shop)[("SKU-1", SP)] == 10
    assert first_events[ALIAS].asset_alias_events[0].dest_asset_key.uri == "anymarket://loja1/stock"

    env.sandbox.admin.clear_requests()
    idle_events = OutletEventAccessors()
    idle = run(shop, outlet_events=idle_events)
    assert stock_puts(shop, status=None) == []  # no ERP change: not one PUT /stocks
    assert idle["counts"]["unchanged"] == 4 and idle["counts"]["sent"] == 0
    assert idle["requests_used"] == 0
    assert idle_events[ALIAS].asset_alias_events == []  # nothing sent: no asset event

    reserve(env.erp, "SKU-1", "SP", 3)  # an order imported from AnyMarket
    summary = run(shop)
    assert [put["body"] for put in stock_puts(shop)] == [[{"id": int(shop["ids"]["SKU-1"]), "quantity": 7}]]
    assert summary["counts"] == {
        "considered": 4,
        "unchanged": 3,
        "changed": 1,
        "sent": 1,
        "failed": 0,
        "put_requests": 1,
    }
    assert shown(shop)[("SKU-1", SP)] == 7

    env.sandbox.admin.clear_requests()
    resent = run(shop, full_resend=True)
    assert resent["counts"]["sent"] == 4 and len(stock_puts(shop)) == 1
    last = env.mapping.last_run_summary("loja1", "send_stock")
    assert last["outcome"] == "ok" and last["summary"]["full_resend"] is True


def test_a_batch_size_above_anymarkets_limit_is_refused_before_sending(shop, reconnect) -> None:
    settings(shop, rule="default_deposit")
    reconnect(stock_batch_size=201)
    with pytest.raises(ConfigurationError, match="at most 200 rows per PUT /stocks"):
        run(shop)
    assert stock_puts(shop, status=None) == []


def _created_by_product_sync(shop: dict[str, Any], *codes: str, minutes_ago: float = 0) -> None:
    """Link SKUs as sync_products does when its creation left them at amount 0 (mapped_deposits)."""
    from datetime import UTC, datetime, timedelta

    from anymarket.catalog.state import CREATED_WITHOUT_STOCK
    from anymarket.mapping import models as m

    env = shop["env"]
    rows = [
        {
            "erp_id": code,
            "anymarket_id": shop["ids"][code],
            "payload_hash": None,
            "attributes": {"product": "P1", CREATED_WITHOUT_STOCK: True},
        }
        for code in codes
    ]
    env.mapping.link_many("loja1", "sku", rows)
    with env.mapping.begin() as conn:
        conn.execute(
            sa.update(m.links)
            .where(m.links.c.entity_type == "sku", m.links.c.erp_id.in_(codes))
            .values(created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago))
        )


def test_first_rows_of_skus_just_created_wait_for_a_full_batch_changes_never_wait(shop, reconnect) -> None:
    env = shop["env"]
    settings(shop, rule="mapped_deposits", balance="physical")
    reconnect(stock_batch_size=3)
    _created_by_product_sync(shop, "SKU-1", "SKU-2", "SKU-3")  # SKU-4: linked by hand, never waits
    set_balances(env.erp, *((code, deposit, 4) for code in SKU_CODES for deposit in ("SP", "REC")))

    # 8 rows: SKU-4's 2 go first, then 6 first rows; the last batch would hold only 2 first rows.
    first = run(shop)
    assert [len(put["body"]) for put in stock_puts(shop)] == [3, 3]
    assert first["counts"]["sent"] == 6 and first["counts"]["held_first_rows"] == 2
    assert "or 5 min after their SKUs were created" in first["held_first_rows_until"]
    assert shown(shop)[("SKU-4", SP)] == shown(shop)[("SKU-4", REC)] == 4
    assert shown(shop).get(("SKU-3", REC), 0) == 0  # AnyMarket shows 0 meanwhile: undersold, never oversold

    # Nothing else to send: the two still wait, no part-filled PUT.
    env.sandbox.admin.clear_requests()
    assert run(shop)["counts"]["held_first_rows"] == 2 and stock_puts(shop, status=None) == []

    # A sale on a SKU AnyMarket shows goes at once, and takes the waiting rows along in its batch.
    set_balances(env.erp, ("SKU-4", "SP", 1))
    third = run(shop)
    assert [len(put["body"]) for put in stock_puts(shop)] == [3]
    assert third["counts"]["sent"] == 3 and "held_first_rows" not in third["counts"]
    assert shown(shop)[("SKU-4", SP)] == 1 and shown(shop)[("SKU-3", REC)] == 4


@pytest.mark.parametrize(
    ("minutes_ago", "stock", "held"),
    [
        (6, {}, 0),  # older than the 5-minute default: they go, part-filled batch and all
        (0, {"first_stock_wait_minutes": 0}, 0),  # waiting switched off
        (4, {"first_stock_wait_minutes": 0}, 0),
        (4, {}, 2),  # young, waiting on: the part-filled last batch waits
        (0, {"first_stock_wait_minutes": 1}, 2),
    ],
)
def test_first_rows_go_alone_once_old_enough_or_when_waiting_is_off(
    shop, reconnect, minutes_ago: float, stock: dict, held: int
) -> None:
    settings(shop, rule="mapped_deposits", balance="physical", **stock)
    reconnect(stock_batch_size=3)
    _created_by_product_sync(shop, *SKU_CODES, minutes_ago=minutes_ago)

    summary = run(shop)

    assert summary["counts"]["sent"] == 8 - held and summary["counts"].get("held_first_rows", 0) == held
    assert len(stock_puts(shop)) == (8 - held + 2) // 3
