"""The ops page: server-rendered HTML under ``/anymarket/ops/`` on Airflow's api-server.

``create_app`` is the one FastAPI app the ``anymarket`` plugin mounts at ``/anymarket``: the
callback receiver unchanged (``/anymarket/callbacks/<id>/<secret>``, no login: its secret URL is the
credential, see :mod:`anymarket.callbacks.app`)
plus these routes, each behind Airflow's login (:mod:`anymarket.ops.auth`):

* ``/ops/`` — the integrations, with their connection state and held orders;
* ``/ops/<id>`` — one integration: connection, request budget by lane (a 24-hour chart and what
  waits for which lane), last runs, held orders, deposits not
  matched, AnyMarket rejections, listing health per marketplace (:mod:`anymarket.ops.listings`),
  images AnyMarket could not process, recent errors and a lookup (``?q=`` SKU code or order id);
* ``/ops/<id>/mappings`` — counts per mapping kind, CSV download per kind, CSV upload (op/admin);
* ``/ops/<id>/mappings/<kind>.csv`` — the download; ``POST /ops/<id>/mappings/import`` — the upload.

Templates (Jinja2, autoescaped: AnyMarket messages and SKU codes are shown as text, never markup)
live beside this module. Data: the ``anymarket_mapping_db`` connection and the integrations file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUploadFile

from anymarket.ops.auth import (
    LoginRequired,
    current_user,
    login_url,
    may_edit_mappings,
    require_same_origin,
    user_name,
)

if TYPE_CHECKING:
    from jinja2 import Environment

    from anymarket.mapping.database import MappingDatabase
    from anymarket.settings import IntegrationConfig

TEMPLATES = Path(__file__).resolve().parent / "templates"
User = Annotated[Any, Depends(current_user)]

router = APIRouter()


@cache
def _templates() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    env.filters["when"] = _when
    return env


def _when(value: Any) -> str:
    """Times are stored in UTC (naive on SQLite, aware on PostgreSQL); shown as UTC either way."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "" if value is None else str(value)


def _render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    def url(name: str, **params: Any) -> str:
        return str(request.url_for(name, **params).path)

    html = _templates().get_template(template).render(url=url, **context)
    return HTMLResponse(html, status_code=status_code)


def _mapping_db() -> MappingDatabase:
    from anymarket.mapping import get_mapping_db

    return get_mapping_db()


def _integration(integration_id: str) -> IntegrationConfig:
    from anymarket.errors import ConfigurationError
    from anymarket.settings import get_integration

    try:
        return get_integration(integration_id)
    except ConfigurationError as exc:
        raise HTTPException(404, f"unknown integration {integration_id!r}") from exc


def _automations_of(integration: IntegrationConfig) -> list[str]:
    from anymarket import automations

    return [n for n in automations.names() if integration.automations is None or n in integration.automations]


# -- pages ------------------------------------------------------------------------------------------

ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><path d="M3 7h18l-2 12H5L3 7z"/><path d="M8 7a4 4 0 0 1 8 0"/></svg>'
)


