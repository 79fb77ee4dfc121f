"""Engine, schema upgrades and the small read/write helpers every operator uses."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from anymarket.mapping import models as m

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


def upsert(conn: Connection, table: sa.Table, keys: dict[str, Any], values: dict[str, Any]) -> None:
    """Update the row identified by ``keys`` or insert it, stamping ``updated_at``/``created_at``.

    Update-then-insert works the same on SQLite and PostgreSQL. Writers of one row are serialised
    by the automations themselves (``max_active_runs=1``), so the insert does not race.
    """
    now = utcnow()
    values = {**values, "updated_at": now}
    where = [table.c[column] == value for column, value in keys.items()]
    if not conn.execute(sa.update(table).where(*where).values(**values)).rowcount:
        created = {"created_at": now} if "created_at" in table.c else {}
        conn.execute(sa.insert(table).values(**keys, **values, **created))


def upsert_many(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], update: Sequence[str]) -> None:
    """Insert rows or update the given columns of those whose primary key exists, in one statement.

    ``INSERT ... ON CONFLICT DO UPDATE`` exists with the same meaning on SQLite and PostgreSQL.
    """
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={name: statement.excluded[name] for name in update},
    )
    conn.execute(statement, rows)


#: The dialects the mapping DB runs on. MariaDB/MySQL serve as the *ERP* only: the mapping DB relies on
#: ``UPDATE … RETURNING`` (the request budget's row lock), ``ON CONFLICT`` upserts, PostgreSQL advisory
#: locks and time-zone-aware timestamps, none of which MariaDB has in the same form.
MAPPING_DIALECTS = ("sqlite", "postgresql")


def create_mapping_engine(url: str) -> Engine:
    """An engine tuned for concurrent tasks: SQLite in WAL mode with a busy timeout.

    A URL of another dialect is refused with the reason (:data:`MAPPING_DIALECTS`).
    """
    from anymarket.errors import ConfigurationError

    dialect = sa.engine.make_url(url).get_backend_name()
    if dialect not in MAPPING_DIALECTS:
        raise ConfigurationError(
            f"The mapping DB cannot run on {dialect!r}: use SQLite (embedded) or PostgreSQL for the "
            "'anymarket_mapping_db' connection. MariaDB and MySQL are supported for the ERP only (the "
            "mapping DB needs UPDATE … RETURNING, ON CONFLICT upserts and time-zone-aware timestamps)."
        )
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            # WAL lets readers run while a writer commits; NORMAL sync is durable across crashes of
            # the process (not of the OS), which is what a task retry needs.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class MappingDatabase:
    """The mapping database of all integrations (links, mappings, history, cursors, budget)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> MappingDatabase:
        return cls(create_mapping_engine(url))

    # -- schema -------------------------------------------------------------------------------

    def _alembic_config(self, connection: Connection) -> Any:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        return config

    def upgrade(self, revision: str = "heads") -> None:
        """Run the migrations forward to ``revision`` (default: every head); a no-op when up to date.

        Automations add their tables in their own migrations, branching from the one they need;
        upgrading to ``heads`` applies every branch, so parallel work never has to renumber.
        """
        from alembic import command

        with self.engine.begin() as connection:
            command.upgrade(self._alembic_config(connection), revision)

    def current_revisions(self) -> set[str]:
        from alembic.runtime.migration import MigrationContext

        from anymarket.mapping.migrations_meta import VERSION_TABLE

        with self.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return set(context.get_current_heads())

    def head_revisions(self) -> set[str]:
        from alembic.script import ScriptDirectory

        with self.engine.connect() as connection:
            return set(ScriptDirectory.from_config(self._alembic_config(connection)).get_heads())

    def ensure_schema(self) -> None:
        """Upgrade when behind, so a fresh deployment needs no manual step."""
        if self.current_revisions() != self.head_revisions():
            self.upgrade()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # -- integrations -------------------------------------------------------------------------

    def upsert_integration(self, integration_id: str, *, name: str, environment: str, settings: dict) -> None:
        """Record the integration and its current settings; safe when several tasks start at once."""
        now = utcnow()
        row = {
            "id": integration_id,
            "name": name,
            "environment": environment,
            "settings": settings,
            "created_at": now,
            "updated_at": now,
        }
        with self.begin() as conn:
            upsert_many(conn, m.integrations, [row], ("name", "environment", "settings", "updated_at"))

    # -- links --------------------------------------------------------------------------------

    def link(
        self,
        integration_id: str,
        entity_type: str,
        erp_id: str,
        anymarket_id: str,
        *,
        payload_hash: str | None = None,
        attributes: dict | None = None,
        conn: Connection | None = None,
    ) -> bool:
        """Link an ERP id to an AnyMarket id; returns True when the link is new or changed."""
        row = {
            "erp_id": erp_id,
            "anymarket_id": anymarket_id,
            "payload_hash": payload_hash,
            "attributes": attributes,
        }
        return self.link_many(integration_id, entity_type, [row], conn=conn) > 0

    def link_many(
        self,
        integration_id: str,
        entity_type: str,
        rows: list[dict[str, Any]],
        *,
        conn: Connection | None = None,
    ) -> int:
        """:meth:`link` for many rows (``erp_id, anymarket_id, payload_hash, attributes``): one read, one
        bulk insert of the new links, an update only for links that changed. Returns how many changed.

        A new product brings a dozen links; one statement each made link-keeping cost more than the
        AnyMarket requests themselves."""
        if entity_type not in m.LINK_ENTITY_TYPES:
            raise ValueError(
                f"unknown link entity type {entity_type!r}; known: {', '.join(m.LINK_ENTITY_TYPES)}"
            )
        if not rows:
            return 0
        rows = [
            {**row, "erp_id": str(row["erp_id"]), "anymarket_id": str(row["anymarket_id"])} for row in rows
        ]
        links = m.links.c
        mine = (links.integration_id == integration_id, links.entity_type == entity_type)
        with self._conn(conn) as c:
            existing = {
                r.erp_id: (r.anymarket_id, r.payload_hash, r.attributes)
                for r in c.execute(
                    sa.select(links.erp_id, links.anymarket_id, links.payload_hash, links.attributes).where(
                        *mine, links.erp_id.in_([row["erp_id"] for row in rows])
                    )
                )
            }
            now = utcnow()
            new = [
                {
                    "integration_id": integration_id,
                    "entity_type": entity_type,
                    **row,
                    "created_at": now,
                    "updated_at": now,
                }
                for row in rows
                if row["erp_id"] not in existing
            ]
            if new:
                c.execute(sa.insert(m.links), new)
            changed = [
                row
                for row in rows
                if row["erp_id"] in existing
                and existing[row["erp_id"]] != (row["anymarket_id"], row["payload_hash"], row["attributes"])
            ]
            for row in changed:
                c.execute(
                    sa.update(m.links)
                    .where(*mine, links.erp_id == row["erp_id"])
                    .values(**row, updated_at=now)
                )
            return len(new) + len(changed)

    def links_of(self, integration_id: str, entity_type: str) -> dict[str, str]:
        """All links of one entity type as ``{erp_id: anymarket_id}``."""
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(m.links.c.erp_id, m.links.c.anymarket_id).where(
                    m.links.c.integration_id == integration_id, m.links.c.entity_type == entity_type
                )
            )
            return {r.erp_id: r.anymarket_id for r in rows}

    def link_attributes_of(self, integration_id: str, entity_type: str) -> dict[str, tuple[str, dict]]:
        """All links of one entity type as ``{erp_id: (anymarket_id, attributes)}``."""
        links = m.links.c
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(links.erp_id, links.anymarket_id, links.attributes).where(
                    links.integration_id == integration_id, links.entity_type == entity_type
                )
            )
            return {r.erp_id: (r.anymarket_id, dict(r.attributes or {})) for r in rows}

    # -- mappings -----------------------------------------------------------------------------

    def mappings_of(self, integration_id: str, kind: str) -> dict[str, dict[str, Any]]:
        """Mappings of one kind as ``{key: {"value", "attributes", "source"}}``."""
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(m.mappings).where(
                    m.mappings.c.integration_id == integration_id, m.mappings.c.kind == kind
                )
            )
            return {
                r.key: {"value": r.value, "attributes": r.attributes or {}, "source": r.source} for r in rows
            }

    def set_mapping(
        self,
        integration_id: str,
        kind: str,
        key: str,
        value: str,
        *,
        attributes: dict | None = None,
        source: str = "manual",
        conn: Connection | None = None,
    ) -> None:
        if kind not in m.MAPPING_KINDS:
            raise ValueError(f"unknown mapping kind {kind!r}; known: {', '.join(m.MAPPING_KINDS)}")
        with self._conn(conn) as c:
            upsert(
                c,
                m.mappings,
                {"integration_id": integration_id, "kind": kind, "key": key},
                {"value": str(value), "attributes": attributes, "source": source},
            )

    # -- cursors ------------------------------------------------------------------------------

    def get_cursor(self, integration_id: str, name: str) -> str | None:
        with self.engine.connect() as c:
            return c.execute(
                sa.select(m.sync_cursors.c.value).where(
                    m.sync_cursors.c.integration_id == integration_id, m.sync_cursors.c.name == name
                )
            ).scalar()

    def set_cursor(
        self, integration_id: str, name: str, value: str, *, conn: Connection | None = None
    ) -> None:
        with self._conn(conn) as c:
            upsert(c, m.sync_cursors, {"integration_id": integration_id, "name": name}, {"value": value})

    # -- history and run summaries ------------------------------------------------------------

    def record_history(
        self,
        integration_id: str,
        *,
        entity_type: str,
        entity_key: str,
        action: str,
        outcome: str,
        request: Any = None,
        response: Any = None,
        error: str | None = None,
        run_id: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        with self._conn(conn) as c:
            c.execute(
                sa.insert(m.history).values(
                    integration_id=integration_id,
                    entity_type=entity_type,
                    entity_key=str(entity_key),
                    action=action,
                    outcome=outcome,
                    request=request,
                    response=response,
                    error=error,
                    run_id=run_id,
                    created_at=utcnow(),
                )
            )

    def history_of(self, integration_id: str, entity_type: str, entity_key: str) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(m.history)
                .where(
                    m.history.c.integration_id == integration_id,
                    m.history.c.entity_type == entity_type,
                    m.history.c.entity_key == str(entity_key),
                )
                .order_by(m.history.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def record_run_summary(
        self,
        integration_id: str,
        automation: str,
        *,
        run_id: str | None,
        outcome: str,
        summary: dict[str, Any],
        started_at: datetime,
    ) -> None:
        with self.begin() as c:
            c.execute(
                sa.insert(m.run_summaries).values(
                    integration_id=integration_id,
                    automation=automation,
                    run_id=run_id,
                    outcome=outcome,
                    summary=summary,
                    started_at=started_at,
                    finished_at=utcnow(),
                )
            )

    def last_run_summary(self, integration_id: str, automation: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(
                sa.select(m.run_summaries)
                .where(
                    m.run_summaries.c.integration_id == integration_id,
                    m.run_summaries.c.automation == automation,
                )
                .order_by(m.run_summaries.c.id.desc())
                .limit(1)
            ).first()
            return dict(row._mapping) if row else None

    # -- helpers ------------------------------------------------------------------------------

    @contextmanager
    def _conn(self, conn: Connection | None) -> Iterator[Connection]:
        """Use the caller's transaction when given, else a short one of our own."""
        if conn is not None:
            yield conn
        else:
            with self.engine.begin() as own:
                yield own


_lock = threading.Lock()


@functools.cache
def _mapping_db_for(url: str) -> MappingDatabase:
    db = MappingDatabase.from_url(url)
    db.ensure_schema()
    return db


def get_mapping_db(url: str | None = None) -> MappingDatabase:
    """The process-wide mapping DB for ``url`` (default: the ``anymarket_mapping_db`` connection).

    The schema is brought to head once per process, so a new deployment or a new migration needs
    no manual step before the first task runs.
    """
    if url is None:
        from anymarket.connections import MAPPING_DB_CONN_ID, database_url

        url = database_url(MAPPING_DB_CONN_ID)
    with _lock:
        return _mapping_db_for(url)
