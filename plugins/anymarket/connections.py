"""Turn Airflow connections into what the integration needs: database URLs and API settings.

Secrets live in Airflow connections (UI, ``AIRFLOW_CONN_*`` or a secrets backend), never in the
integrations file. Two kinds are read here:

* database connections (mapping DB, ERP): any type with an Airflow SQL hook — ``sqlite`` (host =
  file path), ``postgres``, ``mysql`` (MySQL and MariaDB) — whose hook builds the SQLAlchemy URL, or
  any connection whose extra has ``sqlalchemy_url``;
* the AnyMarket connection of an integration (type ``anymarket``, whose UI form this distribution
  registers, see :mod:`anymarket.provider`; ``http`` connections keep working): host = API base URL
  (or empty with extra ``environment``), password = token, extra = ``oi``, ``timeout``,
  ``requests_per_hour``, batch sizes and retry knobs, and the callback
  door's ``callback_base_url``, ``callback_secret`` (and ``callback_secret_previous``,
  ``callback_secret_previous_until`` while a rotation's grace period runs; see
  :mod:`anymarket.callbacks.registration`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

# The AnyMarket connection type's constants and its extra's defaults live in anymarket.provider, which
# Airflow loads while importing itself and which therefore imports nothing of ours (see there).
from anymarket.errors import ConfigurationError
from anymarket.provider import ANYMARKET_ENVIRONMENT_URLS, MAX_FEED_ACK_BATCH_SIZE, MAX_STOCK_BATCH_SIZE
from anymarket.provider import ANYMARKET_EXTRA_DEFAULTS as _ANYMARKET_EXTRA_DEFAULTS

MAPPING_DB_CONN_ID = "anymarket_mapping_db"
#: A callback secret shorter than this is refused (``secrets.token_urlsafe(32)`` gives 43 characters).
MIN_CALLBACK_SECRET_LENGTH = 20


def get_connection(conn_id: str) -> Any:
    """Fetch an Airflow connection, naming the missing id and how to define it."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # the SDK raises different types inside and outside a task
        raise ConfigurationError(
            f"Airflow connection '{conn_id}' is not defined ({exc.__class__.__name__}). Create it in the "
            f"UI (Admin → Connections) or set AIRFLOW_CONN_{conn_id.upper()} to its JSON."
        ) from exc


def sqlalchemy_url(conn: Any) -> str:
    """SQLAlchemy URL of a database connection, with its password (never log it).

    Extra ``sqlalchemy_url`` wins (any dialect SQLAlchemy speaks, e.g. ``mssql+pyodbc://…``). Otherwise
    the connection type's own Airflow hook builds it — ``postgres``, ``mysql`` (MySQL and MariaDB),
    ``sqlite`` or any other provider's SQL hook — so host, port, schema, login and the provider's extras
    (``sqlalchemy_scheme``, ``client``, ``sqlalchemy_query``…) mean what the provider documents, and a new
    dialect needs an installed provider, not project code.
    """
    extra = conn.extra_dejson or {}
    if extra.get("sqlalchemy_url"):
        return str(extra["sqlalchemy_url"])
    hook = _sql_hook(conn)
    try:
        url = hook.sqlalchemy_url
    except NotImplementedError:  # hooks that only build a URI string (sqlite, mysql)
        url = hook.get_uri()
    if hasattr(url, "render_as_string"):
        return str(url.render_as_string(hide_password=False))
    return str(url)


def _sql_hook(conn: Any) -> Any:
    """The Airflow SQL hook (``DbApiHook``) of the connection's type, with a clear error otherwise."""
    conn_type = conn.conn_type or ""
    advice = (
        "Use a database connection type (postgres, mysql, sqlite, or another SQL provider's, installed in "
        "Airflow), or put a SQLAlchemy URL in the connection's extra as 'sqlalchemy_url'."
    )
    try:
        hook = conn.get_hook()
    except Exception as exc:  # unknown type, provider not installed, or its driver missing
        raise ConfigurationError(
            f"Connection '{conn.conn_id}' has type '{conn_type}', for which Airflow has no usable hook "
            f"({exc.__class__.__name__}: {exc}). {advice}"
        ) from exc
    if not hasattr(hook, "get_sqlalchemy_engine"):
        raise ConfigurationError(
            f"Connection '{conn.conn_id}' has type '{conn_type}', which is not a SQL database connection "
            f"({type(hook).__name__}). {advice}"
        )
    if conn_type == "sqlite" and not conn.host:
        raise ConfigurationError(
            f"Connection '{conn.conn_id}' is sqlite but has no host: put the database file path in host."
        )
    return hook


