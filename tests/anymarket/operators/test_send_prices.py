"""Send prices over the real sandbox, a real ERP and the mapping DB (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.errors import ConfigurationError
from anymarket.mapping import models as m
from anymarket.operators.send_prices import AnyMarketSendPricesOperator
from anymarket.operators.send_stock import AnyMarketSendStockOperator
from anymarket_sandbox import conformance
from anymarket_sandbox.testing import Api, seed_catalog

SKU_CODES = ("SKU-1", "SKU-2", "SKU-3", "SKU-4")
# ERP prices per SKU: (sell_price, list_price) and the price list "MKT"'s (sell, list).
OWN_PRICES = {"SKU-1": (49.9, 59.9), "SKU-2": (10.0, None), "SKU-3": (30.0, 25.0), "SKU-4": (99.99, 120.0)}
LIST_PRICES = {"SKU-1": (55.0, 65.0), "SKU-2": (11.5, 12.0), "SKU-3": (33.0, 40.0)}  # SKU-4 not in the list


@pytest.fixture
def shop(integration_env, tmp_path: Path) -> dict[str, Any]:
    """Four ERP SKUs of product P1 linked to the sandbox's (SKUs and product), a default deposit
    with stock, an active price list MKT (without SKU-4)."""
    env = integration_env
    seeded = seed_catalog(env.sandbox, SKU_CODES)
    ids = {sku["partnerId"]: str(sku["id"]) for sku in seeded["product"]["skus"]}
    with env.erp.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO deposits (id, code, name, is_default, active) VALUES (1, 'SP', 'CD SP', 1, 1)"
            )
        )
        conn.execute(sa.text("INSERT INTO products (id, code, name) VALUES (1, 'P1', 'Camiseta')"))
        conn.execute(
            sa.text(
                "INSERT INTO skus (id, product_id, code, name, crossdocking_days, sell_price, list_price) "
                "VALUES (:i, 1, :c, :c, 2, :s, :l)"
            ),
            [
                {"i": i, "c": code, "s": OWN_PRICES[code][0], "l": OWN_PRICES[code][1]}
                for i, code in enumerate(SKU_CODES, start=1)
            ],
        )
        conn.execute(
            sa.text("INSERT INTO stock_balances (sku_id, deposit_id, quantity) VALUES (:i, 1, :q)"),
            [{"i": i, "q": 5 * i} for i in range(1, 5)],
        )
        conn.execute(sa.text("INSERT INTO price_lists (id, code, name) VALUES (1, 'MKT', 'Marketplaces')"))
        conn.execute(
            sa.text(
                "INSERT INTO price_list_items (price_list_id, sku_id, sell_price, list_price) "
                "SELECT 1, s.id, :s, :l FROM skus s WHERE s.code = :c"
            ),
            [{"c": code, "s": sell, "l": listed} for code, (sell, listed) in LIST_PRICES.items()],
        )
    for code, anymarket_id in ids.items():
        env.mapping.link("loja1", "sku", code, anymarket_id)
    env.mapping.link("loja1", "product", "P1", str(seeded["product"]["id"]))
    env.sandbox.admin.clear_requests()
    api = Api(env.sandbox.base_url, env.sandbox.token)
    return {"env": env, "ids": ids, "product": seeded["product"]["id"], "tmp": tmp_path, "api": api}


def settings(shop: dict[str, Any], **products: Any) -> None:
    """Rewrite loja1's product settings (the operator reads them at run time)."""
    path = shop["tmp"] / "integrations.yaml"
    path.write_text(
        "integrations:\n  loja1:\n    name: Loja 1\n    environment: sandbox\n"
        "    alert_emails: [ops@loja1.example]\n"
        f"    products: {products!r}\n".replace("'", '"').replace("None", "null")
    )


def run(shop: dict[str, Any], **params: Any) -> dict[str, Any]:
    operator = AnyMarketSendPricesOperator(task_id="send_prices", integration_id="loja1")
    return operator.execute({"run_id": "test-run", "params": params})


def requests_made(shop: dict[str, Any]) -> list[dict[str, Any]]:
    return shop["env"].sandbox.admin.requests()


