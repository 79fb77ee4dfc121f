"""Sandbox settings, read from the environment by :meth:`SandboxSettings.from_env`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from anymarket_sandbox.behaviour import Behaviour

DEFAULT_PORT = 8765
DEFAULT_TOKEN = "sandbox-token"
DEFAULT_OI = "sandbox-oi."
DEFAULT_REQUESTS_PER_HOUR = 5000


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _spec_here() -> bool:
    """Validation needs AnyMarket's OpenAPI export on this machine; without it ``python -m
    anymarket_sandbox`` serves unvalidated and says so on start."""
    from anymarket_sandbox import conformance

    return conformance.spec_available()


@dataclass
class SandboxSettings:
    """Everything needed to build the app; the first account is ``token`` → ``oi``."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str = DEFAULT_TOKEN
    oi: str = DEFAULT_OI
    requests_per_hour: int = DEFAULT_REQUESTS_PER_HOUR
    demo: bool = False
    # Seconds between two demo sales (the issue asks for "a steady trickle", default 20 s).
    demo_interval: float = 20.0
    demo_skus: list[str] = field(default_factory=list)
    seed: int | None = None
    # Switches for what AnyMarket leaves uncertain (anymarket_sandbox/behaviour.py).
    behaviour: Behaviour = field(default_factory=Behaviour)
    # Validate every /v2 request and response against the OpenAPI spec and record violations.
    validate_openapi: bool = False

    @classmethod
    def from_env(cls, demo: bool | None = None) -> SandboxSettings:
        """Read ``SANDBOX_*`` variables; ``demo`` (the ``--demo`` flag) wins over ``SANDBOX_DEMO``."""
        env = os.environ
        skus = [s.strip() for s in env.get("SANDBOX_DEMO_SKUS", "").split(",") if s.strip()]
        seed = env.get("SANDBOX_SEED")
        return cls(
            host=env.get("SANDBOX_HOST", "127.0.0.1"),
            port=int(env.get("SANDBOX_PORT", DEFAULT_PORT)),
            token=env.get("SANDBOX_TOKEN", DEFAULT_TOKEN),
            oi=env.get("SANDBOX_OI", DEFAULT_OI),
            requests_per_hour=int(env.get("SANDBOX_REQUESTS_PER_HOUR", DEFAULT_REQUESTS_PER_HOUR)),
            demo=demo if demo is not None else _truthy(env.get("SANDBOX_DEMO")),
            demo_interval=float(env.get("SANDBOX_DEMO_INTERVAL", "20")),
            demo_skus=skus,
            seed=int(seed) if seed else None,
            behaviour=Behaviour.from_env(),
            validate_openapi=_truthy(env.get("SANDBOX_VALIDATE_OPENAPI")) and _spec_here(),
        )
