"""Recorded traffic (issue 16, item 3): a demo-like run of every automation, checked against the spec.

The demo ERP (a few dozen products) meets a demo-mode sandbox that sells its SKUs; every automation
runs in-process as its DAG task would (test connection, deposits, products, prices, stock, orders,
order status after the ERP invoices and ships, the catalog import). The sandbox validates every /v2
exchange with openapi-core (``anymarket_sandbox.conformance``); afterwards the whole request log is
validated again from ``admin.requests()`` and each GET is replayed and its answer validated. The test
prints the figures and fails on any violation outside ``conformance.TOLERATED``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
import yaml

from anymarket_sandbox import conformance

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not conformance.spec_available(), reason=conformance.SKIP_REASON)
INTEGRATION = "rec"
XML = '<?xml version="1.0"?><nfeProc versao="4.00"><NFe><infNFe Id="NFe{key}"/></NFe></nfeProc>'


def _seed_erp(tmp_path: Path) -> Any:
    from anymarket.erp.database import ErpDatabase
    from anymarket_sandbox.demo_erp import seed_demo_erp

    erp = ErpDatabase(f"sqlite:///{tmp_path / 'erp.db'}")
    seed_demo_erp(erp, products=30, seed=7)
    return erp


def _configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: Any) -> None:
    """The demo integration's settings (include/integrations.yaml) and mappings, SQLite ERP and mapping DB."""
    from anymarket.mapping import get_mapping_db

    settings = yaml.safe_load((ROOT / "include" / "integrations.yaml").read_text())["integrations"]["demo"]
    (tmp_path / "integrations.yaml").write_text(yaml.safe_dump({"integrations": {INTEGRATION: settings}}))
    monkeypatch.setenv("ANYMARKET_INTEGRATIONS_FILE", str(tmp_path / "integrations.yaml"))
    extra = {"oi": demo.oi, "timeout": 10, "backoff_base": 0.01, "backoff_max": 0.05}
    for conn_id, fields in {
        f"anymarket_{INTEGRATION}": {
            "conn_type": "http",
            "host": demo.base_url,
            "password": demo.token,
            "extra": extra,
        },
        f"anymarket_{INTEGRATION}_erp": {"conn_type": "sqlite", "host": str(tmp_path / "erp.db")},
        "anymarket_mapping_db": {"conn_type": "sqlite", "host": str(tmp_path / "mapping.db")},
    }.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))
    mapping = get_mapping_db(f"sqlite:///{tmp_path / 'mapping.db'}")
    mappings = yaml.safe_load((ROOT / "anymarket_sandbox" / "demo_mappings.yaml").read_text())
    for kind, pairs in mappings.items():
        for key, value in pairs.items():
            mapping.set_mapping(INTEGRATION, kind, str(key), str(value))


def _run(name: str, **params: Any) -> dict[str, Any]:
    from anymarket.operators.import_catalog import AnyMarketImportCatalogOperator
    from anymarket.operators.import_orders import AnyMarketImportOrdersOperator
    from anymarket.operators.install_deposits import AnyMarketInstallDepositsOperator
    from anymarket.operators.send_prices import AnyMarketSendPricesOperator
    from anymarket.operators.send_stock import AnyMarketSendStockOperator
    from anymarket.operators.sync_order_status import AnyMarketSyncOrderStatusOperator
    from anymarket.operators.sync_products import AnyMarketSyncProductsOperator
    from anymarket.operators.test_connection import AnyMarketTestConnectionOperator

    classes: dict[str, tuple[type, dict[str, Any]]] = {
        "test_connection": (AnyMarketTestConnectionOperator, {}),
        "install_deposits": (AnyMarketInstallDepositsOperator, {}),
        "sync_products": (AnyMarketSyncProductsOperator, {}),
        "send_prices": (AnyMarketSendPricesOperator, {}),
        "send_stock": (AnyMarketSendStockOperator, {}),
        "import_orders": (AnyMarketImportOrdersOperator, {"watch_seconds": 0}),
        "sync_order_status": (AnyMarketSyncOrderStatusOperator, {}),
        "import_catalog": (AnyMarketImportCatalogOperator, {}),
    }
    cls, kwargs = classes[name]
    operator = cls(task_id=name, integration_id=INTEGRATION, **kwargs)
    return operator.execute({"run_id": f"recorded-{name}-{time.monotonic_ns()}", "params": params}) or {}


def _erp_invoices_and_ships(erp: Any, orders: int) -> int:
    """The ERP invoices the first imported orders (NF-e XML included) and ships half of them."""
    with erp.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, code FROM sales_orders WHERE anymarket_order_id IS NOT NULL "
                "AND status NOT IN ('canceled', 'cancelled') ORDER BY id"
            )
        ).fetchmany(orders)
        carrier = conn.execute(sa.text("SELECT id FROM carriers ORDER BY id")).scalar()
        for number, (part_id, _code) in enumerate(rows, start=501):
            key = f"3526011234567800019055001{number:09d}1{number:08d}"[:44].ljust(44, "0")
            conn.execute(
                sa.text(
                    "INSERT INTO invoices (sales_order_id, access_key, number, series, issued_at, cfop, "
                    "status, xml) "
                    "VALUES (:o, :k, :n, '1', '2026-03-02 13:00:00.000', '5102', 'authorized', :x)"
                ),
                {"o": part_id, "k": key, "n": number, "x": XML.format(key=key)},
            )
            shipped = number % 2 == 0 and carrier is not None
            if shipped:
                conn.execute(
                    sa.text(
                        "INSERT INTO shipments (sales_order_id, carrier_id, tracking_code, shipped_at, "
                        "estimated_delivery_at) VALUES (:o, :c, :t, '2026-03-02 18:00:00.000', "
                        "'2026-03-06 18:00:00.000')"
                    ),
                    {"o": part_id, "c": carrier, "t": f"BR{number:09d}BR"},
                )
            conn.execute(
                sa.text("UPDATE sales_orders SET status = :s WHERE id = :o"),
                {"s": "shipped" if shipped else "invoiced", "o": part_id},
            )
    return len(rows)


