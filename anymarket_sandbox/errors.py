"""The API's error shape: ``{"code": "<status>", "message": ..., "fieldErrors": [...]}``.

AnyMarket sends ``code`` as a *string*; clients key on it, so the sandbox does the same everywhere.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """Raised by handlers and domain code; rendered by :func:`error_response`."""

    def __init__(
        self,
        status: int,
        message: str,
        field_errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field_errors = field_errors or []
        self.headers = headers or {}


def error_body(status: int, message: str, field_errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The JSON body AnyMarket answers on errors."""
    body: dict[str, Any] = {"code": str(status), "message": message}
    if field_errors:
        body["fieldErrors"] = field_errors
    return body


def error_response(
    status: int,
    message: str,
    field_errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A ready :class:`JSONResponse` carrying :func:`error_body`."""
    return JSONResponse(error_body(status, message, field_errors), status_code=status, headers=headers)


def not_found(resource_id: object) -> ApiError:
    """AnyMarket's 404 wording, used for every resource kind."""
    return ApiError(404, f"Recurso com o id '{resource_id}' não encontrado.")


def unprocessable(message: str, field_errors: list[dict[str, str]] | None = None) -> ApiError:
    """A 422 validation failure."""
    return ApiError(422, message, field_errors)
