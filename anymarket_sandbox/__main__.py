"""``python -m anymarket_sandbox [--demo]``: serve the sandbox (env SANDBOX_* configure it)."""

from __future__ import annotations

import argparse
import os

import uvicorn

from anymarket_sandbox.app import create_app
from anymarket_sandbox.config import SandboxSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m anymarket_sandbox", description=__doc__)
    parser.add_argument(
        "--demo",
        action="store_true",
        default=None,
        help="seed warehouses and generate marketplace sales (also SANDBOX_DEMO=1)",
    )
    args = parser.parse_args(argv)
    settings = SandboxSettings.from_env(demo=args.demo)
    print(
        f"AnyMarket sandbox on http://{settings.host}:{settings.port}/v2 (OI {settings.oi}, "
        f"{settings.requests_per_hour} req/h{', demo mode' if settings.demo else ''}"
        f"{', OpenAPI validation on' if settings.validate_openapi else ''})",
        flush=True,
    )
    if os.environ.get("SANDBOX_VALIDATE_OPENAPI") and not settings.validate_openapi:
        from anymarket_sandbox import conformance

        print(f"OpenAPI validation: {conformance.enabled()[1]}", flush=True)  # asked for, not possible
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