def sku_prices(shop: dict[str, Any]) -> dict[str, tuple[float, float]]:
    skus = shop["api"].get(f"/products/{shop['product']}/skus").json()
    return {s["partnerId"]: (s["price"], s["sellPrice"]) for s in skus}


def set_erp_price(shop: dict[str, Any], code: str, sell: float) -> None:
    with shop["env"].erp.engine.begin() as conn:
        conn.execute(sa.text("UPDATE skus SET sell_price = :s WHERE code = :c"), {"s": sell, "c": code})


def check_against_spec(shop: dict[str, Any]) -> None:
    """Our requests conform to AnyMarket's OpenAPI export (when the export is on this machine)."""
    if conformance.spec_available():
        conformance.assert_requests_conform(requests_made(shop))


def test_sku_scope_default_price_fixed_then_nothing_then_only_the_changed_sku(shop) -> None:
    settings(shop, price_scope="SKU")

    summary = run(shop)

    # SKU-2 has no list price and SKU-3 a list price below its sell price: "preço de" = "preço por".
    assert sku_prices(shop) == {
        "SKU-1": (59.9, 49.9),
        "SKU-2": (10.0, 10.0),
        "SKU-3": (30.0, 30.0),
        "SKU-4": (120.0, 99.99),
    }
    puts = [r for r in requests_made(shop) if r["method"] == "PUT"]
    assert len(puts) == 4 and all(r["path"].startswith(f"/v2/products/{shop['product']}/skus/") for r in puts)
    assert summary["counts"]["sent"] == 4 and summary["requests_used"] == 4
    check_against_spec(shop)

    shop["env"].sandbox.admin.clear_requests()
    idle = run(shop)
    assert requests_made(shop) == [] and idle.get("requests_used", 0) == 0
    assert idle["counts"]["unchanged"] == 4 and idle["counts"]["sent"] == 0

    set_erp_price(shop, "SKU-2", 12.5)
    changed = run(shop)
    assert [(r["path"], r["body"]) for r in requests_made(shop)] == [
        (f"/v2/products/{shop['product']}/skus/{shop['ids']['SKU-2']}", {"price": 12.5, "sellPrice": 12.5})
    ]
    assert changed["counts"]["sent"] == 1 and changed["counts"]["unchanged"] == 3


def test_sku_scope_price_list_with_markup(shop) -> None:
    settings(shop, price_scope="SKU", price_list="MKT", price_format="markup", price_factor=1.15)

    summary = run(shop)

    # 55.0 x 1.15 = 63.25; 65 x 1.15 = 74.75; 11.5 x 1.15 = 13.225 → 13.23 (half up); 12 x 1.15 = 13.8.
    got = sku_prices(shop)
    assert {code: got[code] for code in ("SKU-1", "SKU-2", "SKU-3")} == {
        "SKU-1": (74.75, 63.25),
        "SKU-2": (13.8, 13.23),
        "SKU-3": (46.0, 37.95),
    }
    assert got["SKU-4"] == (59.9, 49.9)  # not in the list: left as it was, and reported
    assert summary["examples"]["skipped_no_price_in_list"] == ["SKU-4"]
    assert summary["counts"]["sent"] == 3


