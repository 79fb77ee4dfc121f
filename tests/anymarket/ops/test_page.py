"""The ops page over HTTP: Airflow's login enforced, every section showing a seeded mapping DB.

The app is mounted as the api-server mounts plugin apps (``/anymarket``), beside Airflow's own auth
manager (SimpleAuthManager, ``/auth``); tokens are real Airflow JWTs for a viewer and an op user.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from anymarket import budget_waits
from anymarket.budget import RequestBudget, account_key
from anymarket.erp.database import ErpDatabase
from anymarket.mapping import models as m
from anymarket.mapping.database import MappingDatabase, utcnow

REPO_ROOT = Path(__file__).resolve().parents[3]
BASE_URL = "http://anymarket.test/v2"
TOKEN = "token-loja1"
OI = "4242."
CALLBACK_SECRET = "ops-test-callback-secret-0123456789"
INTEGRATIONS = """\
integrations:
  loja1:
    name: Loja Um
    environment: sandbox
    alert_emails: [ops@loja1.example]
  loja2:
    name: Loja Dois
    alert_emails: [ops@loja2.example]
"""
XSS = '<script>alert("x")</script>'


@dataclass
class Ops:
    client: TestClient
    db: MappingDatabase
    erp: ErpDatabase
    tokens: dict[str, str]

    def get(self, path: str, role: str | None = "viewer", **kwargs: Any) -> Any:
        return self.client.get(path, headers=self._auth(role, kwargs.pop("headers", {})), **kwargs)

    def post(self, path: str, role: str | None = "op", **kwargs: Any) -> Any:
        return self.client.post(path, headers=self._auth(role, kwargs.pop("headers", {})), **kwargs)

    def _auth(self, role: str | None, headers: dict[str, str]) -> dict[str, str]:
        return {**headers, "Authorization": f"Bearer {self.tokens[role]}"} if role else headers


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"no section {section_id}"
    return found.group(0)


def rows(html: str, attribute: str) -> dict[str, str]:
    """``{attribute value: row html}`` of the rows marked ``data-<attribute>``."""
    return dict(re.findall(rf'<tr {attribute}="([^"]*)"[^>]*>(.*?)</tr>', html, re.S))


@pytest.fixture
def ops(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_metadata_db: None) -> Ops:
    from airflow.api_fastapi.app import init_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    from anymarket.mapping import get_mapping_db
    from anymarket.ops.router import create_app
    from tests.anymarket.conftest import set_connection

    config = tmp_path / "integrations.yaml"
    config.write_text(INTEGRATIONS)
    monkeypatch.setenv("ANYMARKET_INTEGRATIONS_FILE", str(config))
    if database_url.startswith("sqlite"):
        set_connection(monkeypatch, "anymarket_mapping_db", conn_type="sqlite", host=database_url[10:])
    else:
        set_connection(
            monkeypatch, "anymarket_mapping_db", conn_type="generic", extra={"sqlalchemy_url": database_url}
        )
    set_connection(
        monkeypatch,
        "anymarket_loja1",
        conn_type="http",
        host=BASE_URL,
        password=TOKEN,
        extra={"oi": OI, "requests_per_hour": 100, "callback_secret": CALLBACK_SECRET},
    )
    erp = ErpDatabase(f"sqlite:///{tmp_path / 'erp.db'}")
    erp.create_schema()
    with erp.engine.begin() as c:
        c.execute(sa.text("INSERT INTO carriers (id, code, name) VALUES (1, 'CORREIOS', 'Correios')"))
        c.execute(sa.text("INSERT INTO carriers (id, code, name) VALUES (2, 'JADLOG', 'Jadlog')"))
    set_connection(monkeypatch, "anymarket_loja1_erp", conn_type="sqlite", host=str(tmp_path / "erp.db"))

    db = get_mapping_db(database_url)
    seed(db)
    airflow = FastAPI()  # what the api-server does: its auth manager, then plugin apps under their prefix
    auth_manager = init_auth_manager(airflow)
    airflow.mount("/anymarket", create_app())
    tokens = {
        role: auth_manager.generate_jwt(SimpleAuthManagerUser(username=f"{role}-user", role=role))
        for role in ("viewer", "user", "op", "admin")
    }
    return Ops(TestClient(airflow, base_url="http://airflow.test"), db, erp, tokens)


def seed(db: MappingDatabase) -> None:
    """One of everything the page shows, for loja1 (and a held order of loja2 that must not show)."""
    now = utcnow()
    summaries = [
        ("test_connection", "ok", {"base_url": BASE_URL, "oi_check": "confirmed by AnyMarket"}),
        (
            "install_deposits",
            "ok",
            {
                "counts": {"unmatched_deposits": 1, "unmatched_warehouses": 1},
                "examples": {
                    "unmatched_deposits": ["CD Curitiba (CD-CWB)"],
                    "unmatched_warehouses": ["Galpão Norte (503)"],
                },
            },
        ),
        ("send_stock", "ok", {"counts": {"sent": 3}, "requests_used": 1}),
        ("send_stock", "failed", {"counts": {"sent": 1}, "error": "AnyMarket answered 503 on PUT /stocks"}),
    ]
    with db.begin() as conn:
        for i, (automation, outcome, summary) in enumerate(summaries):
            conn.execute(
                sa.insert(m.run_summaries).values(
                    integration_id="loja1",
                    automation=automation,
                    run_id=f"run-{i}",
                    outcome=outcome,
                    summary={"counts": {}, "examples": {}, **summary},
                    started_at=now + timedelta(seconds=i),
                    finished_at=now + timedelta(seconds=i),
                )
            )
        held = [
            (
                "loja1",
                "1001",
                "unmapped carrier: 'Amazon Logistics' / shipping type '' has no carrier mapping",
            ),
            ("loja1", "1002", f"unknown SKU: {XSS} not in the ERP"),
            ("loja2", "2001", "unmapped carrier: 'Loggi'"),
        ]
        for iid, order_id, reason in held:
            conn.execute(
                sa.insert(m.order_imports).values(
                    integration_id=iid,
                    anymarket_order_id=order_id,
                    state="held",
                    reason=reason,
                    anymarket_status="PAID_WAITING_SHIP",
                    failures=0,
                    created_at=now,
                    updated_at=now,
                )
            )
        conn.execute(
            sa.insert(m.order_imports).values(
                integration_id="loja1",
                anymarket_order_id="1003",
                state="imported",
                erp_order_codes=["AM-1003"],
                anymarket_status="INVOICED",
                failures=0,
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            sa.insert(m.stock_rejected).values(
                integration_id="loja1",
                sku_code="SKU-9",
                stock_local_id="501",
                anymarket_id="9009",
                quantity=-1,
                error="quantity: must be zero or more <img src=x onerror=alert(1)>",
                rejected_at=now,
            )
        )
        conn.execute(
            sa.insert(m.metadata.tables["product_rejected"]).values(
                integration_id="loja1",
                product_code="P-77",
                data_hash="h",
                status=422,
                message="Categoria não encontrada",
                rejected_at=now,
            )
        )
        conn.execute(
            sa.insert(m.metadata.tables["price_rejected"]).values(
                integration_id="loja1",
                scope="SKU",
                sku_code="SKU-8",
                target="",
                anymarket_id="8008",
                error="price must be greater than zero",
                rejected_at=now,
            )
        )
        conn.execute(
            sa.insert(m.order_status_sync).values(
                integration_id="loja1",
                anymarket_order_id="1003",
                state="rejected",
                reason="422 INVOICED: invoice key has 43 digits",
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            sa.insert(m.anymarket_warehouses).values(
                integration_id="loja1",
                stock_local_id="503",
                name="Galpão Norte",
                is_default=False,
                is_virtual=False,
                created_at=now,
                updated_at=now,
            )
        )
    db.link("loja1", "sku", "SKU-1", "7001")
    db.set_mapping("loja1", "carrier", "Correios", "CORREIOS")
    db.record_history("loja1", entity_type="sku", entity_key="SKU-1", action="send_stock", outcome="ok")
    db.record_history(
        "loja1", entity_type="sku", entity_key="7001", action="update", outcome="error", error="price too low"
    )
    db.record_history(
        "loja1", entity_type="order", entity_key="1001", action="import", outcome="held", error="held-reason"
    )
    db.record_history(
        "loja2", entity_type="sku", entity_key="X", action="x", outcome="error", error="loja2 only"
    )
    budget = RequestBudget(db.engine, account=account_key(BASE_URL, TOKEN), requests_per_hour=100)
    budget.acquire(4, lane="realtime")
    budget.acquire(1, lane="callback")
    budget.acquire(2, lane="bulk")
    budget_waits.record(
        db,
        "loja1",
        "sync_products",
        lane="bulk",
        continues_at=datetime(2030, 1, 1, 12, 30, tzinfo=UTC),
        waiting="4120 of 5000 products left",
    )


# -- authentication -----------------------------------------------------------------------------


def test_no_token_is_401_for_programs_and_the_login_page_for_browsers(ops: Ops) -> None:
    for path in ("/anymarket/ops/", "/anymarket/ops/loja1", "/anymarket/ops/loja1/mappings/carrier.csv"):
        answer = ops.get(path, role=None)
        assert answer.status_code == 401, path
        assert answer.json() == {"detail": "Not authenticated"}
    browser = ops.get(
        "/anymarket/ops/loja1?q=SKU-1", role=None, headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert browser.status_code == 303
    assert browser.headers["location"].startswith("/auth/login?next=")
    assert "anymarket%2Fops%2Floja1" in browser.headers["location"]
    assert (
        ops.post(
            "/anymarket/ops/loja1/mappings/import", role=None, files={"files": ("carriers.csv", b"")}
        ).status_code
        == 401
    )
    forged = ops.client.get("/anymarket/ops/loja1", headers={"Authorization": "Bearer not-a-jwt"})
    assert forged.status_code == 403


def test_the_ui_cookie_authenticates_too(ops: Ops) -> None:
    ops.client.cookies.set("_token", ops.tokens["viewer"])
    try:
        page = ops.client.get("/anymarket/ops/loja1")
    finally:
        ops.client.cookies.clear()
    assert page.status_code == 200 and "signed in as viewer-user" in page.text


def test_callbacks_stay_open_beside_the_page(ops: Ops) -> None:
    """No login at the callback door: its secret URL is the credential (the secretless one is a 404)."""
    body = {"type": "ORDER", "content": {"id": "5005", "oi": OI}}
    assert ops.client.post("/anymarket/callbacks/loja1", json=body).status_code == 404
    answer = ops.client.post(f"/anymarket/callbacks/loja1/{CALLBACK_SECRET}", json=body)
    assert answer.status_code == 200 and answer.json() == {"status": "stored"}
    with ops.db.engine.connect() as c:
        assert c.execute(sa.select(m.callback_inbox.c.resource_id)).scalars().all() == ["5005"]


# -- the sections -------------------------------------------------------------------------------


def test_sections_show_the_integrations_state(ops: Ops) -> None:
    page = ops.get("/anymarket/ops/loja1")
    assert page.status_code == 200
    html = page.text

    connection = section(html, "connection")
    assert 'data-state="ok"' in connection and "confirmed by AnyMarket" in connection

    budget = section(html, "budget")
    assert 'data-used="7"' in budget and "of 100 requests" in budget
    lanes = rows(budget, "data-lane")
    # Used, then what the lane may use: realtime the whole budget, callbacks half the 30-request
    # reserve, bulk the other 70.
    assert "<td>4</td><td>100</td>" in lanes["realtime"]
    assert "<td>1</td><td>15</td>" in lanes["callback"]
    assert "<td>2</td><td>70</td>" in lanes["bulk"]
    chart = budget[budget.index('<svg id="budget-chart"') : budget.index("</svg>")]
    assert chart.count("<g data-hour=") == 24
    drawn = dict(re.findall(r'data-lane="(\w+)" data-n="(\d+)"', chart))
    assert drawn == {"realtime": "4", "callback": "1", "bulk": "2"}  # this hour's bar, stacked
    assert "the limit: 100 requests per hour" in chart
    waits = rows(budget, "data-automation")
    assert "4120 of 5000 products left" in waits["sync_products"] and "bulk" in waits["sync_products"]

    runs = rows(section(html, "automations"), "data-automation")
    # Every built automation has a row (others join as they are built).
    assert {"import_orders", "install_deposits", "manage_mappings", "send_stock", "test_connection"} <= set(
        runs
    )
    assert "failed" in runs["send_stock"] and "AnyMarket answered 503 on PUT /stocks" in runs["send_stock"]
    assert "sent: 1" in runs["send_stock"]  # the latest run, not the one before
    assert "never ran" in runs["import_orders"]

    assert "<h2>Orders held (2)</h2>" in section(html, "held-orders")
    held = rows(section(html, "held-orders"), "data-order-id")
    assert list(held) == ["1001", "1002"]  # loja2's held order is not loja1's
    assert "unmapped carrier" in held["1001"] and "Amazon Logistics" in held["1001"]
    assert "/anymarket/ops/loja1/mappings/carrier.csv" in held["1001"]  # the file that fixes it
    assert "unknown SKU" in held["1002"]

    deposits = section(html, "unmatched-deposits")
    assert "CD Curitiba (CD-CWB)" in deposits and "Galpão Norte (503)" in deposits

    rejected = rows(section(html, "rejections"), "data-what")
    assert "SKU-9 / 501" in rejected["Stock"] and "quantity: must be zero or more" in rejected["Stock"]
    assert "invoice key has 43 digits" in rejected["Order statuses"]
    assert "P-77" in rejected["Products"] and "Categoria não encontrada" in rejected["Products"]
    assert "SKU-8 / SKU" in rejected["Prices"] and "greater than zero" in rejected["Prices"]

    errors = section(html, "errors")
    assert "price too low" in errors and "loja2 only" not in errors
    assert "held-reason" not in errors  # a held order is listed under Orders held, not as an error


def test_user_content_is_escaped(ops: Ops) -> None:
    html = ops.get("/anymarket/ops/loja1").text
    assert XSS not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    lookup = ops.get("/anymarket/ops/loja1", params={"q": XSS}).text
    assert XSS not in lookup and 'id="lookup-nothing"' in lookup


def test_lookup_by_sku_code_and_by_order_id(ops: Ops) -> None:
    sku = section(ops.get("/anymarket/ops/loja1", params={"q": "SKU-1"}).text, "lookup")
    assert re.search(r"<td>sku</td><td><code>SKU-1</code></td><td><code>7001</code></td>", sku)
    history = re.search(r'<table id="lookup-history">.*?</table>', sku, re.S).group(0)  # type: ignore[union-attr]
    assert "send_stock" in history and "price too low" in history  # under its AnyMarket id too

    order = section(ops.get("/anymarket/ops/loja1", params={"q": "1003"}).text, "lookup")
    assert 'data-state="imported"' in order and "AM-1003" in order
    assert "invoice key has 43 digits" in order

    held = section(ops.get("/anymarket/ops/loja1", params={"q": "1001"}).text, "lookup")
    assert 'data-state="held"' in held and "Amazon Logistics" in held


def test_index_lists_every_integration(ops: Ops) -> None:
    html = ops.get("/anymarket/ops/").text
    integrations = rows(section(html, "integrations"), "data-integration")
    assert set(integrations) == {"loja1", "loja2"}
    assert "<td>2</td>" in integrations["loja1"] and "<td>1</td>" in integrations["loja2"]
    assert ops.get("/anymarket/ops/nope").status_code == 404


def test_a_broken_integration_is_listed_with_its_problems_and_the_others_still_show(
    ops: Ops, tmp_path: Path
) -> None:
    (tmp_path / "integrations.yaml").write_text(
        INTEGRATIONS
        + f"  loja3:\n    name: Loja Três\n    alert_emails: [ops@x.example]\n    stock: {{rule: '{XSS}'}}\n"
    )
    html = ops.get("/anymarket/ops/").text
    assert set(rows(section(html, "integrations"), "data-integration")) == {"loja1", "loja2"}
    broken = rows(section(html, "broken-integrations"), "data-broken")
    assert set(broken) == {"loja3"}
    assert "integrations.loja3.stock.rule: Input should be" in broken["loja3"]
    assert "line 12)" in broken["loja3"]
    assert "<script>" not in broken["loja3"]  # the bad value is shown escaped
    assert ops.get("/anymarket/ops/loja3").status_code == 404


# -- mappings -----------------------------------------------------------------------------------


def test_download_is_the_csv_export(ops: Ops) -> None:
    answer = ops.get("/anymarket/ops/loja1/mappings/carrier.csv")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="loja1-carriers.csv"'
    assert (
        answer.text == "anymarket_carrier,erp_code,tracking_url_template,source\nCorreios,CORREIOS,,manual\n"
    )
    assert ops.get("/anymarket/ops/loja1/mappings/nope.csv").status_code == 404


def test_import_needs_permission_to_edit(ops: Ops) -> None:
    upload = {"files": ("carriers.csv", b"anymarket_carrier,erp_code\nAmazon Logistics,JADLOG\n", "text/csv")}
    for role in ("viewer", "user"):
        page = ops.get("/anymarket/ops/loja1/mappings", role=role).text
        assert 'id="import-not-allowed"' in page and 'type="file"' not in page
        assert ops.post("/anymarket/ops/loja1/mappings/import", role=role, files=upload).status_code == 403
    assert 'type="file"' in ops.get("/anymarket/ops/loja1/mappings", role="op").text
    assert "Amazon Logistics" not in ops.db.mappings_of("loja1", "carrier")


def test_upload_applies_a_valid_file_and_records_who(ops: Ops) -> None:
    upload = {"files": ("loja1-carriers.csv", b"anymarket_carrier;erp_code\nAmazon Logistics;JADLOG\n")}
    answer = ops.post("/anymarket/ops/loja1/mappings/import", role="op", files=upload, data={"mode": "merge"})
    assert answer.status_code == 200
    result = section(answer.text, "import-result")
    assert 'data-outcome="applied"' in result and 'data-added="1"' in result
    assert ops.db.mappings_of("loja1", "carrier")["Amazon Logistics"]["value"] == "JADLOG"
    [entry] = ops.db.history_of("loja1", "mapping", "carrier")
    assert entry["request"]["user"] == "op-user" and entry["response"]["added"] == 1
    counts = rows(section(answer.text, "mapping-kinds"), "data-kind")
    assert '<td class="count">2</td>' in counts["carrier"]

    again = ops.post("/anymarket/ops/loja1/mappings/import", role="admin", files=upload)
    assert 'data-outcome="unchanged"' in section(again.text, "import-result")
    assert len(ops.db.history_of("loja1", "mapping", "carrier")) == 1


def test_upload_with_errors_lists_them_and_applies_nothing(ops: Ops) -> None:
    files = [
        ("files", ("carriers.csv", b"anymarket_carrier,erp_code\nAmazon Logistics,JADLOG\nAzul,XYZ\n")),
        ("files", ("payment_methods.csv", b"anymarket_payment,erp_code,extra\n")),
    ]
    answer = ops.post("/anymarket/ops/loja1/mappings/import", role="op", files=files)
    assert answer.status_code == 422
    errors = re.findall(r'<li class="csv-error">(.*?)</li>', section(answer.text, "import-result"))
    assert errors == [
        "payment_methods.csv line 1, column extra: unknown column for payment_method; known: "
        "[&#39;anymarket_payment&#39;, &#39;erp_code&#39;, &#39;source&#39;]",
    ]
    answer = ops.post("/anymarket/ops/loja1/mappings/import", role="op", files=files[:1])
    errors = re.findall(r'<li class="csv-error">(.*?)</li>', section(answer.text, "import-result"))
    assert errors == [
        "carriers.csv line 3, column erp_code: unknown ERP carrier &#39;XYZ&#39; (known: CORREIOS, JADLOG)"
    ]
    assert set(ops.db.mappings_of("loja1", "carrier")) == {"Correios"}


def test_check_only_and_cross_site_posts(ops: Ops) -> None:
    upload = {"files": ("carriers.csv", b"anymarket_carrier,erp_code\nLoggi,JADLOG\n")}
    checked = ops.post("/anymarket/ops/loja1/mappings/import", files=upload, data={"check_only": "true"})
    assert 'data-outcome="checked"' in section(checked.text, "import-result")
    assert "Loggi" not in ops.db.mappings_of("loja1", "carrier")
    forged = ops.post(
        "/anymarket/ops/loja1/mappings/import", files=upload, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403 and "Loggi" not in ops.db.mappings_of("loja1", "carrier")


def test_a_cookie_post_must_say_it_comes_from_this_site(ops: Ops) -> None:
    """The UI's cookie can be read by scripts: a cookie-authenticated write without Origin or Referer
    is refused; the same with this site's Origin goes through."""
    upload = {"files": ("carriers.csv", b"anymarket_carrier,erp_code\nLoggi,JADLOG\n")}
    ops.client.cookies.set("_token", ops.tokens["op"])
    try:
        bare = ops.post("/anymarket/ops/loja1/mappings/import", role=None, files=upload)
        assert bare.status_code == 403 and "Loggi" not in ops.db.mappings_of("loja1", "carrier")
        ours = ops.post(
            "/anymarket/ops/loja1/mappings/import",
            role=None,
            files=upload,
            headers={"Origin": "http://airflow.test"},
        )
        assert ours.status_code == 200, ours.text
        assert "Loggi" in ops.db.mappings_of("loja1", "carrier")
    finally:
        ops.client.cookies.clear()


