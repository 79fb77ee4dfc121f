"""SKU listings on marketplaces and their prices (``/skus/.../marketplaces``), against the OpenAPI export."""

from __future__ import annotations

from typing import Any

import pytest

from anymarket_sandbox import conformance
from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog


def _conforms(api: Api, method: str, path: str, response: Any) -> None:
    if conformance.spec_available():
        body = response.json() if response.content else None
        problems = conformance.response_violations(method, api.base_url + path, response.status_code, body)
        assert problems == [], f"{response.status_code} to {method} {path}: {problems}"


@pytest.fixture
def skus(api: Api) -> dict[str, int]:
    seeded = seed_catalog(api)
    api.put(f"/products/{seeded['product']['id']}", json={"definitionPriceScope": "SKU_MARKETPLACE"})
    return {sku["partnerId"]: sku["id"] for sku in seeded["product"]["skus"]}


def test_create_read_and_price_listings(api: Api, skus: dict[str, int]) -> None:
    sku1 = skus["SKU-1"]
    created = api.post(
        f"/skus/{sku1}/marketplaces",
        json={"marketPlace": "MERCADO_LIVRE", "accountName": "Loja ML", "price": 60, "discountPrice": 50},
    )
    assert created.status_code == 200, created.text
    _conforms(api, "POST", f"/skus/{sku1}/marketplaces", created)
    listing = created.json()
    assert listing["publicationStatus"] == "ACTIVE" and listing["index"] == 1 and "skuId" not in listing

    listed = api.get(f"/skus/{sku1}/marketplaces")
    _conforms(api, "GET", f"/skus/{sku1}/marketplaces", listed)
    assert listed.json() == [listing]
    assert api.get("/skus/marketplaces", params={"partnerID": "SKU-1"}).json() == [listing]
    assert api.get("/skus/marketplaces", params={"partnerID": "SKU-2"}).json() == []
    assert api.get(f"/skus/{sku1}/marketplaces/{listing['id']}").json() == listing

    body = [
        {"id": listing["id"], "price": 70.5, "discountPrice": 65},
        {"id": 424242, "price": 1, "discountPrice": 1},
    ]
    priced = api.put("/skus/marketplaces/prices", json=body)
    assert priced.status_code == 200
    _conforms(api, "PUT", "/skus/marketplaces/prices", priced)
    assert priced.json() == [{"id": 424242, "errorMsg": "Anúncio '424242' não encontrado."}]
    after = api.get(f"/skus/{sku1}/marketplaces/{listing['id']}").json()
    assert (after["price"], after["discountPrice"]) == (70.5, 65)


def test_bad_bodies_are_422_and_change_nothing(api: Api, skus: dict[str, int]) -> None:
    listing = api.post(
        f"/skus/{skus['SKU-1']}/marketplaces",
        json={"marketPlace": "NETSHOES", "price": 10, "discountPrice": 9},
    ).json()
    assert api.post(f"/skus/{skus['SKU-1']}/marketplaces", json={"price": 1}).status_code == 422
    assert (
        api.post(
            "/skus/999/marketplaces", json={"marketPlace": "X", "price": 1, "discountPrice": 1}
        ).status_code
        == 404
    )
    assert api.put("/skus/marketplaces/prices", json={"id": listing["id"]}).status_code == 422
    bad = [
        {"id": listing["id"], "price": 20, "discountPrice": 19},
        {"id": listing["id"], "price": -1, "discountPrice": 1},
    ]
    assert api.put("/skus/marketplaces/prices", json=bad).status_code == 422
    assert api.get(f"/skus/{skus['SKU-1']}/marketplaces/{listing['id']}").json()["price"] == 10
    assert len(api.get("/skus/marketplaces").json()) == 1  # partnerID is optional: every listing


def test_prices_change_only_under_the_sku_marketplace_scope(api: Api, skus: dict[str, int]) -> None:
    listing = api.post(
        f"/skus/{skus['SKU-2']}/marketplaces",
        json={"marketPlace": "B2W_NEW_API", "price": 10, "discountPrice": 9},
    ).json()
    product_id = api.get("/skus/partnerId/SKU-2").json()["product"]["id"]
    api.put(f"/products/{product_id}", json={"definitionPriceScope": "SKU"})
    answer = api.put(
        "/skus/marketplaces/prices", json=[{"id": listing["id"], "price": 20, "discountPrice": 19}]
    )
    assert answer.status_code == 200 and "SKU_MARKETPLACE" in answer.json()[0]["errorMsg"]


def test_admin_seeds_and_lists_listings_without_budget(
    sandbox: SandboxServer, api: Api, skus: dict[str, int]
) -> None:
    admin = sandbox.admin
    sandbox.admin.clear_requests()
    seeded = admin.session.post(
        f"{admin.root_url}/_sandbox/skus/{skus['SKU-1']}/marketplaces",
        json={"marketPlace": "MERCADO_LIVRE", "price": 5, "discountPrice": 4},
        timeout=10,
    )
    assert seeded.status_code == 201
    everything = admin.session.get(f"{admin.root_url}/_sandbox/skus/marketplaces", timeout=10).json()
    assert [(x["id"], x["skuId"]) for x in everything] == [(seeded.json()["id"], skus["SKU-1"])]
    assert admin.requests() == []  # admin calls are not /v2 requests
    admin.reset()
    assert admin.session.get(f"{admin.root_url}/_sandbox/skus/marketplaces", timeout=10).json() == []
