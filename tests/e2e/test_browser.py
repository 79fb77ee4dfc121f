"""The Airflow UI as the ops team uses it: headless Chromium (Playwright) against a real Airflow.

One Airflow for the module (SQLite + LocalExecutor: api-server, scheduler and dag-processor, what
``make demo`` runs), this project's DAGs and plugins, integration ``shop`` on the AnyMarket sandbox,
the demo ERP and mapping DB. Airflow is served under ``/airflow`` (as behind a company's proxy), so
every link the UI and the ops page draw must respect ``[api] base_url``. Each step saves a screenshot
under ``.run/artifacts/browser/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from anymarket.settings import load_integrations
from anymarket_sandbox.server import SandboxServer
from tests.e2e.conftest import artifact_path
from tests.e2e.shop import (
    UNMAPPED_CARRIER,
    ack_feed,
    connections_env,
    create_orders,
    erp_order_counts,
    seed_databases,
    write_integrations,
)
from tests.e2e.topology import ADMIN_PASSWORD, ADMIN_USER, AirflowTopology, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INTEGRATION = "shop"
DAG_ID = f"anymarket_{INTEGRATION}__import_orders"
#: What the notes say Chromium needs on these machines (no sandbox as root, no GPU, no phoning home).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class UiEnv:
    airflow: AirflowTopology
    sandbox: SandboxServer
    erp_url: str
    mapping_url: str
    orders: dict[str, list[int]]


@pytest.fixture(scope="module")
def ui_env(tmp_path_factory: pytest.TempPathFactory, e2e_sandbox: SandboxServer) -> Iterator[UiEnv]:
    home = tmp_path_factory.mktemp("airflow-browser")
    erp_url, mapping_url = f"sqlite:///{home / 'erp.db'}", f"sqlite:///{home / 'mapping.db'}"
    sku = seed_databases(erp_url, mapping_url, [INTEGRATION])[0]
    orders = {
        "before": create_orders(e2e_sandbox, sku, "2026-03-01T12:00:00-03:00"),
        "inside": create_orders(e2e_sandbox, sku, "2026-03-02T10:00:00-03:00")
        + create_orders(e2e_sandbox, sku, "2026-03-03T22:00:00-03:00"),
        "held": create_orders(e2e_sandbox, sku, "2026-03-02T11:00:00-03:00", carrier=UNMAPPED_CARRIER),
        "after": create_orders(e2e_sandbox, sku, "2026-03-05T09:00:00-03:00"),
        "backfill": create_orders(e2e_sandbox, sku, "2026-03-10T09:00:00-03:00")
        + create_orders(e2e_sandbox, sku, "2026-03-11T15:00:00-03:00"),
    }
    # Unpausing the DAG starts its latest scheduled run, which reads the order feed: empty it, so only
    # the window imports under test can import these orders.
    ack_feed(e2e_sandbox, e2e_sandbox.token)
    integrations = write_integrations(
        home / "integrations.yaml",
        {
            INTEGRATION: {
                "name": "Shop (e2e)",
                "environment": "sandbox",
                "alert_emails": ["ops@shop.example"],
                # Daily at midnight in Brazil: one backfill run per Brazilian day.
                "schedules": {"import_orders": "0 3 * * *"},
                "orders": {"callback_watch_seconds": 1, "reconcile_days": 0},
            }
        },
    )
    config = {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "ANYMARKET_INTEGRATIONS_FILE": str(integrations),
        # The Connections list's Test button (off by default in Airflow 3).
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        **connections_env(
            INTEGRATION,
            sandbox=e2e_sandbox,
            token=e2e_sandbox.token,
            oi=e2e_sandbox.oi,
            erp_url=erp_url,
            mapping_url=mapping_url,
        ),
    }
    airflow = AirflowTopology(home, config, base_path="/airflow")
    try:
        airflow.airflow("db", "migrate")
        for component in ("api-server", "scheduler", "dag-processor"):
            airflow.start(component, component)
        airflow.wait_for_api()
        for integration in load_integrations(integrations).values():
            airflow.create_pool(integration.pool, integration.pool_slots)
        airflow.wait_for_dags([DAG_ID])
        yield UiEnv(airflow, e2e_sandbox, erp_url, mapping_url, orders)
    finally:
        airflow.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # The UI loads its translations and data asynchronously; a busy 2-core machine needs more than 5 s.
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser: Browser, ui_env: UiEnv) -> Iterator[Page]:
    """One signed-in page for the module (the login itself is tested in :func:`test_login`)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, ui_env.airflow.url)
    yield page
    context.close()


