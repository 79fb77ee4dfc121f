"""What the ops page shows about listings and images, read from the mapping DB (no HTML here).

``listing_health`` fills the page's "Listing health" section from the ``listings`` table
(:mod:`anymarket.operators.listing_health` keeps it): per marketplace the listings by
``publicationStatus`` and how many are refused or have warnings, then those listings with
AnyMarket's messages and a link to each. ``image_problems`` lists the images AnyMarket could not
process (``image_checks``, kept by ``check_images``); ``sku_listings`` is the lookup's part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.mapping import models as m

if TYPE_CHECKING:
    from anymarket.mapping.database import MappingDatabase

#: Refused listings first, then those with warnings; in each, the newest change first.
_HEALTH_ORDER = sa.case((m.listings.c.health == "error", 0), else_=1)
SHOWN_COLUMNS = (
    "listing_id",
    "sku_code",
    "marketplace",
    "account_name",
    "id_in_marketplace",
    "publication_status",
    "marketplace_status",
    "health",
    "warnings",
    "permalink",
    "changed_at",
)


def listing_health(db: MappingDatabase, integration_id: str, limit: int = 300) -> dict[str, Any]:
    """``{"marketplaces": [...], "problems": [...], "problems_total": n, "total": n}``.

    Each marketplace: ``total``, ``statuses`` (``{publicationStatus: n}``, largest first),
    ``error`` and ``warning`` counts. ``problems``: up to ``limit`` listings in error or with
    warnings, refused first."""
    t = m.listings
    mine = t.c.integration_id == integration_id
    with db.engine.connect() as conn:
        counts = conn.execute(
            sa.select(t.c.marketplace, t.c.publication_status, t.c.health, sa.func.count())
            .where(mine)
            .group_by(t.c.marketplace, t.c.publication_status, t.c.health)
        ).all()
        problem = sa.and_(mine, t.c.health.in_(("error", "warning")))
        problems = conn.execute(
            sa.select(*(t.c[c] for c in SHOWN_COLUMNS))
            .where(problem)
            .order_by(_HEALTH_ORDER, t.c.changed_at.desc(), t.c.sku_code, t.c.marketplace)
            .limit(limit)
        ).all()
        problems_total = conn.execute(sa.select(sa.func.count()).where(problem)).scalar() or 0
    marketplaces: dict[str, dict[str, Any]] = {}
    for marketplace, status, health, n in counts:
        entry = marketplaces.setdefault(
            marketplace, {"marketplace": marketplace, "total": 0, "statuses": {}, "error": 0, "warning": 0}
        )
        entry["total"] += n
        key = status or "(none)"
        entry["statuses"][key] = entry["statuses"].get(key, 0) + n
        if health in ("error", "warning"):
            entry[health] += n
    for entry in marketplaces.values():
        entry["statuses"] = dict(sorted(entry["statuses"].items(), key=lambda kv: (-kv[1], kv[0])))
    return {
        "marketplaces": sorted(marketplaces.values(), key=lambda e: e["marketplace"]),
        "problems": [dict(r._mapping) for r in problems],
        "problems_total": int(problems_total),
        "total": sum(e["total"] for e in marketplaces.values()),
    }


def image_problems(db: MappingDatabase, integration_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """Images AnyMarket could not process (``ERROR``) or never confirmed, newest first."""
    from anymarket.catalog.images import ImageChecks

    return ImageChecks(db, integration_id).problems(limit)


def sku_listings(db: MappingDatabase, integration_id: str, term: str) -> list[dict[str, Any]]:
    """The listings of a SKU looked up by its ERP code or AnyMarket SKU id, or one listing by id."""
    t = m.listings
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(*(t.c[c] for c in SHOWN_COLUMNS))
            .where(
                t.c.integration_id == integration_id,
                sa.or_(t.c.sku_code == term, t.c.anymarket_sku_id == term, t.c.listing_id == term),
            )
            .order_by(t.c.marketplace, t.c.listing_id)
        ).all()
    return [dict(r._mapping) for r in rows]
