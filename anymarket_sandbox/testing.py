"""Pytest fixtures: ``pytest_plugins = ["anymarket_sandbox.testing"]``.

- ``sandbox_server`` (session): one :class:`SandboxServer` on a free port for the whole run.
- ``sandbox`` (function): the same server, reset (state, faults, budget, request log, callback
  deliveries, extra tokens) before the test; the test fails on its exchanges' OpenAPI violations.
- :func:`validated_server`: a server of a test's own (demo mode, e2e tiers), validated the same way.

Validation against AnyMarket's OpenAPI spec is on whenever the spec is on this machine
(``anymarket_sandbox.conformance.enabled``); the run's header says whether it is.

Helpers for any test: :class:`Api` (``requests`` with the base URL and token filled in) and
:func:`seed_catalog` (warehouses, brand, category, variation type and one product, via ``/v2``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from anymarket_sandbox.server import SandboxServer


def _validation_line() -> str:
    from anymarket_sandbox import conformance

    return f"AnyMarket OpenAPI validation: {conformance.enabled()[1]}"


def pytest_report_header(config: pytest.Config) -> str:
    """Said once at the top of every run: whether the sandboxes validate against AnyMarket's spec."""
    return _validation_line()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """``-q`` hides the header: a quiet run says it at the end instead, so it is never silent."""
    if config.get_verbosity() < 0:
        terminalreporter.write_line(_validation_line())


def _validation() -> bool:
    from anymarket_sandbox import conformance

    return conformance.enabled()[0]


def _fail_on_violations(server: SandboxServer, mark: int, where: str) -> None:
    """Fail the test (or the fixture's teardown) on violations recorded since ``mark`` outside
    ``conformance.TOLERATED``, each named by operation, status, side, field and what is wrong."""
    from anymarket_sandbox import conformance

    validator = server.sandbox.conformance
    if validator is None:
        return
    validator.settle()
    outside = validator.outside_since(mark)
    _dump_report(server)
    if outside:
        pytest.fail(conformance.failure_text(outside, where), pytrace=False)


def _dump_report(server: SandboxServer) -> None:
    """``SANDBOX_CONFORMANCE_REPORT=<file>``: the whole report (tolerated violations too), for triage."""
    import json
    import os

    dump = os.environ.get("SANDBOX_CONFORMANCE_REPORT")
    validator = server.sandbox.conformance
    if dump and validator is not None:
        with open(dump, "w", encoding="utf-8") as handle:
            json.dump({**validator.report(), "all": validator.violations}, handle, indent=1, default=str)


@contextmanager
def validated_server(*, where: str = "this sandbox", **kwargs: Any) -> Iterator[SandboxServer]:
    """A :class:`SandboxServer` (same arguments) that validates its traffic against the spec whenever the
    spec is on this machine, and fails on leaving on any violation outside the tolerated list — for
    tests and tiers that start a sandbox of their own (demo mode, the e2e tiers)."""
    kwargs.setdefault("validate_openapi", _validation())
    with SandboxServer(**kwargs) as server:
        yield server
        _fail_on_violations(server, 0, where)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """One sandbox for the session. It applies the behaviour switches of the environment
    (``SANDBOX_LIST_ORDER=oldest``, ``SANDBOX_CREATED_BEFORE=inclusive``, ``SANDBOX_PUT_MODE=strict``)
    and, whenever AnyMarket's OpenAPI spec is on this machine (``../shared``; ``SANDBOX_VALIDATE_OPENAPI=0``
    turns it off, the run's header says which), validates every /v2 request and response: a test whose
    exchanges violate the spec outside ``conformance.TOLERATED`` fails (:func:`sandbox`), and so does the
    session for exchanges of tests that use this fixture directly."""
    with SandboxServer(validate_openapi=_validation()) as server:
        yield server
        validator = server.sandbox.conformance
        if validator is not None:
            validator.settle()
            # What no test's own check reported (tests on ``sandbox_server`` itself), once.
            rest = [v for v in validator.outside_since(0) if not v.get("reported")]
            _dump_report(server)
            if rest:
                from anymarket_sandbox import conformance

                where = "tests using the session's sandbox_server directly"
                pytest.fail(conformance.failure_text(rest, where), pytrace=False)


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    """The session's sandbox, reset; the test fails on its own exchanges' spec violations (when
    validating), named by operation, status, field and what is wrong."""
    sandbox_server.admin.reset()
    validator = sandbox_server.sandbox.conformance
    if validator is not None:
        validator.settle()  # the previous test's last exchanges are its own
    mark = validator.mark() if validator is not None else 0
    yield sandbox_server
    if validator is not None:
        validator.settle()
        outside = validator.outside_since(mark)
        for violation in outside:
            violation["reported"] = True  # the session's check leaves it out
        if outside:
            from anymarket_sandbox import conformance

            pytest.fail(conformance.failure_text(outside, request.node.nodeid), pytrace=False)


def off_spec(reason: str) -> dict[str, str]:
    """Headers of a request a test sends off the spec on purpose (``api.put(..., headers=off_spec("…"))``):
    the OpenAPI validator then checks only its response."""
    return {"X-Sandbox-Off-Spec": reason}


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


# -- catalog import: a large AnyMarket catalog, seeded fast -------------------------------------------
GENDER_CHOICES = ("MALE", "FEMALE", "UNISSEX", None)


