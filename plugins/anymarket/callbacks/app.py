"""The AnyMarket callback receiver: a small FastAPI app.

Served two ways, same code: by Airflow's api-server through the ``anymarket`` plugin
(``plugins/anymarket_plugin.py``, under ``/anymarket``, beside the ops page), or standalone with
``python -m anymarket.callbacks`` for deployments that do not expose Airflow. The URL AnyMarket posts
to is ``https://<host>/anymarket/callbacks/<integration id>/<secret>``, registered by the integration
itself (``python -m anymarket.callbacks register``, and checked by ``test_connection``; see
:mod:`anymarket.callbacks.registration`).

AnyMarket's callbacks carry no credentials and the api-server gives plugin apps no authentication,
so this app checks everything itself, assuming a stranger at the door:

* the URL's last segment is the integration's ``callback_secret`` (or, during a rotation's grace
  period, the previous one), compared in constant time before anything else is read: no or a wrong
  secret, an unknown integration and the old secretless URL all answer the same 404 — nothing is
  stored, no database is touched, nothing says whether the integration exists. An integration
  without a secret refuses all its callbacks and says so in the log once;
* the body is read as a stream and refused (400) at ``MAX_BODY_BYTES`` + 1 bytes, whatever the
  transfer encoding — a chunked body is never read whole (the same process serves the UI);
* it must be JSON of the documented shape ``{"type", "content": {"id", "oi"}}``: too deep a nesting,
  a non-numeric id (a trailing newline included), a wrong type → 400 with a short message, never a
  500 or a trace in the log;
* ``content.oi`` is the account's OI from its AnyMarket connection (401);
* only the types an automation of the integration reads are stored — ORDER (import_orders) and,
  while listing_health is enabled, TRANSMISSION (a listing changed: its SKU's listings are read again
  at listing health's next run); the others are answered 200 and dropped rather than kept forever;
  an id whose ``GET`` answered 404 within the last hour is answered 200 and not stored either;
* the inbox holds at most :data:`anymarket.callbacks.inbox.MAX_PENDING` waiting rows per integration
  and type (429 beyond: AnyMarket retries, its order feed carries every order anyway and listing
  health's passes every listing).

A stored notification is answered 200 at once; the ``import_orders`` DAG imports an order (see
:mod:`anymarket.operators.import_orders`), ``listing_health`` re-reads a listing's SKU. Nothing here
calls AnyMarket or the ERP.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
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
#: The types an automation reads from the inbox: ORDER always (import_orders), TRANSMISSION while
#: listing_health is enabled; the others are acknowledged, not kept.
STORED_TYPES = {"ORDER"}
LISTING_TYPES = {"TRANSMISSION"}
RESOURCE_ID = re.compile(r"[0-9]{1,19}")  # used with fullmatch: no trailing newline slips through
#: How long an integration's OI and secrets are kept in memory (an edited connection applies within it).
DOOR_CACHE_SECONDS = 60.0
#: Integration ids the cache holds at most: unknown ones are cached too, so a flood of made-up ids
#: cannot make every request read the integrations file and connections.
DOOR_CACHE_SIZE = 1024
OI_CACHE_SECONDS = DOOR_CACHE_SECONDS  # the old name
#: A full inbox is logged at most once per this many seconds per integration.
FULL_LOG_SECONDS = 60.0
#: Integration ids and secrets are path segments: anything else is not a URL we registered.
PATH_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True)
class Door:
    """What the receiver checks a callback of one integration against."""

    oi: str | None
    #: The secrets the URL may carry (the current one, the previous one in its grace period); empty:
    #: no secret is configured and every callback is refused.
    secrets: tuple[str, ...]
    #: The notification types stored for this integration (those its enabled automations read).
    stored: frozenset[str] = frozenset(STORED_TYPES)


def _connection_door(integration_id: str) -> Door | None:
    """The integration's OI and callback secrets, from its AnyMarket connection; ``None`` for an id
    the integrations file does not declare (``ConfigurationError`` if the integration or its
    connection is broken)."""
    from anymarket.connections import AnyMarketConnectionSettings, get_connection
    from anymarket.settings import broken_integrations, get_integration, load_integrations

    if integration_id not in load_integrations() and integration_id not in broken_integrations():
        return None  # a made-up id: refused like a wrong secret, not worth a log line
    integration = get_integration(integration_id)
    settings = AnyMarketConnectionSettings.from_connection(get_connection(integration.anymarket_conn_id))
    reads_listings = integration.automations is None or "listing_health" in integration.automations
    stored = frozenset(STORED_TYPES | (LISTING_TYPES if reads_listings else set()))
    return Door(oi=settings.oi, secrets=settings.callback_secrets(), stored=stored)


#: The receiver's inbox writes, one at a time per process: concurrent SQLite writers would wait on
#: each other in the driver's busy loop (sleeps of up to 100 ms) instead of taking turns.
_STORE_LOCK = threading.Lock()


def _default_store(integration_id: str, resource_type: str, resource_id: str, event: str | None) -> str:
    from anymarket.callbacks import inbox
    from anymarket.mapping import get_mapping_db

    mapping = get_mapping_db()
    with _STORE_LOCK:
        return inbox.store(mapping, integration_id, resource_type, resource_id, event)


def secret_matches(given: str, accepted: tuple[str, ...]) -> bool:
    """``given`` is one of ``accepted``, compared in constant time (every candidate is compared)."""
    given_bytes = given.encode("utf-8")
    found = False
    for secret in accepted:
        found |= hmac.compare_digest(given_bytes, secret.encode("utf-8"))
    return found


def create_app(
    *,
    door_of: Callable[[str], Door | None] = _connection_door,
    store: Callable[[str, str, str, str | None], str | None] = _default_store,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The receiver; ``door_of`` and ``store`` are injectable for tests and other deployments."""
    app = FastAPI(title="AnyMarket callbacks", docs_url=None, redoc_url=None, openapi_url=None)
    cache: dict[str, tuple[float, Door | None]] = {}
    lock = threading.Lock()
    warned: dict[str, str] = {}  # integration id -> the refusal last logged for it
    full_logged: dict[str, float] = {}  # integration id -> when its full inbox was last logged

    def cached(integration_id: str) -> tuple[bool, Door | None]:
        with lock:
            hit = cache.get(integration_id)
        if hit and time.monotonic() - hit[0] < DOOR_CACHE_SECONDS:
            return True, hit[1]
        return False, None

    def load(integration_id: str) -> Door | None:
        """The integration's door, or ``None`` when it is unknown or its connection is broken.

        Cached briefly: a burst of callbacks must not read the connection (maybe a secrets backend)
        every time, and an edited OI or secret still applies within a minute."""
        now = time.monotonic()
        try:
            found: Door | None = door_of(integration_id)
        except ConfigurationError as exc:
            found = None
            _warn_once(
                warned, integration_id, "unknown", "Callbacks for %r are refused: %s", integration_id, exc
            )
        if found is not None and not found.secrets:
            _warn_once(
                warned,
                integration_id,
                "no-secret",
                "Callbacks for integration %r are refused: its AnyMarket connection has no "
                "callback_secret. Run `python -m anymarket.callbacks register --integration %s` "
                "(it makes the secret and registers the callback URL with AnyMarket).",
                integration_id,
                integration_id,
            )
        elif found is not None:
            warned.pop(integration_id, None)
        with lock:
            if len(cache) >= DOOR_CACHE_SIZE:
                cache.clear()
            cache[integration_id] = (now, found)
        return found

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/callbacks/{integration_id}")
    async def secretless(integration_id: str) -> JSONResponse:
        """The old secretless URL: refused like a wrong secret (the body is not even read)."""
        return _not_found()

    @app.post("/callbacks/{integration_id}/{secret}")
    async def receive(integration_id: str, secret: str, request: Request) -> JSONResponse:
        # The secret first: a forged callback costs a dictionary look-up and a comparison, never a
        # body read, a database query or an AnyMarket request.
        if not PATH_SEGMENT.fullmatch(integration_id) or not PATH_SEGMENT.fullmatch(secret):
            return _not_found()
        hit, known = cached(integration_id)
        if not hit:
            known = await run_in_threadpool(load, integration_id)
        if known is None or not secret_matches(secret, known.secrets):
            return _not_found()
        body = await _read_bounded(request, max_body_bytes)
        if body is None:
            return _error(400, f"body larger than {max_body_bytes} bytes")
        notification, problem = _parse(body)
        if problem:
            return _error(400, problem)
        assert notification is not None
        if not known.oi or notification["oi"] != known.oi:
            return _error(401, "the OI does not match this integration's AnyMarket account")
        if notification["type"] not in known.stored:
            return JSONResponse({"status": "ignored", "reason": "no automation reads this type"})
        # Stored before answering (a few ms, off the event loop): a 200 means the notification is durable.
        try:
            outcome = await run_in_threadpool(
                store, integration_id, notification["type"], notification["id"], notification["event"]
            )
        except InboxFull as exc:
            if time.monotonic() - full_logged.get(integration_id, -FULL_LOG_SECONDS) >= FULL_LOG_SECONDS:
                full_logged[integration_id] = time.monotonic()  # a flood logs a line a minute, not each
                log.warning("Callbacks refused (429, more within the minute are not logged): %s", exc)
            return _error(429, "too many callbacks waiting; the feeds and listing health bring them anyway")
        if outcome == "not_found":
            return JSONResponse(
                {"status": "ignored", "reason": "AnyMarket answered 404 for this id within the hour"}
            )
        return JSONResponse({"status": "stored"}, status_code=200)

    @app.post("/callbacks/{anything:path}")
    async def elsewhere(anything: str) -> JSONResponse:
        """Any other path under the door: the same 404 as a wrong secret."""
        return _not_found()

    return app


def _warn_once(warned: dict[str, str], integration_id: str, why: str, message: str, *args: Any) -> None:
    """Log a refusal once per integration and reason (not once per forged request)."""
    if len(warned) >= DOOR_CACHE_SIZE:
        warned.clear()
    if warned.get(integration_id) == why:
        return
    warned[integration_id] = why
    log.warning(message, *args)


def _not_found() -> JSONResponse:
    # The same answer for a wrong secret, no secret and an unknown integration: nothing to learn.
    return _error(404, "not found")


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
