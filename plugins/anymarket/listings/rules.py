"""Pure rules of listing health: what a listing AnyMarket answered means, and what changed.

A listing (``SkuMarketplace`` of ``GET /skus/{id}/marketplaces``) is **error** when it does not sell
because the marketplace or AnyMarket refused or broke it (``publicationStatus`` ``UNPUBLISHED`` or
``CORRUPTED``), **warning** when it sells but AnyMarket lists pending issues (``warnings``: "the
listing then only gets price, stock and status updates", says the spec), else **ok**. Paused,
closed and out-of-stock listings are ok: a decision or the stock, not a defect; the ops page counts
them by status anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ERROR_STATUSES = frozenset({"UNPUBLISHED", "CORRUPTED"})
HEALTHS = ("error", "warning", "ok")
#: The columns of ``listings`` a read fills (the hash covers exactly these).
FIELDS = (
    "sku_code",
    "anymarket_sku_id",
    "marketplace",
    "account_name",
    "id_in_marketplace",
    "publication_status",
    "marketplace_status",
    "health",
    "warnings",
    "permalink",
)


def health(publication_status: str | None, warnings: Iterable[str]) -> str:
    """``error``, ``warning`` or ``ok`` (see the module doc)."""
    if (publication_status or "").upper() in ERROR_STATUSES:
        return "error"
    if any(str(w).strip() for w in warnings):
        return "warning"
    return "ok"


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] or None


@dataclass(frozen=True)
class Listing:
    """One listing as the mapping DB keeps it; ``row`` is its ``listings`` row without the keys."""

    listing_id: str
    row: dict[str, Any]
    data_hash: str


def parse_listing(sku_code: str, anymarket_sku_id: str, item: Any) -> Listing | None:
    """A listing from one element of AnyMarket's answer; ``None`` when it has no ``id`` (nothing to
    key it by). Texts are cut to their columns; ``warnings`` keeps the non-blank texts in order."""
    if not isinstance(item, Mapping) or item.get("id") in (None, ""):
        return None
    raw_warnings = item.get("warnings")
    warnings = (
        [str(w).strip() for w in raw_warnings if str(w).strip()] if isinstance(raw_warnings, list) else []
    )
    status = _text(item.get("publicationStatus"), 20)
    row = {
        "sku_code": sku_code,
        "anymarket_sku_id": str(anymarket_sku_id),
        "marketplace": _text(item.get("marketPlace"), 40) or "?",
        "account_name": _text(item.get("accountName"), 200),
        "id_in_marketplace": _text(item.get("idInMarketplace") or item.get("marketplaceItemCode"), 255),
        "publication_status": status,
        "marketplace_status": _text(item.get("marketplaceStatus"), 255),
        "health": health(status, warnings),
        "warnings": warnings,
        "permalink": _text(item.get("permalink"), 2000),
    }
    text = json.dumps([row[k] for k in FIELDS], ensure_ascii=False, separators=(",", ":"))
    return Listing(str(item["id"]), row, hashlib.sha256(text.encode()).hexdigest())


@dataclass(frozen=True)
class ListingChanges:
    """What a read of one SKU changes: listings to write (new or different) and ids to delete."""

    write: list[Listing]
    delete: list[str]
    unchanged: int


def changes(stored: Mapping[str, str], read: Iterable[Listing]) -> ListingChanges:
    """Compare a SKU's stored listings (``{listing id: data_hash}``) with what was just read: a
    listing is written only when new or hashing differently; a stored one not read any more goes."""
    seen: set[str] = set()
    write: list[Listing] = []
    unchanged = 0
    for listing in read:
        if listing.listing_id in seen:
            continue  # the same id twice in one answer: the first one counts
        seen.add(listing.listing_id)
        if stored.get(listing.listing_id) == listing.data_hash:
            unchanged += 1
        else:
            write.append(listing)
    return ListingChanges(write=write, delete=sorted(set(stored) - seen), unchanged=unchanged)
