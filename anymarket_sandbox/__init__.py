"""A faithful local stand-in for AnyMarket API v2 (tests, demo, benchmarks; never production).

Entry points: ``python -m anymarket_sandbox`` (see ``__main__``), :class:`server.SandboxServer`
(in-process, background thread), :class:`admin.SandboxAdmin` (admin client),
``anymarket_sandbox.testing`` (pytest fixtures) and ``anymarket_sandbox.conformance`` (OpenAPI checks).
"""

__all__ = ["SandboxAdmin", "SandboxServer", "SandboxSettings", "create_app"]


def __getattr__(name: str) -> object:
    # Lazy so that importing the package (e.g. for conformance) does not pull in FastAPI/uvicorn.
    if name == "SandboxServer":
        from anymarket_sandbox.server import SandboxServer

        return SandboxServer
    if name == "SandboxAdmin":
        from anymarket_sandbox.admin import SandboxAdmin

        return SandboxAdmin
    if name == "SandboxSettings":
        from anymarket_sandbox.config import SandboxSettings

        return SandboxSettings
    if name == "create_app":
        from anymarket_sandbox.app import create_app

        return create_app
    raise AttributeError(name)
