"""ErpDatabase: named queries, frames, transactions, folder overrides and the errors people will read."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from anymarket.erp import SQL_DIR_ENV, ErpDatabase, ErpQueryError, ErpSqlNotFoundError, parse_timestamp
from anymarket.erp.database import DEFAULT_SQL_DIR


@pytest.fixture
def sql_dir(tmp_path: Path) -> Path:
    """A private query folder, as an ERP team would keep its own adapted copy."""
    queries = tmp_path / "erp_sql" / "queries"
    queries.mkdir(parents=True)
    files = {
        "insert_deposit.sql": (
            "INSERT INTO deposits (code, name, is_default, active) VALUES (:code, :name, FALSE, TRUE)"
        ),
        "count_deposits.sql": "SELECT COUNT(*) AS n FROM deposits",
        "deposits_by_code.sql": "SELECT code FROM deposits WHERE code IN :codes ORDER BY code",
        "deposits_by_id.sql": "SELECT code FROM deposits WHERE id IN :ids ORDER BY code",
        "deposits_changed_since.sql": "SELECT code FROM deposits WHERE updated_at > :since ORDER BY code;",
        "broken.sql": "SELEC nonsense FROM nowhere",
        "which.sql": "SELECT 'generic' AS dialect",
        "which.sqlite.sql": "SELECT 'sqlite' AS dialect",
        "which.postgresql.sql": "SELECT 'postgresql' AS dialect",
        "which.mariadb.sql": "SELECT 'mariadb' AS dialect",
        # MariaDB falls back to a MySQL override when it has none of its own.
        "only_mysql.sql": "SELECT 'generic' AS dialect",
        "only_mysql.mysql.sql": "SELECT 'mysql' AS dialect",
    }
    for name, sql in files.items():
        (queries / name).write_text(sql + "\n", encoding="utf-8")
    return queries.parent


@pytest.fixture
def custom(erp: ErpDatabase, sql_dir: Path) -> ErpDatabase:
    """The schema-ready test database, reading its queries from the private folder."""
    return ErpDatabase.from_engine(erp.engine, sql_dir=sql_dir)


def _count(db: ErpDatabase) -> int:
    return db.query("count_deposits")[0]["n"]


def test_default_sql_dir_is_the_repo_folder() -> None:
    assert Path(__file__).resolve().parents[3] / "include" / "sql" / "erp" == DEFAULT_SQL_DIR
    assert (DEFAULT_SQL_DIR / "queries" / "list_deposits.sql").is_file()


def test_list_deposits_on_demo_data(seeded_erp: ErpDatabase) -> None:
    rows = seeded_erp.query("list_deposits")
    assert [r["name"] for r in rows] == ["CD São Paulo", "CD Recife", "Full Mercado Livre", "Loja Curitiba"]
    assert set(rows[0]) == {"id", "code", "name", "is_default", "active"}
    # Flags are 0/1 integers on every dialect (the query's contract), default first.
    assert [(r["is_default"], r["active"]) for r in rows] == [(1, 1), (0, 1), (0, 1), (0, 1)]
    assert all(type(r["is_default"]) is int and type(r["active"]) is int for r in rows)


def test_list_deposits_empty(erp: ErpDatabase) -> None:
    assert erp.query("list_deposits") == []


def test_query_frame(erp: ErpDatabase, seeded_erp: ErpDatabase) -> None:
    frame = seeded_erp.query_frame("list_deposits")
    assert list(frame.columns) == ["id", "code", "name", "is_default", "active"]
    assert len(frame) == 4  # the demo seller's three and Full Mercado Livre
    assert frame.loc[frame["is_default"] == 1, "name"].tolist() == ["CD São Paulo"]


def test_query_frame_keeps_columns_when_empty(erp: ErpDatabase) -> None:
    frame = erp.query_frame("list_deposits")
    assert frame.empty
    assert list(frame.columns) == ["id", "code", "name", "is_default", "active"]


def test_execute_returns_rowcount_and_commits(custom: ErpDatabase) -> None:
    assert custom.execute("insert_deposit", code="SP", name="CD São Paulo") == 1
    assert _count(custom) == 1


def test_transaction_commits_together(custom: ErpDatabase) -> None:
    with custom.transaction():
        custom.execute("insert_deposit", code="A", name="CD A")
        with custom.transaction():  # a nested block joins the outer transaction
            custom.execute("insert_deposit", code="B", name="CD B")
        assert _count(custom) == 2  # reads inside see the transaction's own writes
    assert _count(custom) == 2


def test_transaction_rolls_back_on_error(custom: ErpDatabase) -> None:
    custom.execute("insert_deposit", code="KEEP", name="Fica")
    with pytest.raises(ErpQueryError), custom.transaction():
        custom.execute("insert_deposit", code="A", name="CD A")
        custom.execute("insert_deposit", code="B", name="CD B")
        custom.execute("insert_deposit", code="A", name="Duplicado")  # unique violation
    assert _count(custom) == 1


def test_transaction_rolls_back_on_python_error(custom: ErpDatabase) -> None:
    with pytest.raises(RuntimeError), custom.transaction():
        custom.execute("insert_deposit", code="A", name="CD A")
        raise RuntimeError("the task failed half-way")
    assert _count(custom) == 0


def test_missing_query_names_file_and_folder(custom: ErpDatabase, sql_dir: Path) -> None:
    with pytest.raises(ErpSqlNotFoundError) as info:
        custom.query("no_such_query")
    message = str(info.value)
    assert "no_such_query.sql" in message
    assert str(sql_dir / "queries") in message
    assert SQL_DIR_ENV in message
    assert isinstance(info.value, FileNotFoundError)


def test_bad_sql_names_the_query(custom: ErpDatabase, sql_dir: Path) -> None:
    with pytest.raises(ErpQueryError) as info:
        custom.query("broken")
    assert "'broken'" in str(info.value)
    assert str(sql_dir / "queries" / "broken.sql") in str(info.value)
    assert info.value.query == "broken"
    assert info.value.__cause__ is not None


def test_missing_parameter_names_the_query(custom: ErpDatabase) -> None:
    with pytest.raises(ErpQueryError, match="insert_deposit"):
        custom.execute("insert_deposit", code="X")


def test_dialect_override_file_wins(custom: ErpDatabase) -> None:
    assert custom.query("which") == [{"dialect": custom.dialect}]
    assert custom.query_path("which").name == f"which.{custom.dialect}.sql"


def test_mariadb_takes_a_mysql_override_and_others_the_portable_file(custom: ErpDatabase) -> None:
    expected = "mysql" if custom.dialect == "mariadb" else "generic"
    assert custom.query("only_mysql") == [{"dialect": expected}]


def test_a_mysql_url_to_a_mariadb_server_says_mariadb(erp: ErpDatabase) -> None:
    """Airflow's MySQL hook builds ``mysql://`` URLs; the overrides must still be MariaDB's."""
    assert erp.dialect == {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mariadb"}[
        erp.engine.dialect.name
    ]


def test_sql_dir_from_environment(monkeypatch: pytest.MonkeyPatch, sql_dir: Path, erp: ErpDatabase) -> None:
    monkeypatch.setenv(SQL_DIR_ENV, str(sql_dir))
    db = ErpDatabase(erp.engine.url)
    try:
        assert db.sql_dir == sql_dir.resolve()
        assert db.query("count_deposits") == [{"n": 0}]
        with pytest.raises(ErpSqlNotFoundError, match="list_deposits"):
            db.query("list_deposits")  # the env folder replaces the repo folder entirely
    finally:
        db.dispose()


def test_list_parameters_expand(custom: ErpDatabase) -> None:
    for code in ("A", "B", "C"):
        custom.execute("insert_deposit", code=code, name=f"CD {code}")
    assert [r["code"] for r in custom.query("deposits_by_code", codes=["C", "A"])] == ["A", "C"]
    assert [r["code"] for r in custom.query("deposits_by_code", codes={"B"})] == ["B"]
    # An empty list matches nothing. PostgreSQL types the empty set as INTEGER, so it is safe for id
    # columns; for text columns callers skip the query instead (README.md, "parameters").
    assert custom.query("deposits_by_id", ids=[]) == []
    if custom.dialect == "sqlite":
        assert custom.query("deposits_by_code", codes=[]) == []


def test_datetime_parameters_naive_means_utc(custom: ErpDatabase) -> None:
    custom.execute("insert_deposit", code="A", name="CD A")
    now = datetime.now(UTC)
    an_hour_ago_aware = (now - timedelta(hours=1)).astimezone(timezone(timedelta(hours=-3)))
    an_hour_ago_naive = (now - timedelta(hours=1)).replace(tzinfo=None)
    assert custom.query("deposits_changed_since", since=an_hour_ago_aware) == [{"code": "A"}]
    assert custom.query("deposits_changed_since", since=an_hour_ago_naive) == [{"code": "A"}]
    assert custom.query("deposits_changed_since", since=now + timedelta(hours=1)) == []


def test_edited_query_file_is_reread(custom: ErpDatabase, sql_dir: Path) -> None:
    path = sql_dir / "queries" / "which.sql"
    (sql_dir / "queries" / f"which.{custom.dialect}.sql").unlink()
    assert custom.query("which") == [{"dialect": "generic"}]
    time.sleep(0.01)
    path.write_text("SELECT 'edited' AS dialect", encoding="utf-8")
    assert custom.query("which") == [{"dialect": "edited"}]


def test_repr_hides_password() -> None:
    db = ErpDatabase("postgresql+psycopg2://erp:s3cret@db.example.com/erp")
    assert "s3cret" not in repr(db)
    db.dispose()


def test_missing_schema_file_is_clear(tmp_path: Path) -> None:
    db = ErpDatabase(f"sqlite:///{tmp_path / 'x.db'}", sql_dir=tmp_path)
    with pytest.raises(ErpSqlNotFoundError, match=r"sqlite\.sql"):
        db.create_schema()
    db.dispose()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("2026-01-05 12:00:00.123", datetime(2026, 1, 5, 12, 0, 0, 123000, tzinfo=UTC)),
        ("2026-01-05T09:00:00-03:00", datetime(2026, 1, 5, 12, 0, tzinfo=UTC)),
        (datetime(2026, 1, 5, 12, 0), datetime(2026, 1, 5, 12, 0, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected
