"""Auth (401), the paging envelope and limit clamping, 404 shape, account isolation."""

from __future__ import annotations

import requests

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api


def test_missing_and_unknown_token_are_401_with_json_body(sandbox: SandboxServer) -> None:
    missing = requests.get(sandbox.base_url + "/brands", timeout=5)
    assert missing.status_code == 401
    assert missing.json()["code"] == "401" and missing.json()["message"]
    unknown = requests.get(sandbox.base_url + "/brands", headers={"gumgaToken": "nope"}, timeout=5)
    assert unknown.status_code == 401 and unknown.json()["code"] == "401"


def test_token_as_query_parameter_works_and_is_not_logged(sandbox: SandboxServer) -> None:
    response = requests.get(
        sandbox.base_url + "/brands", params={"gumgaToken": sandbox.token, "name": "x"}, timeout=5
    )
    assert response.status_code == 200
    (entry,) = sandbox.admin.requests(path="/v2/brands")
    assert entry["query"] == {"name": "x"}
    assert sandbox.token not in repr(entry)


def test_admin_routes_need_no_token_and_are_not_logged(sandbox: SandboxServer) -> None:
    assert sandbox.admin.health() == {"status": "ok"}
    assert sandbox.admin.requests() == []


def test_paging_250_items_over_limit_100(api: Api) -> None:
    for i in range(250):
        assert api.post("/brands", json={"name": f"Marca {i:03d}", "partnerId": f"P{i}"}).status_code == 200
    seen: list[int] = []
    offset = 0
    pages = []
    while True:
        page = api.get("/brands", params={"limit": 100, "offset": offset}).json()
        if not page["content"]:
            break
        pages.append(page)
        seen.extend(b["id"] for b in page["content"])
        offset += len(page["content"])
    assert len(seen) == 250 == len(set(seen))
    assert [len(p["content"]) for p in pages] == [100, 100, 50]
    first, last = pages[0], pages[-1]
    assert first["page"] == {"size": 100, "totalElements": 250, "totalPages": 3, "number": 1}
    assert last["page"]["number"] == 3
    assert [link["rel"] for link in first["links"]] == ["next"]
    assert "offset=100" in first["links"][0]["href"] and "limit=100" in first["links"][0]["href"]
    assert [link["rel"] for link in last["links"]] == ["prev"]


def test_limit_is_clamped_to_5_100_and_defaults_to_5(api: Api) -> None:
    for i in range(120):
        api.post("/brands", json={"name": f"B{i}"})
    assert len(api.get("/brands").json()["content"]) == 5
    assert api.get("/brands", params={"limit": 1}).json()["page"]["size"] == 5
    assert len(api.get("/brands", params={"limit": 1000}).json()["content"]) == 100
    assert len(api.get("/brands", params={"limit": 100, "offset": 115}).json()["content"]) == 5


def test_404_body(api: Api) -> None:
    response = api.get("/brands/424242")
    assert response.status_code == 404
    assert response.json() == {"code": "404", "message": "Recurso com o id '424242' não encontrado."}
    assert api.get("/no-such-resource").json()["code"] == "404"


def test_two_accounts_are_isolated(sandbox: SandboxServer, api: Api) -> None:
    sandbox.admin.add_token("second-token", "second-oi.")
    other = Api(sandbox.base_url, "second-token")
    api.post("/brands", json={"name": "Só na primeira"})
    assert other.get("/brands").json()["content"] == []
    assert api.get("/brands").json()["page"]["totalElements"] == 1
    entries = sandbox.admin.requests(path="/v2/brands")
    assert {e["oi"] for e in entries} == {"sandbox-oi.", "second-oi."}


def test_reset_forgets_extra_tokens(sandbox: SandboxServer) -> None:
    sandbox.admin.add_token("temp", "temp-oi.")
    sandbox.admin.reset()
    assert (
        requests.get(sandbox.base_url + "/brands", headers={"gumgaToken": "temp"}, timeout=5).status_code
        == 401
    )
