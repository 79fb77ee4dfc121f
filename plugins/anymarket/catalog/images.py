"""Images sync_products posted, read back until AnyMarket has processed them.

AnyMarket downloads a posted image later (``UNPROCESSED``), then marks it ``PROCESSED`` or ``ERROR``
with a ``statusMessage`` (a URL it cannot reach, a format it refuses): an image only the read-back
sees. :class:`ImageChecks` keeps one ``image_checks`` row per posted image:

- :meth:`record_posted` — written by the product sync with the image link (no request);
- :meth:`read_back` — ``check_images``: one ``GET /products/{id}/images`` per product with images
  waiting, once they are ``settle`` old; each answer settles its images by
  :func:`anymarket.rules.images.image_outcome`. An ``ERROR`` is recorded with AnyMarket's message
  (the row, the product's history) and clears the product's ``images_hash``, so the next time the
  product is sent (it changed in the ERP, or a person asks with ``product_code``) its images are
  reconciled again: :meth:`errored` tells the sync which ones to delete and post again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.errors import AnyMarketAPIError
from anymarket.mapping import models as m
from anymarket.mapping.database import upsert_many, utcnow
from anymarket.rules.images import PENDING, image_outcome

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from anymarket.hooks.anymarket import AnyMarketHook
    from anymarket.mapping.database import MappingDatabase
    from anymarket.summary import RunSummary


#: A key posted again (after an ERROR) starts over: every column but the keys.
UPDATED_ON_REPOST = (
    "anymarket_product_id",
    "anymarket_image_id",
    "url",
    "status",
    "message",
    "checks",
    "posted_at",
    "checked_at",
)


class ImageChecks:
    """The ``image_checks`` rows of one integration."""

    def __init__(self, mapping: MappingDatabase, integration_id: str) -> None:
        self.mapping = mapping
        self.integration_id = integration_id

    # -- written by the product sync ------------------------------------------------------------

    def record_posted(
        self,
        product_code: str,
        anymarket_product_id: str,
        images: Iterable[tuple[str, dict[str, Any]]],
        conn: Connection,
    ) -> None:
        """``images``: (image key, AnyMarket's answer for it) of images just posted. Their status is
        the answer's (``UNPROCESSED`` as a rule; an answer already final is kept as it is)."""
        now = utcnow()
        rows = []
        for key, answer in images:
            status = str(answer.get("status") or PENDING).upper()
            message = answer.get("statusMessage") if status == "ERROR" else None
            rows.append(
                {
                    "integration_id": self.integration_id,
                    "product_code": product_code,
                    "image_key": key,
                    "anymarket_product_id": str(anymarket_product_id),
                    "anymarket_image_id": str(answer["id"]),
                    "url": str(answer.get("url") or ""),
                    "status": status if status in ("PROCESSED", "ERROR") else PENDING,
                    "message": message,
                    "checks": 0,
                    "posted_at": now,
                    "checked_at": None,
                }
            )
        upsert_many(
            conn,
            m.image_checks,
            rows,
            UPDATED_ON_REPOST,
        )

    def errored(self, product_code: str) -> set[str]:
        """Keys of the product's images AnyMarket could not process."""
        t = m.image_checks.c
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.image_key).where(
                    t.integration_id == self.integration_id,
                    t.product_code == product_code,
                    t.status == "ERROR",
                )
            )
            return {r.image_key for r in rows}

    def forget(self, product_code: str, keys: Iterable[str], conn: Connection) -> None:
        """The images are gone from AnyMarket (deleted by the sync): nothing to check any more."""
        keys = list(keys)
        if keys:
            t = m.image_checks.c
            conn.execute(
                sa.delete(m.image_checks).where(
                    t.integration_id == self.integration_id,
                    t.product_code == product_code,
                    t.image_key.in_(keys),
                )
            )

    # -- the read-back ---------------------------------------------------------------------------

    def waiting(self, *, settled_before: datetime) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """Images waiting for AnyMarket, posted before ``settled_before``, by (product code, product id)."""
        t = m.image_checks
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t)
                .where(
                    t.c.integration_id == self.integration_id,
                    t.c.status == PENDING,
                    t.c.posted_at <= settled_before,
                )
                .order_by(t.c.product_code, t.c.image_key)
            ).all()
        found: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in rows:
            found.setdefault((row.product_code, row.anymarket_product_id), []).append(dict(row._mapping))
        return found

    def read_back(
        self,
        *,
        hook: AnyMarketHook,
        summary: RunSummary,
        record_history: Callable[..., None],
        settle: timedelta,
        max_checks: int,
        advance: Callable[[], None] = lambda: None,
    ) -> None:
        """Read back every product with images waiting (one request each); see the module doc."""
        waiting = self.waiting(settled_before=utcnow() - settle)
        summary.count("products_waiting", len(waiting))
        for (code, product_id), rows in waiting.items():
            try:
                answer = hook.get(f"/products/{product_id}/images")
            except AnyMarketAPIError as exc:
                if exc.status != 404:
                    raise
                answer = []  # the product is gone: so are its images
                summary.note("products_not_found", code)
            remote = (
                {str(i.get("id")): i for i in answer if isinstance(i, dict)}
                if isinstance(answer, list)
                else {}
            )
            self._settle(code, rows, remote, summary, record_history, max_checks)
            advance()

    def _settle(
        self,
        code: str,
        rows: list[dict[str, Any]],
        remote: dict[str, dict[str, Any]],
        summary: RunSummary,
        record_history: Callable[..., None],
        max_checks: int,
    ) -> None:
        t = m.image_checks
        now = utcnow()
        with self.mapping.begin() as conn:
            for row in rows:
                checks = row["checks"] + 1
                status, message = image_outcome(
                    remote.get(row["anymarket_image_id"]), checks=checks, max_checks=max_checks
                )
                key = (
                    t.c.integration_id == self.integration_id,
                    t.c.product_code == code,
                    t.c.image_key == row["image_key"],
                )
                summary.count(f"images_{status.lower()}")
                if status == "GONE":
                    conn.execute(sa.delete(t).where(*key))
                    continue
                conn.execute(
                    sa.update(t)
                    .where(*key)
                    .values(status=status, message=message, checks=checks, checked_at=now)
                )
                if status != "ERROR":
                    continue
                summary.note("image_errors", f"{code}: {message}")
                # Reconciled again the next time the product is sent (catalog.sync: deleted, posted again).
                conn.execute(
                    sa.update(m.product_sync)
                    .where(
                        m.product_sync.c.integration_id == self.integration_id,
                        m.product_sync.c.product_code == code,
                    )
                    .values(images_hash=None, updated_at=now)
                )
                record_history(
                    entity_type="product",
                    entity_key=code,
                    action="image",
                    outcome="error",
                    response={
                        "image": row["anymarket_image_id"],
                        "url": row["url"],
                        "statusMessage": message,
                    },
                    error=f"AnyMarket could not process image {row['url']}: {message} (posted again the next "
                    "time the product is sent: fix the image in the ERP)",
                    conn=conn,
                )

    def problems(self, limit: int = 200) -> list[dict[str, Any]]:
        """Images in ERROR or UNCONFIRMED, newest first (the ops page)."""
        t = m.image_checks.c
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.product_code, t.url, t.status, t.message, t.anymarket_image_id, t.checked_at)
                .where(t.integration_id == self.integration_id, t.status.in_(("ERROR", "UNCONFIRMED")))
                .order_by(t.checked_at.desc(), t.product_code)
                .limit(limit)
            )
            return [dict(r._mapping) for r in rows]
