"""Pytest fixtures: ``pytest_plugins = ["anymarket_sandbox.testing"]``.

- ``sandbox_server`` (session): one :class:`SandboxServer` on a free port for the whole run.
- ``sandbox`` (function): the same server, reset (state, faults, budget, request log, callback
  deliveries, extra tokens) before the test.

Helpers for any test: :class:`Api` (``requests`` with the base URL and token filled in) and
:func:`seed_catalog` (warehouses, brand, category, variation type and one product, via ``/v2``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from anymarket_sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    sandbox_server.admin.reset()
    return sandbox_server


class Api:
    """``requests`` with the base URL and ``gumgaToken`` filled in."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["gumgaToken"] = token

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def seed_catalog(
    target: SandboxServer | Api, skus: tuple[str, ...] = ("SKU-1", "SKU-2"), *, with_stock: bool = False
) -> dict[str, Any]:
    """Two warehouses (the first default), a brand, a category, a 'Cor' type and one product.

    ``target`` is a running server (its primary account) or an :class:`Api`; with ``with_stock``
    each SKU gets 10 units in the default warehouse.
    """
    api = target if isinstance(target, Api) else Api(target.base_url, target.token)
    sp = api.post("/stocks/locals", json={"name": "CD São Paulo", "defaultLocal": True}).json()["data"]
    recife = api.post("/stocks/locals", json={"name": "CD Recife"}).json()["data"]
    brand = api.post("/brands", json={"name": "Marca X", "partnerId": "B1"}).json()
    category = api.post("/categories", json={"name": "Roupas", "partnerId": "C1"}).json()
    api.post(
        "/variations", json={"name": "Cor", "visualVariation": True, "values": [{"description": "Azul"}]}
    )
    product = api.post(
        "/products",
        json={
            "title": "Camiseta",
            "description": "<p>Algodão</p>",
            "category": {"id": category["id"]},
            "brand": {"id": brand["id"]},
            "warrantyTime": 3,
            "height": 2,
            "width": 20,
            "length": 30,
            "weight": 0.2,
            "priceFactor": 1,
            "calculatedPrice": False,
            "definitionPriceScope": "SKU",
            "hasVariations": True,
            "images": [{"index": 1, "main": True, "url": "https://img.example.com/1.jpg"}],
            "skus": [
                {
                    "title": f"Camiseta {s}",
                    "partnerId": s,
                    "price": 59.9,
                    "sellPrice": 49.9,
                    "amount": 0,
                    "additionalTime": 0,
                    "variations": {"Cor": "Azul" if i == 0 else "Verde"},
                }
                for i, s in enumerate(skus)
            ],
        },
    )
    assert product.status_code == 201, product.text
    if with_stock:
        stocked = api.put("/stocks", json=[{"partnerId": s, "quantity": 10} for s in skus])
        assert stocked.status_code == 204, stocked.text
    return {"sp": sp, "recife": recife, "brand": brand, "category": category, "product": product.json()}