def test_cost_scope_sends_the_cost_with_the_current_quantity_in_one_batch(shop) -> None:
    env = shop["env"]
    # Markup is AnyMarket's to apply in the COST scope (cost x the product's priceFactor).
    settings(shop, price_scope="COST", price_format="markup", price_factor=2.0, send_crossdocking=False)

    summary = run(shop)

    puts = requests_made(shop)
    assert [(r["method"], r["path"]) for r in puts] == [("PUT", "/v2/stocks")]
    assert sorted(puts[0]["body"], key=lambda r: r["id"]) == sorted(
        (
            {"id": int(shop["ids"][code]), "quantity": 5 * i, "cost": OWN_PRICES[code][0]}
            for i, code in enumerate(SKU_CODES, start=1)
        ),
        key=lambda r: r["id"],
    )
    stocks = shop["api"].get("/stocks", params={"limit": 100}).json()["content"]
    assert {r["stockKeepingUnit"]["partnerId"]: (r["amount"], r["cost"]) for r in stocks} == {
        "SKU-1": (5, 49.9),
        "SKU-2": (10, 10),
        "SKU-3": (15, 30),
        "SKU-4": (20, 99.99),
    }
    assert summary["counts"]["sent"] == 4
    check_against_spec(shop)

    # The quantity that went out is recorded as sent stock: send stock has nothing to add ...
    env.sandbox.admin.clear_requests()
    stock = AnyMarketSendStockOperator(task_id="send_stock", integration_id="loja1")
    assert stock.execute({"run_id": "r", "params": {}})["counts"]["sent"] == 0
    # ... and an idle price run sends nothing either; a new price sends that row alone.
    assert run(shop).get("requests_used", 0) == 0 and requests_made(shop) == []
    set_erp_price(shop, "SKU-3", 31.0)
    run(shop)
    assert [r["body"] for r in requests_made(shop)] == [
        [{"id": int(shop["ids"]["SKU-3"]), "quantity": 15, "cost": 31.0}]
    ]


def test_cost_scope_refuses_a_cost_field_that_send_stock_would_overwrite(shop) -> None:
    settings(shop, price_scope="COST", cost_field="cost_price")
    with pytest.raises(ConfigurationError, match=r"products\.cost_field: none"):
        run(shop)
    assert requests_made(shop) == []


def test_an_unknown_price_list_is_a_clear_error(shop) -> None:
    settings(shop, price_list="NOPE")
    with pytest.raises(ConfigurationError, match=r"products\.price_list is 'NOPE'.*lists: MKT"):
        run(shop)


