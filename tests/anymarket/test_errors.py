"""The error classifier: every kind of error the integration meets, and what each means for a run."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException

from anymarket.erp.database import ErpQueryError, ErpSqlNotFoundError
from anymarket.errors import (
    AnyMarketAPIError,
    AnyMarketAuthError,
    AnyMarketFatalAPIError,
    AnyMarketUnavailableError,
    ConfigurationError,
    ErrorKind,
    RequestBudgetExhausted,
    api_error,
    classify,
    row_level,
    status_kind,
    unsupported,
)
from anymarket.orders.validation import MalformedOrderError

FATAL, RETRYABLE, ROW = ErrorKind.FATAL, ErrorKind.RETRYABLE, ErrorKind.ROW

STATUSES = [
    (200, ROW),  # an unreadable answer about one entity
    (400, ROW),
    (401, FATAL),
    (403, FATAL),
    (404, ROW),
    (405, FATAL),
    (408, RETRYABLE),
    (409, ROW),
    (410, FATAL),
    (415, FATAL),
    (422, ROW),
    (429, RETRYABLE),
    (500, RETRYABLE),
    (501, FATAL),
    (502, RETRYABLE),
    (503, RETRYABLE),
    (504, RETRYABLE),
]


def answer(status: int) -> AnyMarketAPIError:
    return api_error(conn_id="anymarket_loja1", status=status, method="PUT", endpoint="/stocks")


@pytest.mark.parametrize(("status", "kind"), STATUSES)
def test_each_status_has_one_kind_and_the_error_built_for_it_agrees(status: int, kind: ErrorKind) -> None:
    error = answer(status)
    assert status_kind(status) is kind
    assert classify(error) is kind and error.kind is kind
    assert error.retryable is (kind is RETRYABLE) and row_level(error) is (kind is ROW)
    # Only a fatal error stops Airflow's retries.
    assert isinstance(error, AirflowFailException) is (kind is FATAL)


def test_a_refused_token_names_the_connection() -> None:
    error = answer(401)
    assert isinstance(error, AnyMarketAuthError)
    assert "connection 'anymarket_loja1'" in str(error) and "HTTP 401 to PUT /stocks" in str(error)


def test_a_contract_violation_is_fatal_whatever_its_status() -> None:
    error = AnyMarketFatalAPIError(status=200, method="GET", endpoint="/orders/feeds", message="not a list")
    assert classify(error) is FATAL and isinstance(error, AnyMarketAPIError)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ConfigurationError("stock.default_deposit is 'X'"), FATAL),
        (ErpSqlNotFoundError("no list_deposits.sql"), FATAL),
        (RequestBudgetExhausted(account="a", used=5000, limit=5000, retry_after=60), RETRYABLE),
        (AnyMarketUnavailableError("AnyMarket timed out"), RETRYABLE),
        (requests.Timeout("read timed out"), RETRYABLE),
        (requests.ConnectionError("refused"), RETRYABLE),
        (sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")), RETRYABLE),
        (MalformedOrderError("1", ["total is not a number"]), ROW),
        (KeyError("shipping"), ROW),  # one order's payload lacked a field: that order fails alone
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_errors_other_than_answers(exc: BaseException, kind: ErrorKind) -> None:
    assert classify(exc) is kind


def test_an_erp_error_is_the_rows_unless_the_database_cannot_be_reached() -> None:
    def wrapped(cause: Exception) -> ErpQueryError:
        try:
            raise ErpQueryError("order_insert failed", query="order_insert", path=None) from cause
        except ErpQueryError as exc:
            return exc

    duplicate = sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    lost = sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))
    assert classify(wrapped(duplicate)) is ROW
    assert classify(wrapped(lost)) is RETRYABLE


@pytest.mark.parametrize(
    ("status", "expected"), [(404, True), (405, True), (501, True), (400, False), (503, False)]
)
def test_an_endpoint_this_account_lacks(status: int, expected: bool) -> None:
    assert unsupported(answer(status)) is expected
