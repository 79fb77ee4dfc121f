"""Airflow's own authentication for the ops page (the callbacks beside it stay open by design).

The api-server mounts plugin apps without authentication, so each ops route depends on
:func:`current_user`, which is Airflow's ``get_user``: the UI's JWT from the ``_token`` cookie the
login sets (the page opens inside the Airflow UI, same origin) or an ``Authorization: Bearer`` token
from ``POST /auth/token``. Any logged-in user may look; importing mappings asks the auth manager
whether the user may *edit* the mapping DB connection (``anymarket_mapping_db``) — under
SimpleAuthManager the op and admin roles, under FAB the "can edit on Connections" permission.

Airflow's API modules are imported when a request arrives, not when the plugin is loaded: workers
and the DAG processor load plugins too, and need none of this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, status

from anymarket.connections import MAPPING_DB_CONN_ID

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser


class LoginRequired(Exception):
    """No valid Airflow token: the handler sends browsers to the login page and others a 401."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


async def current_user(request: Request) -> BaseUser:
    """The Airflow user of this request (Airflow's ``get_user``), or :class:`LoginRequired`."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    try:
        credentials = await bearer_scheme(request)
        return await get_user(request, None, credentials)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise LoginRequired(str(exc.detail)) from exc
        raise


def user_name(user: Any) -> str:
    return str(user.get_name()) if hasattr(user, "get_name") else str(user)


def may_edit_mappings(user: BaseUser) -> bool:
    """Whether the auth manager lets ``user`` edit the mapping DB connection."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import ConnectionDetails

    return bool(
        get_auth_manager().is_authorized_connection(
            method="PUT", details=ConnectionDetails(conn_id=MAPPING_DB_CONN_ID), user=user
        )
    )


def require_same_origin(request: Request) -> None:
    """Refuse a cross-site form post (the cookie is SameSite=Lax already; this is the second lock).

    A write authenticated by the ``_token`` cookie must say where it comes from (``Origin``, else
    ``Referer``), and that must be this site: browsers send one on every form post, and a page that
    could strip both (the cookie is readable from scripts) is refused. A request with its own
    ``Authorization: Bearer`` token cannot be forged by another site, so it may omit them. Behind a
    reverse proxy the public host arrives as ``X-Forwarded-Host`` or is ``[api] base_url``.
    """
    from airflow.configuration import conf

    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        if request.headers.get("authorization", "").lower().startswith("bearer "):
            return
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a form post must come from this site (no Origin)")
    ours = {
        request.headers.get("host", request.url.netloc),
        request.headers.get("x-forwarded-host", ""),
        urlsplit(conf.get("api", "base_url", fallback="") or "").netloc,
    }
    if urlsplit(origin).netloc not in ours - {""}:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-site request refused")


def login_url(request: Request) -> str:
    """The auth manager's login page, coming back to this page afterwards."""
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_url_login(next_url=str(request.url))