def listing(shop: dict[str, Any], code: str, marketplace: str) -> str:
    admin = shop["env"].sandbox.admin
    response = admin.session.post(
        f"{admin.root_url}/_sandbox/skus/{shop['ids'][code]}/marketplaces",
        json={"marketPlace": marketplace, "price": 1, "discountPrice": 1},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def listing_prices(shop: dict[str, Any]) -> dict[str, tuple[float, float]]:
    admin = shop["env"].sandbox.admin
    rows = admin.session.get(f"{admin.root_url}/_sandbox/skus/marketplaces", timeout=10).json()
    return {str(r["id"]): (r["price"], r["discountPrice"]) for r in rows}


def scope_to(shop, scope: str) -> None:
    """Someone changes the product's price scope in AnyMarket (a whole ProductUpdate, as the panel sends)."""
    product = shop["api"].get(f"/products/{shop['product']}").json()
    body = {k: product[k] for k in ("title", "description", "priceFactor", "calculatedPrice")}
    answer = shop["api"].put(
        f"/products/{shop['product']}",
        json={**body, "category": product["category"], "definitionPriceScope": scope},
    )
    assert answer.status_code == 200, answer.text


def test_sku_marketplace_scope_prices_every_listing_and_keeps_their_ids(shop) -> None:
    env = shop["env"]
    settings(shop, price_scope="SKU_MARKETPLACE", price_list="MKT")
    scope_to(shop, "SKU_MARKETPLACE")
    ml1, nets1 = listing(shop, "SKU-1", "MERCADO_LIVRE"), listing(shop, "SKU-1", "NETSHOES")
    ml2 = listing(shop, "SKU-2", "MERCADO_LIVRE")
    env.sandbox.admin.clear_requests()

    summary = run(shop)

    assert listing_prices(shop) == {ml1: (65.0, 55.0), nets1: (65.0, 55.0), ml2: (12.0, 11.5)}
    reads = [r["path"] for r in requests_made(shop) if r["method"] == "GET"]
    # One read per linked SKU with a price (SKU-4 is not in the list); one PUT for the 3 listings.
    assert sorted(reads) == sorted(
        f"/v2/skus/{shop['ids'][c]}/marketplaces" for c in ("SKU-1", "SKU-2", "SKU-3")
    )
    puts = [r for r in requests_made(shop) if r["method"] == "PUT"]
    assert len(puts) == 1 and puts[0]["path"] == "/v2/skus/marketplaces/prices" and len(puts[0]["body"]) == 3
    assert summary["counts"]["sent"] == 3 and summary["examples"]["skus_without_listings"] == ["SKU-3"]
    with env.mapping.engine.connect() as conn:
        kept = dict(conn.execute(sa.select(m.price_listings.c.sku_code, m.price_listings.c.listings)).all())
    assert sorted(x["id"] for x in kept["SKU-1"]) == sorted([ml1, nets1]) and kept["SKU-3"] == []
    check_against_spec(shop)

    env.sandbox.admin.clear_requests()
    assert run(shop).get("requests_used", 0) == 0 and requests_made(shop) == []

    with env.erp.engine.begin() as conn:
        conn.execute(sa.text("UPDATE price_list_items SET sell_price = 50 WHERE sku_id = 1"))
    changed = run(shop)
    assert [(r["method"], r["body"]) for r in requests_made(shop)] == [
        (
            "PUT",
            [
                {"id": int(ml1), "price": 65.0, "discountPrice": 50.0},
                {"id": int(nets1), "price": 65.0, "discountPrice": 50.0},
            ],
        )
    ]
    assert changed["counts"]["sent"] == 2 and listing_prices(shop)[ml2] == (12.0, 11.5)


def test_sku_marketplace_refused_listing_is_recorded_and_the_rest_goes_through(shop) -> None:
    env = shop["env"]
    settings(shop, price_scope="SKU_MARKETPLACE")
    scope_to(shop, "SKU_MARKETPLACE")
    ml1, ml2 = listing(shop, "SKU-1", "MERCADO_LIVRE"), listing(shop, "SKU-2", "MERCADO_LIVRE")
    run(shop, sku="SKU-1")  # reads SKU-1's listings only
    # SKU-2's listings as read earlier, one of which AnyMarket has since closed and removed.
    with env.mapping.begin() as conn:
        conn.execute(
            sa.insert(m.price_listings).values(
                integration_id="loja1",
                sku_code="SKU-2",
                anymarket_id=shop["ids"]["SKU-2"],
                listings=[{"id": ml2}, {"id": "999999"}],
                read_at=sa.func.now(),
            )
        )
    set_erp_price(shop, "SKU-1", 45.0)
    env.sandbox.admin.clear_requests()

    summary = run(shop)

    assert listing_prices(shop) == {ml1: (59.9, 45.0), ml2: (10.0, 10.0)}
    assert summary["counts"]["failed"] == 1 and summary["counts"]["sent"] == 2
    assert summary["examples"]["failed"] == ["SKU-2 @ listing 999999: Anúncio '999999' não encontrado."]
    history = env.mapping.history_of("loja1", "sku", "SKU-2")
    assert history[-1]["outcome"] == "error" and history[-1]["request"] == {
        "id": 999999,
        "price": 10.0,
        "discountPrice": 10.0,
    }
    env.sandbox.admin.clear_requests()
    again = run(shop)
    assert requests_made(shop) == [] and again["counts"]["skipped_rejected_unchanged"] == 1


def test_refused_sku_is_recorded_retried_only_after_a_change_and_the_rest_goes_through(shop) -> None:
    env = shop["env"]
    settings(shop, price_scope="SKU")
    env.mapping.link("loja1", "sku", "SKU-3", "999999")  # deleted on AnyMarket since it was linked

    summary = run(shop)

    assert summary["counts"]["sent"] == 3 and summary["counts"]["failed"] == 1
    assert summary["examples"]["failed"][0].startswith("SKU-3 @ the SKU: Recurso com o id '999999'")
    history = env.mapping.history_of("loja1", "sku", "SKU-3")
    assert (
        history[-1]["request"] == {"price": 30.0, "sellPrice": 30.0}
        and history[-1]["response"]["status"] == 404
    )
    with env.mapping.engine.connect() as conn:
        refused = conn.execute(sa.select(m.price_rejected.c.sku_code, m.price_rejected.c.error)).all()
    assert [code for code, _ in refused] == ["SKU-3"] and "999999" in refused[0][1]

    env.sandbox.admin.clear_requests()
    again = run(shop)
    assert requests_made(shop) == [] and again["counts"]["skipped_rejected_unchanged"] == 1

    set_erp_price(shop, "SKU-3", 35.0)
    env.mapping.link("loja1", "sku", "SKU-3", shop["ids"]["SKU-3"])  # the product sync re-linked it
    assert run(shop)["counts"]["sent"] == 1 and sku_prices(shop)["SKU-3"] == (35.0, 35.0)
    with env.mapping.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(m.price_rejected)).scalar() == 0


