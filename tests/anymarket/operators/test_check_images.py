"""Image read-back over the real sandbox (it processes images asynchronously and fails some), a real
ERP and the mapping DB on SQLite and PostgreSQL: posted by sync_products, settled by check_images,
an ERROR shown with AnyMarket's message and posted again once the ERP image changes."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.catalog.images import ImageChecks
from anymarket.mapping import models as m
from anymarket.operators.check_images import AnyMarketCheckImagesOperator
from tests.anymarket.operators.test_sync_products import erp_exec, requests_since, seed_erp
from tests.anymarket.operators.test_sync_products import run as sync_products

BROKEN = "https://img.example.com/p1/catalogo.tif"
PROCESSING = 0.2


@pytest.fixture
def shop(integration_env, tmp_path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # The sandbox (in this process) processes images 0.2 s after they are posted instead of 2 s.
    monkeypatch.setattr("anymarket_sandbox.routes.products.IMAGE_PROCESSING_SECONDS", PROCESSING)
    seed_erp(integration_env.erp)
    # P1's second image is a TIFF, a format AnyMarket does not process.
    erp_exec(
        integration_env.erp,
        "UPDATE product_images SET url = :u WHERE position = 2 AND product_id = "
        "(SELECT id FROM products WHERE code = 'P1')",
        {"u": BROKEN},
    )
    return {"env": integration_env, "tmp": tmp_path}


def check(shop: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A check_images run once the sandbox has processed what was posted (the run's requests:
    ``requests_used``, 0 when it needed none)."""
    time.sleep(PROCESSING + 0.05)
    operator = AnyMarketCheckImagesOperator(
        task_id="check_images",
        integration_id="loja1",
        settle_seconds=kwargs.pop("settle_seconds", 0),
        **kwargs,
    )
    summary = operator.execute({"run_id": "test-run"})
    summary.setdefault("requests_used", 0)
    return summary


def rows(shop: dict[str, Any]) -> dict[str, dict[str, Any]]:
    t = m.image_checks
    with shop["env"].mapping.engine.connect() as conn:
        found = conn.execute(sa.select(t).where(t.c.integration_id == "loja1")).all()
    return {r.url.rsplit("/", 1)[-1] + ("@" + r.product_code): dict(r._mapping) for r in found}


def last_seq(shop: dict[str, Any]) -> int:
    logged = shop["env"].sandbox.admin.requests()
    return logged[-1]["seq"] if logged else 0


def test_posted_images_are_read_back_once_and_an_error_is_kept_with_anymarkets_message(shop) -> None:
    env = shop["env"]
    sync_products(shop)
    posted = rows(shop)
    assert len(posted) == 5 and {r["status"] for r in posted.values()} == {"UNPROCESSED"}
    seq = last_seq(shop)

    summary = check(shop)

    logged = requests_since(shop, seq)
    product_ids = env.mapping.links_of("loja1", "product")
    assert sorted(e["path"] for e in logged) == sorted(
        f"/v2/products/{i}/images" for i in product_ids.values()
    )
    assert summary["requests_used"] == 2 and summary["budget_lane"] == "bulk"
    assert summary["counts"]["images_processed"] == 4 and summary["counts"]["images_error"] == 1
    settled = rows(shop)
    broken = settled["catalogo.tif@P1"]
    assert broken["status"] == "ERROR" and broken["checks"] == 1
    assert broken["message"] == "Formato de imagem não suportado (TIF): envie JPG, PNG ou WEBP."
    assert [r["status"] for k, r in settled.items() if k != "catalogo.tif@P1"] == ["PROCESSED"] * 4
    [entry] = [h for h in env.mapping.history_of("loja1", "product", "P1") if h["action"] == "image"]
    assert entry["outcome"] == "error" and BROKEN in entry["error"] and "Formato de imagem" in entry["error"]
    assert ImageChecks(env.mapping, "loja1").problems()[0]["product_code"] == "P1"

    # Nothing waits any more: the next runs send nothing.
    seq = last_seq(shop)
    assert check(shop)["requests_used"] == 0 and requests_since(shop, seq) == []
    # And the product, unchanged in the ERP, is not sent again by sync_products.
    assert sync_products(shop)["requests_used"] == 0


