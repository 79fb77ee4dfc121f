"""The sandbox's answers (and typical client requests) against AnyMarket's OpenAPI export, plus the
validator's own behaviour (``anymarket_sandbox.conformance``, openapi-core). Skipped with a clear
message when the spec file is not on this machine."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from anymarket_sandbox import conformance as oc
from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, seed_catalog

pytestmark = pytest.mark.skipif(not oc.spec_available(), reason=oc.SKIP_REASON)


def _valid_request(method: str, path: str, body: Any) -> None:
    problems = oc.request_violations(method, path, body)
    assert problems == [], f"{method} {path}: {problems}"


def _valid_response(method: str, path: str, status: int, body: Any) -> None:
    problems = oc.response_violations(method, path, status, body)
    assert problems == [], f"{status} to {method} {path}: {problems}"


def _check(
    api: Api,
    method: str,
    path: str,
    body: Any = None,
    expected: int | None = None,
    valid_request: bool | None = True,
    **kw: Any,
) -> Any:
    """Send, then validate the request body (``valid_request=False``: it must violate the spec; ``None``:
    not checked) and the response."""
    if body is not None:
        if valid_request:
            _valid_request(method, "/v2" + path, body)
        elif valid_request is False:
            assert oc.request_violations(method, "/v2" + path, body), (
                "expected the spec to reject this request"
            )
        kw["json"] = body
    response = api.request(method, path, **kw)
    if expected is not None:
        assert response.status_code == expected, response.text
    payload = (
        response.json() if response.content and "json" in response.headers.get("content-type", "") else None
    )
    _valid_response(method, api.base_url + path, response.status_code, payload)
    return payload


@pytest.fixture
def world(sandbox: SandboxServer, api: Api) -> dict[str, Any]:
    seeded = seed_catalog(api)
    api.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": 5.5, "cost": 3.2}])
    seeded["order"] = sandbox.admin.create_order(
        status="PAID_WAITING_SHIP",
        metadata={"needInvoiceXML": "true"},
        items=[
            {
                "partnerId": "SKU-1",
                "quantity": 2,
                "unitPrice": 49.9,
                "stocks": [{"stockLocalId": seeded["recife"]["id"], "amount": 2}],
            }
        ],
    )
    return seeded


def test_catalog_family(api: Api, world: dict[str, Any]) -> None:
    _check(api, "GET", "/brands", expected=200)
    brand = _check(api, "POST", "/brands", {"name": "Nova", "reducedName": "nova", "partnerId": "N"}, 200)
    _check(api, "GET", f"/brands/{brand['id']}", expected=200)
    _check(api, "PUT", f"/brands/{brand['id']}", {"name": "Nova 2"}, 200)
    _check(api, "DELETE", f"/brands/{brand['id']}", expected=204)
    _check(api, "GET", f"/brands/{brand['id']}", expected=404)
    _check(api, "POST", "/brands", {"name": "x", "reducedName": "y" * 31}, 422, valid_request=False)
    _check(api, "GET", "/categories", expected=200)
    _check(api, "GET", "/categories/fullPath", expected=200)
    child = _check(
        api,
        "POST",
        "/categories",
        {
            "name": "Sub",
            "partnerId": "S",
            "priceFactor": 1,
            "definitionPriceScope": "SKU",
            "parent": {"id": world["category"]["id"]},
        },
        200,
    )
    _check(api, "GET", f"/categories/{child['id']}", expected=200)
    _check(api, "PUT", f"/categories/{child['id']}", {"name": "Sub 2"}, 200)
    _check(api, "DELETE", f"/categories/{child['id']}", expected=204)
    vtype = _check(
        api,
        "POST",
        "/variations",
        {
            "name": "Tamanho",
            "partnerId": "T",
            "visualVariation": False,
            "values": [{"description": "P", "partnerId": "P"}],
        },
        200,
    )
    _check(api, "GET", "/variations", expected=200)
    _check(api, "GET", f"/variations/{vtype['id']}", expected=200)
    _check(api, "POST", f"/variations/{vtype['id']}/values", {"description": "M", "partnerId": "M"}, 200)
    _check(api, "GET", "/variations/all", expected=200)


def test_product_family(api: Api, world: dict[str, Any]) -> None:
    pid = world["product"]["id"]
    sid = world["product"]["skus"][0]["id"]
    _check(api, "GET", "/products", expected=200, params={"sku": "SKU-1"})
    _check(api, "GET", f"/products/{pid}", expected=200)
    _check(
        api,
        "PUT",
        f"/products/{pid}",
        {
            "title": "Camiseta 2",
            "description": "d",
            "warrantyTime": 3,
            "category": {"id": world["category"]["id"]},
            "priceFactor": 1,  # ProductUpdate requires it (our client sends the price settings)
        },
        200,
    )
    product = {
        "title": "Tênis",
        "description": "<b>Leve</b>",
        "category": {"id": world["category"]["id"]},
        "brand": {"id": world["brand"]["id"]},
        "nbm": {"id": "64029990"},
        "origin": {"id": 0},
        "warrantyTime": 3,
        "height": 10,
        "width": 20,
        "length": 30,
        "weight": 0.8,
        "priceFactor": 1.5,
        "calculatedPrice": False,
        "definitionPriceScope": "SKU",
        "hasVariations": False,
        "characteristics": [{"index": 1, "name": "Material", "value": "Couro"}],
        "images": [{"index": 1, "main": True, "url": "https://img/t.jpg"}],
        "skus": [
            {
                "title": "Tênis 40",
                "partnerId": "TN-40",
                "ean": "7890000000001",
                "amount": 3,
                "additionalTime": 0,
                "price": 199.9,
                "sellPrice": 179.9,
            }
        ],
    }
    _check(api, "POST", "/products", product, 201)
    _check(api, "POST", "/products", product, 422)  # duplicate SKU
    _check(api, "GET", f"/products/{pid}/skus", expected=200)
    _check(
        api,
        "POST",
        f"/products/{pid}/skus",
        {
            "title": "G",
            "partnerId": "SKU-G",
            "amount": 1,
            "additionalTime": 0,
            "price": 10.5,
            "sellPrice": 9.9,
        },
        200,
    )
    _check(api, "GET", f"/products/{pid}/skus/{sid}", expected=200)
    _check(
        api, "PUT", f"/products/{pid}/skus/{sid}", {"title": "Novo", "price": 60.0, "sellPrice": 55.5}, 200
    )
    image = _check(
        api, "POST", f"/products/{pid}/images", {"index": 2, "main": False, "url": "https://i/2.jpg"}, 200
    )
    _check(api, "GET", f"/products/{pid}/images", expected=200)
    _check(api, "PUT", f"/products/{pid}/images", {"id": image["id"], "index": 1, "main": True}, 200)
    _check(api, "DELETE", f"/products/{pid}/images/{image['id']}", expected=204)


def test_stock_family(api: Api, world: dict[str, Any]) -> None:
    _check(api, "GET", "/stocks/locals", expected=200)
    _check(
        api,
        "POST",
        "/stocks/locals",
        {"name": "Full", "virtual": True, "defaultLocal": False, "zipCode": "07750-000"},
        200,
    )
    rows = [
        {
            "partnerId": "SKU-1",
            "quantity": 9,
            "cost": 10.5,
            "additionalTime": 1,
            "stockLocalId": world["recife"]["id"],
        },
        {"id": world["product"]["skus"][1]["id"], "partnerId": "SKU-2", "quantity": 2},
    ]
    _check(api, "PUT", "/stocks", rows, 204)
    # The export's PostStock (id as a string, cost and additionalTime required) is not what clients send
    # to create a row; our client never POSTs stocks, so only the answer is checked.
    _check(api, "POST", "/stocks", rows, 204, valid_request=None)
    _check(api, "PUT", "/stocks", [{"partnerId": "NOPE", "quantity": 1}], 422)
    _check(api, "GET", "/stocks", expected=200, params={"sku": "SKU-1"})


def test_order_family(sandbox: SandboxServer, api: Api, world: dict[str, Any], receiver: Any) -> None:
    oid = world["order"]["id"]
    _check(api, "GET", "/orders", expected=200, params={"createdAfter": "2020-01-01T00:00:00-03:00"})
    _check(api, "GET", "/orders", expected=422, params={"createdAfter": "2020-01-01"})
    _check(api, "GET", f"/orders/{oid}", expected=200)
    _check(api, "GET", "/orders/123", expected=404)
    feed = _check(api, "GET", "/orders/feeds", expected=200)
    _check(api, "PUT", f"/orders/feeds/{oid}", {"token": feed[0]["token"]}, 204)
    xml = '<nfeProc versao="4.00"><NFe/></nfeProc>'
    response = api.put(f"/orders/{oid}/nfe", data=xml, headers={"Content-Type": "application/xml"})
    _valid_request("PUT", f"/v2/orders/{oid}/nfe", xml)
    _valid_response("PUT", f"/v2/orders/{oid}/nfe", response.status_code, None)
    invoice = {
        "accessKey": "3" * 44,
        "series": "1",
        "number": "77",
        "date": "2024-05-02T10:00:00-03:00",
        "cfop": "5102",
        "companyStateTaxId": "123",
        "linkNfe": "https://nfe/77",
    }
    _check(api, "PUT", f"/orders/{oid}", {"status": "INVOICED", "invoice": invoice}, 200)
    _check(
        api,
        "PUT",
        f"/orders/{oid}",
        {
            "status": "PAID_WAITING_DELIVERY",
            "tracking": {
                "url": "https://r/BR1",
                "number": "BR1",
                "carrier": "Correios",
                "carrierDocument": "34028316000103",
                "estimateDate": "2024-05-09T18:00:00-03:00",
                "shippedDate": "2024-05-03T09:00:00-03:00",
            },
        },
        200,
    )
    _check(api, "PUT", f"/orders/{oid}", {"status": "INVOICED"}, 422, valid_request=False)
    _check(
        api,
        "PUT",
        f"/orders/{oid}",
        {"status": "CONCLUDED", "tracking": {"deliveredDate": "2024-05-06T11:00:00-03:00"}},
        200,
    )
    _check(api, "PUT", f"/orders/{oid}", {"status": "CANCELED", "cancelDetails": "Devolvido"}, 200)
    _check(
        api,
        "POST",
        "/callbacks",
        {
            "url": receiver.url,
            "token": "t",
            "orderActive": True,
            "productActive": False,
            "transmissionActive": False,
        },
        201,
    )
    # errors outside the documented statuses use the generic shape
    unauth = requests.get(api.base_url + "/orders", timeout=5)
    assert unauth.status_code == 401 and set(unauth.json()) >= {"code", "message"}
    sandbox.admin.set_faults(burst_429=1)
    _check(api, "GET", "/orders", expected=429)


def test_demo_orders_conform(api: Api) -> None:
    from anymarket_sandbox.testing import validated_server

    with validated_server(demo=True, demo_interval=0, seed=7) as demo:
        demo_api = Api(demo.base_url, demo.token)
        for _ in range(15):
            demo.admin.demo_tick()
        for order in demo_api.get("/orders", params={"limit": 100}).json()["content"]:
            _valid_response("GET", f"/v2/orders/{order['id']}", 200, order)


# -- the validator itself --------------------------------------------------------------------------
def test_validator_reports_violations_naming_the_field() -> None:
    problems = oc.request_violations("PUT", "/v2/stocks", [{"partnerId": 123, "quantity": "7"}])
    assert any(p.startswith("[0].partnerId: 123 is not of type 'string'") for p in problems), problems
    # A fraction where the spec says integer is the export's mistake (integer-money); a string is not.
    assert "[0].quantity: '7' is not of type 'number'" in problems, problems
    assert oc.request_violations("PUT", "/v2/stocks", [{"partnerId": "A", "quantity": 7.5}]) == []
    assert any("SHIPPED" in p for p in oc.request_violations("PUT", "/v2/orders/1", {"status": "SHIPPED"}))
    assert oc.response_violations("GET", "/v2/stocks/locals", 200, {"not": "an array"})
    assert any("201" in p for p in oc.response_violations("GET", "/v2/stocks/locals", 201, []))
    assert any("XML" in p for p in oc.request_violations("PUT", "/v2/orders/1/nfe", "<not xml"))
    assert (
        oc.request_violations("PUT", "/v2/orders/partnerid/1", {"partnerId": "X"}) == []
    )  # real, undocumented


def test_a_path_the_spec_lacks_is_tolerated_only_as_a_404() -> None:
    assert oc.response_violations("GET", "/v2/nowhere", 404, {"code": "404", "message": "x"}) == []
    assert any("PathNotFound" in p for p in oc.response_violations("GET", "/v2/nowhere", 200, {}))
    assert oc.tolerated("GET /v2/nowhere", "PathNotFound: Path not found", 404) == "unknown-path-404"
    assert oc.tolerated("GET /v2/nowhere", "PathNotFound: Path not found", 200) is None


def test_every_tolerated_entry_has_a_reason_and_is_in_the_readme() -> None:
    readme = (oc.REPO_ROOT / "anymarket_sandbox" / "README.md").read_text()
    for ident, _, _, reason in oc.TOLERATED:
        assert len(reason) > 30, ident
        assert f"`{ident}`" in readme, f"{ident} is missing from the sandbox README's tolerated list"


def test_a_request_log_is_checked_and_each_violation_named(sandbox: SandboxServer, api: Api) -> None:
    seed_catalog(api)
    sandbox.admin.clear_requests()
    api.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": 1}])
    assert oc.assert_requests_conform(sandbox.admin.requests()) == 1
    # The sandbox takes a numeric string for additionalTime (204); the spec says integer.
    api.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": 1, "additionalTime": "2"}])
    with pytest.raises(
        oc.OpenApiViolation, match=r"PUT /v2/stocks → 204, request \[0\]\.additionalTime: '2' is not of type"
    ):
        oc.assert_requests_conform(sandbox.admin.requests())


def test_the_validating_sandbox_fails_the_test_that_sent_an_off_spec_request(sandbox: SandboxServer) -> None:
    """What the per-test check sees: an off-spec request (no X-Sandbox-Off-Spec) recorded with its
    operation, field and message, outside the tolerated list."""
    validator = sandbox.sandbox.conformance
    if validator is None:
        pytest.skip("validation is off in this run (SANDBOX_VALIDATE_OPENAPI=0)")
    seed_catalog(sandbox)
    validator.settle()
    mark = validator.mark()
    client = Api(sandbox.base_url, sandbox.token)
    sent = client.put("/stocks", json=[{"partnerId": "SKU-1", "quantity": 1, "additionalTime": "2"}])
    assert sent.status_code == 204
    validator.settle()
    found = validator.outside_since(mark)
    assert [(v["operation"], v["side"]) for v in found] == [("PUT /v2/stocks", "request")]
    text = oc.failure_text(found, "here")
    assert "PUT /v2/stocks → 204, request [0].additionalTime: '2' is not of type 'integer'" in text
    assert "TOLERATED" in text
    validator.violations[mark:] = []  # this test's deliberate violation is not a failure of it


def test_validation_follows_the_spec_and_the_switch(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv(oc.VALIDATE_ENV, raising=False)
    assert oc.enabled()[0] is True
    monkeypatch.setenv(oc.VALIDATE_ENV, "0")
    assert oc.enabled() == (False, f"off ({oc.VALIDATE_ENV}=0)")
    monkeypatch.setenv(oc.SPEC_ENV, str(tmp_path / "missing.yaml"))
    monkeypatch.delenv(oc.VALIDATE_ENV)
    assert not oc.spec_available()
    on, why = oc.enabled()
    assert not on and "not found" in why and "missing.yaml" in why
    monkeypatch.setenv(oc.VALIDATE_ENV, "1")  # asked for and impossible: off, and said loudly
    on, why = oc.enabled()
    assert (
        not on
        and why.startswith("OFF although SANDBOX_VALIDATE_OPENAPI=1 asked for it")
        and "missing.yaml" in why
    )
    with pytest.raises(oc.SpecMissing):
        oc.load_spec()
