"""Names shared by the Alembic environment and the code that inspects migration state."""

VERSION_TABLE = "anymarket_alembic_version"
