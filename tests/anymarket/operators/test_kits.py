"""Kits end to end (issue 18, item 3) over the real sandbox, a real SQLite ERP and the mapping DB
(SQLite and PostgreSQL): sent as AnyMarket kits once their components are there, their stock derived
from the components', an order for one reserving the components."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.operators.import_orders import AnyMarketImportOrdersOperator
from anymarket.operators.send_stock import AnyMarketSendStockOperator
from anymarket_sandbox import conformance
from tests.anymarket.operators.test_sync_products import (
    add_product,
    api,
    erp_exec,
    remote_product,
    requests_since,
    run,
    seed_erp,
    writes,
)

COMPONENT = "P2-AZU-P"  # one SKU of the parent product P2


@pytest.fixture
def shop(integration_env, tmp_path: Path) -> dict[str, Any]:
    """seed_erp's P1 and P2, and product KIT1 (one SKU, KIT1) = 2 x P1 + 1 x P2-AZU-P."""
    erp = integration_env.erp
    seed_erp(erp)
    add_product(erp, 3, "KIT1", "Kit Caneca e Camiseta", has_variations=False, skus=[("KIT1", {})])
    set_kit(erp, {"P1": 2, COMPONENT: 1})
    return {"env": integration_env, "tmp": tmp_path}


def set_kit(erp, components: dict[str, float]) -> None:
    erp_exec(erp, "DELETE FROM kit_components")
    for code, quantity in components.items():
        erp_exec(
            erp,
            "INSERT INTO kit_components (kit_sku_id, component_sku_id, quantity) "
            "SELECT k.id, c.id, :q FROM skus k, skus c WHERE k.code = 'KIT1' AND c.code = :c",
            {"c": code, "q": quantity},
        )


def set_active(erp, product: str, active: bool) -> None:
    erp_exec(erp, "UPDATE products SET active = :a WHERE code = :c", {"a": active, "c": product})
    erp_exec(
        erp,
        "UPDATE skus SET active = :a WHERE product_id = (SELECT id FROM products WHERE code = :c)",
        {"a": active, "c": product},
    )


def sku_ids(shop: dict[str, Any]) -> dict[str, str]:
    return shop["env"].mapping.links_of("loja1", "sku")


def test_a_kit_waits_for_its_components_then_goes_with_them(shop: dict[str, Any]) -> None:
    env = shop["env"]
    set_active(env.erp, "P1", False)  # a component never sent: the kit cannot go yet

    first = run(shop)
    assert first["counts"]["kit_waiting"] == 1 and first["counts"]["skipped_inactive"] == 1
    [note] = first["examples"]["kits_waiting"]
    assert note.startswith("KIT1: component SKU(s) P1 not on AnyMarket yet")
    assert "KIT1" not in env.mapping.links_of("loja1", "product")
    assert api(shop).get("/products", params={"sku": "KIT1"}).json()["content"] == []

    set_active(env.erp, "P1", True)
    seq = env.sandbox.admin.requests()[-1]["seq"]
    second = run(shop)
    assert second["counts"]["created"] == 2 and "kit_waiting" not in second["counts"]  # P1, then the kit
    kit = remote_product(shop, "KIT1")
    ids = sku_ids(shop)
    assert kit["kitComponents"] == [
        {"idSku": ids["P1"], "quantity": 2, "percentage": 66.67, "isMainComponent": True},
        {"idSku": ids[COMPONENT], "quantity": 1, "percentage": 33.33, "isMainComponent": False},
    ]
    # The kit went in its own creation, after its component's: P1's POST comes first.
    posts = [
        e["body"]["skus"][0]["partnerId"]
        for e in requests_since(shop, seq)
        if (e["method"], e["path"]) == ("POST", "/v2/products")
    ]
    assert posts[-2:] == ["P1", "KIT1"]
    if conformance.spec_available():
        conformance.assert_requests_conform(env.sandbox.admin.requests())

    seq = env.sandbox.admin.requests()[-1]["seq"]
    unchanged = run(shop)
    assert unchanged["counts"]["unchanged"] >= 1 and writes(requests_since(shop, seq)) == []

    set_kit(env.erp, {"P1": 3, COMPONENT: 1})  # only the composition changed: no product row moved
    seq = env.sandbox.admin.requests()[-1]["seq"]
    changed = run(shop)
    assert changed["counts"]["updated"] == 1
    assert writes(requests_since(shop, seq)) == [("PUT", f"/v2/products/{kit['id']}")]
    assert remote_product(shop, "KIT1")["kitComponents"][0]["quantity"] == 3


