"""ASGI middleware in front of ``/v2``: request log, ``gumgaToken`` auth, hourly budget, faults.

Written as plain ASGI (not BaseHTTPMiddleware) so it can read the body once for the log and replay
it to the handler, see the final status for the log, and sleep without blocking other requests.
Order of checks: auth (401, not budgeted) → 429 burst → hourly budget (429 + Retry-After) → rendezvous →
latency → random 5xx → timeout sleep → the handler.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.responses import Response

from anymarket_sandbox.errors import error_response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from anymarket_sandbox.runtime import Sandbox

API_PREFIX = "/v2"
# A test that sends an off-spec request on purpose (to see what the sandbox does with it) says so with
# this header and its reason: the OpenAPI validator then checks only the response. Clients never send it.
OFF_SPEC_HEADER = "x-sandbox-off-spec"


def _decode_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


class Rendezvous:
    """The ``rendezvous`` fault: holds requests to an endpoint until ``size`` of them wait, then lets the
    whole group go at once. A request left alone goes on after the timeout (so a test whose racers
    never meet fails on its own assertions rather than hanging). Lives on the server's one event loop,
    so it needs no lock."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[int, asyncio.Event]] = {}

    async def meet(self, key: str, size: int, timeout: float) -> bool:
        """Wait for the group of ``key``; True when it met, False when this request gave up waiting."""
        count, met = self._waiting.get(key, (0, asyncio.Event()))
        if count + 1 >= size:
            self._waiting.pop(key, None)
            met.set()
            return True
        self._waiting[key] = (count + 1, met)
        try:
            await asyncio.wait_for(met.wait(), timeout)
            return True
        except TimeoutError:
            still, group = self._waiting.get(key, (0, None))
            if group is met:  # leave the group that never formed
                self._waiting[key] = (still - 1, met)
            return False


class ApiGate:
    """Wraps the FastAPI app; everything outside ``/v2`` passes straight through."""

    def _check_later(
        self, entry: dict[str, Any], raw: bytes, response: bytes, resp_type: str, off_spec: str | None
    ) -> None:
        """Validate the exchange against the spec in a worker thread, after the answer went out: the
        client's next request on this connection does not wait for it (tests wait with ``settle``)."""
        validator = self.sandbox.conformance
        if entry["status"] is None:
            validator.end()
            return
        task = asyncio.get_running_loop().create_task(
            asyncio.to_thread(validator.record, entry, raw, entry["status"], response, resp_type, off_spec)
        )
        self._checks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._checks.discard(finished)
            validator.end()
            if not finished.cancelled() and finished.exception() is not None:
                validator.failed(finished.exception())

        task.add_done_callback(done)

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.rendezvous = Rendezvous()
        self._checks: set[asyncio.Task[None]] = set()  # OpenAPI checks under way (kept from the GC)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        sb = self.sandbox
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query_pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        # ``?gumgaToken=`` works on the real API too; it is accepted but never logged.
        token = headers.get("gumgatoken") or next((v for k, v in query_pairs if k == "gumgaToken"), None)
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": path,
            "query": {k: v for k, v in query_pairs if k != "gumgaToken"},
            "body": _decode_body(raw, headers.get("content-type", "")),
            "contentType": headers.get("content-type"),
            "status": None,
            "oi": None,
            "fault": None,
        }
        status_seen: dict[str, Any] = {}
        response_chunks: list[bytes] = []
        validating = sb.conformance is not None
        if validating:
            sb.conformance.begin()  # ended below, once checked: tests wait for it (``settle``)

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen["status"] = message["status"]
                for key, value in message.get("headers", []):
                    if key.lower() == b"content-type":
                        status_seen["type"] = value.decode("latin-1").split(";")[0]
            elif validating and message["type"] == "http.response.body":
                response_chunks.append(message.get("body", b""))
            await send(message)

        try:
            oi = sb.state.oi_for_token(token)
            if oi is None:
                message = "Token de acesso ausente." if not token else "Token de acesso inválido."
                await error_response(401, message)(scope, replay, send_logged)
                return
            entry["oi"] = oi
            decision = sb.faults.decide()
            if decision.kind == "burst_429":
                entry["fault"] = "burst_429"
                await error_response(
                    429, "Limite de requisições excedido.", headers={"Retry-After": str(decision.retry_after)}
                )(scope, replay, send_logged)
                return
            retry_after = sb.budget.consume(token)
            if retry_after:
                entry["fault"] = "budget"
                await error_response(
                    429, "Limite de requisições por hora excedido.", headers={"Retry-After": str(retry_after)}
                )(scope, replay, send_logged)
                return
            endpoint = f"{scope['method']} {path}"
            group = sb.faults.config.rendezvous.get(endpoint, 0)
            if group > 1:
                met = await self.rendezvous.meet(endpoint, group, sb.faults.config.rendezvous_timeout_seconds)
                entry["fault"] = "rendezvous" if met else "rendezvous_timeout"
            latency = sb.faults.config.latency_ms
            if latency > 0:
                await asyncio.sleep(latency / 1000.0)
            if decision.kind == "error":
                entry["fault"] = "error"
                await error_response(decision.status, "Erro interno simulado pelo sandbox.")(
                    scope, replay, send_logged
                )
                return
            canned = sb.faults.config.raw_responses.get(endpoint)
            if canned is not None:
                entry["fault"] = "raw_response"
                response = Response(canned, status_code=200, media_type="application/json")
                await response(scope, replay, send_logged)
                return
            if endpoint in sb.faults.config.missing_endpoints:
                entry["fault"] = "missing_endpoint"
                await error_response(404, "Recurso não encontrado.")(scope, replay, send_logged)
                return
            if decision.kind == "timeout":
                # Sleep, then really handle the request: a client that gave up may have had its write
                # applied anyway, exactly the situation idempotent clients must survive.
                entry["fault"] = "timeout"
                await asyncio.sleep(decision.sleep_seconds)
            scope.setdefault("state", {})["oi"] = oi
            await self.app(scope, replay, send_logged)
        finally:
            entry["status"] = status_seen.get("status")
            sb.state.log_request(entry)
            if validating:
                self._check_later(
                    entry,
                    raw,
                    b"".join(response_chunks),
                    status_seen.get("type") or "application/json",
                    headers.get(OFF_SPEC_HEADER),
                )
