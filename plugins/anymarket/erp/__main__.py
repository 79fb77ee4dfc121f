"""ERP command line: ``python -m anymarket.erp check --conn-id <erp connection> [--sql-dir DIR]``.

Checks that the ERP behind an Airflow connection answers every named query of the SQL folder the way
the integration needs (:mod:`anymarket.erp.checker`), without changing its data, and prints a report
per file. Exit status 0 when every file is OK, 1 when any is not, 2 on a usage or connection error.
``--url`` takes a SQLAlchemy URL instead of a connection (e.g. a copy of the ERP on a laptop).
"""

from __future__ import annotations

import argparse
import sys

from anymarket.errors import ConfigurationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m anymarket.erp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check the ERP against the SQL contract (read-only)")
    target = check.add_mutually_exclusive_group(required=True)
    target.add_argument("--conn-id", help="the ERP's Airflow connection id (e.g. anymarket_loja1_erp)")
    target.add_argument("--url", help="a SQLAlchemy URL instead of a connection")
    check.add_argument(
        "--sql-dir",
        help="the folder holding queries/ (default: $ANYMARKET_ERP_SQL_DIR, else the shipped contract)",
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    from anymarket.erp.checker import check_contract
    from anymarket.erp.database import ErpDatabase

    try:
        if args.conn_id:
            from anymarket.connections import database_url

            url = database_url(args.conn_id)
        else:
            url = args.url
        erp = ErpDatabase(url, sql_dir=args.sql_dir)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        report = check_contract(erp)
    except Exception as exc:  # cannot connect at all: say so in one line, not a traceback
        print(f"error: could not check the ERP at {erp!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        erp.dispose()
    print(report.to_json() if args.json else report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
