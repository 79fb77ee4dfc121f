"""Access to the seller's ERP database through named SQL files.

The integration never embeds ERP SQL in Python: every read or write goes through a file in
``include/sql/erp/queries/<name>.sql`` (or a ``<name>.<dialect>.sql`` override beside it), so a team
whose ERP differs from the reference schema adapts those files, or points ``ANYMARKET_ERP_SQL_DIR`` at
its own copy of the folder, and changes no code. The contract each file must honour is documented in
``include/sql/erp/README.md``.

This module is imported while Airflow parses DAG files, so it imports only SQLAlchemy at the top;
pandas is imported inside :meth:`ErpDatabase.query_frame`.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Result

from anymarket.errors import AnyMarketError, ConfigurationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_SQL_DIR",
    "SQL_DIR_ENV",
    "ErpDatabase",
    "ErpError",
    "ErpQueryError",
    "ErpSqlNotFoundError",
    "parse_timestamp",
]

#: Dialects spoken like MySQL (SQLAlchemy names ``mysql`` and ``mariadb``; see :attr:`ErpDatabase.dialect`).
MYSQL_FAMILY = frozenset({"mysql", "mariadb"})

#: Environment variable naming a folder that replaces ``include/sql/erp`` (an ERP team's own copy).
SQL_DIR_ENV = "ANYMARKET_ERP_SQL_DIR"

#: The SQL contract: the copy the installed distribution ships (``anymarket/erp/sql``, package data,
#: see pyproject.toml), else ``<repo>/include/sql/erp`` of a checkout (this file is
#: ``<repo>/plugins/anymarket/erp/database.py``; a checkout has no ``erp/sql``).
_PACKAGED_SQL_DIR = Path(__file__).resolve().parent / "sql"
DEFAULT_SQL_DIR = (
    _PACKAGED_SQL_DIR
    if _PACKAGED_SQL_DIR.is_dir()
    else Path(__file__).resolve().parents[3] / "include" / "sql" / "erp"
)


class ErpError(AnyMarketError):
    """Base class of the errors raised by the ERP access layer."""


class ErpSqlNotFoundError(ErpError, ConfigurationError, FileNotFoundError):
    """A named query (or the dialect's schema file) has no SQL file in the SQL folder: a setting (the
    SQL folder) or the deployment is wrong, so the task fails without retrying."""


class ErpQueryError(ErpError):
    """The ERP database rejected a named query; the message names the query and its file."""

    def __init__(self, message: str, *, query: str, path: Path | None) -> None:
        self.query = query
        self.path = path
        super().__init__(message)


@functools.lru_cache(maxsize=512)
def _read_sql(path: str, mtime_ns: int) -> str:
    """Read one SQL file; keyed on the modification time so an edited file is picked up again."""
    return Path(path).read_text(encoding="utf-8")


def _resolve_sql_dir(sql_dir: str | os.PathLike[str] | None) -> Path:
    if sql_dir is not None:
        return Path(sql_dir).expanduser().resolve()
    env = os.environ.get(SQL_DIR_ENV, "").strip()
    return Path(env).expanduser().resolve() if env else DEFAULT_SQL_DIR


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection SQLite settings the schema relies on.

    Foreign keys (and so ON DELETE CASCADE) are off by default in SQLite; the busy timeout lets an
    Airflow task wait for another task's write lock instead of failing at once with "database is
    locked".
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
    finally:
        cursor.close()


def _mysql_session(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection MySQL/MariaDB setting the schema and queries rely on: the session time zone is UTC.

    The reference schema stores naive ``DATETIME(6)`` values meaning UTC, and its ``CURRENT_TIMESTAMP``
    defaults and triggers follow the session zone; a server set to local time would otherwise stamp
    local times that compare wrongly with the UTC watermarks the integration passes.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET time_zone = '+00:00'")
    finally:
        cursor.close()


_DELIMITER = re.compile(r"^\s*DELIMITER\s+(\S+)\s*$", re.IGNORECASE)


def _split_delimited_script(script: str) -> list[str]:
    """Split a MySQL/MariaDB script into statements the way the ``mariadb`` client does.

    A statement ends with the current delimiter (``;`` unless a ``DELIMITER //`` line changed it) at the
    end of a line, so trigger bodies may hold ``;``. ``DELIMITER`` lines and comment-only chunks are
    dropped: the server does not know them.
    """
    statements: list[str] = []
    delimiter = ";"
    buffer: list[str] = []
    for line in script.splitlines():
        match = _DELIMITER.match(line)
        if match:
            delimiter = match.group(1)
            continue
        stripped = line.rstrip()
        if stripped.endswith(delimiter) and not stripped.lstrip().startswith("--"):
            buffer.append(stripped[: -len(delimiter)])
            chunk = "\n".join(buffer)
            if _has_code(chunk):
                statements.append(chunk.strip())
            buffer = []
        else:
            buffer.append(line)
    chunk = "\n".join(buffer)
    if _has_code(chunk):
        statements.append(chunk.strip())
    return statements


def _split_sqlite_script(script: str) -> list[str]:
    """Split a SQLite script into statements, keeping ``BEGIN … END;`` trigger bodies whole.

    ``sqlite3.complete_statement`` uses SQLite's own tokenizer, so semicolons inside trigger bodies,
    strings and comments are handled correctly; comment-only chunks are dropped.
    """
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if _has_code(buffer):
        statements.append(buffer.strip())
    return statements


_ADD_COLUMN = re.compile(r"^\s*ALTER\s+TABLE\s+\S+\s+ADD\s+COLUMN\b", re.IGNORECASE)


def _execute_sqlite(cursor: Any, statement: str) -> None:
    """Run one schema statement; an ``ALTER TABLE … ADD COLUMN`` of a column that exists already (a
    database created with it, or upgraded before) is skipped: SQLite has no ``ADD COLUMN IF NOT
    EXISTS``, and the schema file upgrades older databases with plain ``ADD COLUMN`` lines."""
    code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
    try:
        cursor.execute(statement)
    except sqlite3.OperationalError as exc:
        if not (_ADD_COLUMN.match(code) and "duplicate column name" in str(exc).lower()):
            raise


def _has_code(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())


def parse_timestamp(value: Any) -> datetime | None:
    """Turn a timestamp read from the ERP into an aware UTC ``datetime`` (``None`` stays ``None``).

    PostgreSQL returns aware datetimes; SQLite returns ISO text (``'2026-01-05 13:00:00.000'``) and
    MariaDB naive datetimes, both of which by the schema's contract are UTC. Queries therefore hand
    back any of these; callers normalise with this.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise TypeError(f"not a timestamp: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class ErpDatabase:
    """The seller's ERP database, reached only through the named SQL files of one folder.

    ``query``/``query_frame``/``execute`` run ``queries/<name>.sql`` with SQLAlchemy ``text()`` named
    parameters (``:name``). A ``list``/``tuple``/``set`` parameter is bound as an expanding parameter,
    so ``WHERE code IN :codes`` works on every dialect. Outside :meth:`transaction` each call runs in
    its own short transaction (``execute`` commits at once); inside it, all calls share one connection
    and commit or roll back together.
    """

    def __init__(
        self,
        url: str | sa.URL,
        *,
        sql_dir: str | os.PathLike[str] | None = None,
        **engine_kwargs: Any,
    ) -> None:
        """Create the engine for ``url``; ``sql_dir`` beats ``$ANYMARKET_ERP_SQL_DIR`` beats the repo folder.

        ``engine_kwargs`` go to :func:`sqlalchemy.create_engine`. ``pool_pre_ping`` defaults on: Airflow
        workers keep processes alive for long and an ERP server may drop idle connections.
        """
        engine_kwargs.setdefault("pool_pre_ping", True)
        self._init(sa.create_engine(url, **engine_kwargs), sql_dir=sql_dir, owns_engine=True)

    @classmethod
    def from_engine(cls, engine: Engine, *, sql_dir: str | os.PathLike[str] | None = None) -> ErpDatabase:
        """Wrap an existing engine (e.g. from an Airflow hook); :meth:`dispose` will not close it."""
        self = cls.__new__(cls)
        self._init(engine, sql_dir=sql_dir, owns_engine=False)
        return self

    def _init(self, engine: Engine, *, sql_dir: str | os.PathLike[str] | None, owns_engine: bool) -> None:
        self._engine = engine
        self._owns_engine = owns_engine
        self._sql_dir = _resolve_sql_dir(sql_dir)
        # One current connection per thread: transaction() binds it, query()/execute() find it here.
        self._local = threading.local()
        self._dialect: str | None = None
        if engine.dialect.name == "sqlite" and not sa.event.contains(engine, "connect", _sqlite_pragmas):
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        if engine.dialect.name in MYSQL_FAMILY and not sa.event.contains(engine, "connect", _mysql_session):
            sa.event.listen(engine, "connect", _mysql_session)

    # ------------------------------------------------------------------ properties

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for seeding tools and tests; integration code uses named queries)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """The database's dialect name, e.g. ``"sqlite"``, ``"postgresql"``, ``"mariadb"``: picks the
        query overrides and the schema file.

        It is SQLAlchemy's dialect name, except that a ``mysql://`` URL (what Airflow's MySQL hook
        builds) pointing at a MariaDB server says ``"mariadb"``: the two differ (``RETURNING``,
        sequences…), and SQLAlchemy only knows which it is after connecting once, which this does.
        """
        if self._dialect is None:
            name = self._engine.dialect.name
            if name == "mysql":
                with self._engine.connect():
                    pass  # the first connection tells the dialect the server's flavour and version
                if getattr(self._engine.dialect, "is_mariadb", False):
                    name = "mariadb"
            self._dialect = name
        return self._dialect

    @property
    def dialect_family(self) -> tuple[str, ...]:
        """The override suffixes tried for a query, most specific first (MariaDB also takes MySQL's)."""
        return ("mariadb", "mysql") if self.dialect == "mariadb" else (self.dialect,)

    @property
    def sql_dir(self) -> Path:
        """The folder holding ``schema/`` and ``queries/``."""
        return self._sql_dir

    def __repr__(self) -> str:
        url = self._engine.url.render_as_string(hide_password=True)
        return f"ErpDatabase({url!r}, sql_dir={str(self._sql_dir)!r})"

    # ------------------------------------------------------------------ SQL files

    def query_path(self, name: str) -> Path:
        """The file that query ``name`` runs: ``<name>.<dialect>.sql`` if present, else ``<name>.sql``
        (on MariaDB, ``<name>.mariadb.sql``, then ``<name>.mysql.sql``, then ``<name>.sql``)."""
        stem = name[:-4] if name.endswith(".sql") else name
        folder = self._sql_dir / "queries"
        candidates = [folder / f"{stem}.{suffix}.sql" for suffix in self.dialect_family]
        candidates.append(folder / f"{stem}.sql")
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        overrides = " or ".join(repr(c.name) for c in candidates[:-1])
        raise ErpSqlNotFoundError(
            f"ERP query {stem!r}: no SQL file {candidates[-1].name!r} (nor the {self.dialect} override "
            f"{overrides}) in folder {folder}. Add the file, or point ${SQL_DIR_ENV} at the "
            "folder holding your ERP's queries/ and schema/ (see include/sql/erp/README.md)."
        )

    def load_sql(self, name: str) -> str:
        """The SQL text of query ``name`` (cached; re-read when the file changes)."""
        return self._read(self.query_path(name))

    @staticmethod
    def _read(path: Path, *, single_statement: bool = True) -> str:
        text = _read_sql(str(path), path.stat().st_mtime_ns).strip()
        # A query file holds one statement; its trailing ';' is dropped because not every driver
        # accepts it. Schema scripts are left whole.
        if single_statement and text.endswith(";"):
            return text[:-1].rstrip()
        return text

    def _statement(self, name: str, params: Mapping[str, Any]) -> tuple[sa.TextClause, Path]:
        path = self.query_path(name)
        clause = sa.text(self._read(path))
        expanding: list[sa.BindParameter[Any]] = [
            sa.bindparam(key, expanding=True)
            for key, value in params.items()
            if isinstance(value, list | tuple | set | frozenset) and key in clause._bindparams
        ]
        if expanding:
            clause = clause.bindparams(*expanding)
        return clause, path

    def _prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Normalise parameter values so one query file behaves the same on every dialect."""
        return {key: self._prepare_value(value) for key, value in params.items()}

    def _prepare_value(self, value: Any) -> Any:
        if isinstance(value, set | frozenset):
            return sorted(value)  # expanding parameters need a sequence; sorted keeps SQL logs stable
        if isinstance(value, datetime):
            # Contract: naive datetimes mean UTC. SQLite stores naive UTC text (an offset would break
            # text comparison) and MariaDB naive UTC DATETIMEs (its drivers would send the offset as
            # text, which the server refuses or drops); PostgreSQL's TIMESTAMPTZ needs the zone, or it
            # assumes the session's.
            if self.dialect == "sqlite" or self.dialect in MYSQL_FAMILY:
                return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, Decimal) and self.dialect == "sqlite":
            # sqlite3 cannot bind Decimal; text keeps it exact and NUMERIC affinity stores a number.
            return str(value)
        return value

    # ------------------------------------------------------------------ execution

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One database transaction for every query/execute in the block; rolled back on any error.

        Nested ``transaction()`` blocks join the outer one (the whole unit commits or fails together),
        which lets a helper that opens its own transaction be called from inside a bigger one.
        """
        current: Connection | None = getattr(self._local, "connection", None)
        if current is not None:
            yield current
            return
        with self._engine.begin() as connection:
            self._local.connection = connection
            try:
                yield connection
            finally:
                self._local.connection = None

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        current: Connection | None = getattr(self._local, "connection", None)
        if current is not None:
            yield current
        else:
            with self._engine.begin() as connection:
                yield connection

    def _run(self, name: str, params: Mapping[str, Any], consume: Any) -> Any:
        clause, path = self._statement(name, params)
        try:
            with self._connection() as connection:
                result: Result[Any] = connection.execute(clause, self._prepare(params))
                return consume(result)
        except sa.exc.SQLAlchemyError as exc:
            detail = getattr(exc, "orig", None) or exc
            raise ErpQueryError(
                f"ERP query {path.stem!r} ({path}) failed on {self.dialect}: "
                f"{type(detail).__name__}: {str(detail).strip()}",
                query=name,
                path=path,
            ) from exc

    def query(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run a row-returning query and return its rows as dicts keyed by column name."""
        return self._run(name, params, lambda result: [dict(row) for row in result.mappings()])

    def query_frame(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run a row-returning query into a DataFrame (columns kept even when there are no rows)."""
        import pandas as pd

        def consume(result: Result[Any]) -> pd.DataFrame:
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

        return self._run(name, params, consume)

    def execute(self, name: str, /, **params: Any) -> int:
        """Run a writing statement (INSERT/UPDATE/DELETE); return the driver's affected row count."""
        return self._run(name, params, lambda result: result.rowcount)

    def create_schema(self) -> Path:
        """Apply ``schema/<dialect>.sql`` in one transaction; idempotent. Returns the file applied.

        The file is sent through the driver as-is (no ``:name`` parameter parsing), so it may hold
        PL/pgSQL bodies and ``%`` signs. SQLite's driver runs one statement per call, so its script is
        split on statement boundaries first; a MySQL/MariaDB script is split like the ``mariadb`` client
        does (``DELIMITER`` lines) and, since each DDL statement commits on its own there, applied under
        a named lock so concurrent appliers take turns.
        """
        path = self._sql_dir / "schema" / f"{self.dialect}.sql"
        if not path.is_file():
            raise ErpSqlNotFoundError(
                f"ERP schema: no file {path.name!r} for dialect {self.dialect!r} in folder {path.parent}. "
                "The reference schema exists for sqlite, postgresql and mariadb; for another database, "
                "create the tables yourself (see include/sql/erp/README.md) and skip create_schema()."
            )
        script = self._read(path, single_statement=False)
        try:
            with self.transaction() as connection:
                cursor = connection.connection.cursor()
                try:
                    if self.dialect == "sqlite":
                        for statement in _split_sqlite_script(script):
                            _execute_sqlite(cursor, statement)
                    elif self.dialect in MYSQL_FAMILY:
                        cursor.execute("SELECT GET_LOCK('anymarket_erp_schema', 120)")
                        cursor.fetchall()
                        try:
                            for statement in _split_delimited_script(script):
                                cursor.execute(statement)
                        finally:
                            cursor.execute("SELECT RELEASE_LOCK('anymarket_erp_schema')")
                            cursor.fetchall()
                    else:
                        cursor.execute(script)
                finally:
                    cursor.close()
        except ErpError:
            raise
        except Exception as exc:  # raw DBAPI cursor: psycopg2/sqlite3 errors are not wrapped by SQLAlchemy
            raise ErpQueryError(
                f"ERP schema file {path} failed on {self.dialect}: {type(exc).__name__}: {exc}",
                query=f"schema/{path.name}",
                path=path,
            ) from exc
        return path

    def dispose(self) -> None:
        """Close pooled connections (only when this object created the engine)."""
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> ErpDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()
