"""The integration registers its own callback URL with AnyMarket, secret included.

The URL AnyMarket posts to is ``<callback_base_url>/anymarket/callbacks/<integration id>/<secret>``:

* ``callback_base_url`` (extra of the integration's AnyMarket connection) is the public base URL of
  the api-server (or of ``python -m anymarket.callbacks``) as AnyMarket reaches it, e.g.
  ``https://airflow.example.com``; without it the integration does not use callbacks (the order feed
  alone brings orders, within a minute);
* ``callback_secret`` (extra, masked in logs) is ``secrets.token_urlsafe(32)``, made by
  ``python -m anymarket.callbacks register`` — nobody copies URLs by hand. ``--rotate`` makes a new
  one and keeps the old one as ``callback_secret_previous`` until ``callback_secret_previous_until``
  (:data:`ROTATION_GRACE` later), so callbacks AnyMarket is already sending to the old URL still land.

:func:`ensure_registered` reads ``GET /callbacks`` and makes sure exactly one registration of the
account points at this integration's URL, with orders on (``POST /callbacks`` if there is none; a
registration of ours holding an old secret, or with orders off, is updated with
``PUT /callbacks/{id}``; further ones of ours are deleted). Registrations of other URLs are never
touched. ``test_connection`` calls it on every run when ``callback_base_url`` is set, and reports it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from anymarket.errors import ConfigurationError

if TYPE_CHECKING:
    from anymarket.connections import AnyMarketConnectionSettings
    from anymarket.hooks.anymarket import AnyMarketHook

#: The receiver's path under the base URL (the api-server plugin mounts its app at /anymarket).
ROUTE = "/anymarket/callbacks"
#: How long the secret before a rotation is still accepted.
ROTATION_GRACE = timedelta(days=1)
#: AnyMarket's limit on a callback URL (``url`` maxLength in the API spec).
MAX_URL_LENGTH = 255
FLAGS = {"orderActive": True, "productActive": False, "transmissionActive": False, "questionActive": False}


def new_secret() -> str:
    """A fresh callback secret: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def callback_url(base_url: str, integration_id: str, secret: str) -> str:
    """The URL AnyMarket must post this integration's callbacks to."""
    return f"{base_url.rstrip('/')}{ROUTE}/{integration_id}/{secret}"


def shown_url(base_url: str, integration_id: str) -> str:
    """The URL as logs and summaries show it: the secret never appears."""
    return f"{base_url.rstrip('/')}{ROUTE}/{integration_id}/<secret>"


def is_ours(url: str, base_url: str, integration_id: str) -> bool:
    """``url`` is this integration's callback URL at ``base_url``, whatever its secret (or none: the
    old secretless URL)."""
    prefix = f"{base_url.rstrip('/')}{ROUTE}/{integration_id}"
    return url == prefix or (url.startswith(prefix + "/") and "/" not in url[len(prefix) + 1 :])


@dataclass(frozen=True)
class Registration:
    """What :func:`ensure_registered` found and did."""

    #: ``registered`` (already there), ``created``, ``updated`` (an old secret or orders off) or, from
    #: :func:`registration_status`, ``missing``.
    status: str
    url: str  # shown_url: no secret
    callback_id: int | None = None
    removed: int = 0

    def describe(self) -> str:
        text = {
            "registered": "registered",
            "created": "registered now (POST /callbacks)",
            "updated": "registration updated to the current secret (PUT /callbacks/{id})",
            "missing": "NOT registered",
        }[self.status]
        if self.callback_id is not None:
            text += f", callback id {self.callback_id}"
        if self.removed:
            text += f"; {self.removed} stale registration(s) of ours deleted"
        return f"{self.url}: {text}"


def _required(settings: AnyMarketConnectionSettings, integration_id: str) -> tuple[str, str]:
    if not settings.callback_base_url:
        raise ConfigurationError(
            f"Connection '{settings.conn_id}' has no extra 'callback_base_url': set it to the public base "
            "URL AnyMarket reaches the api-server at (e.g. https://airflow.example.com)."
        )
    if not settings.callback_secret:
        raise ConfigurationError(
            f"Connection '{settings.conn_id}' has no extra 'callback_secret': run `python -m "
            f"anymarket.callbacks register --integration {integration_id}` (it makes one and registers)."
        )
    url = callback_url(settings.callback_base_url, integration_id, settings.callback_secret)
    if len(url) > MAX_URL_LENGTH:
        raise ConfigurationError(
            f"Connection '{settings.conn_id}': the callback URL would be {len(url)} characters; AnyMarket "
            f"takes at most {MAX_URL_LENGTH}: shorten 'callback_base_url'."
        )
    return settings.callback_base_url, url


def _ours(hook: AnyMarketHook, base_url: str, integration_id: str) -> list[dict[str, Any]]:
    listed = hook.get("/callbacks") or []
    if isinstance(listed, dict):  # a paged answer, should AnyMarket page it
        listed = listed.get("content") or []
    return [
        cb
        for cb in listed
        if isinstance(cb, dict)
        and isinstance(cb.get("url"), str)
        and is_ours(cb["url"], base_url, integration_id)
    ]


def registration_status(hook: AnyMarketHook, integration_id: str) -> Registration:
    """Is this integration's current URL registered with orders on? One ``GET /callbacks``, no change."""
    base_url, url = _required(hook.connection_settings, integration_id)
    for cb in _ours(hook, base_url, integration_id):
        if cb["url"] == url and cb.get("orderActive"):
            return Registration("registered", shown_url(base_url, integration_id), cb.get("id"))
    return Registration("missing", shown_url(base_url, integration_id))


def ensure_registered(hook: AnyMarketHook, integration_id: str) -> Registration:
    """Make AnyMarket post this integration's order callbacks to its current URL, exactly once.

    One ``GET /callbacks`` when all is in place; else one ``POST`` or ``PUT`` plus a ``DELETE`` per
    extra registration of ours (an older secret's URL, a duplicate)."""
    settings = hook.connection_settings
    base_url, url = _required(settings, integration_id)
    shown = shown_url(base_url, integration_id)
    ours = _ours(hook, base_url, integration_id)
    body = {"url": url, "token": settings.token, **FLAGS}
    exact = [cb for cb in ours if cb["url"] == url]
    keep = exact[0] if exact else ours[0] if ours else None
    if keep is None:
        created = hook.post("/callbacks", body) or {}
        status, callback_id = "created", created.get("id")
    elif keep["url"] == url and keep.get("orderActive"):
        status, callback_id = "registered", keep.get("id")
    else:
        hook.put(f"/callbacks/{keep['id']}", body)
        status, callback_id = "updated", keep.get("id")
    removed = 0
    for cb in ours:
        if cb is not keep and cb.get("id") is not None:
            hook.delete(f"/callbacks/{cb['id']}")
            removed += 1
    return Registration(status, shown, callback_id, removed)