def test_an_image_in_error_is_posted_again_once_the_erp_image_changes(shop) -> None:
    env = shop["env"]
    sync_products(shop)
    check(shop)
    fixed = "https://img.example.com/p1/catalogo.jpg"
    erp_exec(env.erp, "UPDATE product_images SET url = :u WHERE url = :b", {"u": fixed, "b": BROKEN})
    erp_exec(env.erp, "UPDATE products SET updated_at = CURRENT_TIMESTAMP WHERE code = 'P1'")
    seq = last_seq(shop)

    summary = sync_products(shop)

    writes = [
        (e["method"], e["path"].rsplit("/", 2)[-2:])
        for e in requests_since(shop, seq)
        if e["method"] != "GET"
    ]
    assert summary["counts"]["images_retried"] == 1 and summary["counts"]["images_added"] == 1
    assert [w[0] for w in writes] == [
        "DELETE",
        "POST",
    ]  # the broken one deleted (any setting), the new one posted
    with env.sandbox.sandbox.state.lock:
        remote = [i["url"] for i in env.sandbox.sandbox.state.account().images.values() if "/p1/" in i["url"]]
    assert BROKEN not in remote and fixed in remote
    now = rows(shop)
    assert "catalogo.tif@P1" not in now and now["catalogo.jpg@P1"]["status"] == "UNPROCESSED"
    assert check(shop)["counts"]["images_processed"] == 1
    assert rows(shop)["catalogo.jpg@P1"]["status"] == "PROCESSED"


def test_the_same_url_is_tried_again_when_the_product_is_sent_by_hand(shop) -> None:
    """The host may have fixed the file behind the URL: a person sends the product again."""
    sync_products(shop)
    check(shop)
    seq = last_seq(shop)
    summary = sync_products(shop, product_code="P1")
    methods = [e["method"] for e in requests_since(shop, seq) if "/images" in e["path"]]
    assert (
        summary["counts"]["images_retried"] == 1
        and methods.count("DELETE") == 1
        and methods.count("POST") == 1
    )
    assert rows(shop)["catalogo.tif@P1"]["status"] == "UNPROCESSED"
    assert check(shop)["counts"]["images_error"] == 1  # still a TIFF: in error again, with its message


def test_read_back_is_bounded_and_waits_for_images_to_settle(shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("anymarket_sandbox.routes.products.IMAGE_PROCESSING_SECONDS", 3600.0)
    sync_products(shop)
    # Posted just now: not read before they are settle_seconds old.
    assert check(shop, settle_seconds=600)["requests_used"] == 0
    for n in (1, 2):
        summary = check(shop, max_checks=3)
        assert summary["counts"]["images_unprocessed"] == 5 and summary["requests_used"] == 2
        assert {r["checks"] for r in rows(shop).values()} == {n}
    last = check(shop, max_checks=3)
    assert last["counts"]["images_unconfirmed"] == 5
    assert {(r["status"], r["message"]) for r in rows(shop).values()} == {
        ("UNCONFIRMED", "still UNPROCESSED after 3 reads")
    }
    assert check(shop, max_checks=3)["requests_used"] == 0  # not asked about again


def test_an_image_or_product_gone_from_anymarket_is_forgotten(shop) -> None:
    env = shop["env"]
    sync_products(shop)
    product_ids = env.mapping.links_of("loja1", "product")
    api_images = env.sandbox.sandbox.state.account().images
    with env.sandbox.sandbox.state.lock:
        p1 = int(product_ids["P1"])
        for image_id in [i for i, x in api_images.items() if x["productId"] == p1][:1]:
            del api_images[image_id]
    summary = check(shop)
    assert summary["counts"]["images_gone"] == 1 and len(rows(shop)) == 4


def test_bad_operator_arguments_name_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="settle_seconds >= 0 and max_checks >= 1"):
        AnyMarketCheckImagesOperator(task_id="x", integration_id="loja1", max_checks=0)