def seed_large_catalog(server: SandboxServer, products: int = 1000, *, seed: int = 7) -> dict[str, Any]:
    """A catalog of ``products`` AnyMarket products for import tests and benches, in seconds.

    Warehouses ("CD São Paulo" default, "CD Recife"), 6 brands (half without ``partnerId``), a
    3-level category tree (some nodes without ``partnerId``) and the ``Cor``/``Tamanho`` types go
    through ``/v2`` as a client would; products, SKUs and stock rows are written straight into the
    running sandbox's state in its stored form (thousands of POSTs would take minutes). About 60 %
    of the products have 2-4 variation SKUs, every 10th is inactive, SKUs have stock in one or both
    warehouses. Deterministic for a given ``seed``. Returns the ids created.
    """
    import random

    from anymarket_sandbox.state import now_iso

    rng = random.Random(seed)
    api = Api(server.base_url, server.token)
    sp = api.post("/stocks/locals", json={"name": "CD São Paulo", "defaultLocal": True}).json()["data"]
    recife = api.post("/stocks/locals", json={"name": "CD Recife"}).json()["data"]
    brands = [
        api.post("/brands", json={"name": f"Marca {n}", **({"partnerId": f"MB{n}"} if n % 2 else {})}).json()
        for n in range(6)
    ]
    leaves = []
    for r in range(3):
        root = api.post("/categories", json={"name": f"Raiz {r}", "partnerId": f"CR{r}"}).json()
        for c in range(2):
            child = api.post(
                "/categories",
                json={
                    "name": f"Sub {r}.{c}",
                    "parent": {"id": root["id"]},
                    **({"partnerId": f"CS{r}{c}"} if c else {}),
                },
            ).json()
            for g in range(2):
                leaves.append(
                    api.post(
                        "/categories", json={"name": f"Folha {r}.{c}.{g}", "parent": {"id": child["id"]}}
                    ).json()
                )
    colours, sizes = ["Azul", "Verde", "Preto"], ["P", "M", "G"]
    cor = api.post(
        "/variations",
        json={"name": "Cor", "visualVariation": True, "values": [{"description": c} for c in colours]},
    ).json()
    tamanho = api.post(
        "/variations", json={"name": "Tamanho", "values": [{"description": s} for s in sizes]}
    ).json()
    value_ids = {(t["name"], v["description"]): v["id"] for t in (cor, tamanho) for v in t["values"]}

    sb = server.sandbox
    state = sb.state
    with state.lock:
        account = state.account()
        for n in range(products):
            product_id = state.next_id()
            has_variations = rng.random() < 0.6
            account.products[product_id] = {
                "id": product_id,
                "title": f"Produto {n}",
                "description": f"Linha 1 do produto {n}<br>Linha 2 &amp; mais",
                "externalIdProduct": f"EXT-{n}" if n % 3 else None,
                "nbm": {"id": "61091000"},
                "origin": {"id": rng.choice((0, 1, 2))} if n % 4 else None,
                "model": f"Modelo {n}" if n % 2 else None,
                "videoUrl": None,
                "gender": rng.choice(GENDER_CHOICES),
                "warrantyTime": rng.choice((3, 6, 12)),
                "warrantyText": "Garantia do fabricante" if n % 5 == 0 else None,
                "height": rng.randint(1, 50),
                "width": rng.randint(5, 60),
                "length": rng.randint(5, 80),
                "weight": round(rng.uniform(0.1, 9.0), 3),
                "priceFactor": 1,
                "calculatedPrice": False,
                "definitionPriceScope": "SKU",
                "hasVariations": has_variations,
                "isProductActive": n % 10 != 9,
                "characteristics": [
                    {"index": 1, "name": "Material", "value": rng.choice(("Algodão", "Poliéster"))},
                    {"index": 2, "name": "Composição", "value": f"{rng.randint(50, 100)}%"},
                ],
                "allowAutomaticSkuMarketplaceCreation": True,
                "kitComponents": None,
                "categoryId": rng.choice(leaves)["id"],
                "brandId": rng.choice(brands)["id"],
            }
            combos = (
                rng.sample([(c, s) for c in colours for s in sizes], rng.randint(2, 4))
                if has_variations
                else [None]
            )
            for index, combo in enumerate(combos):
                sku_id = state.next_id()
                price = round(rng.uniform(10, 500), 2)
                account.skus[sku_id] = {
                    "id": sku_id,
                    "productId": product_id,
                    "title": f"Produto {n}" + (f" - {combo[0]} / {combo[1]}" if combo else ""),
                    "partnerId": f"P{n:05d}-{index}",
                    "ean": f"789{n:06d}{index:04d}" if index % 2 == 0 else None,
                    "price": price,
                    "sellPrice": round(price * 0.9, 2),
                    "additionalTime": rng.choice((0, 0, 2)),
                    "externalId": None,
                    "active": True,
                    "variationValueIds": [value_ids[("Cor", combo[0])], value_ids[("Tamanho", combo[1])]]
                    if combo
                    else [],
                }
                account.sku_index[f"P{n:05d}-{index}"] = sku_id
                for local in (sp, recife):
                    if local is sp or rng.random() < 0.5:
                        account.stocks[(sku_id, local["id"])] = {
                            "amount": rng.randint(0, 40),
                            "reservation": 0,
                            "cost": None,
                            "updatedAt": now_iso(),
                        }
    return {"sp": sp, "recife": recife, "brands": brands, "leaves": leaves, "variations": [cor, tamanho]}
