"""Listing health over the real sandbox (its marketplaces publish and refuse listings) and the
mapping DB on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.errors import ConfigurationError
from anymarket.mapping import models as m
from anymarket.operators.listing_health import CURSOR, AnyMarketListingHealthOperator
from anymarket_sandbox.testing import seed_large_catalog


def place(env, code: str, *, title: str, skus: list[tuple[str, str | None]], gender: str | None = "MALE",
          images: int = 1) -> dict[str, int]:  # fmt: skip
    """A product as sync_products leaves it: on AnyMarket (written into the sandbox's state, as
    ``seed_large_catalog`` does) with its SKUs linked in the mapping DB. Returns SKU code → id."""
    sb = env.sandbox.sandbox
    with sb.state.lock:
        account = sb.state.account()
        product_id = sb.state.next_id()
        account.products[product_id] = {
            "id": product_id,
            "title": title,
            "gender": gender,
            "isProductActive": True,
            "allowAutomaticSkuMarketplaceCreation": True,
            "definitionPriceScope": "SKU",
        }
        ids = {}
        for partner_id, ean in skus:
            sku_id = sb.state.next_id()
            account.skus[sku_id] = {
                "id": sku_id,
                "productId": product_id,
                "title": title,
                "partnerId": partner_id,
                "ean": ean,
                "price": 99.9,
                "sellPrice": 89.9,
                "active": True,
            }
            account.sku_index[partner_id] = sku_id
            ids[partner_id] = sku_id
        for n in range(images):
            image_id = sb.state.next_id()
            account.images[image_id] = {
                "id": image_id,
                "productId": product_id,
                "index": n + 1,
                "main": n == 0,
                "url": f"https://img.example.com/{code}/{n + 1}.jpg",
                "status": "PROCESSED",
                "createdAt": time.monotonic(),
            }
    env.mapping.link_many(
        "loja1",
        "sku",
        [
            {"erp_id": c, "anymarket_id": str(i), "payload_hash": None, "attributes": None}
            for c, i in ids.items()
        ],
    )
    return ids


def stock(env, sku_id: int, amount: int) -> None:
    sb = env.sandbox.sandbox
    with sb.state.lock:
        account = sb.state.account()
        if not account.stock_locals:
            local_id = sb.state.next_id()
            account.stock_locals[local_id] = {
                "id": local_id,
                "name": "CD",
                "defaultLocal": True,
                "virtual": False,
            }
        local_id = next(iter(account.stock_locals))
        account.stocks[(sku_id, local_id)] = {
            "amount": amount,
            "reservation": 0,
            "cost": None,
            "updatedAt": "",
        }


def publish(env) -> dict[str, int]:
    return env.sandbox.admin._call("POST", "/listings/publish")


def run(env, **params: Any) -> dict[str, Any]:
    operator = AnyMarketListingHealthOperator(task_id="listing_health", integration_id="loja1")
    return operator.execute({"run_id": "test-run", "params": params})


def stored(env) -> dict[tuple[str, str], dict[str, Any]]:
    with env.mapping.engine.connect() as conn:
        rows = conn.execute(sa.select(m.listings).where(m.listings.c.integration_id == "loja1")).all()
    return {(r.sku_code, r.marketplace): dict(r._mapping) for r in rows}


@pytest.fixture
def shop(integration_env):
    env = integration_env
    ids = {}
    ids |= place(env, "P1", title="Caneca Azul", skus=[("P1", "7891234567895")])
    # No EAN: Mercado Livre publishes it with a warning. Title over 60: Mercado Livre refuses it.
    ids |= place(env, "P2", title="Camiseta Básica", skus=[("P2-M", None)])
    ids |= place(env, "P3", title="Tênis de corrida " + "ultraleve " * 6, skus=[("P3", "7891234567888")])
    # No gender: Netshoes refuses it. No image: refused everywhere.
    ids |= place(env, "P4", title="Garrafa Térmica", skus=[("P4", "7891234567871")], gender=None)
    ids |= place(env, "P5", title="Mochila", skus=[("P5", "7891234567864")], images=0)
    for sku_id in ids.values():
        stock(env, sku_id, 5)
    publish(env)
    env.sandbox.admin.clear_requests()
    return {"env": env, "ids": ids}


def test_reads_every_listing_with_status_warnings_and_link(shop) -> None:
    env = shop["env"]
    summary = run(env)

    logged = env.sandbox.admin.requests()
    assert sorted(e["path"] for e in logged) == sorted(
        f"/v2/skus/{i}/marketplaces" for i in shop["ids"].values()
    )
    assert summary["requests_used"] == 5 and summary["budget_lane"] == "bulk"
    assert summary["counts"]["skus_read"] == 5 and summary["counts"]["listings_read"] == 15
    assert summary["pass_finished"] is True
    rows = stored(env)
    assert len(rows) == 15
    ok = rows[("P1", "MERCADO_LIVRE")]
    assert (ok["health"], ok["publication_status"], ok["marketplace_status"]) == ("ok", "ACTIVE", "Ativo")
    assert ok["permalink"].startswith("https://produto.mercadolivre.com.br/MLB") and ok["warnings"] == []
    warned = rows[("P2-M", "MERCADO_LIVRE")]
    assert (warned["health"], warned["publication_status"]) == ("warning", "ACTIVE")
    assert warned["warnings"] == ["GTIN (EAN) não informado: obrigatório para a categoria no Mercado Livre."]
    assert rows[("P2-M", "B2W")]["health"] == "ok"
    refused = rows[("P3", "MERCADO_LIVRE")]
    assert (refused["health"], refused["publication_status"], refused["permalink"]) == (
        "error",
        "UNPUBLISHED",
        None,
    )
    assert "o Mercado Livre aceita no máximo 60" in refused["warnings"][0]
    assert rows[("P4", "NETSHOES")]["health"] == "error" and rows[("P4", "B2W")]["health"] == "ok"
    assert {rows[("P5", mp)]["health"] for mp in ("MERCADO_LIVRE", "B2W", "NETSHOES")} == {"error"}
    # Turning error or warning is in the SKU's history with AnyMarket's message.
    [entry] = env.mapping.history_of("loja1", "sku", "P3")
    assert entry["outcome"] == "error" and entry["action"] == "listing_health"
    assert (
        entry["error"].startswith("MERCADO_LIVRE listing ") and "(UNPUBLISHED): Título com" in entry["error"]
    )
    assert summary["examples"]["listings_warning"] == ["P2-M @ MERCADO_LIVRE"]


def test_a_second_pass_writes_only_what_changed(shop) -> None:
    env = shop["env"]
    run(env)
    before = stored(env)
    listing_id = before[("P2-M", "MERCADO_LIVRE")]["listing_id"]
    env.sandbox.admin._call(
        "PATCH", f"/listings/{listing_id}", json={"warnings": [], "marketplaceStatus": "Ativo"}
    )
    summary = run(env, restart=True)

    counts = summary["counts"]
    assert (counts["listings_written"], counts["listings_unchanged"], counts["listings_removed"]) == (
        1,
        14,
        0,
    )
    after = stored(env)
    assert after[("P2-M", "MERCADO_LIVRE")]["health"] == "ok"
    assert all(
        after[k]["changed_at"] == before[k]["changed_at"] for k in before if k != ("P2-M", "MERCADO_LIVRE")
    )
    assert env.mapping.history_of("loja1", "sku", "P2-M")[-1]["outcome"] == "ok"


def test_a_finished_pass_waits_six_hours_and_a_sku_can_be_read_at_once(shop) -> None:
    env = shop["env"]
    run(env)
    env.sandbox.admin.clear_requests()
    summary = run(env)
    assert summary["requests_used"] == 0 and "next_pass_at" in summary
    assert env.sandbox.admin.requests() == []

    one = run(env, sku="P3")
    assert one["requests_used"] == 1 and one["budget_lane"] == "realtime" and one["sku"] == "P3"
    by_id = run(env, sku=str(shop["ids"]["P4"]))
    assert by_id["sku"] == "P4"
    with pytest.raises(ConfigurationError, match="SKU 'NOPE' is not linked to AnyMarket"):
        run(env, sku="NOPE")


def test_listings_gone_from_anymarket_or_of_unlinked_skus_are_deleted(shop) -> None:
    env = shop["env"]
    run(env)
    sb = env.sandbox.sandbox
    with sb.state.lock:
        listings = sb.state.account().__dict__["sku_marketplaces"]
        gone = next(
            i for i, x in listings.items() if x["skuId"] == shop["ids"]["P1"] and x["marketPlace"] == "B2W"
        )
        del listings[gone]
    with env.mapping.begin() as conn:
        conn.execute(sa.delete(m.links).where(m.links.c.entity_type == "sku", m.links.c.erp_id == "P5"))
    summary = run(env, restart=True)
    assert summary["counts"]["listings_removed"] == 1 and summary["counts"]["skus_unlinked_forgotten"] == 1
    rows = stored(env)
    assert ("P1", "B2W") not in rows and not [k for k in rows if k[0] == "P5"] and len(rows) == 11


def test_a_pass_stopped_by_the_budget_continues_where_it_stopped(shop, reconnect) -> None:
    env = shop["env"]
    # Bulk share of 4 requests an hour: the pass stops after a few SKUs, cleanly.
    reconnect(requests_per_hour=6)
    first = run(env)
    assert "waiting_for_budget" in first and first["waiting_for_budget"]["lane"] == "bulk"
    read_first = first["counts"]["skus_read"]
    assert 0 < read_first < 5
    state = json.loads(env.mapping.get_cursor("loja1", CURSOR))
    assert state["after"] == sorted(shop["ids"])[read_first - 1] and "finished_at" not in state
    reconnect(requests_per_hour=100_000)
    env.sandbox.admin.clear_requests()
    second = run(env)
    assert second["counts"]["skus_read"] == 5 - read_first and second["pass_finished"] is True
    assert len(env.sandbox.admin.requests()) == 5 - read_first
    assert len(stored(env)) == 15


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_requests_per_1000_skus(integration_env, reconnect) -> None:
    """One request per linked SKU, whatever its listings: the figure BENCHMARKS.md quotes."""
    env = integration_env
    reconnect(requests_per_hour=10_000_000)  # the bulk lane's pace (one a second) is not under test here
    seed_large_catalog(env.sandbox, products=150)
    sb = env.sandbox.sandbox
    with sb.state.lock:
        skus = {s["partnerId"]: str(s["id"]) for s in sb.state.account().skus.values()}
    env.mapping.link_many(
        "loja1",
        "sku",
        [{"erp_id": c, "anymarket_id": i, "payload_hash": None, "attributes": None} for c, i in skus.items()],
    )
    publish(env)
    env.sandbox.admin.clear_requests()
    summary = run(env)
    per_1000 = summary["requests_used"] * 1000 / len(skus)
    assert per_1000 == 1000 and summary["counts"]["listings_read"] == 3 * len(skus)
    again = run(env, restart=True)
    assert again["counts"]["listings_written"] == 0 and again["counts"]["listings_unchanged"] == 3 * len(skus)


def test_between_passes_only_skus_linked_since_are_read(shop) -> None:
    env = shop["env"]
    run(env)
    # sync_products places a new product, and sends P2-M again after a fix (its link's hash moves).
    new = place(env, "P6", title="Boné", skus=[("P6-A", "7891234567857"), ("P6-B", None)])
    for sku_id in new.values():
        stock(env, sku_id, 3)
    env.mapping.link_many(
        "loja1",
        "sku",
        [
            {
                "erp_id": "P2-M",
                "anymarket_id": str(shop["ids"]["P2-M"]),
                "payload_hash": "fixed",
                "attributes": None,
            }
        ],
    )
    publish(env)
    env.sandbox.admin.clear_requests()

    summary = run(env)

    paths = sorted(e["path"] for e in env.sandbox.admin.requests())
    wanted = [shop["ids"]["P2-M"], *new.values()]
    assert paths == sorted(f"/v2/skus/{i}/marketplaces" for i in wanted)
    assert summary["counts"]["skus_linked_since"] == 3 and "next_pass_at" in summary
    assert {k[0] for k in stored(env)} >= {"P6-A", "P6-B"}
    # Read once: the next run has nothing new.
    assert run(env)["requests_used"] == 0


def test_transmission_callbacks_make_the_next_run_read_their_skus_again(shop) -> None:
    """A listing AnyMarket says changed is read at the next run, between passes too; an unknown one
    waits for the pass; every notification read is marked handled."""
    from anymarket.callbacks import inbox

    env = shop["env"]
    run(env)
    rows = stored(env)
    p3 = [rows[("P3", mp)]["listing_id"] for mp in ("MERCADO_LIVRE", "B2W")]  # two listings, one SKU
    env.sandbox.admin._call(
        "PATCH", f"/listings/{p3[0]}", json={"publicationStatus": "PAUSED", "warnings": []}
    )
    for listing_id in (*p3, "999999999"):
        assert inbox.store(env.mapping, "loja1", "TRANSMISSION", listing_id, "UPDATE") == "stored"
    env.sandbox.admin.clear_requests()

    summary = run(env)  # between passes: without the callbacks it would send nothing
    assert [e["path"] for e in env.sandbox.admin.requests()] == [f"/v2/skus/{shop['ids']['P3']}/marketplaces"]
    counts = summary["counts"]
    assert (
        counts["callbacks_read"],
        counts["callbacks_unknown_listing"],
        counts["skus_read_for_callbacks"],
    ) == (
        3,
        1,
        1,
    )
    assert stored(env)[("P3", "MERCADO_LIVRE")]["publication_status"] == "PAUSED"
    assert inbox.count_pending(env.mapping, "loja1", "TRANSMISSION") == 0
    env.sandbox.admin.clear_requests()
    assert run(env).get("requests_used", 0) == 0  # handled once
