"""The AnyMarket callback receiver: a small FastAPI app.

Served two ways, same code: by Airflow's api-server through the ``anymarket`` plugin
(``plugins/anymarket_plugin.py``, under ``/anymarket``, beside the ops page), or standalone with
``python -m anymarket.callbacks`` for deployments that do not expose Airflow. Register
``https://<host>/anymarket/callbacks/<integration id>`` with AnyMarket (``POST /v2/callbacks``).

AnyMarket's callbacks carry no credentials and the api-server gives plugin apps no authentication,
so this app checks everything itself, assuming a stranger at the door:

* the body is read as a stream and refused (400) at ``MAX_BODY_BYTES`` + 1 bytes, whatever the
  transfer encoding — a chunked body is never read whole (the same process serves the UI);
* it must be JSON of the documented shape ``{"type", "content": {"id", "oi"}}``: too deep a nesting,
  a non-numeric id (a trailing newline included), a wrong type → 400 with a short message, never a
  500 or a trace in the log;
* the integration exists (404) and ``content.oi`` is the account's OI from its AnyMarket connection
  (401);
* only ORDER notifications are stored — nothing reads the other types yet, so they are answered 200
  and dropped rather than kept forever;
* the inbox holds at most :data:`anymarket.callbacks.inbox.MAX_PENDING` waiting rows per integration
  (429 beyond: AnyMarket retries, and its order feed carries every order anyway).

A stored notification is answered 200 at once; the ``import_orders`` DAG imports it (see
:mod:`anymarket.operators.import_orders`). Nothing here calls AnyMarket or the ERP.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from anymarket.callbacks.inbox import InboxFull
from anymarket.errors import ConfigurationError

log = logging.getLogger(__name__)

#: Real notifications are ~80 bytes; anything much bigger is not AnyMarket.
MAX_BODY_BYTES = 4096
RESOURCE_TYPES = {"ORDER", "PRODUCT", "TRANSMISSION", "INBOUND_NFE", "QUESTION"}
#: The types an automation reads from the inbox (import_orders); the others are acknowledged, not kept.
STORED_TYPES = {"ORDER"}
RESOURCE_ID = re.compile(r"[0-9]{1,19}")  # used with fullmatch: no trailing newline slips through
OI_CACHE_SECONDS = 60.0


def _connection_oi(integration_id: str) -> str | None:
    """The OI in the integration's AnyMarket connection (``ConfigurationError`` if unknown)."""
    from anymarket.connections import AnyMarketConnectionSettings, get_connection
    from anymarket.settings import get_integration

    integration = get_integration(integration_id)
    return AnyMarketConnectionSettings.from_connection(get_connection(integration.anymarket_conn_id)).oi


def _default_store(integration_id: str, resource_type: str, resource_id: str, event: str | None) -> None:
    from anymarket.callbacks import inbox
    from anymarket.mapping import get_mapping_db

    inbox.store(get_mapping_db(), integration_id, resource_type, resource_id, event)


def create_app(
    *,
    oi_of: Callable[[str], str | None] = _connection_oi,
    store: Callable[[str, str, str, str | None], None] = _default_store,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The receiver; ``oi_of`` and ``store`` are injectable for tests and other deployments."""
    app = FastAPI(title="AnyMarket callbacks", docs_url=None, redoc_url=None, openapi_url=None)
    cache: dict[str, tuple[float, str | None]] = {}
    lock = threading.Lock()

    def expected_oi(integration_id: str) -> str | None:
        # Cached briefly: a burst of callbacks must not read the connection (maybe a secrets
        # backend) every time, and an edited OI still applies within a minute.
        now = time.monotonic()
        with lock:
            hit = cache.get(integration_id)
            if hit and now - hit[0] < OI_CACHE_SECONDS:
                return hit[1]
        oi = oi_of(integration_id)
        with lock:
            cache[integration_id] = (now, oi)
        return oi

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/callbacks/{integration_id}")
    async def receive(integration_id: str, request: Request) -> JSONResponse:
        body = await _read_bounded(request, max_body_bytes)
        if body is None:
            return _error(400, f"body larger than {max_body_bytes} bytes")
        notification, problem = _parse(body)
        if problem:
            return _error(400, problem)
        assert notification is not None
        try:
            oi = expected_oi(integration_id)
        except ConfigurationError as exc:
            log.warning("Callback for unknown integration %r: %s", integration_id, exc)
            return _error(404, f"unknown integration {integration_id!r}")
        if not oi or notification["oi"] != oi:
            return _error(401, "the OI does not match this integration's AnyMarket account")
        if notification["type"] not in STORED_TYPES:
            return JSONResponse({"status": "ignored", "reason": "no automation reads this type"})
        # Stored before answering (a few ms, off the event loop): a 200 means the notification is durable.
        try:
            await run_in_threadpool(
                store, integration_id, notification["type"], notification["id"], notification["event"]
            )
        except InboxFull as exc:
            log.warning("Callback refused: %s", exc)
            return _error(429, "too many callbacks waiting; the order feed still carries this order")
        return JSONResponse({"status": "stored"}, status_code=200)

    return app


async def _read_bounded(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as it exceeds ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _parse(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """``({type, id, oi, event}, None)`` or ``(None, what is wrong)``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, "body is not JSON"
    except RecursionError:
        return None, "body nests deeper than a notification"
    if not isinstance(data, dict) or not isinstance(data.get("content"), dict):
        return None, 'expected {"type": ..., "content": {"id": ..., "oi": ...}}'
    kind, content = data.get("type"), data["content"]
    if kind not in RESOURCE_TYPES:
        return None, f"type must be one of {', '.join(sorted(RESOURCE_TYPES))}"
    resource_id = content.get("id")
    if isinstance(resource_id, bool) or not RESOURCE_ID.fullmatch(str(resource_id)):
        return None, "content.id must be a numeric id"
    if not isinstance(content.get("oi"), str) or not content["oi"]:
        return None, "content.oi must be a non-empty string"
    event = data.get("event")
    return {
        "type": kind,
        "id": str(resource_id),
        "oi": content["oi"],
        "event": str(event)[:32] if event else None,
    }, None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": str(status), "message": message}, status_code=status)


app = create_app()