@router.get("/icon.svg", name="ops_icon", include_in_schema=False)
def icon() -> Response:
    """The navigation icon (public: it is only a shopping bag)."""
    return Response(ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/", response_class=HTMLResponse, name="ops_index")
def index(request: Request, user: User) -> HTMLResponse:
    from anymarket.ops import queries
    from anymarket.settings import broken_integrations, integrations_file, load_integrations

    db = _mapping_db()
    rows = []
    for integration in load_integrations().values():
        runs = queries.last_runs(db, integration.id, ["test_connection"])
        rows.append(
            {
                "integration": integration,
                "connection": queries.connection_status(runs),
                "held": queries.held_orders(db, integration.id, limit=0)["total"],
            }
        )
    return _render(
        request,
        "index.html",
        user=user_name(user),
        rows=rows,
        broken=broken_integrations(),
        settings_file=str(integrations_file()),
    )


@router.get("/{integration_id}", response_class=HTMLResponse, name="ops_integration")
def integration_page(request: Request, integration_id: str, user: User, q: str = "") -> HTMLResponse:
    from anymarket.ops import listings, queries

    integration = _integration(integration_id)
    db = _mapping_db()
    runs = queries.last_runs(db, integration.id, _automations_of(integration))
    return _render(
        request,
        "integration.html",
        user=user_name(user),
        integration=integration,
        connection=queries.connection_status(runs),
        budget=_budget(db, integration),
        runs=runs,
        held=queries.held_orders(db, integration.id),
        deposits=queries.deposit_report(db, integration.id, runs),
        rejections=queries.rejections(db, integration.id),
        errors=queries.recent_errors(db, integration.id),
        lookup=queries.lookup(db, integration.id, q) if q.strip() else None,
        listing_health=listings.listing_health(db, integration.id),
        image_problems=listings.image_problems(db, integration.id),
        lookup_listings=listings.sku_listings(db, integration.id, q.strip()) if q.strip() else [],
        q=q,
    )


def _budget(db: MappingDatabase, integration: IntegrationConfig) -> dict[str, Any]:
    """The hour's usage, or why it cannot be shown (the connection is missing or wrong)."""
    from anymarket.connections import AnyMarketConnectionSettings, get_connection
    from anymarket.errors import ConfigurationError
    from anymarket.ops import queries

    try:
        params = AnyMarketConnectionSettings.from_connection(get_connection(integration.anymarket_conn_id))
    except ConfigurationError as exc:
        return {"error": str(exc)}
    return queries.budget_used(db, params, integration.budget.shares(), integration_id=integration.id)


@router.get("/{integration_id}/mappings", response_class=HTMLResponse, name="ops_mappings")
def mappings_page(request: Request, integration_id: str, user: User) -> HTMLResponse:
    return _mappings_response(request, _integration(integration_id), user)


def _mappings_response(
    request: Request,
    integration: IntegrationConfig,
    user: Any,
    *,
    results: list[Any] | None = None,
    errors: list[str] | None = None,
    check_only: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    from anymarket.mapping import csv_io, models
    from anymarket.ops import queries

    counts = queries.mapping_counts(_mapping_db(), integration.id)
    kinds = [
        {"kind": k, "description": d, "count": counts[k], "spec": csv_io.SPECS[k]}
        for k, d in models.MAPPING_KINDS.items()
    ]
    return _render(
        request,
        "mappings.html",
        status_code=status_code,
        user=user_name(user),
        integration=integration,
        kinds=kinds,
        may_edit=may_edit_mappings(user),
        results=results,
        errors=errors,
        check_only=check_only,
    )


@router.get("/{integration_id}/mappings/{kind}.csv", name="ops_export")
def export(integration_id: str, kind: str, user: User) -> Response:
    from anymarket.mapping import csv_io

    integration = _integration(integration_id)
    if kind not in csv_io.SPECS:
        raise HTTPException(404, f"unknown mapping kind {kind!r}")
    text = csv_io.export_csv(_mapping_db(), integration.id, kind)
    file_name = f"{integration.id}-{csv_io.SPECS[kind].file_name}"
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@router.post("/{integration_id}/mappings/import", response_class=HTMLResponse, name="ops_import")
async def import_mappings(request: Request, integration_id: str, user: User) -> HTMLResponse:
    """The upload. The login, the origin and the permission are checked before a byte of the form is
    read (the form is no parameter of this route, or FastAPI would parse it first), and the form is
    read within :data:`MAX_UPLOAD_BYTES` and :data:`MAX_UPLOAD_FILES`."""
    from starlette.concurrency import run_in_threadpool

    require_same_origin(request)
    integration = _integration(integration_id)
    if not may_edit_mappings(user):
        raise HTTPException(
            403, "importing mappings needs permission to edit the anymarket_mapping_db connection"
        )
    from anymarket.mapping import csv_io

    form = await _upload_form(request)
    kind = str(form.get("kind") or "")
    mode = str(form.get("mode") or "merge")
    check_only = str(form.get("check_only") or "").strip().lower() in {"true", "on", "1", "yes"}
    uploads = [
        csv_io.CsvUpload(name=f.filename or "mappings.csv", data=await f.read(), kind=kind or None)
        for f in form.getlist("files")
        if isinstance(f, StarletteUploadFile) and (f.filename or f.size)
    ]
    try:
        results = await run_in_threadpool(
            _import, integration, uploads, mode=mode, dry_run=check_only, user=user_name(user)
        )
    except csv_io.MappingCsvError as exc:
        return _mappings_response(
            request, integration, user, errors=[str(e) for e in exc.errors], status_code=422
        )
    return _mappings_response(request, integration, user, results=results, check_only=check_only)


#: A mapping file is a few KB; a whole account's export of every kind well under 1 MB.
MAX_UPLOAD_BYTES = 5 * 2**20
MAX_UPLOAD_FILES = 20


async def _upload_form(request: Request) -> FormData:
    """The upload form, read only when it declares its size and that size is a mapping file's."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise HTTPException(411, "send the form with a Content-Length (a browser's form post has one)")
    if int(declared) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"the upload is larger than {MAX_UPLOAD_BYTES // 2**20} MB")
    try:
        return await request.form(max_files=MAX_UPLOAD_FILES, max_fields=20, max_part_size=MAX_UPLOAD_BYTES)
    except HTTPException:
        raise
    except Exception as exc:  # Starlette's MultiPartException: too many files, a malformed body
        raise HTTPException(400, f"the upload cannot be read: {exc}") from exc


def _import(integration: IntegrationConfig, uploads: list[Any], **options: Any) -> list[Any]:
    from anymarket.connections import database_url
    from anymarket.erp.database import ErpDatabase
    from anymarket.errors import AnyMarketError
    from anymarket.mapping import csv_io

    opened: list[ErpDatabase] = []

    def erp() -> ErpDatabase:  # opened only when a file holds ERP codes to check
        opened.append(ErpDatabase(database_url(integration.erp_conn_id)))
        return opened[-1]

    try:
        return csv_io.import_files(_mapping_db(), integration.id, uploads, erp=erp, **options)
    except csv_io.MappingCsvError:
        raise
    except AnyMarketError as exc:  # e.g. the ERP connection is missing: say so on the page
        raise csv_io.MappingCsvError([csv_io.CsvError("(import)", None, None, str(exc))]) from exc
    finally:
        for database in opened:
            database.dispose()


# -- the app ----------------------------------------------------------------------------------------


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(login_url(request), status_code=303)
    return JSONResponse({"detail": exc.detail}, status_code=401)


def create_app() -> FastAPI:
    """The callback receiver with the ops page under ``/ops``: what the plugin mounts at /anymarket."""
    from anymarket.callbacks.app import create_app as create_callbacks_app

    app = create_callbacks_app()
    app.title = "AnyMarket"
    app.include_router(router, prefix="/ops")
    app.add_exception_handler(LoginRequired, _login_required)
    return app