def test_a_product_mixing_a_kit_with_other_skus_is_refused_by_name(shop: dict[str, Any]) -> None:
    env = shop["env"]
    erp_exec(
        env.erp,
        "INSERT INTO kit_components (kit_sku_id, component_sku_id, quantity) "
        "SELECT k.id, c.id, 1 FROM skus k, skus c WHERE k.code = 'P2-PRE-M' AND c.code = 'P1'",
    )
    summary = run(shop)
    assert summary["counts"]["rejected"] == 1
    [refused] = summary["examples"]["rejected_products"]
    assert refused.startswith("P2: product P2 holds kit SKU(s) P2-PRE-M among 4 SKUs")


STOCK_SETTINGS = """\
integrations:
  loja1:
    name: Loja 1
    environment: sandbox
    alert_emails: [ops@loja1.example]
    stock: {rule: default_deposit, balance: available, safety_stock: 0}
"""


def send_stock() -> dict[str, Any]:
    operator = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1")
    return operator.execute({"run_id": "test-run", "params": {"full_resend": False}})


def set_balance(erp, sku: str, quantity: float) -> None:
    erp_exec(
        erp,
        "INSERT INTO stock_balances (sku_id, deposit_id, quantity) "
        "SELECT id, 1, :q FROM skus WHERE code = :s "
        "ON CONFLICT (sku_id, deposit_id) DO UPDATE SET quantity = excluded.quantity",
        {"s": sku, "q": quantity},
    )


def shown(shop: dict[str, Any]) -> dict[str, int]:
    rows = api(shop).get("/stocks", params={"limit": 100}).json()["content"]
    return {r["stockKeepingUnit"]["partnerId"]: r["amount"] for r in rows}


def test_kit_stock_is_its_scarcest_component_and_follows_it(shop: dict[str, Any]) -> None:
    env = shop["env"]
    (shop["tmp"] / "integrations.yaml").write_text(STOCK_SETTINGS)
    erp_exec(env.erp, "INSERT INTO deposits (id, code, name, is_default) VALUES (1, 'SP', 'CD São Paulo', 1)")
    env.sandbox.admin.create_stock_local("CD São Paulo", default_local=True)
    run(shop)  # every product on AnyMarket, the kit included
    set_balance(env.erp, "P1", 9)
    set_balance(env.erp, COMPONENT, 7)
    set_balance(env.erp, "KIT1", 500)  # the kit's own balance is never read

    summary = send_stock()
    assert {k: v for k, v in shown(shop).items() if k in ("P1", COMPONENT, "KIT1")} == {
        "P1": 9,
        COMPONENT: 7,
        "KIT1": 4,  # floor(9 / 2) pairs of P1, 7 of the other
    }, summary

    # A component's change re-sends it and its kit, nothing else.
    set_balance(env.erp, "P1", 5)
    seq = env.sandbox.admin.requests()[-1]["seq"]
    send_stock()
    sent = [row for e in requests_since(shop, seq) if e["path"] == "/v2/stocks" for row in e["body"]]
    ids = {v: k for k, v in sku_ids(shop).items()}
    assert sorted((ids[str(row["id"])], row["quantity"]) for row in sent) == [("KIT1", 2), ("P1", 5)]


def test_an_order_for_a_kit_reserves_its_components_and_cancelling_releases_them(
    shop: dict[str, Any],
) -> None:
    env = shop["env"]
    with env.erp.engine.begin() as c:
        c.execute(
            sa.text("INSERT INTO deposits (id, code, name, is_default) VALUES (1, 'SP', 'CD São Paulo', 1)")
        )
        c.execute(sa.text("INSERT INTO carriers (id, code, name) VALUES (1, 'CORREIOS', 'Correios')"))
        c.execute(sa.text("INSERT INTO payment_methods (id, code, name) VALUES (1, 'CARTAO', 'Cartão')"))
    local = env.sandbox.admin.create_stock_local("CD São Paulo", default_local=True)["id"]
    env.mapping.set_mapping("loja1", "deposit", "SP", str(local))
    env.mapping.set_mapping("loja1", "carrier", "Correios", "CORREIOS")
    env.mapping.set_mapping("loja1", "payment_method", "CREDIT_CARD", "CARTAO")
    order = env.sandbox.admin.create_order(
        items=[
            {"partnerId": "KIT1", "quantity": 3, "unitPrice": 80.0},
            {"partnerId": "P1", "quantity": 1, "unitPrice": 20.0},
        ],
        buyer={"name": "Ana Silva", "document": "529.982.247-25", "documentType": "CPF"},
    )
    importer = AnyMarketImportOrdersOperator(task_id="import_orders", integration_id="loja1", watch_seconds=0)
    summary = importer.execute({"run_id": "test"})
    assert summary["counts"]["new"] == 1, summary

    def held() -> list[tuple[str, str, float, bool]]:
        with env.erp.engine.connect() as c:
            rows = c.execute(
                sa.text(
                    "SELECT s.code AS sku, li.code AS line, r.quantity, r.released_at "
                    "FROM stock_reservations r JOIN skus s ON s.id = r.sku_id "
                    "JOIN sales_order_items i ON i.id = r.sales_order_item_id "
                    "JOIN skus li ON li.id = i.sku_id ORDER BY li.code, s.code"
                )
            )
            return [(r.sku, r.line, float(r.quantity), r.released_at is not None) for r in rows]

    # The kit's line stays the kit; its reservations are 3 x 2 of P1 and 3 x 1 of the other component.
    with env.erp.engine.connect() as c:
        lines = c.execute(sa.text("SELECT s.code FROM sales_order_items i JOIN skus s ON s.id = i.sku_id"))
        assert sorted(r.code for r in lines) == ["KIT1", "P1"]
    assert held() == [
        ("P1", "KIT1", 6.0, False),
        (COMPONENT, "KIT1", 3.0, False),
        ("P1", "P1", 1.0, False),
    ]

    env.sandbox.admin.cancel_order(order["id"])
    importer.execute({"run_id": "test-2"})
    assert [released for *_, released in held()] == [True, True, True]


