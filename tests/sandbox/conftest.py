"""Fixtures for the sandbox's own tests: an authenticated API client, a catalog seeder and a real
local HTTP receiver for callbacks. ``sandbox``/``sandbox_server`` come from the
``anymarket_sandbox.testing`` plugin registered in tests/conftest.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import Api, off_spec


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    """The sandbox's own probes (partial PUTs, limits out of range, numbers where the spec says strings…)
    are off the spec on purpose: the OpenAPI validator checks their answers only. Our client's requests
    are validated in the client suites and the recorded-traffic test."""
    client = Api(sandbox.base_url, sandbox.token)
    client.session.headers.update(off_spec("the sandbox's own tests probe it off the spec on purpose"))
    return client


class _Receiver(BaseHTTPRequestHandler):
    server: Any

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"null")
        with self.server.lock:
            self.server.received.append(body)
            status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class CallbackReceiver:
    """A real HTTP endpoint; ``statuses`` are answered in order (then 200); ``received`` collects bodies."""

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
        self.httpd.lock = threading.Lock()  # type: ignore[attr-defined]
        self.httpd.received = []  # type: ignore[attr-defined]
        self.httpd.statuses = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/anymarket/callback"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def received(self) -> list[Any]:
        return list(self.httpd.received)  # type: ignore[attr-defined]

    def answer(self, *statuses: int) -> None:
        self.httpd.statuses.extend(statuses)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    rec = CallbackReceiver()
    yield rec
    rec.close()