def _replay_gets(demo: Any, log: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """Every GET of the log again (the state has moved on; the answer must still fit the spec)."""
    session = requests.Session()
    session.headers["gumgaToken"] = demo.token
    found: list[dict[str, Any]] = []
    replayed = 0
    for entry in log:
        if entry["method"] != "GET" or entry.get("fault") not in (None, "timeout"):
            continue
        answer = session.get(demo.root_url + entry["path"], params=entry.get("query") or {}, timeout=30)
        if answer.status_code in (401, 429) or answer.status_code >= 500:
            continue
        replayed += 1
        req, resp = conformance.check(
            "GET",
            entry["path"],
            entry.get("query") or {},
            b"",
            None,
            answer.status_code,
            answer.content,
            answer.headers.get("content-type", "application/json").split(";")[0],
        )
        operation = f"GET {entry['path']}"
        for side, message in [("request", m) for m in req] + [("response", m) for m in resp]:
            found.append(
                {
                    "operation": operation,
                    "status": answer.status_code,
                    "side": side,
                    "message": message,
                    "tolerated": conformance.tolerated(operation, message, answer.status_code),
                }
            )
    return replayed, found


def _logged_requests(log: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """The request side of every accepted exchange of the log, from what the log kept."""
    found: list[dict[str, Any]] = []
    checked = 0
    for entry in log:
        if entry.get("fault") not in (None, "timeout") or not entry.get("status") or entry["status"] >= 400:
            continue
        checked += 1
        body = entry.get("body")
        raw = body.encode() if isinstance(body, str) else conformance.body_bytes(body)
        req, _ = conformance.check(
            entry["method"], entry["path"], entry.get("query") or {}, raw, entry.get("contentType")
        )
        operation = f"{entry['method']} {entry['path']}"
        found += [
            {
                "operation": operation,
                "status": entry["status"],
                "side": "request",
                "message": m,
                "tolerated": conformance.tolerated(operation, m, entry["status"]),
            }
            for m in req
        ]
    return checked, found


def test_a_demo_run_of_every_automation_speaks_the_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anymarket_sandbox.demo_erp import demo_sku_codes
    from anymarket_sandbox.server import SandboxServer

    started = time.monotonic()
    erp = _seed_erp(tmp_path)
    codes = demo_sku_codes(erp)  # the store sells the ERP's SKUs
    with SandboxServer(demo=True, demo_interval=0, demo_skus=codes, seed=7, validate_openapi=True) as demo:
        _configure(tmp_path, monkeypatch, demo)
        runs: dict[str, Any] = {}
        runs["test_connection"] = _run("test_connection")
        runs["install_deposits"] = _run("install_deposits")
        runs["sync_products"] = _run("sync_products")
        runs["send_prices"] = _run("send_prices")
        runs["send_stock"] = _run("send_stock")
        for _ in range(25):
            demo.admin.demo_tick()  # sales, payments, cancellations
        runs["import_orders"] = _run("import_orders")
        invoiced = _erp_invoices_and_ships(erp, 6)
        runs["sync_order_status"] = _run("sync_order_status")
        for _ in range(10):
            demo.admin.demo_tick()
        runs["import_orders 2"] = _run("import_orders")
        runs["send_stock 2"] = _run("send_stock")
        runs["import_catalog"] = _run("import_catalog", scope="all")

        log = demo.admin.requests()
        demo.sandbox.conformance.settle()  # the checks run after each answer went out
        live = demo.sandbox.conformance.report()
        live_all = list(demo.sandbox.conformance.violations)
        logged_checked, logged = _logged_requests(log)
        replayed, replay = _replay_gets(demo, log)

    rows = live_all + logged + replay
    outside = [v for v in rows if not v["tolerated"]]
    by_reason = Counter(v["tolerated"] for v in rows if v["tolerated"])
    operations = Counter(
        f"{e['method']} {e['path'].split('/')[2] if '/' in e['path'][1:] else ''}" for e in log
    )
    print(
        f"\nrecorded traffic: {len(log)} requests ({invoiced} orders invoiced in the ERP), "
        f"{time.monotonic() - started:.0f} s\n"
        f"  exchanges checked live: {live['checked']}; logged requests re-checked: {logged_checked}; "
        f"GETs replayed: {replayed}\n"
        f"  violations outside the tolerated list: {len(outside)}\n"
        f"  tolerated by reason: {dict(sorted(by_reason.items()))}\n"
        f"  requests by resource: {dict(sorted(operations.items()))}"
    )
    for name, summary in runs.items():
        print(f"  {name}: {summary.get('counts') if isinstance(summary, dict) else summary}")
    assert outside == [], "\n".join(
        sorted({f"{v['operation']} {v['status']} {v['side']}: {v['message']}" for v in outside})[:60]
    )
    # The run did what a demo does: products placed, orders imported, statuses sent.
    assert runs["sync_products"]["counts"].get("created", 0) >= 20
    assert any(e["method"] == "PUT" and e["path"] == "/v2/stocks" for e in log)
    assert any(e["method"] == "PUT" and e["path"].startswith("/v2/orders/") for e in log)
    assert live["checked"] >= len([e for e in log if e.get("fault") is None]) * 0.9
