"""``create_app``: the FastAPI application wrapped in the /v2 gate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from anymarket_sandbox.config import SandboxSettings
from anymarket_sandbox.demo import DemoGenerator
from anymarket_sandbox.errors import ApiError, error_response
from anymarket_sandbox.gate import ApiGate
from anymarket_sandbox.publishing import admin_router as publishing_admin
from anymarket_sandbox.routes import admin_api, catalog, fulfillment, marketplaces, orders, products, stocks
from anymarket_sandbox.runtime import Sandbox


def create_app(settings: SandboxSettings | None = None) -> Any:
    """Build the ASGI app. ``app.state.sandbox`` (on the inner FastAPI app, also exposed as the
    returned app's ``sandbox`` attribute) is the live :class:`Sandbox`."""
    settings = settings or SandboxSettings.from_env()
    sandbox = Sandbox(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.demo:
            sandbox.demo = DemoGenerator(sandbox, settings.demo_interval, settings.demo_skus, settings.seed)
            sandbox.demo.start()
        try:
            yield
        finally:
            sandbox.close()

    api = FastAPI(
        title="AnyMarket sandbox",
        version="2.0",
        lifespan=lifespan,
        docs_url="/_sandbox/docs",
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
    )
    api.state.sandbox = sandbox
    for module in (catalog, products, stocks, fulfillment, orders, marketplaces):
        api.include_router(module.router, prefix="/v2")
    api.include_router(admin_api.router)
    api.include_router(marketplaces.admin_router)
    api.include_router(fulfillment.admin_router)
    api.include_router(publishing_admin)

    @api.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Any:
        return error_response(exc.status, exc.message, exc.field_errors, exc.headers)

    @api.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Any:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return error_response(422, "Parâmetros inválidos.", errors)

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        if exc.status_code == 404:
            return error_response(404, f"Recurso '{request.url.path}' não encontrado.")
        return error_response(exc.status_code, str(exc.detail))

    gated = ApiGate(api, sandbox)
    gated.sandbox = sandbox  # type: ignore[attr-defined]
    return gated