def sign_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(ADMIN_USER)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Dags")).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    path = artifact_path("browser", f"{name}.png")
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def test_login(browser: Browser, ui_env: UiEnv) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(ui_env.airflow.url)
        back_to = quote(f"{urlsplit(ui_env.airflow.url).path}/", safe="")
        expect(page).to_have_url(f"{ui_env.airflow.url}/auth/login?next={back_to}")
        screenshot(page, "01-login")
        sign_in(page, ui_env.airflow.url)
        page.goto(f"{ui_env.airflow.url}/dags?tags=integration%3A{INTEGRATION}")
        expect(page.get_by_role("link", name=DAG_ID)).to_be_visible()
        screenshot(page, "02-dag-list")
    finally:
        context.close()


def test_unpause_then_trigger_form_imports_only_the_window(page: Page, ui_env: UiEnv) -> None:
    airflow = ui_env.airflow
    page.goto(f"{airflow.url}/dags/{DAG_ID}")
    toggle = page.get_by_test_id("toggle-pause")
    expect(toggle).to_have_attribute("data-state", "unchecked")  # new DAGs start paused
    toggle.click()
    expect(toggle).to_have_attribute("data-state", "checked")
    wait_until("the DAG to be unpaused", lambda: not airflow.dag(DAG_ID)["is_paused"], timeout=30)
    screenshot(page, "03-dag-unpaused")

    page.get_by_role("button", name="Trigger Dag").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=f"Trigger Dag - {DAG_ID}")).to_be_visible()
    # The Params' date pickers (native date inputs take ISO dates).
    date_param(dialog, "Backfill from").fill("2026-03-02")
    date_param(dialog, "Backfill to").fill("2026-03-03")
    screenshot(page, "04-trigger-form")
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog).to_be_hidden()  # once the run is created (seconds on a busy machine)

    run = wait_until("the triggered run", lambda: manual_run(airflow), timeout=60)
    screenshot(page, "05-triggered")
    assert run["conf"]["created_from"] == "2026-03-02" and run["conf"]["created_to"] == "2026-03-03"
    airflow.wait_for_run(DAG_ID, run["dag_run_id"])
    page.goto(f"{airflow.url}/dags/{DAG_ID}/runs/{run['dag_run_id']}")
    expect(page.get_by_text("success").first).to_be_visible()
    screenshot(page, "06-window-run-succeeded")

    counts = erp_order_counts(ui_env.erp_url, [order for ids in ui_env.orders.values() for order in ids])
    inside = ui_env.orders["inside"]
    assert {order: counts[order] for order in inside} == dict.fromkeys(inside, 1)
    outside = ui_env.orders["before"] + ui_env.orders["after"] + ui_env.orders["backfill"]
    assert {order: counts[order] for order in outside} == dict.fromkeys(outside, 0)
    assert counts[ui_env.orders["held"][0]] == 0  # unmapped carrier: held, not imported


