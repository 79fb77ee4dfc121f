"""AnyMarketHook: every request the integration makes to the AnyMarket API v2 goes through here.

Built on providers-http's :class:`HttpHook` (connection handling, keep-alive sessions) and adding
what AnyMarket needs:

* the ``gumgaToken`` header from the connection's password, masked in every log;
* a request budget shared by all tasks and workers of the account (:mod:`anymarket.budget`), so a
  burst is stopped here rather than by AnyMarket's 429s;
* retries with exponential backoff and jitter on 429 (honouring ``Retry-After``), 5xx, timeouts
  and connection errors — never on other 4xx, which would fail the same way again;
* errors raised as :class:`~anymarket.errors.AnyMarketAPIError` carrying AnyMarket's ``code``,
  ``message``, ``details`` and ``fieldErrors``;
* a page iterator over AnyMarket's paging envelope.

Connection (type ``http``): host = API base URL (``https://api.anymarket.com.br/v2``), password =
token, extra = ``{"oi": "12345.", "timeout": 30, "requests_per_hour": 5000, ...}`` (see
:mod:`anymarket.connections` for every key and its default).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from airflow.providers.http.hooks.http import HttpHook

from anymarket.budget import RequestBudget, account_key
from anymarket.connections import AnyMarketConnectionParams
from anymarket.errors import (
    AnyMarketAPIError,
    AnyMarketAuthError,
    AnyMarketUnavailableError,
    RequestBudgetExhausted,
)

log = logging.getLogger(__name__)

USER_AGENT = "airflow-anymarket-integration"


class AnyMarketHook(HttpHook):
    """Talk to AnyMarket API v2 within the account's request budget.

    :param anymarket_conn_id: the integration's AnyMarket connection.
    :param budget: the request budget to spend; by default the account's budget in the mapping
        database (``anymarket_mapping_db`` connection), built on first use.
    :param sleep: how to wait between retries (tests pass a recorder).
    """

    conn_name_attr = "anymarket_conn_id"
    default_conn_name = "anymarket_default"
    conn_type = "http"
    hook_name = "AnyMarket"

    def __init__(
        self,
        anymarket_conn_id: str = default_conn_name,
        *,
        budget: RequestBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(method="GET", http_conn_id=anymarket_conn_id)
        self.anymarket_conn_id = anymarket_conn_id
        self._budget = budget
        self._sleep = sleep
        self.requests_sent = 0

    # -- connection ---------------------------------------------------------------------------

    @cached_property
    def params(self) -> AnyMarketConnectionParams:
        """The validated connection; the token is registered with Airflow's secrets masker."""
        from airflow.sdk.log import mask_secret

        params = AnyMarketConnectionParams.from_connection(self.get_connection(self.anymarket_conn_id))
        mask_secret(params.token)
        return params

    @property
    def oi(self) -> str | None:
        return self.params.oi

    @cached_property
    def budget(self) -> RequestBudget:
        if self._budget is None:
            from anymarket.mapping import get_mapping_db

            self._budget = RequestBudget(
                get_mapping_db().engine,
                account=account_key(self.params.base_url, self.params.token),
                requests_per_hour=self.params.requests_per_hour,
            )
        return self._budget

    def get_conn(self, headers: dict[str, Any] | None = None, extra_options: dict[str, Any] | None = None):
        """A keep-alive session carrying the token; the connection extra is settings, not headers."""
        session = requests.Session()
        session.headers.update(
            {
                "gumgaToken": self.params.token,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )
        if headers:
            session.headers.update(headers)
        self.base_url = self.params.base_url
        self._base_url_initialized = True
        return self._configure_session_from_mount_adapters(session)

    @cached_property
    def session(self) -> requests.Session:
        return self.get_conn()

    # -- requests -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: str | bytes | None = None,
        content_type: str | None = None,
    ) -> requests.Response:
        """Send one request with budget, retries and error translation; returns the 2xx response."""
        method = method.upper()
        url = self._url(endpoint)
        headers = {"Content-Type": content_type} if content_type else {}
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        attempts = self.params.max_retries + 1
        for attempt in range(attempts):
            self._spend_budget()
            started = time.monotonic()
            try:
                self.requests_sent += 1
                response = self.session.request(
                    method, url, params=params, data=data, headers=headers, timeout=self.params.timeout
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                reason = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
                if attempt + 1 >= attempts:
                    raise AnyMarketUnavailableError(
                        f"AnyMarket {reason} on {method} {endpoint} after {attempts} attempts "
                        f"(timeout {self.params.timeout:g} s). Check the connection's host and "
                        "AnyMarket's status; the task will be retried."
                    ) from exc
                delay = self._backoff(attempt)
                log.warning(
                    "AnyMarket %s on %s %s; retry %d in %.1f s", reason, method, endpoint, attempt + 1, delay
                )
                self._sleep(delay)
                continue
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug("%s %s -> %d in %.0f ms", method, endpoint, response.status_code, elapsed_ms)
            if response.ok:
                return response
            error = self._error_from(response, method, endpoint)
            if not error.retryable or attempt + 1 >= attempts:
                raise error
            delay = self._retry_delay(error, attempt)
            if delay is None:
                raise error
            log.warning(
                "AnyMarket answered %d to %s %s; retry %d in %.1f s",
                error.status,
                method,
                endpoint,
                attempt + 1,
                delay,
            )
            self._sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def run(
        self,
        endpoint: str | None = None,
        data: dict[str, Any] | str | None = None,
        headers: dict[str, Any] | None = None,
        extra_options: dict[str, Any] | None = None,
        **request_kwargs: Any,
    ) -> requests.Response:
        """HttpHook's entry point (used by HttpOperator and friends), routed through :meth:`request`
        so the budget, retries and timeout apply to it as well."""
        if self.method == "GET":
            return self.request("GET", endpoint or "", params=data)  # type: ignore[arg-type]
        if isinstance(data, str | bytes):
            return self.request(self.method, endpoint or "", data=data)
        return self.request(self.method, endpoint or "", json_body=data)

    def get(self, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        return self._json(self.request("GET", endpoint, params=params), "GET", endpoint)

    def post(self, endpoint: str, body: Any) -> Any:
        return self._json(self.request("POST", endpoint, json_body=body), "POST", endpoint)

    def put(self, endpoint: str, body: Any) -> Any:
        return self._json(self.request("PUT", endpoint, json_body=body), "PUT", endpoint)

    def delete(self, endpoint: str) -> Any:
        return self._json(self.request("DELETE", endpoint), "DELETE", endpoint)

    def paginate(self, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Yield every item of a paged listing, ``limit`` items per request, offset until the end.

        Stops on an empty page, or on a page shorter than the size the server reports (saving the
        request that would only confirm the end). A server that answers the same page again, or
        whose ``next`` link points back at the page just read, is stopped rather than looped on.
        """
        query = dict(params or {})
        limit = int(query.pop("limit", self.params.page_size))
        offset = int(query.pop("offset", 0))
        previous_ids: list[Any] | None = None
        while True:
            page_params = {**query, "limit": limit, "offset": offset}
            body = self.get(endpoint, page_params)
            if not isinstance(body, dict) or not isinstance(body.get("content"), list):
                raise AnyMarketAPIError(
                    status=200,
                    method="GET",
                    endpoint=endpoint,
                    message="expected AnyMarket's paging envelope {links, content, page}, got "
                    + type(body).__name__,
                )
            content = body["content"]
            if not content:
                return
            # Rows without an id (e.g. /stocks rows) are compared whole, or every page would look alike.
            ids = [item.get("id", item) if isinstance(item, dict) else item for item in content]
            if ids == previous_ids:
                log.warning(
                    "AnyMarket returned the same page twice for %s at offset %d; stopping", endpoint, offset
                )
                return
            previous_ids = ids
            yield from content
            page_size = (body.get("page") or {}).get("size")
            if isinstance(page_size, int) and 0 < len(content) < page_size:
                return
            if self._next_link_repeats(body, offset):
                log.warning("AnyMarket's next link for %s repeats offset %d; stopping", endpoint, offset)
                return
            offset += len(content)

    def stock_locals(self) -> list[dict[str, Any]]:
        """The account's warehouses (``GET /stocks/locals``), each checked to have an id and a name."""
        body = self.get("/stocks/locals")
        if body is None:
            return []
        problems = []
        if not isinstance(body, list):
            problems.append(f"expected a list of warehouses, got {type(body).__name__}")
        else:
            for index, row in enumerate(body):
                if not isinstance(row, dict):
                    problems.append(f"[{index}] is {type(row).__name__}, not a warehouse object")
                elif isinstance(row.get("id"), bool) or not isinstance(row.get("id"), int) or row["id"] <= 0:
                    problems.append(f"[{index}].id is {row.get('id')!r}, not a warehouse id")
                elif not isinstance(row.get("name"), str) or not 0 < len(row["name"].strip()) <= 255:
                    problems.append(f"[{index}].name is {str(row.get('name'))[:60]!r}, not a name (1..255)")
        if problems:
            raise AnyMarketAPIError(
                status=200,
                method="GET",
                endpoint="/stocks/locals",
                message="malformed warehouses (nothing was changed): " + "; ".join(problems[:5]),
            )
        return body

    def test_connection(self) -> tuple[bool, str]:
        """Airflow's "Test connection": one authenticated request that reads the warehouses."""
        try:
            locals_ = self.stock_locals()
        except Exception as exc:
            return False, str(exc)
        return True, f"Connected to {self.params.base_url}: {len(locals_)} warehouse(s) visible."

    # -- internals ----------------------------------------------------------------------------

    def _url(self, endpoint: str) -> str:
        return f"{self.params.base_url}/{endpoint.lstrip('/')}"

    def _spend_budget(self) -> None:
        """Take one request from the budget, waiting for a short while when it is nearly free."""
        for _ in range(3):
            try:
                self.budget.acquire()
                return
            except RequestBudgetExhausted as exc:
                if exc.retry_after > self.params.max_retry_after:
                    raise
                log.warning("Request budget full; waiting %.0f s for room", exc.retry_after)
                self._sleep(exc.retry_after)
        self.budget.acquire()

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random, capped."""
        ceiling = min(self.params.backoff_max, self.params.backoff_base * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _retry_delay(self, error: AnyMarketAPIError, attempt: int) -> float | None:
        """Seconds to wait before retrying; ``None`` when AnyMarket asks for longer than we hold a slot."""
        if error.status == 429 and error.retry_after is not None:
            if error.retry_after > self.params.max_retry_after:
                return None
            return error.retry_after + random.uniform(0, 0.1 * max(error.retry_after, 1.0))
        return self._backoff(attempt)

    def _error_from(self, response: requests.Response, method: str, endpoint: str) -> AnyMarketAPIError:
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {"message": (response.text or response.reason or "").strip()[:500] or None}
        retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        kwargs: dict[str, Any] = {
            "status": response.status_code,
            "method": method,
            "endpoint": endpoint,
            "code": str(body["code"]) if body.get("code") is not None else None,
            "message": body.get("message"),
            "details": body.get("details"),
            "field_errors": body.get("fieldErrors") if isinstance(body.get("fieldErrors"), list) else None,
            "retry_after": retry_after,
        }
        if response.status_code in (401, 403):
            return AnyMarketAuthError(conn_id=self.anymarket_conn_id, **kwargs)
        return AnyMarketAPIError(**kwargs)

    @staticmethod
    def _json(response: requests.Response, method: str, endpoint: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise AnyMarketAPIError(
                status=response.status_code,
                method=method,
                endpoint=endpoint,
                message=f"response is not JSON: {response.text[:200]!r}",
            ) from exc

    @staticmethod
    def _next_link_repeats(body: dict[str, Any], offset: int) -> bool:
        """True when the ``next`` link points at the offset just read (a server bug to not loop on)."""
        for link in body.get("links") or []:
            if isinstance(link, dict) and link.get("rel") == "next":
                query = parse_qs(urlparse(str(link.get("href") or "")).query)
                return query.get("offset") == [str(offset)]
        return False


def _parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (AnyMarket does not document it; HTTP-date form is not used)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
