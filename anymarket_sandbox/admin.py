"""``SandboxAdmin``: a small ``requests`` client for the ``/_sandbox`` admin API."""

from __future__ import annotations

import time
from typing import Any

import requests


class SandboxAdminError(RuntimeError):
    """An admin call answered an error status."""


class SandboxAdmin:
    """Control a running sandbox. ``base_url`` is the server root (``http://127.0.0.1:8765``); a URL
    ending in ``/v2`` is accepted too."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        root = base_url.rstrip("/")
        if root.endswith("/v2"):
            root = root[: -len("/v2")]
        self.root_url = root
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self.session.request(
            method,
            f"{self.root_url}/_sandbox{path}",
            json=json,
            params={k: v for k, v in (params or {}).items() if v is not None},
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise SandboxAdminError(f"{method} {path} -> {response.status_code}: {response.text}")
        if response.status_code == 204 or not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.text

    # -- lifecycle ------------------------------------------------------------------------------
    def health(self) -> dict[str, str]:
        return self._call("GET", "/health")

    def reset(self) -> None:
        """Clear all state, faults, budget usage/settings, request log, deliveries and extra tokens."""
        self._call("POST", "/reset")

    # -- faults and budget ----------------------------------------------------------------------
    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Any of: latency_ms, error_rate, error_statuses, error_burst, timeout_rate, timeout_seconds,
        burst_429, burst_retry_after, callback_drop_rate, callback_duplicate_rate, callback_retries,
        callback_retry_delay, callback_timeout, missing_endpoints, order_read_delay_seconds,
        raw_responses, rendezvous, rendezvous_timeout_seconds, seed. Answers the full configuration."""
        return self._call("PUT", "/faults", json=settings)

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "/faults")

    def set_budget(
        self,
        requests_per_hour: int | None = None,
        window_seconds: float | None = None,
        clear_usage: bool = False,
    ) -> dict[str, Any]:
        body = {
            "requestsPerHour": requests_per_hour,
            "windowSeconds": window_seconds,
            "clearUsage": clear_usage,
        }
        return self._call("PUT", "/budget", json={k: v for k, v in body.items() if v is not None})

    def budget(self) -> dict[str, Any]:
        return self._call("GET", "/budget")

    # -- accounts -------------------------------------------------------------------------------
    def add_token(self, token: str, oi: str) -> dict[str, str]:
        """Register a second (third…) account: its own catalog, orders, feed and callbacks."""
        return self._call("POST", "/tokens", json={"token": token, "oi": oi})

    def tokens(self) -> list[dict[str, str]]:
        return self._call("GET", "/tokens")

    # -- uncertain behaviour ----------------------------------------------------------------------
    def behaviour(self) -> dict[str, str]:
        """``{list_order, created_before, put_mode}`` now in force."""
        return self._call("GET", "/behaviour")

    def set_behaviour(self, **values: str) -> dict[str, str]:
        """e.g. ``set_behaviour(list_order="oldest", put_mode="strict")``; a reset restores the defaults."""
        return self._call("PUT", "/behaviour", json=values)

    def conformance(self) -> dict[str, Any]:
        """Spec violations of the traffic so far (servers started with ``validate_openapi=True``)."""
        return self._call("GET", "/conformance")

    # -- request log ----------------------------------------------------------------------------
    def requests(
        self,
        method: str | None = None,
        path: str | None = None,
        path_prefix: str | None = None,
        since: int | None = None,
    ) -> list[dict[str, Any]]:
        """Logged /v2 requests: ``{seq, time, method, path, query, body, contentType, status, oi, fault}``."""
        return self._call(
            "GET",
            "/requests",
            params={"method": method, "path": path, "pathPrefix": path_prefix, "since": since},
        )

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    # -- marketplace side -----------------------------------------------------------------------
    def create_order(self, **spec: Any) -> dict[str, Any]:
        """Create a marketplace order; see ``POST /_sandbox/orders`` for ``spec``. Answers the order."""
        return self._call("POST", "/orders", json=spec)

    def set_order_status(self, order_id: int, status: str, **extra: Any) -> dict[str, Any]:
        """Marketplace-side status change (e.g. paid, cancelled); fires feed + callbacks."""
        return self._call("POST", f"/orders/{order_id}/status", json={"status": status, **extra})

    def pay_order(self, order_id: int) -> dict[str, Any]:
        return self.set_order_status(order_id, "PAID_WAITING_SHIP")

    def cancel_order(self, order_id: int, details: str = "Cancelado pelo marketplace") -> dict[str, Any]:
        return self.set_order_status(order_id, "CANCELED", cancelDetails=details)

    def nfe(self, order_id: int) -> str | None:
        """The stored NF-e XML of an order, or None when none was sent."""
        try:
            return self._call("GET", f"/orders/{order_id}/nfe")
        except SandboxAdminError as exc:
            if "-> 404" in str(exc):
                return None
            raise

    def feed_state(self, oi: str | None = None) -> list[dict[str, Any]]:
        """All feed items ``{id, token, acked}`` of an account (default: the primary one)."""
        return self._call("GET", "/feed", params={"oi": oi})

    def create_stock_local(
        self, name: str, default_local: bool = False, virtual: bool = False, oi: str | None = None
    ) -> dict[str, Any]:
        """Seed a warehouse without going through /v2 (no budget, no log)."""
        return self._call(
            "POST",
            "/stock-locals",
            json={"name": name, "defaultLocal": default_local, "virtual": virtual, "oi": oi},
        )

    def set_fulfillment(
        self, marketplace: str, sku_id: int, rows: list[dict[str, Any]], oi: str | None = None
    ) -> list[dict[str, Any]]:
        """Set a SKU's Full stock at a marketplace's CDs: ``[{document, description, quantity,
        reserved}]`` (``[]``: none there). Returns the rows as ``GET /v2/stocks/fulfillment`` shows them."""
        return self._call("PUT", f"/stocks/fulfillment/{marketplace}/{sku_id}", json=rows, params={"oi": oi})

    # -- callbacks ------------------------------------------------------------------------------
    def deliveries(self, order_id: int | None = None) -> list[dict[str, Any]]:
        """Callback deliveries: ``{id, oi, orderId, url, body, attempts:[{attempt, status|error, at}],
        delivered, dropped, duplicate, done}``."""
        return self._call("GET", "/callbacks/deliveries", params={"orderId": order_id})

    def clear_deliveries(self) -> None:
        self._call("DELETE", "/callbacks/deliveries")

    def wait_deliveries_done(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll until at least ``count`` deliveries exist and all are finished; return them."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.deliveries()
            if len(rows) >= count and all(r["done"] for r in rows):
                return rows
            if time.monotonic() > deadline:
                raise TimeoutError(f"callback deliveries not finished: {rows}")
            time.sleep(0.02)

    def demo_tick(self) -> dict[str, Any]:
        """One demo step now (only when the server runs in demo mode)."""
        return self._call("POST", "/demo/tick")

    # -- whole-state reads (soak invariant checks) ----------------------------------------------
    def orders(self, oi: str | None = None) -> list[dict[str, Any]]:
        """Every order of an account, each with ``statusHistory`` ``[{status, at, source}]``."""
        return self._call("GET", "/orders", params={"oi": oi})

    def stocks(self, oi: str | None = None) -> list[dict[str, Any]]:
        """Every stock row of an account (``GET /v2/stocks`` shape, unpaged, no budget)."""
        return self._call("GET", "/stocks", params={"oi": oi})

    def catalog(self, oi: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """The stored ``products`` and ``skus`` of an account."""
        return self._call("GET", "/catalog", params={"oi": oi})

    def pause_demo(self, paused: bool = True) -> dict[str, Any]:
        """Stop (or resume) the demo generator's marketplace activity."""
        return self._call("PUT", "/demo", json={"paused": paused})