def test_backfill_from_the_trigger_dialog(page: Page, ui_env: UiEnv) -> None:
    airflow = ui_env.airflow
    airflow.unpause(DAG_ID)  # backfill runs stay queued while the DAG is paused
    page.goto(f"{airflow.url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger Dag").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name="Backfill").check(force=True)  # the radio input is visually hidden
    expect(dialog.get_by_role("heading", name=f"Run Backfill - {DAG_ID}")).to_be_visible()
    pick_datetime(page, dialog, "From", "2026/03/10", "00:00")
    pick_datetime(page, dialog, "To", "2026/03/11", "12:00")
    expect(dialog.get_by_text("2 runs will be triggered.")).to_be_visible()
    screenshot(page, "07-backfill-form")
    dialog.get_by_role("button", name="Run Backfill").click()
    expect(dialog).to_be_hidden()

    def backfill_runs() -> list[dict[str, Any]] | None:
        runs = [r for r in airflow.dag_runs(DAG_ID) if r["run_type"] == "backfill"]
        return runs if len(runs) == 2 and all(r["state"] == "success" for r in runs) else None

    runs = wait_until("both backfill runs to succeed", backfill_runs, timeout=180, interval=2)
    assert sorted(r["logical_date"][:10] for r in runs) == ["2026-03-10", "2026-03-11"]
    page.goto(f"{airflow.url}/dags/{DAG_ID}/backfills")
    expect(page.get_by_text("2026-03-10").first).to_be_visible()
    screenshot(page, "08-backfills")
    page.goto(f"{airflow.url}/dags/{DAG_ID}/runs")
    expect(page.get_by_text("backfill").first).to_be_visible()
    screenshot(page, "09-runs")
    counts = erp_order_counts(ui_env.erp_url, ui_env.orders["backfill"])
    assert counts == dict.fromkeys(ui_env.orders["backfill"], 1)


def test_ops_page_shows_the_held_order_and_its_reason(page: Page, ui_env: UiEnv) -> None:
    airflow = ui_env.airflow
    [held] = ui_env.orders["held"]
    # Import that one order now (the flow under test is the page, so this goes through the API).
    airflow.unpause(DAG_ID)
    airflow.wait_for_run(DAG_ID, airflow.trigger(DAG_ID, {"order_id": str(held)}))
    assert erp_order_counts(ui_env.erp_url, [held]) == {held: 0}

    # The way an ops person gets there: the "AnyMarket" entry of Airflow's navigation.
    page.goto(f"{airflow.url}/")
    page.get_by_role("link", name="AnyMarket").click()
    ops = page.frame_locator("iframe")
    store = ops.get_by_role("link", name="Shop (e2e)")
    expect(store).to_be_visible()
    screenshot(page, "10-ops-integrations")
    store.click()
    held_orders = ops.locator("#held-orders")
    expect(held_orders).to_contain_text(str(held))
    expect(held_orders).to_contain_text(UNMAPPED_CARRIER)  # the reason names the unmapped carrier
    screenshot(page, "11-ops-held-orders")


def test_the_anymarket_connection_form_and_its_test_button(page: Page, ui_env: UiEnv) -> None:
    """The ``anymarket`` connection type (anymarket.provider): its labelled form, saved, then Test."""
    airflow, sandbox = ui_env.airflow, ui_env.sandbox
    conn_id = "anymarket_from_the_form"
    page.goto(f"{airflow.url}/connections")
    page.get_by_role("button", name="Add Connection").click()
    page.get_by_label("Connection ID").fill(conn_id)
    page.get_by_role("combobox").first.fill("AnyMarket")
    page.keyboard.press("Enter")
    host = page.get_by_label("API base URL")
    expect(host).to_have_attribute("placeholder", "https://api.anymarket.com.br/v2")
    expect(page.get_by_label("Login")).to_have_count(0)  # hidden: AnyMarket has no login
    host.fill(sandbox.base_url)
    page.get_by_label("Port of the API").fill(str(urlsplit(sandbox.base_url).port))
    page.get_by_label("gumgaToken").fill(sandbox.token)
    page.get_by_text("Extra Fields", exact=True).click()
    page.locator("[name=element_oi]").fill(sandbox.oi)
    page.locator("[name=element_environment]").fill("sandbox")
    page.locator("[name=element_requests_per_hour]").fill("4000")
    expect(page.get_by_text("Rows per PUT /stocks (default 100")).to_be_visible()
    screenshot(page, "12-anymarket-connection-form")
    page.get_by_role("button", name="Save").click()

    row = page.get_by_role("row").filter(has_text=conn_id)
    expect(row).to_contain_text("anymarket")
    row.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_text("Test Connection Successful")).to_be_visible()
    expect(page.get_by_text(f"Connected to {sandbox.base_url}: the token is accepted")).to_be_visible()
    screenshot(page, "13-anymarket-connection-test")

    stored = airflow.api("GET", f"/api/v2/connections/{conn_id}").json()
    extra = json.loads(stored["extra"])
    assert stored["conn_type"] == "anymarket" and stored["host"] == sandbox.base_url
    assert extra["oi"] == sandbox.oi and extra["environment"] == "sandbox"
    assert extra["requests_per_hour"] == 4000
    airflow.api("DELETE", f"/api/v2/connections/{conn_id}")


