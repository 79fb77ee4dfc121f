"""Fixtures for the ERP access layer: an ErpDatabase on fresh SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anymarket.erp import ErpDatabase
from anymarket_sandbox.demo_erp import seed_demo_erp

# Small enough to keep the suite fast, big enough to hold parents, simple products, made-to-order
# SKUs, every deposit profile and a handful of orders.
SMALL_DEMO_PRODUCTS = 60


@pytest.fixture
def small_demo_products() -> int:
    """How many products the small demo fixtures seed (test modules cannot import conftest)."""
    return SMALL_DEMO_PRODUCTS


@pytest.fixture
def erp(erp_database_url: str) -> Iterator[ErpDatabase]:
    """An ErpDatabase with the reference schema applied (empty tables), on the three dialects."""
    db = ErpDatabase(erp_database_url)
    db.create_schema()
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def seeded_erp(erp: ErpDatabase) -> ErpDatabase:
    """The same database filled with a small demo ERP (seed 7)."""
    counts = seed_demo_erp(erp, products=SMALL_DEMO_PRODUCTS, seed=7)
    assert counts["skipped"] == 0
    return erp


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def shared_seeded_erp(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ErpDatabase]:
    """One small demo ERP per dialect shared by a module's read-only tests (seeding costs ~1 s on PostgreSQL).

    Tests using it must not write; those that do use ``seeded_erp`` instead.
    """
    import uuid

    import sqlalchemy as sa

    admin = None
    name = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('erp') / 'shared.db'}"
    elif request.param == "mariadb":
        server: str = request.getfixturevalue("mariadb_server_url")
        name = f"t_{uuid.uuid4().hex[:12]}"
        base, _, query = server.partition("?")
        admin = sa.create_engine(server)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE DATABASE `{name}`"))
        url = base.rsplit("/", 1)[0] + f"/{name}?{query}"
    else:
        server_url: str = request.getfixturevalue("postgres_server_url")
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = server_url.rsplit("/", 1)[0] + f"/{name}"
    db = ErpDatabase(url)
    try:
        assert seed_demo_erp(db, products=SMALL_DEMO_PRODUCTS, seed=7)["skipped"] == 0
        yield db
    finally:
        db.dispose()
        if admin is not None:
            drop = f"DROP DATABASE IF EXISTS `{name}`" if request.param == "mariadb" else (
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )
            with admin.begin() as conn:
                conn.execute(sa.text(drop))
            admin.dispose()