def test_the_client_works_when_anymarket_answers_kit_components_as_one_object(shop: dict[str, Any]) -> None:
    """The export types kitComponents as one object: with the sandbox answering that way, the kit is
    created all the same (the client sends a list and never needs the answer's), a rerun sends nothing,
    and adopting an existing kit product compares it without failing (one PUT brings it in line)."""
    env = shop["env"]
    env.sandbox.admin.set_behaviour(kit_components="object")
    assert run(shop)["counts"]["created"] == 3
    kit = remote_product(shop, "KIT1")
    ids = sku_ids(shop)
    assert kit["kitComponents"] == {
        "idSku": ids["P1"],
        "quantity": 2,
        "percentage": 66.67,
        "isMainComponent": True,
    }
    seq = env.sandbox.admin.requests()[-1]["seq"]
    run(shop)
    assert writes(requests_since(shop, seq)) == []

    # Linked by someone else (no sync state): read once and adopted.
    with env.mapping.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM product_sync WHERE product_code = 'KIT1'"))
    seq = env.sandbox.admin.requests()[-1]["seq"]
    assert run(shop)["counts"]["adopted"] == 1  # kits are looked at on every run
    assert writes(requests_since(shop, seq)) == [("PUT", f"/v2/products/{kit['id']}")]


def test_the_demo_erps_kit_reaches_anymarket_with_its_components_and_stock(integration_env) -> None:
    """What ``make demo`` shows: the demo ERP's KIT001 (2 x P00038 + 1 x P00054) created on AnyMarket in
    the same run as its components, with kitComponents and the stock its components allow."""
    from anymarket_sandbox.demo_erp import seed_demo_erp

    env = integration_env
    seed_demo_erp(env.erp, products=60, seed=7)
    env.sandbox.admin.create_stock_local("CD São Paulo", default_local=True)
    summary = run({"env": env})
    assert summary["counts"]["rejected"] == 0 and "kit_waiting" not in summary["counts"]
    kit = remote_product({"env": env}, "KIT001")
    links = env.mapping.links_of("loja1", "sku")
    assert [(c["idSku"], c["quantity"]) for c in kit["kitComponents"]] == [
        (links["P00038"], 2),
        (links["P00054"], 1),
    ]
    [kit_sku] = kit["skus"]
    with env.erp.engine.connect() as conn:
        balances = dict(
            conn.execute(
                sa.text(
                    "SELECT s.code, SUM(b.quantity) FROM stock_balances b JOIN skus s ON s.id = b.sku_id "
                    "JOIN deposits d ON d.id = b.deposit_id WHERE d.is_default = 1 AND s.code IN "
                    "('P00038', 'P00054') GROUP BY s.code"
                )
            ).all()
        )
        held = dict(
            conn.execute(
                sa.text(
                    "SELECT s.code, SUM(r.quantity) FROM stock_reservations r JOIN skus s ON s.id = r.sku_id "
                    "JOIN deposits d ON d.id = r.deposit_id WHERE d.is_default = 1 AND r.released_at IS NULL "
                    "AND s.code IN ('P00038', 'P00054') GROUP BY s.code"
                )
            ).all()
        )
    available = {
        code: float(balances.get(code, 0)) - float(held.get(code, 0)) for code in ("P00038", "P00054")
    }
    expected = int(min(available["P00038"] // 2, available["P00054"] // 1))
    assert kit_sku["amount"] == max(expected, 0) and expected > 0, available
