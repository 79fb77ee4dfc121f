"""The mapping database: the integration's own state, shared by every DAG of every integration.

SQLite for the embedded default, PostgreSQL in production; the schema is managed by Alembic
migrations in ``migrations/`` (``python -m anymarket.mapping upgrade``), which run forward on an
existing database.
"""

from anymarket.mapping.database import MappingDatabase, get_mapping_db

__all__ = ["MappingDatabase", "get_mapping_db"]
