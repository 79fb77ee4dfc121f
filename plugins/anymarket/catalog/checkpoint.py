"""Where an interrupted catalog import continues: one checkpoint per integration and scope.

A catalog import walks AnyMarket's listings stage by stage (brands, categories, products) and commits
each item to the ERP before moving the checkpoint past it, so a run stopped by an outage, the
request budget or a crash is continued by the next run from the first item not committed. A
checkpoint is resumed for :data:`RESUME_FOR` after its import started; an older one is ignored and
the import starts over (it still duplicates nothing: every ERP write is an upsert keyed on the
links and codes). A finished import leaves its checkpoint finished, so the next run starts over too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import upsert, utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from anymarket.mapping.database import MappingDatabase

#: An unfinished import is continued only this long after it started; then it starts over, because
#: a week-old position in AnyMarket's listings may no longer point at the same products.
RESUME_FOR = timedelta(days=7)

#: What each ``scope`` Param imports, in order: parents before the products that reference them.
#: Warehouses are the deposit installer's (``install_deposits``).
STAGES: dict[str, tuple[str, ...]] = {
    "all": ("brands", "categories", "products"),
    "catalog": ("products",),
    "categories": ("categories",),
    "brands": ("brands",),
}
DONE = "done"


@dataclass
class Checkpoint:
    """Progress of one import: the stage being walked and how many of its items are committed."""

    integration_id: str
    scope: str
    stage: str
    position: int
    started_at: datetime
    last_anymarket_id: str | None = None
    failed: list[str] = field(default_factory=list)
    #: True when this run continues an earlier, interrupted one.
    resumed: bool = False
    #: When an unfinished checkpoint was too old to resume: when its import had started.
    ignored_started_at: datetime | None = None

    def remaining_stages(self) -> tuple[str, ...]:
        stages = STAGES[self.scope]
        return stages[stages.index(self.stage) :] if self.stage in stages else ()

    def describe(self) -> dict[str, Any]:
        """For the run summary: where this run picked up."""
        return {
            "stage": self.stage,
            "position": self.position,
            "last_anymarket_id": self.last_anymarket_id,
            "started_at": self.started_at.isoformat(),
        }


class CheckpointStore:
    """Read and move the checkpoint of one integration and scope in the mapping DB."""

    def __init__(self, mapping: MappingDatabase, integration_id: str, scope: str) -> None:
        if scope not in STAGES:
            raise ValueError(f"unknown catalog import scope {scope!r}; use one of {', '.join(STAGES)}")
        self.mapping = mapping
        self.integration_id = integration_id
        self.scope = scope

    def open(self, now: datetime | None = None) -> Checkpoint:
        """The checkpoint to continue from, or a fresh one (stored) when there is none to resume."""
        now = now or utcnow()
        table = m.catalog_import_checkpoints
        with self.mapping.begin() as conn:
            row = conn.execute(
                sa.select(table).where(
                    table.c.integration_id == self.integration_id, table.c.scope == self.scope
                )
            ).first()
            if row is not None and row.finished_at is None:
                started = _aware(row.started_at)
                if now - started <= RESUME_FOR and row.stage in STAGES[self.scope]:
                    return Checkpoint(
                        self.integration_id,
                        self.scope,
                        row.stage,
                        row.position,
                        started,
                        row.last_anymarket_id,
                        list(row.failed or []),
                        resumed=True,
                    )
            fresh = Checkpoint(self.integration_id, self.scope, STAGES[self.scope][0], 0, now)
            if row is not None and row.finished_at is None:
                fresh.ignored_started_at = _aware(row.started_at)
            self._write(conn, fresh, started_at=now, finished_at=None)
            return fresh

    def advance(
        self, checkpoint: Checkpoint, position: int, last_anymarket_id: str | None, conn: Connection
    ) -> None:
        """Move past the item at ``position - 1``, in the caller's transaction (with its links)."""
        checkpoint.position = position
        checkpoint.last_anymarket_id = last_anymarket_id
        self._write(conn, checkpoint)

    def next_stage(self, checkpoint: Checkpoint) -> None:
        """The current stage is done: start the next one from its first item (or finish)."""
        stages = STAGES[self.scope]
        following = stages.index(checkpoint.stage) + 1
        checkpoint.stage = stages[following] if following < len(stages) else DONE
        checkpoint.position = 0
        checkpoint.last_anymarket_id = None
        with self.mapping.begin() as conn:
            self._write(conn, checkpoint, finished_at=utcnow() if checkpoint.stage == DONE else None)

    def _write(self, conn: Connection, checkpoint: Checkpoint, **extra: Any) -> None:
        upsert(
            conn,
            m.catalog_import_checkpoints,
            {"integration_id": self.integration_id, "scope": self.scope},
            {
                "stage": checkpoint.stage,
                "position": checkpoint.position,
                "last_anymarket_id": checkpoint.last_anymarket_id,
                "failed": list(checkpoint.failed),
                **extra,
            },
        )


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