def test_an_outage_leaves_nothing_marked_sent_and_the_next_run_continues(shop, reconnect) -> None:
    env = shop["env"]
    settings(shop, price_scope="SKU")
    reconnect(max_retries=2)
    operator = AnyMarketSendPricesOperator(task_id="send_prices", integration_id="loja1")
    real_request = operator.hook.request

    def request(method: str, endpoint: str, **kwargs: Any):
        response = real_request(method, endpoint, **kwargs)
        env.sandbox.admin.set_faults(error_burst=50)  # AnyMarket goes down after the first SKU
        return response

    operator.hook.request = request  # type: ignore[method-assign]
    with pytest.raises(Exception, match="HTTP 50"):
        operator.execute({"run_id": "r1", "params": {}})
    statuses = [r["status"] for r in requests_made(shop)]
    assert statuses[0] == 200 and set(statuses[1:]) <= {500, 502, 503} and len(statuses) == 4  # 1 + 3 tries
    with env.mapping.engine.connect() as conn:
        marked = conn.execute(sa.select(m.price_sent.c.sku_code)).scalars().all()
    assert marked == ["SKU-1"]
    last = env.mapping.last_run_summary("loja1", "send_prices")
    assert last["outcome"] == "failed" and last["summary"]["counts"]["sent"] == 1

    env.sandbox.admin.set_faults(error_burst=0)
    env.sandbox.admin.clear_requests()
    summary = run(shop)
    assert summary["counts"]["sent"] == 3 and summary["counts"]["unchanged"] == 1
    assert sku_prices(shop)["SKU-4"] == (120.0, 99.99)


def test_unlinked_skus_are_counted_and_params_send_one_product_or_everything(shop) -> None:
    env = shop["env"]
    settings(shop, price_scope="SKU")
    with env.mapping.begin() as conn:
        conn.execute(sa.text("DELETE FROM links WHERE erp_id = 'SKU-4'"))

    summary = run(shop)
    assert summary["counts"]["skipped_unlinked_skus"] == 1 and summary["examples"][
        "skipped_unlinked_skus"
    ] == ["SKU-4"]
    assert summary["counts"]["sent"] == 3

    env.sandbox.admin.clear_requests()
    one = run(shop, sku="SKU-2")  # unchanged, but asked for
    assert one["counts"]["sent"] == 1 and len(requests_made(shop)) == 1

    env.sandbox.admin.clear_requests()
    product = run(shop, sku="P1")  # every linked SKU of the product
    assert product["counts"]["sent"] == 3

    env.sandbox.admin.clear_requests()
    assert run(shop, full_resend=True)["counts"]["sent"] == 3
    with pytest.raises(ConfigurationError, match="Param 'sku' is 'NOPE'"):
        run(shop, sku="NOPE")


def test_without_a_product_link_the_product_is_looked_up_once(shop) -> None:
    env = shop["env"]
    settings(shop, price_scope="SKU")
    with env.mapping.begin() as conn:
        conn.execute(sa.text("DELETE FROM links WHERE entity_type = 'product'"))

    first = run(shop, sku="SKU-1")
    assert first["counts"]["product_lookups"] == 1
    assert [r["path"] for r in requests_made(shop)] == [
        "/v2/skus/partnerId/SKU-1",
        f"/v2/products/{shop['product']}/skus/{shop['ids']['SKU-1']}",
    ]
    env.sandbox.admin.clear_requests()
    again = run(shop, sku="SKU-1")
    assert "product_lookups" not in again["counts"] and len(requests_made(shop)) == 1
