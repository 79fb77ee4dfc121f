"""The mapping DB on SQLite and PostgreSQL: migrations, links, mappings, cursors, history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from anymarket.mapping.database import MappingDatabase
from anymarket.mapping.migrations_meta import VERSION_TABLE
from anymarket.mapping.models import metadata


@pytest.fixture
def mapping_db(database_url: str) -> MappingDatabase:
    db = MappingDatabase.from_url(database_url)
    db.upgrade()
    return db


def test_migrations_create_exactly_the_model_tables(mapping_db: MappingDatabase) -> None:
    with mapping_db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, metadata) == []
    assert mapping_db.current_revisions() == mapping_db.head_revisions() != set()


def test_upgrade_runs_forward_on_an_existing_database(mapping_db: MappingDatabase) -> None:
    mapping_db.set_cursor("demo", "orders_feed", "2026-01-01")
    mapping_db.upgrade()  # already at head: a no-op that keeps the data
    mapping_db.ensure_schema()
    assert mapping_db.get_cursor("demo", "orders_feed") == "2026-01-01"


def test_version_table_does_not_clash_with_airflows(mapping_db: MappingDatabase) -> None:
    tables = sa.inspect(mapping_db.engine).get_table_names()
    assert VERSION_TABLE in tables
    assert "alembic_version" not in tables


def test_link_is_idempotent_and_reports_changes(mapping_db: MappingDatabase) -> None:
    assert mapping_db.link("demo", "sku", "ABC-1", "791628", payload_hash="h1") is True
    assert mapping_db.link("demo", "sku", "ABC-1", "791628", payload_hash="h1") is False
    assert mapping_db.link("demo", "sku", "ABC-1", "791628", payload_hash="h2") is True
    assert mapping_db.links_of("demo", "sku") == {"ABC-1": "791628"}
    assert mapping_db.links_of("other", "sku") == {}


def test_link_rejects_unknown_entity_type(mapping_db: MappingDatabase) -> None:
    with pytest.raises(ValueError, match="unknown link entity type 'skus'"):
        mapping_db.link("demo", "skus", "A", "1")


def test_mappings_upsert_and_keep_attributes(mapping_db: MappingDatabase) -> None:
    mapping_db.set_mapping(
        "demo", "carrier", "Correios", "COR", attributes={"tracking_url_template": "x{code}"}
    )
    mapping_db.set_mapping("demo", "carrier", "Correios", "CORREIOS")
    assert mapping_db.mappings_of("demo", "carrier") == {
        "Correios": {"value": "CORREIOS", "attributes": {}, "source": "manual"}
    }
    with pytest.raises(ValueError, match="unknown mapping kind"):
        mapping_db.set_mapping("demo", "carriers", "a", "b")


def test_history_and_run_summaries(mapping_db: MappingDatabase) -> None:
    from anymarket.mapping.database import utcnow

    mapping_db.record_history(
        "demo", entity_type="deposit", entity_key="D1", action="link", outcome="ok", response={"id": 1}
    )
    mapping_db.record_history(
        "demo", entity_type="deposit", entity_key="D1", action="link", outcome="skipped", error="why"
    )
    rows = mapping_db.history_of("demo", "deposit", "D1")
    assert [(r["outcome"], r["error"]) for r in rows] == [("ok", None), ("skipped", "why")]
    assert rows[0]["response"] == {"id": 1}

    mapping_db.record_run_summary(
        "demo",
        "install_deposits",
        run_id="r1",
        outcome="ok",
        summary={"counts": {"linked": 2}},
        started_at=utcnow(),
    )
    last = mapping_db.last_run_summary("demo", "install_deposits")
    assert last is not None and last["summary"] == {"counts": {"linked": 2}} and last["run_id"] == "r1"


def test_tasks_of_a_new_integration_may_start_together(database_url: str) -> None:
    import threading

    MappingDatabase.from_url(database_url).upgrade()
    errors: list[Exception] = []
    start = threading.Barrier(6)

    def register() -> None:
        db = MappingDatabase.from_url(database_url)
        start.wait()
        try:
            db.upsert_integration("brand_new", name="New", environment="sandbox", settings={"a": 1})
        except Exception as exc:  # the assertion below shows which
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize("url", ["mysql://u@127.0.0.1/m", "mariadb+pymysql://u@h/m", "mssql+pyodbc://u@h/m"])
def test_other_dialects_are_refused_with_the_reason(url: str) -> None:
    """MariaDB/MySQL serve as the ERP only; the mapping DB says so instead of failing mid-run."""
    from anymarket.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"use SQLite .* or PostgreSQL .* ERP only"):
        MappingDatabase.from_url(url)
