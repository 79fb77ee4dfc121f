"""Exceptions raised by the integration, each saying what went wrong and what to do about it."""

from __future__ import annotations

from typing import Any


class AnyMarketError(Exception):
    """Base class of every error this package raises on purpose."""


class AnyMarketAPIError(AnyMarketError):
    """AnyMarket answered with an error status; carries AnyMarket's own ``code``/``message``.

    ``retryable`` tells whether sending the same request again may succeed (429, 5xx); a 422 or
    another 4xx will fail the same way until the data changes, so it is never retried.
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
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500

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


class AnyMarketAuthError(AnyMarketAPIError):
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


class AnyMarketUnavailableError(AnyMarketError):
    """AnyMarket could not be reached or kept failing after every retry."""


class RequestBudgetExhausted(AnyMarketError):
    """The account's hourly request budget is used up; sending now would only earn 429s."""

    def __init__(self, *, account: str, used: int, limit: int, retry_after: float) -> None:
        self.account = account
        self.used = used
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(
            f"AnyMarket request budget of account {account} is used up: {used}/{limit} requests in the "
            f"last hour; the next request fits in {retry_after:.0f} s. The task will be retried; if this "
            "repeats, space out the schedules or raise 'requests_per_hour' in the connection extra only "
            "if AnyMarket granted the account more."
        )


class ConfigurationError(AnyMarketError):
    """A setting, connection or config file is wrong; the message names it and the fix."""
