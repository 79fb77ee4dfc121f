"""Fixtures shared by the whole suite: real PostgreSQL and MariaDB databases and an isolated AIRFLOW_HOME."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# `sandbox_server` (session) and `sandbox` (reset per test): the local AnyMarket over real HTTP.
pytest_plugins = ["anymarket_sandbox.testing"]

# Airflow reads its configuration when first imported; every test process gets a private home so a
# developer's own ~/airflow is never touched.
os.environ.setdefault(
    "AIRFLOW_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / f"anymarket-test-home-{os.getpid()}")
)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
# The project's DAG folder, fixed before Airflow computes its settings: dag.test() re-parses from it.
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
# The API's JWTs (ops page tests) are signed with this; long enough for HS512, fixed for the run.
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", uuid.uuid4().hex * 2)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """SQLAlchemy URL of the maintenance DB of a private PostgreSQL cluster started for the tests."""
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "postgres.sh"), "start"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"could not start the test PostgreSQL cluster: {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def pg_database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on an embedded SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_database_url")


@pytest.fixture(scope="session")
def mariadb_server_url() -> str:
    """SQLAlchemy URL (``mysql://`` scheme, as Airflow's MySQL hook builds) of a private MariaDB server."""
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "mariadb.sh"), "start"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"could not start the test MariaDB server: {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def mariadb_database_url(mariadb_server_url: str) -> Iterator[str]:
    """A fresh, empty MariaDB database for one test; dropped afterwards."""
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    base, _, query = mariadb_server_url.partition("?")
    admin = sa.create_engine(mariadb_server_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}`"))
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def erp_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The ERP's three reference dialects: SQLite, PostgreSQL and MariaDB (the mapping DB uses
    ``database_url``, SQLite and PostgreSQL only)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'erp.db'}"
    if request.param == "postgresql":
        return request.getfixturevalue("pg_database_url")
    return request.getfixturevalue("mariadb_database_url")
