"""Mapping DB command line: ``python -m anymarket.mapping upgrade [--url URL]``.

Without ``--url`` the ``anymarket_mapping_db`` Airflow connection is used. Tasks also upgrade on
first use, so this is for deployments that prefer an explicit migration step (e.g. an init container).
"""

from __future__ import annotations

import argparse

from anymarket.mapping.database import MappingDatabase


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m anymarket.mapping", description=__doc__)
    parser.add_argument("command", choices=["upgrade", "current"])
    parser.add_argument("--url", help="SQLAlchemy URL (default: the anymarket_mapping_db connection)")
    args = parser.parse_args(argv)
    url = args.url
    if url is None:
        from anymarket.connections import MAPPING_DB_CONN_ID, database_url

        url = database_url(MAPPING_DB_CONN_ID)
    db = MappingDatabase.from_url(url)
    if args.command == "upgrade":
        db.upgrade()
    print(f"mapping DB at {sorted(db.current_revisions())} (heads {sorted(db.head_revisions())})")


if __name__ == "__main__":
    main()
