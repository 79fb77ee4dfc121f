"""Retention of the mapping DB (SQLite and PostgreSQL): what goes, what always stays, dry runs, batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping import retention
from anymarket.mapping.database import MappingDatabase

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=31)
RECENT = NOW - timedelta(days=29)


@pytest.fixture
def mapping(database_url: str) -> MappingDatabase:
    db = MappingDatabase.from_url(database_url)
    db.upgrade()
    return db


def _history(db: MappingDatabase, integration: str, key: str, at: datetime) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.insert(m.history).values(
                integration_id=integration,
                entity_type="sku",
                entity_key=key,
                action="send_stock",
                outcome="ok",
                created_at=at,
            )
        )


def _summary(db: MappingDatabase, integration: str, automation: str, at: datetime) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.insert(m.run_summaries).values(
                integration_id=integration,
                automation=automation,
                run_id=f"{automation}@{at.isoformat()}",
                outcome="ok",
                summary={},
                started_at=at,
                finished_at=at,
            )
        )


def _callback(db: MappingDatabase, integration: str, resource_id: str, status: str, at: datetime) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.insert(m.callback_inbox).values(
                integration_id=integration,
                resource_type="order",
                resource_id=resource_id,
                status=status,
                attempts=0,
                received_at=at,
                processed_at=at if status != "pending" else None,
            )
        )


def _fill(db: MappingDatabase) -> None:
    for integration in ("loja1", "loja2"):
        _history(db, integration, "OLD", OLD)
        _history(db, integration, "NEW", RECENT)
        _summary(db, integration, "send_stock", OLD - timedelta(days=1))
        _summary(db, integration, "send_stock", OLD)
        _summary(db, integration, "send_stock", RECENT)
        _summary(db, integration, "check_erp", OLD)  # its only run: the ops page's "last run"
        _callback(db, integration, "1", "processed", OLD)
        _callback(db, integration, "2", "failed", OLD)
        _callback(db, integration, "3", "pending", OLD)
        _callback(db, integration, "4", "processed", RECENT)
        with db.begin() as conn:
            conn.execute(
                sa.insert(m.callback_not_found),
                [
                    dict(integration_id=integration, resource_type="order", resource_id=rid, not_found_at=at)
                    for rid, at in (("9", OLD), ("8", RECENT))
                ],
            )


def _keys(db: MappingDatabase, integration: str) -> dict[str, list]:
    with db.engine.connect() as conn:
        def rows(query: sa.Select) -> list:
            return sorted(tuple(r) for r in conn.execute(query))

        return {
            "history": rows(
                sa.select(m.history.c.entity_key).where(m.history.c.integration_id == integration)
            ),
            "run_summaries": rows(
                sa.select(m.run_summaries.c.automation, m.run_summaries.c.run_id).where(
                    m.run_summaries.c.integration_id == integration
                )
            ),
            "callback_inbox": rows(
                sa.select(m.callback_inbox.c.resource_id, m.callback_inbox.c.status).where(
                    m.callback_inbox.c.integration_id == integration
                )
            ),
            "callback_not_found": rows(
                sa.select(m.callback_not_found.c.resource_id).where(
                    m.callback_not_found.c.integration_id == integration
                )
            ),
        }


def test_prune_deletes_only_old_rows_of_the_integration(mapping: MappingDatabase) -> None:
    _fill(mapping)
    untouched = _keys(mapping, "loja2")

    result = retention.prune(mapping, "loja1", keep_days=30, now=NOW)

    assert result.cutoff == NOW - timedelta(days=30)
    assert result.deleted == {"history": 1, "run_summaries": 2, "callback_inbox": 2, "callback_not_found": 1}
    assert result.total == 6
    assert _keys(mapping, "loja1") == {
        "history": [("NEW",)],
        # the newest run of each automation stays however old: the ops page shows it
        "run_summaries": [
            ("check_erp", f"check_erp@{OLD.isoformat()}"),
            ("send_stock", f"send_stock@{RECENT.isoformat()}"),
        ],
        "callback_inbox": [("3", "pending"), ("4", "processed")],
        "callback_not_found": [("8",)],
    }
    assert _keys(mapping, "loja2") == untouched
    # A second run finds nothing more.
    assert retention.prune(mapping, "loja1", keep_days=30, now=NOW).total == 0


def test_dry_run_counts_and_deletes_nothing(mapping: MappingDatabase) -> None:
    _fill(mapping)
    before = _keys(mapping, "loja1")
    result = retention.prune(mapping, "loja1", keep_days=30, now=NOW, dry_run=True)
    assert result.dry_run and result.total == 6
    assert result.deleted == {"history": 1, "run_summaries": 2, "callback_inbox": 2, "callback_not_found": 1}
    assert _keys(mapping, "loja1") == before


def test_big_histories_go_in_batches(mapping: MappingDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 3)
    for n in range(8):
        _history(mapping, "loja1", f"K{n}", OLD)
    _history(mapping, "loja1", "KEEP", RECENT)
    statements: list[str] = []
    sa.event.listen(mapping.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert retention.prune(mapping, "loja1", keep_days=30, now=NOW).deleted["history"] == 8
    assert sum(1 for s in statements if s.lstrip().upper().startswith("DELETE FROM HISTORY")) == 3
    assert _keys(mapping, "loja1")["history"] == [("KEEP",)]


def test_keep_days_must_be_positive(mapping: MappingDatabase) -> None:
    with pytest.raises(ValueError, match="keep_days must be at least 1"):
        retention.prune(mapping, "loja1", keep_days=0)
