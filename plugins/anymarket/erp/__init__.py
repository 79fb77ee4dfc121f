"""The seller's ERP database, reached only through the SQL files in ``include/sql/erp/``.

``ErpDatabase`` runs named queries (``queries/<name>.sql``) and applies the reference schema. The
demo ERP seeder is dev-only and lives outside the product, in ``anymarket_sandbox.demo_erp``. The
contract every SQL file honours — tables, columns, query parameters and result columns — is
``include/sql/erp/README.md``.

Only the light database module is imported here: DAG files import this package at parse time.
"""

from anymarket.erp.database import (
    DEFAULT_SQL_DIR,
    SQL_DIR_ENV,
    ErpDatabase,
    ErpError,
    ErpQueryError,
    ErpSqlNotFoundError,
    parse_timestamp,
)

__all__ = [
    "DEFAULT_SQL_DIR",
    "SQL_DIR_ENV",
    "ErpDatabase",
    "ErpError",
    "ErpQueryError",
    "ErpSqlNotFoundError",
    "parse_timestamp",
]
