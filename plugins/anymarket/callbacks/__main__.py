"""The callback door from the shell.

``python -m anymarket.callbacks [serve] [--host H] [--port P]``
    The callback receiver without Airflow. Needs what the api-server plugin needs: the integrations
    file, the integration's AnyMarket connection (its OI and ``callback_secret``) and the
    ``anymarket_mapping_db`` connection, e.g. as ``AIRFLOW_CONN_*`` variables. Routes:
    ``POST /anymarket/callbacks/<integration id>/<secret>`` (the same URL as under the api-server)
    and ``GET /anymarket/health``.

``python -m anymarket.callbacks register --integration <id> [--rotate] [--check]``
    Registers the integration's callback URL with AnyMarket (:mod:`anymarket.callbacks.registration`).
    Without a ``callback_secret`` yet, or with ``--rotate``, makes a new secret first and stores it in
    the integration's AnyMarket connection in Airflow's metadata DB (the old one stays accepted for
    a day as ``callback_secret_previous``); a connection defined elsewhere (``AIRFLOW_CONN_*``, a
    secrets backend) cannot be written from here: the command prints the extra keys to set and
    registers nothing until they are set. ``--check`` only reports (one ``GET /callbacks``).
    Exit status: 0 done, 2 a configuration problem, 3 a secret to store by hand first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any


def serve(argv: list[str]) -> None:
    import uvicorn
    from fastapi import FastAPI

    from anymarket.callbacks.app import app

    parser = argparse.ArgumentParser(prog="python -m anymarket.callbacks [serve]")
    parser.add_argument("--host", default=os.environ.get("ANYMARKET_CALLBACKS_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANYMARKET_CALLBACKS_PORT", "8790")))
    parser.add_argument("--log-level", default=os.environ.get("ANYMARKET_CALLBACKS_LOG_LEVEL", "info"))
    args = parser.parse_args(argv)
    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    root.mount("/anymarket", app)  # same paths as under the api-server plugin's url_prefix
    uvicorn.run(root, host=args.host, port=args.port, log_level=args.log_level, access_log=False)


def register(argv: list[str]) -> int:
    from anymarket.callbacks import registration
    from anymarket.connections import AnyMarketConnectionSettings, get_connection
    from anymarket.errors import AnyMarketError, ConfigurationError
    from anymarket.settings import get_integration

    parser = argparse.ArgumentParser(prog="python -m anymarket.callbacks register")
    parser.add_argument("--integration", required=True, help="the integration id (integrations file)")
    parser.add_argument("--rotate", action="store_true", help="make a new secret (the old one: a day)")
    parser.add_argument("--check", action="store_true", help="only report whether the URL is registered")
    args = parser.parse_args(argv)
    # Run where Airflow's server side runs (scheduler, api-server host): connections are read from
    # the metadata DB too, as the api-server serving the callbacks reads them.
    os.environ.setdefault("_AIRFLOW_PROCESS_CONTEXT", "server")
    try:
        integration = get_integration(args.integration)
        conn_id = integration.anymarket_conn_id
        settings = AnyMarketConnectionSettings.from_connection(get_connection(conn_id))
        if not settings.callback_base_url:
            raise ConfigurationError(
                f"Connection '{conn_id}' has no extra 'callback_base_url': set it to the public base URL "
                "AnyMarket reaches the api-server at (e.g. https://airflow.example.com), then run this again."
            )
        if not args.check and (args.rotate or not settings.callback_secret):
            updates = _new_secret_extra(settings)
            if not _store_extra(conn_id, updates):
                print(_store_by_hand(conn_id, args.integration, updates))
                return 3
            print(f"New callback secret stored in connection '{conn_id}'.")
        from anymarket.hooks.anymarket import AnyMarketHook

        hook = AnyMarketHook(anymarket_conn_id=conn_id)
        if args.check:
            result = registration.registration_status(hook, args.integration)
        else:
            result = registration.ensure_registered(hook, args.integration)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AnyMarketError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Callbacks of {args.integration}: {result.describe()}")
    return 0 if result.status != "missing" else 1


def _new_secret_extra(settings: Any) -> dict[str, str | None]:
    """The extra keys of a rotation: a new secret, the current one kept for the grace period."""
    from anymarket.callbacks import registration

    if not settings.callback_secret:
        return {
            "callback_secret": registration.new_secret(),
            "callback_secret_previous": None,
            "callback_secret_previous_until": None,
        }
    until = datetime.now(UTC) + registration.ROTATION_GRACE
    return {
        "callback_secret": registration.new_secret(),
        "callback_secret_previous": settings.callback_secret,
        "callback_secret_previous_until": until.isoformat(timespec="seconds"),
    }


def _store_extra(conn_id: str, updates: dict[str, str | None]) -> bool:
    """Write ``updates`` into the extra of connection ``conn_id`` in Airflow's metadata DB; ``False``
    when the connection the integration reads is not that one (an ``AIRFLOW_CONN_*`` variable or a
    secrets backend wins over the DB, or the DB has no such connection)."""
    if os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"):
        return False
    try:
        from airflow.models import Connection
        from airflow.utils.session import create_session

        with create_session() as session:
            conn = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
            if conn is None:
                return False
            extra = json.loads(conn.extra or "{}")
            for key, value in updates.items():
                if value is None:
                    extra.pop(key, None)
                else:
                    extra[key] = value
            conn.extra = json.dumps(extra)
    except Exception as exc:  # no metadata DB reachable from here: the operator sets it
        print(f"(could not write the connection in Airflow's metadata DB: {type(exc).__name__}: {exc})")
        return False
    from anymarket.connections import AnyMarketConnectionSettings, get_connection

    # A secrets backend would still answer with the old extra: only what is read back counts.
    read_back = AnyMarketConnectionSettings.from_connection(get_connection(conn_id))
    return read_back.callback_secret == updates["callback_secret"]


def _store_by_hand(conn_id: str, integration_id: str, updates: dict[str, str | None]) -> str:
    keys = {key: value for key, value in updates.items() if value is not None}
    dropped = [key for key, value in updates.items() if value is None]
    where = (
        f"the AIRFLOW_CONN_{conn_id.upper()} variable"
        if os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        else "where it is defined (secrets backend or UI: Admin → Connections)"
    )
    lines = [
        f"Connection '{conn_id}' cannot be written from here. Set these keys in its extra, in {where}:",
        "  " + json.dumps(keys),
    ]
    if dropped:
        lines.append(f"  (and remove {', '.join(dropped)} if present)")
    lines.append(f"then run: python -m anymarket.callbacks register --integration {integration_id}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "register":
        return register(argv[1:])
    if argv and argv[0] == "serve":
        argv = argv[1:]
    serve(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