def date_param(dialog: Any, label: str) -> Any:
    """The date picker of a DAG Param in the trigger form, found by its title."""
    return dialog.get_by_role("group").filter(has_text=label).get_by_role("textbox")


def pick_datetime(page: Page, dialog: Any, label: str, day: str, time: str) -> None:
    """Fill one of the backfill dialog's date-time pickers (``YYYY/MM/DD``, ``HH:mm``, UTC)."""
    dialog.get_by_role("group").filter(has_text=label).first.click()
    day_box = page.get_by_role("textbox", name=label, exact=True)
    day_box.fill(day)
    day_box.press("Enter")
    time_box = page.get_by_role("textbox", name="HH:mm")
    time_box.fill(time)
    time_box.press("Enter")
    page.keyboard.press("Escape")
    expect(time_box).to_be_hidden()


def manual_run(airflow: AirflowTopology) -> dict[str, Any] | None:
    """The latest manual run with a backfill window in its conf (the trigger form's)."""
    runs = [r for r in airflow.dag_runs(DAG_ID) if r["run_type"] == "manual"]
    windows = [r for r in runs if (r["conf"] or {}).get("created_from")]
    return windows[-1] if windows else None


def test_ops_page_shows_a_refused_listing_and_its_message(page: Page, ui_env: UiEnv) -> None:
    """Issue 18's screenshot: listing_health run by Airflow, the refusal on the ops page."""
    from anymarket.mapping.database import MappingDatabase
    from anymarket_sandbox.publishing import publish_catalog

    airflow, sandbox = ui_env.airflow, ui_env.sandbox
    dag_id = f"anymarket_{INTEGRATION}__listing_health"
    refusal = "Título com 72 caracteres: o Mercado Livre aceita no máximo 60."
    # A SKU as sync_products leaves it (on AnyMarket, linked); AnyMarket's marketplaces publish it and
    # Mercado Livre refuses it for its title.
    state = sandbox.sandbox.state
    with state.lock:
        account = state.account()
        product_id, sku_id, image_id = state.next_id(), state.next_id(), state.next_id()
        title = "Tênis de corrida ultraleve com amortecimento em gel e cabedal respirável"
        account.products[product_id] = {"id": product_id, "title": title, "gender": "MALE"}
        account.skus[sku_id] = {
            "id": sku_id,
            "productId": product_id,
            "title": title,
            "partnerId": "TENIS-42",
            "ean": "7891234567895",
            "price": 399.9,
            "sellPrice": 349.9,
            "active": True,
        }
        account.sku_index["TENIS-42"] = sku_id
        account.images[image_id] = {
            "id": image_id,
            "productId": product_id,
            "index": 1,
            "main": True,
            "url": "https://img.example.com/tenis.jpg",
            "status": "PROCESSED",
            "createdAt": 0,
        }
        publish_catalog(sandbox.sandbox, account)
    mapping = MappingDatabase.from_url(ui_env.mapping_url)
    mapping.link_many(
        INTEGRATION,
        "sku",
        [{"erp_id": "TENIS-42", "anymarket_id": str(sku_id), "payload_hash": None, "attributes": None}],
    )
    mapping.engine.dispose()

    airflow.wait_for_dags([dag_id])
    airflow.unpause(dag_id)
    run = airflow.wait_for_run(dag_id, airflow.trigger(dag_id, {"sku": "TENIS-42"}))
    assert run["state"] == "success", run

    page.goto(f"{airflow.url}/")
    page.get_by_role("link", name="AnyMarket").click()
    ops = page.frame_locator("iframe")
    ops.get_by_role("link", name="Shop (e2e)").click()
    health = ops.locator("#listing-health")
    expect(health).to_contain_text("MERCADO_LIVRE")
    refused = health.locator('tr[data-health="error"][data-sku="TENIS-42"]')
    expect(refused).to_contain_text(refusal)
    expect(refused).to_contain_text("UNPUBLISHED")
    health.scroll_into_view_if_needed()
    screenshot(page, "14-ops-listing-health")
