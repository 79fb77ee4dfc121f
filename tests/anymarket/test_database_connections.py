"""Database connections through Airflow's own SQL hooks: the URL each connection type gives, real
engines that connect, and the errors for connections that cannot be a database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from anymarket.connections import database_url
from anymarket.errors import ConfigurationError
from tests.anymarket.conftest import set_connection


def _connects(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT 1")).scalar_one()
    finally:
        engine.dispose()


def test_sqlite_host_is_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    path = tmp_path / "a folder" / "erp.db"
    path.parent.mkdir()
    set_connection(monkeypatch, "db", conn_type="sqlite", host=str(path))
    assert database_url("db") == f"sqlite:///{path}"
    assert _connects(database_url("db")) == 1 and path.exists()


def test_postgres_through_the_hook_and_a_bare_postgresql_url(
    monkeypatch: pytest.MonkeyPatch, postgres_server_url: str
) -> None:
    server = sa.engine.make_url(postgres_server_url)
    set_connection(
        monkeypatch,
        "db",
        conn_type="postgres",
        host=server.host,
        port=server.port,
        login=server.username,
        schema=server.database,
    )
    url = database_url("db")
    assert url.startswith("postgresql+psycopg://")  # the hook's default driver, psycopg 3
    assert _connects(url) == 1
    # A password with URL-special characters is escaped by the hook, not by us.
    set_connection(
        monkeypatch, "db", conn_type="postgres", host="h", login="u", password="p@ss/w:rd", schema="erp"
    )
    assert sa.engine.make_url(database_url("db")).password == "p@ss/w:rd"
    # What issue 17 found failing: a bare postgresql:// URL in the extra (SQLAlchemy 2.1 maps it to
    # psycopg 3, now installed).
    bare = postgres_server_url.replace("postgresql+psycopg2://", "postgresql://")
    set_connection(monkeypatch, "db", conn_type="generic", extra={"sqlalchemy_url": bare})
    assert database_url("db") == bare and _connects(bare) == 1


def test_mysql_type_reaches_mariadb(monkeypatch: pytest.MonkeyPatch, mariadb_server_url: str) -> None:
    server = sa.engine.make_url(mariadb_server_url)
    set_connection(
        monkeypatch,
        "db",
        conn_type="mysql",
        host=server.host,
        port=server.port,
        login=server.username,
        schema=server.database,
        extra={"charset": "utf8mb4"},
    )
    url = database_url("db")
    assert url == f"mysql://{server.username}@{server.host}:{server.port}/{server.database}?charset=utf8mb4"
    assert _connects(url) == 1


def test_extra_sqlalchemy_url_wins_over_the_type(monkeypatch: pytest.MonkeyPatch) -> None:
    set_connection(
        monkeypatch, "db", conn_type="postgres", host="h", extra={"sqlalchemy_url": "sqlite:///x.db"}
    )
    assert database_url("db") == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"conn_type": "http", "host": "h"}, "type 'http', which is not a SQL database connection"),
        ({"conn_type": "nosuchdb", "host": "h"}, "type 'nosuchdb', for which Airflow has no usable hook"),
        ({"conn_type": "sqlite"}, "is sqlite but has no host"),
    ],
)
def test_connections_that_cannot_be_a_database(
    monkeypatch: pytest.MonkeyPatch, fields: dict, message: str
) -> None:
    set_connection(monkeypatch, "db", **fields)
    with pytest.raises(ConfigurationError, match=message) as info:
        database_url("db")
    assert str(info.value).startswith("Connection 'db' ")