def test_the_upload_form_is_read_only_after_the_checks_and_within_its_size(
    ops: Ops, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anymarket.ops import router

    read: list[str] = []
    real = router._upload_form

    async def spy(request: Any) -> Any:
        read.append(request.url.path)
        return await real(request)

    monkeypatch.setattr(router, "_upload_form", spy)
    big = {"files": ("carriers.csv", b"x" * (router.MAX_UPLOAD_BYTES + 1))}
    path = "/anymarket/ops/loja1/mappings/import"
    assert ops.post(path, role=None, files=big).status_code == 401  # no login
    assert ops.post(path, role="viewer", files=big).status_code == 403  # no permission
    assert ops.post(path, role="op", files=big, headers={"Origin": "https://evil.example"}).status_code == 403
    assert read == []  # none of those bodies was parsed
    assert ops.post(path, role="op", files=big).status_code == 413
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    chunked = ops.post(path, role="op", content=iter([b"--x\r\n"] * 3), headers=multipart)
    assert chunked.status_code == 411
    assert "Loggi" not in ops.db.mappings_of("loja1", "carrier")


# -- the plugin -----------------------------------------------------------------------------------


def test_the_plugin_mounts_one_app_and_adds_the_nav_link() -> None:
    import importlib.util

    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse

    spec = importlib.util.spec_from_file_location(
        "anymarket_plugin_under_test", REPO_ROOT / "plugins" / "anymarket_plugin.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    plugin = module.AnyMarketPlugin
    [app] = plugin.fastapi_apps
    assert app["url_prefix"] == "/anymarket"
    paths = {route.path for route in app["app"].routes}
    assert {
        "/callbacks/{integration_id}/{secret}",
        "/ops/",
        "/ops/{integration_id}",
        "/ops/{integration_id}/mappings",
    } <= paths
    [view] = plugin.external_views
    parsed = ExternalViewResponse.model_validate(view)
    assert (parsed.name, parsed.href, parsed.destination, parsed.url_route) == (
        "AnyMarket",
        "anymarket/ops/",  # relative to the UI's <base href>: works under any [api] base_url
        "nav",
        "anymarket",
    )
    assert json.loads(json.dumps(view)) == view  # the UI receives it as JSON