def database_url(conn_id: str) -> str:
    """SQLAlchemy URL of the database connection ``conn_id`` (see :func:`sqlalchemy_url`)."""
    return sqlalchemy_url(get_connection(conn_id))


@dataclass(frozen=True)
class AnyMarketConnectionSettings:
    """The settings of an AnyMarket connection (host, token, extra), validated once.

    Named *settings*, not params, so they are never mistaken for a request's query parameters or a
    DAG's params; the hook exposes them as :attr:`AnyMarketHook.connection_settings
    <anymarket.hooks.anymarket.AnyMarketHook.connection_settings>`.
    """

    conn_id: str
    base_url: str
    token: str
    oi: str | None
    timeout: float
    requests_per_hour: int
    budget_window_seconds: int
    max_retries: int
    backoff_base: float
    backoff_max: float
    max_retry_after: float
    stock_batch_size: int
    page_size: int
    feed_ack_batch_size: int
    #: Public base URL of the callback door (e.g. ``https://airflow.example.com``); ``None``: the
    #: integration does not register callbacks.
    callback_base_url: str | None = None
    #: The secret path segment of the registered callback URL (masked in logs, never in a repr).
    callback_secret: str | None = field(default=None, repr=False)
    #: The secret before the last rotation, accepted until ``callback_secret_previous_until``.
    callback_secret_previous: str | None = field(default=None, repr=False)
    callback_secret_previous_until: datetime | None = None

    def callback_secrets(self, now: datetime | None = None) -> tuple[str, ...]:
        """The secrets a callback URL may carry now: the current one, and the previous one while its
        grace period runs (no end given: until the extra is removed)."""
        accepted = [self.callback_secret] if self.callback_secret else []
        if self.callback_secret_previous and (
            self.callback_secret_previous_until is None
            or (now or datetime.now(UTC)) < self.callback_secret_previous_until
        ):
            accepted.append(self.callback_secret_previous)
        return tuple(accepted)

    @classmethod
    def from_connection(cls, conn: Any) -> AnyMarketConnectionSettings:
        # The UI's form stores an emptied field as null or "": that means "the default", not "nothing".
        given = {key: value for key, value in (conn.extra_dejson or {}).items() if value not in (None, "")}
        extra = {**_ANYMARKET_EXTRA_DEFAULTS, **given}
        environment = _environment(conn.conn_id, extra["environment"])
        host = (conn.host or "").strip()
        if not host and environment:
            host = ANYMARKET_ENVIRONMENT_URLS[environment]
        if not host:
            raise ConfigurationError(
                f"Connection '{conn.conn_id}' has no host: set it to the AnyMarket API base URL, e.g. "
                f"{ANYMARKET_ENVIRONMENT_URLS['production']} (production) or "
                f"{ANYMARKET_ENVIRONMENT_URLS['sandbox']}, or set its extra 'environment'."
            )
        if "://" not in host:
            host = f"{conn.schema or 'https'}://{host}"
            if conn.port:
                host = f"{host}:{conn.port}"
        else:
            _check_port(conn.conn_id, host, conn.port)
        _check_environment(conn.conn_id, environment, host)
        if not conn.password:
            raise ConfigurationError(
                f"Connection '{conn.conn_id}' has no password: put the account's gumgaToken there."
            )
        try:
            settings = cls(
                conn_id=conn.conn_id,
                base_url=host.rstrip("/"),
                token=conn.password,
                oi=extra["oi"],
                timeout=float(extra["timeout"]),
                requests_per_hour=int(extra["requests_per_hour"]),
                budget_window_seconds=int(extra["budget_window_seconds"]),
                max_retries=int(extra["max_retries"]),
                backoff_base=float(extra["backoff_base"]),
                backoff_max=float(extra["backoff_max"]),
                max_retry_after=float(extra["max_retry_after"]),
                stock_batch_size=int(extra["stock_batch_size"]),
                page_size=int(extra["page_size"]),
                feed_ack_batch_size=int(extra["feed_ack_batch_size"]),
                callback_base_url=_base_url(conn.conn_id, extra["callback_base_url"]),
                callback_secret=_secret(conn.conn_id, "callback_secret", extra["callback_secret"]),
                callback_secret_previous=_secret(
                    conn.conn_id, "callback_secret_previous", extra["callback_secret_previous"]
                ),
                callback_secret_previous_until=_instant(
                    conn.conn_id, "callback_secret_previous_until", extra["callback_secret_previous_until"]
                ),
            )
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"Connection '{conn.conn_id}' has a non-numeric extra value: {exc}"
            ) from exc
        for key in ("timeout", "requests_per_hour", "budget_window_seconds", "stock_batch_size", "page_size"):
            if getattr(settings, key) <= 0:
                raise ConfigurationError(f"Connection '{conn.conn_id}': extra '{key}' must be positive.")
        if settings.stock_batch_size > MAX_STOCK_BATCH_SIZE:
            raise ConfigurationError(
                f"Connection '{conn.conn_id}': extra 'stock_batch_size' is {settings.stock_batch_size}, but "
                f"AnyMarket takes at most {MAX_STOCK_BATCH_SIZE} rows per PUT /stocks: lower it."
            )
        if not 0 <= settings.feed_ack_batch_size <= MAX_FEED_ACK_BATCH_SIZE:
            raise ConfigurationError(
                f"Connection '{conn.conn_id}': extra 'feed_ack_batch_size' is "
                f"{settings.feed_ack_batch_size}; use 1..{MAX_FEED_ACK_BATCH_SIZE} (items per PUT "
                "/orders/feeds/batch) or 0 (one PUT per item)."
            )
        if settings.max_retries < 0:
            raise ConfigurationError(f"Connection '{conn.conn_id}': extra 'max_retries' must be 0 or more.")
        return settings


