"""Every error the integration raises or meets, and the one place that decides what happens next.

Each exception is classified once, by :func:`classify`, into an :class:`ErrorKind`:

* **fatal** — a person must act: a refused token, a broken setting or SQL file, an answer that breaks
  AnyMarket's contract (a listing that is not one). These are :class:`FatalError`\\ s, which are
  Airflow's ``AirflowFailException``: the task fails on its first try, no retry, and the alert e-mail
  goes out at once.
* **retryable** — the same request may succeed later: 408/429/5xx, timeouts, connection errors, a
  spent request budget, a database that cannot be reached. The hook retries the request
  (:mod:`anymarket.hooks.anymarket`); past that the run stops, the work stays queued, and Airflow
  retries the task (:data:`TASK_RETRY_ARGS`) — except a spent budget lane
  (:class:`RequestBudgetExhausted`), which an operator turns into a clean end of its run (outcome
  ``waiting``): the next scheduled run continues, and only realtime work waiting too long alerts.
* **row** — one entity's data is wrong (400/404/409/422 about one SKU, order or product, a malformed
  order): recorded in the entity's history with AnyMarket's message, held back until its data
  changes, and the run goes on with the others.

Where retries happen, all of them: the hook (one request: :func:`status_kind` says which statuses
are retried, the connection's ``max_retries``/``backoff_*``/``max_retry_after`` say how often and how
long), the request budget (a short wait for room — a paced bulk request's second included — else the
run ends waiting for the next one), Airflow (the task:
:data:`TASK_RETRY_ARGS`, never for fatal errors), and the next run (row-level failures stay queued:
unacked feed items, pending callbacks up to :data:`CALLBACK_MAX_ATTEMPTS`, refused rows held until
their data changes, status syncs in state ``retry``). An order failing :data:`ROW_FAILURES_BEFORE_ALERT`
runs in a row fails its run once so a person hears of it.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from typing import Any

from airflow.sdk.exceptions import AirflowFailException


class ErrorKind(StrEnum):
    """What an error means for the run: see the module docstring."""

    FATAL = "fatal"
    RETRYABLE = "retryable"
    ROW = "row"


#: The token was refused: no retry can fix it.
AUTH_STATUSES = frozenset({401, 403})
#: AnyMarket refused one entity's data (or does not know it): that row's problem, not the run's.
ROW_STATUSES = frozenset({400, 404, 409, 422})
#: The request may succeed if sent again (besides 5xx, which :func:`status_kind` adds).
RETRYABLE_STATUSES = frozenset({408, 425, 429})
#: "This endpoint does not exist here": an optional feature (e.g. the batch feed ack) to do without.
UNSUPPORTED_STATUSES = frozenset({404, 405, 501})

#: Airflow's retries of a task whose error was retryable (a fatal one fails at once).
TASK_RETRY_ARGS: dict[str, Any] = {
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=15),
}
#: Consecutive failed runs of one order after which its run fails once, so the alert e-mail goes out.
ROW_FAILURES_BEFORE_ALERT = 3
#: Attempts at one stored callback before it is marked failed (the feed still carries its order).
CALLBACK_MAX_ATTEMPTS = 5


def status_kind(status: int) -> ErrorKind:
    """The kind of an AnyMarket answer with HTTP ``status`` (2xx: an unreadable answer about one entity)."""
    if status in AUTH_STATUSES:
        return ErrorKind.FATAL
    if status in ROW_STATUSES or 200 <= status < 300:
        return ErrorKind.ROW
    if status in RETRYABLE_STATUSES or (status >= 500 and status not in UNSUPPORTED_STATUSES):
        return ErrorKind.RETRYABLE
    return ErrorKind.FATAL  # 405, 410, 413, 415, 501…: the request itself is wrong for this API


def classify(exc: BaseException) -> ErrorKind:
    """The one answer to "is this the row's fault, the run's, or a person's?" for any exception."""
    if isinstance(exc, FatalError):
        return ErrorKind.FATAL
    if isinstance(exc, AnyMarketAPIError):
        return exc.kind
    if isinstance(exc, RequestBudgetExhausted | AnyMarketUnavailableError):
        return ErrorKind.RETRYABLE
    if _unreachable(exc) or _unreachable(exc.__cause__):
        return ErrorKind.RETRYABLE
    return ErrorKind.ROW


def row_level(exc: BaseException) -> bool:
    """True when ``exc`` is one entity's problem: record it and go on with the others."""
    return classify(exc) is ErrorKind.ROW


def unsupported(exc: AnyMarketAPIError) -> bool:
    """AnyMarket says the endpoint does not exist (for this account or API version)."""
    return exc.status in UNSUPPORTED_STATUSES


