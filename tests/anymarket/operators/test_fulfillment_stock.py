"""Full stock over the real sandbox (its Full endpoint), the reference ERP on SQLite and the mapping
DB on SQLite and PostgreSQL: read per SKU, written into the mapped deposit when changed, never sent
back by send stock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.errors import ConfigurationError
from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow
from anymarket.operators.fulfillment_stock import CURSOR, AnyMarketFulfillmentStockOperator
from anymarket.operators.send_stock import AnyMarketSendStockOperator
from anymarket_sandbox.testing import seed_catalog

CODES = ("A", "B", "C")
CAJAMAR = {"document": "03007331011580", "description": "SP01 - Cajamar", "quantity": 12, "reserved": 2}
LOUVEIRA = {"document": "03007331012714", "description": "SP02 - Louveira", "quantity": 3, "reserved": 0}


@pytest.fixture
def shop(integration_env, tmp_path: Path) -> dict[str, Any]:
    """ERP deposits SP (the seller's, default) and FULL-ML; SKUs A, B, C linked to the sandbox's;
    Mercado Livre's Full mapped to FULL-ML; A holds 12 + 3 units at two Full CDs."""
    env = integration_env
    seeded = seed_catalog(env.sandbox, CODES)
    ids = {sku["partnerId"]: sku["id"] for sku in seeded["product"]["skus"]}
    with env.erp.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO deposits (id, code, name, is_default, active) VALUES (:i, :c, :n, :d, 1)"),
            [
                {"i": 1, "c": "SP", "n": "CD São Paulo", "d": 1},
                {"i": 9, "c": "FULL-ML", "n": "Full ML", "d": 0},
            ],
        )
        conn.execute(sa.text("INSERT INTO products (id, code, name) VALUES (1, 'P1', 'Camiseta')"))
        conn.execute(
            sa.text("INSERT INTO skus (id, product_id, code, name, sell_price) VALUES (:i, 1, :c, :c, 20)"),
            [{"i": i, "c": code} for i, code in enumerate(CODES, start=1)],
        )
        conn.execute(sa.text("INSERT INTO stock_balances (sku_id, deposit_id, quantity) VALUES (1, 1, 7)"))
    for code, anymarket_id in ids.items():
        env.mapping.link("loja1", "sku", code, str(anymarket_id))
    env.mapping.set_mapping("loja1", "fulfillment_deposit", "MERCADO_LIVRE", "FULL-ML")
    env.sandbox.admin.set_fulfillment("MERCADO_LIVRE", ids["A"], [CAJAMAR, LOUVEIRA])
    env.sandbox.admin.clear_requests()
    return {"env": env, "ids": ids, "tmp": tmp_path}


def run(**params: Any) -> dict[str, Any]:
    operator = AnyMarketFulfillmentStockOperator(task_id="fulfillment_stock", integration_id="loja1")
    return operator.execute({"run_id": "test-run", "params": params})


def full_balances(env) -> dict[str, float]:
    with env.erp.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.code, b.quantity FROM stock_balances b JOIN skus s ON s.id = b.sku_id "
                "WHERE b.deposit_id = 9"
            )
        ).all()
    return {code: float(quantity) for code, quantity in rows}


def full_reads(env) -> list[str]:
    return sorted(e["path"] for e in env.sandbox.admin.requests(path_prefix="/v2/stocks/fulfillment/"))


def listed(env, *rows: tuple[str, str]) -> None:
    """What listing health stored: SKU code x marketplace."""
    with env.mapping.begin() as conn:
        conn.execute(
            sa.insert(m.listings),
            [
                {
                    "integration_id": "loja1",
                    "listing_id": f"{code}-{marketplace}",
                    "sku_code": code,
                    "anymarket_sku_id": "1",
                    "marketplace": marketplace,
                    "health": "ok",
                    "data_hash": "x",
                    "changed_at": utcnow(),
                }
                for code, marketplace in rows
            ],
        )


def test_without_listings_every_linked_sku_is_read_and_only_changes_are_written(shop) -> None:
    env, ids = shop["env"], shop["ids"]
    summary = run()

    assert full_reads(env) == sorted(f"/v2/stocks/fulfillment/MERCADO_LIVRE/{ids[c]}" for c in CODES)
    assert summary["requests_used"] == 3 and summary["budget_lane"] == "bulk"
    counts = summary["counts"]
    # A: 12 + 3 physical units (reserved ones included); B and C: none, as the ERP already holds.
    assert (counts["skus_read"], counts["skus_with_full_stock"], counts["balances_written"]) == (3, 1, 1)
    assert counts["balances_unchanged"] == 2
    assert full_balances(env) == {"A": 15.0}
    [entry] = env.mapping.history_of("loja1", "sku", "A")
    assert entry["action"] == "fulfillment_stock" and entry["response"]["after"] == "15.000"
    assert summary["pass_finished"] is True and "no listings stored" in summary["evidence"]

    # A finished pass waits; a restart reads again and writes nothing unchanged.
    env.sandbox.admin.clear_requests()
    waiting = run()
    assert waiting["requests_used"] == 0 and "next_pass_at" in waiting
    again = run(restart=True)
    assert (again["counts"]["balances_written"], again["counts"]["balances_unchanged"]) == (0, 3)

    # A sells at the marketplace: the next read writes the new balance, B's arrival too.
    env.sandbox.admin.set_fulfillment("MERCADO_LIVRE", ids["A"], [dict(CAJAMAR, quantity=4, reserved=0)])
    env.sandbox.admin.set_fulfillment("MERCADO_LIVRE", ids["B"], [LOUVEIRA])
    changed = run(restart=True)
    assert changed["counts"]["balances_written"] == 2
    assert full_balances(env) == {"A": 4.0, "B": 3.0}