def _environment(conn_id: str, value: Any) -> str | None:
    if value is None:
        return None
    name = str(value).strip().lower()
    if name not in ANYMARKET_ENVIRONMENT_URLS:
        raise ConfigurationError(
            f"Connection '{conn_id}': extra 'environment' is {value!r}; use "
            + " or ".join(sorted(ANYMARKET_ENVIRONMENT_URLS))
            + " (or leave it empty)."
        )
    return name


def _check_port(conn_id: str, base_url: str, port: Any) -> None:
    """A port beside a full base URL is only a consistency check: the URL decides. (The UI's Test
    button needs the port set; see anymarket.provider.)"""
    if not port:
        return
    parts = urlsplit(base_url)
    effective = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    if int(port) != effective:
        raise ConfigurationError(
            f"Connection '{conn_id}': its port is {port} but its API base URL {base_url} is on port "
            f"{effective}: clear the port or make the two agree (the base URL decides)."
        )


def _check_environment(conn_id: str, environment: str | None, base_url: str) -> None:
    """Refuse a base URL of AnyMarket's other environment: its tokens are not valid there, and every
    request would fail with a 401 that looks like a bad token."""
    if environment is None:
        return
    host = urlsplit(base_url).hostname or ""
    for other, url in ANYMARKET_ENVIRONMENT_URLS.items():
        if other != environment and host == urlsplit(url).hostname:
            raise ConfigurationError(
                f"Connection '{conn_id}' says environment {environment!r} but its host {base_url} is "
                f"AnyMarket's {other}: fix the host or the extra 'environment' (each has its own tokens)."
            )


def _secret(conn_id: str, key: str, value: Any) -> str | None:
    """A callback secret of the connection's extra, registered with Airflow's secrets masker."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) < MIN_CALLBACK_SECRET_LENGTH or not value.isascii():
        raise ConfigurationError(
            f"Connection '{conn_id}': extra '{key}' must be a random ASCII string of at least "
            f"{MIN_CALLBACK_SECRET_LENGTH} characters; run `python -m anymarket.callbacks register "
            "--integration <id> --rotate` to make one."
        )
    if any(c in value for c in "/?#% "):
        raise ConfigurationError(f"Connection '{conn_id}': extra '{key}' must not contain / ? # % or spaces.")
    from airflow.sdk.log import mask_secret

    mask_secret(value)
    return value


def _base_url(conn_id: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"Connection '{conn_id}': extra 'callback_base_url' is {text!r}: give the public base URL "
            "AnyMarket can reach, e.g. https://airflow.example.com (the callback path is added to it)."
        )
    return text


def _instant(conn_id: str, key: str, value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigurationError(
            f"Connection '{conn_id}': extra '{key}' is {value!r}: give an ISO date-time, e.g. "
            "2026-03-02T12:00:00+00:00."
        ) from exc
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