def _unreachable(exc: BaseException | None) -> bool:
    """A timeout or lost connection to AnyMarket or a database (modules not loaded cannot have raised)."""
    if exc is None:
        return False
    transport = sys.modules.get("requests.exceptions")
    if transport is not None and isinstance(exc, transport.Timeout | transport.ConnectionError):
        return True
    database = sys.modules.get("sqlalchemy.exc")
    return database is not None and isinstance(
        exc, database.OperationalError | database.InterfaceError | database.TimeoutError
    )


class AnyMarketError(Exception):
    """Base class of every error this package raises on purpose."""


class FatalError(AnyMarketError, AirflowFailException):
    """A person must act before anything can work: Airflow fails the task without retrying."""


class ConfigurationError(FatalError):
    """A setting, connection or config file is wrong; the message names it and the fix."""


class AnyMarketAPIError(AnyMarketError):
    """AnyMarket answered with an error status; carries AnyMarket's own ``code``/``message``.

    Its :attr:`kind` follows the status (:func:`status_kind`). Build one from a response with
    :func:`api_error`, which picks the fatal subclasses where the status calls for them.
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        endpoint: str,
        code: str | None = None,
        message: str | None = None,
        details: Any = None,
        field_errors: list[dict[str, Any]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.endpoint = endpoint
        self.code = code
        self.message = message
        self.details = details
        self.field_errors = field_errors or []
        self.retry_after = retry_after
        super().__init__(self._describe())

    def as_record(self) -> dict[str, Any]:
        """AnyMarket's answer as kept in the history (what a person needs to fix the data)."""
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "fieldErrors": self.field_errors,
        }

    @property
    def kind(self) -> ErrorKind:
        return status_kind(self.status)

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.RETRYABLE

    def _describe(self) -> str:
        text = f"AnyMarket answered HTTP {self.status} to {self.method} {self.endpoint}"
        if self.message:
            text += f": {self.message}"
        if self.code and self.code != str(self.status):
            text += f" (code {self.code})"
        if self.field_errors:
            fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in self.field_errors)
            text += f" [fields: {fields}]"
        if self.details:
            text += f" [details: {self.details}]"
        return text


class AnyMarketFatalAPIError(AnyMarketAPIError, FatalError):
    """AnyMarket refused the request itself (405, 415, 501…) or answered outside its contract (a
    listing that is not one): sending it again cannot help, the client or the account must change."""

    @property
    def kind(self) -> ErrorKind:
        return ErrorKind.FATAL


class AnyMarketAuthError(AnyMarketFatalAPIError):
    """The token was refused (401/403): no retry can fix that, a person must."""

    def __init__(self, *, conn_id: str, **kwargs: Any) -> None:
        self.conn_id = conn_id
        super().__init__(**kwargs)

    def _describe(self) -> str:
        return (
            f"AnyMarket refused the token of connection '{self.conn_id}' (HTTP {self.status} to "
            f"{self.method} {self.endpoint}). Check the connection's password (the gumgaToken) and that "
            "its host points at the environment the token belongs to: sandbox and production tokens "
            "are not interchangeable."
        )


def api_error(*, conn_id: str, **fields: Any) -> AnyMarketAPIError:
    """The error for one AnyMarket answer (``fields``: :class:`AnyMarketAPIError`'s), of the class its
    status calls for — so a 401 is an :class:`AnyMarketAuthError` wherever it was met."""
    status = fields["status"]
    if status in AUTH_STATUSES:
        return AnyMarketAuthError(conn_id=conn_id, **fields)
    if status_kind(status) is ErrorKind.FATAL:
        return AnyMarketFatalAPIError(**fields)
    return AnyMarketAPIError(**fields)


class AnyMarketUnavailableError(AnyMarketError):
    """AnyMarket could not be reached or kept failing after every retry."""


class RequestBudgetExhausted(AnyMarketError):
    """A lane of the account's request budget is spent; sending now would cross it (or earn 429s).

    :param used: requests already spent in the window against ``limit``.
    :param retry_after: seconds until the next request fits.
    :param lane: the lane the request was to be spent in (:class:`anymarket.budget.Lane`).
    :param what: the limit that was reached (the budget, the bulk lane, its pace, the callback share).
    """

    def __init__(
        self,
        *,
        account: str,
        used: int,
        limit: int,
        retry_after: float,
        lane: str = "realtime",
        what: str = "the budget",
        window_seconds: float = 3600.0,
    ) -> None:
        self.account = account
        self.used = used
        self.limit = limit
        self.retry_after = retry_after
        self.lane = lane
        self.what = what
        window = "hour" if window_seconds == 3600 else f"{window_seconds:g} s"
        super().__init__(
            f"AnyMarket request budget of account {account}: {what} is spent ({used}/{limit} requests in "
            f"the last {window}, {lane} lane); the next request fits in {retry_after:.0f} s. The run "
            "stops here and the next run continues; if realtime work keeps waiting, space out the "
            "schedules, lower the bulk work or raise 'requests_per_hour' in the connection extra only "
            "if AnyMarket granted the account more."
        )
