"""Helpers shared by the route modules: body parsing, paging envelope, field checks, dates."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import Request

from anymarket_sandbox.errors import ApiError, unprocessable

if TYPE_CHECKING:
    from anymarket_sandbox.runtime import Sandbox
    from anymarket_sandbox.state import Account

MIN_LIMIT, MAX_LIMIT, DEFAULT_LIMIT = 5, 100, 5


def sandbox_of(request: Request) -> Sandbox:
    return request.app.state.sandbox


def account_of(request: Request) -> Account:
    """The account of the request's token (the gate stored its OI in the request scope)."""
    return sandbox_of(request).state.account(request.scope["state"]["oi"])


async def read_json(request: Request) -> Any:
    """The parsed JSON body; unreadable JSON is a 400, as Spring answers for HttpMessageNotReadable."""
    raw = await request.body()
    if not raw.strip():
        raise unprocessable("O corpo da requisição é obrigatório.")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"JSON inválido: {exc}") from exc


async def read_object(request: Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise unprocessable("O corpo da requisição deve ser um objeto JSON.")
    return body


def clamp_limit(raw: str | None, default: int = DEFAULT_LIMIT) -> int:
    """``limit`` clamped to AnyMarket's 5..100 (non-numeric values fall back to the default)."""
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return max(MIN_LIMIT, min(MAX_LIMIT, value))


def parse_offset(raw: str | None) -> int:
    try:
        return max(0, int(raw)) if raw is not None else 0
    except ValueError:
        return 0


def paged(
    request: Request, items: list[Any], render: Callable[[Any], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Slice ``items`` by ``offset``/``limit`` and wrap them in the paging envelope.

    ``render`` (stored form → wire form) is applied to the page only, so walking a large listing
    costs one page of rendering per request rather than the whole collection.

    ``page.number`` is 1-based and ``totalPages`` at least 1, as the spec's examples and minimums
    say (the notes mark the base as uncertain; clients must walk by offset anyway).
    """
    limit = clamp_limit(request.query_params.get("limit"))
    offset = parse_offset(request.query_params.get("offset"))
    total = len(items)
    content = items[offset : offset + limit]
    if render is not None:
        content = [render(item) for item in content]
    links = []
    if offset + limit < total:
        links.append(
            {"rel": "next", "href": str(request.url.include_query_params(limit=limit, offset=offset + limit))}
        )
    if offset > 0:
        prev = max(0, offset - limit)
        links.append({"rel": "prev", "href": str(request.url.include_query_params(limit=limit, offset=prev))})
    return {
        "links": links,
        "content": content,
        "page": {
            "size": limit,
            "totalElements": total,
            "totalPages": max(1, math.ceil(total / limit)),
            "number": offset // limit + 1,
        },
    }


def missing_fields(body: dict[str, Any], names: list[str], prefix: str = "") -> list[dict[str, str]]:
    """fieldErrors for each name absent, null or blank in ``body``."""
    errors = []
    for name in names:
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append({"field": prefix + name, "message": "não pode ser nulo ou vazio"})
    return errors


def require(body: dict[str, Any], names: list[str], prefix: str = "") -> None:
    errors = missing_fields(body, names, prefix)
    if errors:
        listed = ", ".join(e["field"] for e in errors)
        raise unprocessable(f"Campos obrigatórios não informados: {listed}.", errors)


def parse_aware_datetime(value: Any, field: str) -> datetime:
    """Parse an ISO date-time that must carry a timezone (``Z`` or ``±hh:mm``); else 422."""
    if not isinstance(value, str):
        raise unprocessable(f"Data inválida em '{field}'.", [{"field": field, "message": "data inválida"}])
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise unprocessable(
            f"Data inválida em '{field}': '{value}'.", [{"field": field, "message": "formato inválido"}]
        ) from exc
    if parsed.tzinfo is None:
        raise unprocessable(
            f"Data sem fuso horário em '{field}': '{value}' (use por exemplo 2019-08-24T14:15:22-03:00).",
            [{"field": field, "message": "informe o fuso horário"}],
        )
    return parsed


def parse_id(raw: str) -> int:
    """Path ids are int64; anything else cannot exist, so it is a 404 like an unknown id."""
    try:
        return int(raw)
    except ValueError:
        from anymarket_sandbox.errors import not_found

        raise not_found(raw) from None


def strip_none(data: dict[str, Any]) -> dict[str, Any]:
    """Drop null fields: the API omits absent values rather than sending nulls."""
    return {k: v for k, v in data.items() if v is not None}


def _sort_value(item: Any, field: str) -> Any:
    value: Any = item
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def sort_items(
    request: Request,
    items: list[Any],
    *,
    default_key: Callable[[Any], Any],
    view: Callable[[Any], Any] = lambda x: x,
) -> list[Any]:
    """Order a listing: by ``sort`` (a field, dotted for nested ones) and ``sortDirection`` (ASC|DESC,
    default ASC) when given; else by ``default_key`` in the ``list_order`` switch's direction
    (``newest`` = descending). ``view`` maps an item to the JSON the ``sort`` field is read from."""
    sort = request.query_params.get("sort")
    direction = (request.query_params.get("sortDirection") or "").upper()
    if direction and direction not in ("ASC", "DESC"):
        raise unprocessable(
            f"sortDirection inválido: '{direction}' (ASC ou DESC).",
            [{"field": "sortDirection", "message": "valor inválido"}],
        )
    if sort:
        present = [i for i in items if _sort_value(view(i), sort) is not None]
        absent = [i for i in items if _sort_value(view(i), sort) is None]
        present.sort(key=lambda i: (_sort_value(view(i), sort), default_key(i)), reverse=direction == "DESC")
        return present + absent
    newest = sandbox_of(request).behaviour.snapshot().list_order == "newest"
    if direction:
        newest = direction == "DESC"
    return sorted(items, key=default_key, reverse=newest)
