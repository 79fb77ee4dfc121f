"""Demo mode (seeded warehouses, generated sales) and ``python -m anymarket_sandbox``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter

import requests

from anymarket_sandbox import fake
from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, validated_server


def test_cpf_generator_produces_valid_cpfs() -> None:
    import random

    rng = random.Random(1)
    assert all(fake.is_valid_cpf(fake.cpf(rng)) for _ in range(200))
    assert not fake.is_valid_cpf("11111111111") and not fake.is_valid_cpf("12345678900")


def test_demo_seeds_warehouses_and_generates_realistic_sales() -> None:
    with validated_server(demo=True, demo_interval=0, seed=3, demo_skus=["ERP-A", "ERP-B"]) as demo:
        api = Api(demo.base_url, demo.token)
        locals_ = {loc["name"]: loc for loc in api.get("/stocks/locals").json()}
        assert set(locals_) == {"CD São Paulo", "CD Recife", "Full Mercado Livre"}
        assert locals_["CD São Paulo"]["defaultLocal"] and locals_["Full Mercado Livre"]["virtual"]
        actions = Counter(demo.admin.demo_tick()["action"] for _ in range(60))
        assert actions["created"] > 20 and actions["paid"] > 0
        orders = api.get("/orders", params={"limit": 100}).json()["content"]
        assert {o["marketPlace"] for o in orders} <= {
            "MERCADO_LIVRE",
            "AMAZON",
            "SHOPEE",
            "MAGAZINE_LUIZA",
            "NETSHOES",
        }
        for order in orders:
            buyer = order["buyer"]
            if buyer["documentType"] == "CNPJ":  # a company: an ICMS contributor with a state tax id
                assert len(buyer["document"]) == 14 and buyer["companyStateTaxId"].isdigit()
            else:
                assert fake.is_valid_cpf(buyer["document"]) and "companyStateTaxId" not in buyer
            # The marketplace's CNPJ, the seller's id on it, fees and installments on every payment.
            assert order["documentIntermediator"] == fake.INTERMEDIARIES[order["marketPlace"]][0]
            assert order["intermediateRegistrationId"]
            [payment] = order["payments"]
            assert payment["value"] == order["total"] and 1 <= payment["installments"] <= 12
            assert 0 < payment["marketplaceFee"] < order["total"] and payment["gatewayFee"] >= 0
            assert 1 <= len(order["items"]) <= 2  # only two SKUs configured
            assert {i["sku"]["partnerId"] for i in order["items"]} <= {"ERP-A", "ERP-B"}
            carriers = {s["shippingCarrierNormalized"] for i in order["items"] for s in i["shippings"]}
            assert carriers and all(c for c in carriers)
            assert all(i["stocks"] and i["stocks"][0]["stockName"] in locals_ for i in order["items"])
        assert len(api.get("/orders/feeds").json()) == len(orders)
        # a reset keeps the demo warehouses
        demo.admin.reset()
        assert len(api.get("/stocks/locals").json()) == 3


def test_demo_uses_the_catalog_when_present() -> None:
    with validated_server(demo=True, demo_interval=0, seed=5) as demo:
        api = Api(demo.base_url, demo.token)
        brand = api.post("/brands", json={"name": "X"}).json()
        category = api.post("/categories", json={"name": "C"}).json()
        product = {
            "title": "P",
            "description": "d",
            "category": {"id": category["id"]},
            "brand": {"id": brand["id"]},
            "warrantyTime": 0,
            **{measure: 1 for measure in ("height", "width", "length", "weight")},
            "priceFactor": 1,
            "calculatedPrice": False,
            "definitionPriceScope": "SKU",
            "images": [],
            "skus": [
                {
                    "title": "S",
                    "partnerId": "CAT-1",
                    "price": 10,
                    "sellPrice": 10,
                    "amount": 0,
                    "additionalTime": 0,
                }
            ],
        }
        assert api.post("/products", json=product).status_code == 201
        created = [demo.admin.demo_tick() for _ in range(10)]
        order_ids = [c["orderId"] for c in created if c["action"] == "created"]
        assert order_ids
        for oid in order_ids:
            assert {i["sku"]["partnerId"] for i in api.get(f"/orders/{oid}").json()["items"]} == {"CAT-1"}


def test_demo_timer_generates_sales() -> None:
    with validated_server(demo=True, demo_interval=0.05, seed=1) as demo:
        deadline = time.monotonic() + 5
        while not demo.admin.feed_state() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert demo.admin.feed_state()


def test_demo_tick_without_demo_mode_is_409(sandbox: SandboxServer) -> None:
    response = requests.post(sandbox.root_url + "/_sandbox/demo/tick", timeout=5)
    assert response.status_code == 409


def test_python_dash_m_serves_with_env_settings() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "SANDBOX_PORT": str(port),
        "SANDBOX_TOKEN": "tok",
        "SANDBOX_OI": "oi-x.",
        "SANDBOX_REQUESTS_PER_HOUR": "2",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "anymarket_sandbox", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(base + "/_sandbox/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.1)
        headers = {"gumgaToken": "tok"}
        locals_ = requests.get(base + "/v2/stocks/locals", headers=headers, timeout=5)
        assert locals_.status_code == 200 and len(locals_.json()) == 3  # demo mode
        assert requests.get(base + "/v2/stocks/locals", headers=headers, timeout=5).status_code == 200
        assert requests.get(base + "/v2/stocks/locals", headers=headers, timeout=5).status_code == 429
        assert (
            requests.get(base + "/v2/brands", headers={"gumgaToken": "sandbox-token"}, timeout=5).status_code
            == 401
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
