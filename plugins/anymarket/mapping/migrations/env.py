"""Alembic environment of the mapping database.

Run through :func:`anymarket.mapping.database.MappingDatabase.upgrade` (or
``python -m anymarket.mapping upgrade``), which hands over an open connection; the version table is
``anymarket_alembic_version`` so the mapping DB can share a PostgreSQL database with Airflow's own
metadata without clashing with its ``alembic_version``.
"""

from __future__ import annotations

from alembic import context

from anymarket.mapping.migrations_meta import VERSION_TABLE
from anymarket.mapping.models import metadata


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported: run against a database.")
run_migrations_online()