def test_with_listings_only_skus_listed_there_or_still_holding_full_stock_are_read(shop) -> None:
    env, ids = shop["env"], shop["ids"]
    with env.erp.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO stock_balances (sku_id, deposit_id, quantity) VALUES (3, 9, 5)"))
    # A listed on Mercado Livre; B only on Netshoes (it cannot be in ML's warehouses); C on B2W but the
    # ERP still holds 5 of it at Full ML from an earlier pass: read, and back to 0.
    listed(env, ("A", "MERCADO_LIVRE"), ("B", "NETSHOES"), ("C", "B2W"))
    summary = run()

    assert full_reads(env) == sorted(f"/v2/stocks/fulfillment/MERCADO_LIVRE/{ids[c]}" for c in ("A", "C"))
    assert summary["counts"]["skus_to_read"] == 2 and summary["counts"]["balances_written"] == 2
    assert full_balances(env) == {"A": 15.0, "C": 0.0}
    # Requests per 1 000 SKUs here: 2 of 3 linked SKUs (B is not listed on Mercado Livre).
    assert summary["requests_used"] == 2


def test_a_pass_continues_where_the_last_run_stopped(shop) -> None:
    env, ids = shop["env"], shop["ids"]
    env.mapping.set_cursor(
        "loja1", CURSOR, json.dumps({"started_at": utcnow().isoformat(), "after": "MERCADO_LIVRE A"})
    )
    summary = run()
    assert full_reads(env) == sorted(f"/v2/stocks/fulfillment/MERCADO_LIVRE/{ids[c]}" for c in ("B", "C"))
    assert summary["counts"]["skus_to_read"] == 3 and summary["pass_finished"] is True
    assert json.loads(env.mapping.get_cursor("loja1", CURSOR))["after"] == "MERCADO_LIVRE C"


def test_one_sku_now_and_mistakes_named(shop) -> None:
    env, ids = shop["env"], shop["ids"]
    one = run(sku=str(ids["A"]))
    assert one["sku"] == "A" and one["requests_used"] == 1 and one["budget_lane"] == "realtime"
    assert full_balances(env) == {"A": 15.0}
    with pytest.raises(ConfigurationError, match="SKU 'NOPE' is not linked to AnyMarket"):
        run(sku="NOPE")
    env.mapping.set_mapping("loja1", "fulfillment_deposit", "MERCADO_LIVRE", "GONE")
    with pytest.raises(ConfigurationError, match=r"MERCADO_LIVRE → 'GONE': the ERP has no active deposit"):
        run()
    with env.mapping.begin() as conn:
        conn.execute(sa.delete(m.mappings).where(m.mappings.c.kind == "fulfillment_deposit"))
    idle = run()
    assert idle.get("requests_used", 0) == 0 and "no fulfillment_deposit mapping" in idle["not_mapped"]


@pytest.mark.parametrize("rule", ["consolidated", "default_deposit"])
def test_full_stock_imported_is_never_sent_as_the_sellers(shop, rule: str) -> None:
    """After the import the ERP holds 15 of A at FULL-ML and 7 at SP: AnyMarket gets 7."""
    env, ids = shop["env"], shop["ids"]
    (shop["tmp"] / "integrations.yaml").write_text(
        "integrations:\n  loja1:\n    name: Loja 1\n    environment: sandbox\n"
        f'    alert_emails: [ops@loja1.example]\n    stock: {{"rule": "{rule}", "balance": "physical"}}\n'
        '    products: {"send_crossdocking": false}\n'
    )
    run()
    assert full_balances(env) == {"A": 15.0}
    sent = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1").execute(
        {"run_id": "test-run", "params": {"full_resend": False}}
    )
    assert sent["examples"]["deposits_full_not_sent"] == ["Full ML (FULL-ML)"]
    amounts = {row["stockKeepingUnit"]["id"]: row["amount"] for row in env.sandbox.admin.stocks()}
    assert amounts[ids["A"]] == 7


def test_between_passes_only_skus_newly_listed_there_are_read(shop) -> None:
    env, ids = shop["env"], shop["ids"]
    listed(env, ("A", "MERCADO_LIVRE"))
    first = run()
    assert first["pass_finished"] is True and full_balances(env) == {"A": 15.0}
    env.sandbox.admin.set_fulfillment("MERCADO_LIVRE", ids["B"], [LOUVEIRA])
    env.sandbox.admin.clear_requests()
    assert run().get("requests_used", 0) == 0  # nothing listed since
    # Listing health stores B's new Mercado Livre listing (and C's on Netshoes: not Full there).
    listed(env, ("B", "MERCADO_LIVRE"), ("C", "NETSHOES"))
    between = run()
    assert full_reads(env) == [f"/v2/stocks/fulfillment/MERCADO_LIVRE/{ids['B']}"]
    assert between["counts"]["skus_listed_since"] == 1 and "next_pass_at" in between
    assert full_balances(env) == {"A": 15.0, "B": 3.0}
    env.sandbox.admin.clear_requests()
    assert run().get("requests_used", 0) == 0  # read once
