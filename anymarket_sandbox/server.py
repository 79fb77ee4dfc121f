"""``SandboxServer``: run the sandbox with uvicorn in a background thread (tests, demo, bench)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from anymarket_sandbox.admin import SandboxAdmin
from anymarket_sandbox.app import create_app
from anymarket_sandbox.behaviour import Behaviour
from anymarket_sandbox.config import DEFAULT_OI, DEFAULT_REQUESTS_PER_HOUR, DEFAULT_TOKEN, SandboxSettings


class SandboxServer:
    """A real HTTP sandbox on loopback; ``port=0`` (default) picks a free port.

    Attributes after :meth:`start`: ``base_url`` (``http://127.0.0.1:<port>/v2``), ``root_url``,
    ``token``, ``oi``, ``port``, ``admin`` (:class:`SandboxAdmin`) and ``sandbox`` (the in-process
    :class:`~anymarket_sandbox.runtime.Sandbox`, for white-box checks).
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        token: str = DEFAULT_TOKEN,
        oi: str = DEFAULT_OI,
        requests_per_hour: int = DEFAULT_REQUESTS_PER_HOUR,
        demo: bool = False,
        demo_interval: float = 20.0,
        demo_skus: list[str] | None = None,
        seed: int | None = None,
        behaviour: dict[str, str] | None = None,
        validate_openapi: bool = False,
    ) -> None:
        self.settings = SandboxSettings(
            host=host,
            port=port,
            token=token,
            oi=oi,
            requests_per_hour=requests_per_hour,
            demo=demo,
            demo_interval=demo_interval,
            demo_skus=demo_skus or [],
            seed=seed,
            behaviour=_behaviour(behaviour),
            validate_openapi=validate_openapi,
        )
        self.token = token
        self.oi = oi
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app: Any = None

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v2"

    @property
    def sandbox(self) -> Any:
        return self.app.sandbox

    def start(self, timeout: float = 10.0) -> SandboxServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self.settings.port = self.port
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="on", timeout_keep_alive=30
        )
        self._server = uvicorn.Server(config)
        # Binding ourselves (and handing uvicorn the socket) avoids the pick-a-port-then-bind race.
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the AnyMarket sandbox did not start")
            time.sleep(0.01)
        self.admin = SandboxAdmin(self.root_url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _behaviour(values: dict[str, str] | None) -> Behaviour:
    """The ``SANDBOX_LIST_ORDER``/``SANDBOX_CREATED_BEFORE``/``SANDBOX_PUT_MODE`` switches, overridden
    by ``values`` (so a whole test run can be repeated under the non-default settings)."""
    out = Behaviour.from_env()
    out.update(values or {})
    return out
