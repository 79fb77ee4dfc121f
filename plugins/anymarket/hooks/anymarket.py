"""AnyMarketHook: every request the integration makes to the AnyMarket API v2 goes through here.

The hook of the ``anymarket`` connection type (registered by :mod:`anymarket.provider`: the UI's
form and its Test button, :meth:`AnyMarketHook.test_connection`). A providers-http :class:`HttpHook`
(so ``HttpOperator`` & co. can drive it through :meth:`AnyMarketHook.run`, and existing ``http``
connections keep working), but it builds its own
``requests`` session and URLs and uses none of HttpHook's private machinery. What AnyMarket needs on
top of plain HTTP:

* the ``gumgaToken`` header from the connection's password, masked in every log;
* a request budget shared by all tasks and workers of the account (:mod:`anymarket.budget`), so a
  burst is stopped here rather than by AnyMarket's 429s — spent on every attempt, never retried by
  the hook (the budget has its own short wait);
* retries through ``tenacity``: of timeouts, connection errors and the answers
  :func:`anymarket.errors.classify` calls retryable (429, 5xx…), with exponential backoff and
  jitter, or ``Retry-After`` on a 429 — unless AnyMarket asks for longer than the connection's
  ``max_retry_after``, which is raised at once. Other answers are never retried: they would fail
  the same way again;
* errors built by :func:`anymarket.errors.api_error`, which carry AnyMarket's ``code``, ``message``,
  ``details`` and ``fieldErrors`` and are of the class the status calls for (a refused token or a
  request the API cannot serve is fatal: Airflow fails the task without retrying);
* a page iterator over AnyMarket's paging envelope; an answer that breaks that contract is fatal.

Connection (type ``anymarket``, or ``http``): host = API base URL (``https://api.anymarket.com.br/v2``),
password = token, extra = ``{"oi": "12345.", "timeout": 30, "requests_per_hour": 5000, ...}`` (see
:class:`anymarket.connections.AnyMarketConnectionSettings` for every key and its default).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
import tenacity
from airflow.providers.http.hooks.http import HttpHook
from requests.adapters import HTTPAdapter

from anymarket.budget import Lane, LaneShares, RequestBudget, account_key
from anymarket.connections import AnyMarketConnectionSettings
from anymarket.errors import (
    AnyMarketAPIError,
    AnyMarketFatalAPIError,
    AnyMarketUnavailableError,
    ErrorKind,
    RequestBudgetExhausted,
    api_error,
    classify,
)
from anymarket.provider import ANYMARKET_CONN_TYPE

log = logging.getLogger(__name__)

USER_AGENT = "airflow-anymarket-integration"
#: Pooled connections kept per host: one task's requests are sequential, a few spare are plenty.
POOL_SIZE = 4
#: Errors of the transport (no answer from AnyMarket), retried like a retryable answer.
TRANSPORT_ERRORS = (requests.Timeout, requests.ConnectionError)


class AnyMarketHook(HttpHook):
    """Talk to AnyMarket API v2 within the account's request budget.

    Every call goes through :meth:`request` (HttpHook's :meth:`run` included), which spends the
    budget, retries what may succeed later and raises what will not (see the module docstring).

    :param anymarket_conn_id: the integration's AnyMarket connection.
    :param budget: the request budget to spend; by default the account's budget in the mapping
        database (``anymarket_mapping_db`` connection), built on first use.
    :param lane: the budget lane this hook's requests are spent in (:class:`anymarket.budget.Lane`);
        :meth:`lane_scope` switches it for a block (callback lookups inside an import run).
    :param shares: how the account's budget is split into lanes (the integration's ``budget``
        settings); defaults to :class:`~anymarket.budget.LaneShares`'s.
    :param sleep: how to wait between retries (tests pass a recorder).
    """

    conn_name_attr = "anymarket_conn_id"
    default_conn_name = "anymarket_default"
    conn_type = ANYMARKET_CONN_TYPE
    hook_name = "AnyMarket"

    def __init__(
        self,
        anymarket_conn_id: str = default_conn_name,
        *,
        budget: RequestBudget | None = None,
        lane: Lane | str = Lane.REALTIME,
        shares: LaneShares | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # The session (get_conn) mounts its own adapter, so HttpHook need not build a keep-alive one.
        super().__init__(method="GET", http_conn_id=anymarket_conn_id, tcp_keep_alive=False)
        self.anymarket_conn_id = anymarket_conn_id
        self._budget = budget
        self.lane = Lane(lane)
        self._shares = shares or LaneShares()
        self._sleep = sleep
        self.requests_sent = 0
        #: ``page.totalElements`` of the listing :meth:`paginate` read last, when AnyMarket gave it.
        self.last_listing_total: int | None = None

    # -- connection ---------------------------------------------------------------------------

    @cached_property
    def connection_settings(self) -> AnyMarketConnectionSettings:
        """The connection's validated settings; the token is registered with Airflow's secrets masker."""
        from airflow.sdk.log import mask_secret

        settings = AnyMarketConnectionSettings.from_connection(self.get_connection(self.anymarket_conn_id))
        mask_secret(settings.token)
        return settings

    @property
    def oi(self) -> str | None:
        return self.connection_settings.oi

    @cached_property
    def budget(self) -> RequestBudget:
        if self._budget is None:
            from anymarket.mapping import get_mapping_db

            self._budget = RequestBudget(
                get_mapping_db().engine,
                account=account_key(self.connection_settings.base_url, self.connection_settings.token),
                requests_per_hour=self.connection_settings.requests_per_hour,
                window_seconds=self.connection_settings.budget_window_seconds,
                shares=self._shares,
            )
        return self._budget

    @contextmanager
    def lane_scope(self, lane: Lane | str) -> Iterator[None]:
        """Spend the requests of a block in ``lane`` (e.g. callback lookups), then switch back."""
        previous, self.lane = self.lane, Lane(lane)
        try:
            yield
        finally:
            self.lane = previous

    def get_conn(
        self, headers: dict[str, Any] | None = None, extra_options: dict[str, Any] | None = None
    ) -> requests.Session:
        """A keep-alive session carrying the token; the connection extra is settings, not headers.

        Built from public ``requests`` parts only: pooled HTTP keep-alive comes from the mounted
        adapter, which itself never retries (``max_retries=0``: retries are :meth:`request`'s, within
        the budget). ``extra_options`` is HttpHook's signature; the timeout is the connection's.
        """
        settings = self.connection_settings
        session = requests.Session()
        session.headers.update(
            {
                "gumgaToken": settings.token,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )
        if headers:
            session.headers.update(headers)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        self.base_url = settings.base_url  # HttpHook's public attribute, for code that reads it
        return session

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
        """Send one request with budget, retries and error translation; returns the 2xx response.

        Each attempt spends one request of the budget first (:class:`RequestBudgetExhausted` is
        raised as is, never retried here). Timeouts, connection errors and retryable answers are
        tried again up to the connection's ``max_retries`` times; a timeout or connection error on
        the last attempt is raised as :class:`AnyMarketUnavailableError`, an error answer as itself.
        """
        method = method.upper()
        url = self._url(endpoint)
        headers = {"Content-Type": content_type} if content_type else {}
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        settings = self.connection_settings
        attempts = settings.max_retries + 1
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            retry=tenacity.retry_if_exception(self._worth_retrying),
            wait=self._retry_wait,
            sleep=self._sleep,
            before_sleep=lambda state: self._log_retry(state, method, endpoint),
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, endpoint, params=params, data=data, headers=headers)
        except TRANSPORT_ERRORS as exc:
            raise AnyMarketUnavailableError(
                f"AnyMarket {_transport_reason(exc)} on {method} {endpoint} after {attempts} attempts "
                f"(timeout {settings.timeout:g} s). Check the connection's host and "
                "AnyMarket's status; the task will be retried."
            ) from exc

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
        limit = int(query.pop("limit", self.connection_settings.page_size))
        offset = int(query.pop("offset", 0))
        previous_ids: list[Any] | None = None
        while True:
            page_params = {**query, "limit": limit, "offset": offset}
            body = self.get(endpoint, page_params)
            if not isinstance(body, dict) or not isinstance(body.get("content"), list):
                raise AnyMarketFatalAPIError(
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
            total = (body.get("page") or {}).get("totalElements")
            if isinstance(total, int) and not isinstance(total, bool):
                self.last_listing_total = total
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
            raise AnyMarketFatalAPIError(
                status=200,
                method="GET",
                endpoint="/stocks/locals",
                message="malformed warehouses (nothing was changed): " + "; ".join(problems[:5]),
            )
        return body

    def test_connection(self) -> tuple[bool, str]:
        """Airflow's "Test connection" (the UI's Test button): are the token and the OI good?

        The settings are validated as a task would (base URL, token, numbers, environment), the OI's
        form is checked (it ends with a dot), ``GET /stocks/locals`` proves the token and
        ``GET /stocks`` lets AnyMarket confirm the OI (``stockLocal.oi.value`` of its first rows; an
        account without stock rows cannot confirm it, which the message says). The two requests are
        sent once each, without retries and outside the account's request budget: the api-server
        runs this while a person waits for the answer, two requests are nothing against 5 000 an
        hour, and the budget's table lives in the mapping database, which the api-server need not
        reach. The scheduled ``test_connection`` automation does the same within the budget.

        :return: ``(True, what was confirmed)`` or ``(False, what is wrong and what to do)``.
        """
        try:
            settings = self.connection_settings
            oi = (settings.oi or "").strip()
            if not oi.endswith("."):
                return False, (
                    f"Connection '{settings.conn_id}': the OI is {settings.oi!r}; set it to the account's OI "
                    'as AnyMarket shows it, ending with a dot (e.g. "12345."): callbacks are checked '
                    "against it."
                )
            warehouses = self._probe("/stocks/locals", None)
            stocks = self._probe("/stocks", {"limit": 5, "offset": 0})
        except Exception as exc:
            return False, str(exc)
        count = len(warehouses) if isinstance(warehouses, list) else 0
        account_oi = _oi_of_stock_rows(stocks)
        where = f"Connected to {settings.base_url}: the token is accepted ({count} warehouse(s))"
        if account_oi is None:
            return True, f"{where}; OI {oi} not confirmable yet (the account has no stock rows)."
        if account_oi != oi:
            return False, (
                f"{where}, but AnyMarket reports OI {account_oi!r} for this token, not {oi!r}: fix the OI "
                "or the token, otherwise every callback would be rejected."
            )
        return True, f"{where}; OI {oi} confirmed by AnyMarket."

    def _probe(self, endpoint: str, params: dict[str, Any] | None) -> Any:
        """One GET for :meth:`test_connection`: no budget, no retry; AnyMarket's error as ours."""
        try:
            timeout = self.connection_settings.timeout
            response = self.session.get(self._url(endpoint), params=params, timeout=timeout)
        except TRANSPORT_ERRORS as exc:
            raise AnyMarketUnavailableError(
                f"AnyMarket {_transport_reason(exc)} on GET {endpoint} (timeout "
                f"{self.connection_settings.timeout:g} s): check the connection's API base URL."
            ) from exc
        if not response.ok:
            raise self._error_from(response, "GET", endpoint)
        return self._json(response, "GET", endpoint)

    # -- internals ----------------------------------------------------------------------------

    def _url(self, endpoint: str) -> str:
        return f"{self.connection_settings.base_url}/{endpoint.lstrip('/')}"

    def _spend_budget(self) -> None:
        """Take one request from the budget in this hook's lane, waiting when room is near.

        A paced bulk request waits about a second; a wait longer than the connection's
        ``max_retry_after`` is raised (the operator ends its run cleanly and the next run continues).
        """
        patience = self.connection_settings.max_retry_after
        waited = 0.0
        while True:
            try:
                self.budget.acquire(lane=self.lane)
                return
            except RequestBudgetExhausted as exc:
                # Paced bulk tasks on two workers take turns; one request never waits past twice the
                # connection's patience in all.
                if exc.retry_after > patience or waited + exc.retry_after > 2 * patience:
                    raise
                if exc.retry_after >= 5:
                    log.warning("%s: waiting %.0f s for room", exc.what.capitalize(), exc.retry_after)
                self._sleep(exc.retry_after)
                waited += exc.retry_after

    def _attempt(
        self,
        method: str,
        url: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None,
        data: str | bytes | None,
        headers: dict[str, str],
    ) -> requests.Response:
        """One try: spend the budget, send, and return the 2xx response or raise AnyMarket's error."""
        self._spend_budget()
        started = time.monotonic()
        self.requests_sent += 1
        response = self.session.request(
            method, url, params=params, data=data, headers=headers, timeout=self.connection_settings.timeout
        )
        elapsed_ms = (time.monotonic() - started) * 1000
        log.debug("%s %s -> %d in %.0f ms", method, endpoint, response.status_code, elapsed_ms)
        if response.ok:
            return response
        raise self._error_from(response, method, endpoint)

    def _worth_retrying(self, exc: BaseException) -> bool:
        """tenacity's retry predicate: no answer at all, or an answer :func:`classify` calls retryable
        — except a 429 asking for a longer wait than ``max_retry_after`` (we would hold the worker)."""
        if isinstance(exc, TRANSPORT_ERRORS):
            return True
        if not isinstance(exc, AnyMarketAPIError) or classify(exc) is not ErrorKind.RETRYABLE:
            return False
        retry_after = _asked_retry_after(exc)
        return retry_after is None or retry_after <= self.connection_settings.max_retry_after

    def _retry_wait(self, retry_state: tenacity.RetryCallState) -> float:
        """tenacity's wait: ``Retry-After`` plus up to 10 % jitter on a 429 that sends it, else
        exponential backoff with equal jitter (see :meth:`_backoff`)."""
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = _asked_retry_after(exc)
        if retry_after is not None:
            return retry_after + random.uniform(0, 0.1 * max(retry_after, 1.0))
        return self._backoff(retry_state.attempt_number - 1)

    @staticmethod
    def _log_retry(retry_state: tenacity.RetryCallState, method: str, endpoint: str) -> None:
        """tenacity's before_sleep: one warning per retry, saying what failed and how long we wait."""
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
        attempt = retry_state.attempt_number
        if isinstance(exc, AnyMarketAPIError):
            log.warning(
                "AnyMarket answered %d to %s %s; retry %d in %.1f s",
                exc.status,
                method,
                endpoint,
                attempt,
                delay,
            )
        else:
            reason = _transport_reason(exc) if exc is not None else "failed"
            log.warning("AnyMarket %s on %s %s; retry %d in %.1f s", reason, method, endpoint, attempt, delay)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random, capped."""
        settings = self.connection_settings
        ceiling = min(settings.backoff_max, settings.backoff_base * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _error_from(self, response: requests.Response, method: str, endpoint: str) -> AnyMarketAPIError:
        """AnyMarket's error answer as the exception :func:`~anymarket.errors.api_error` picks."""
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {"message": (response.text or response.reason or "").strip()[:500] or None}
        return api_error(
            conn_id=self.anymarket_conn_id,
            status=response.status_code,
            method=method,
            endpoint=endpoint,
            code=str(body["code"]) if body.get("code") is not None else None,
            message=body.get("message"),
            details=body.get("details"),
            field_errors=body.get("fieldErrors") if isinstance(body.get("fieldErrors"), list) else None,
            retry_after=_parse_retry_after(response.headers.get("Retry-After")),
        )

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


def _oi_of_stock_rows(body: Any) -> str | None:
    """The OI AnyMarket shows on the first rows of a ``GET /stocks`` page (``stockLocal.oi.value``)."""
    rows = body.get("content") if isinstance(body, dict) else None
    for row in rows if isinstance(rows, list) else []:
        local = row.get("stockLocal") if isinstance(row, dict) else None
        oi = local.get("oi") if isinstance(local, dict) else None
        value = oi.get("value") if isinstance(oi, dict) else None
        if value:
            return str(value)
    return None


def _asked_retry_after(exc: BaseException | None) -> float | None:
    """The ``Retry-After`` of a 429 answer (the only status whose Retry-After the hook honours)."""
    if isinstance(exc, AnyMarketAPIError) and exc.status == HTTPStatus.TOO_MANY_REQUESTS:
        return exc.retry_after
    return None


def _transport_reason(exc: BaseException) -> str:
    return "timed out" if isinstance(exc, requests.Timeout) else "could not connect"


def _parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (AnyMarket does not document it; HTTP-date form is not used)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
