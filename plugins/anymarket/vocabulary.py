"""AnyMarket's and Brazil's shared words, written once for every layer above.

* names compared as a person would (:func:`normalize_name`);
* Brazil's time zone (:data:`BRAZIL`): a date setting or Param means that day in Brazil, and dates
  sent to AnyMarket carry its offset;
* the order status lifecycle: AnyMarket's status names, their :data:`RANK` and the set of
  :data:`STATUSES`.

It imports nothing from ``anymarket`` (``tests/anymarket/test_layers.py`` holds that), so rules,
services, operators and the ops UI can all use it.
"""

from __future__ import annotations

import unicodedata
from zoneinfo import ZoneInfo


def normalize_name(name: str) -> str:
    """Compare names as a person would: case, accents and repeated spaces don't matter."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_accents.casefold().split())


#: Brazil's civil time (Brasília; no DST since 2019).
BRAZIL = ZoneInfo("America/Sao_Paulo")

# -- AnyMarket's order statuses (JSDK ``OrderStatus``) ------------------------------------------

PENDING = "PENDING"
PAID = "PAID_WAITING_SHIP"
INVOICED = "INVOICED"
SHIPPED = "PAID_WAITING_DELIVERY"
DELIVERY_ISSUE = "DELIVERY_ISSUE"
CONCLUDED = "CONCLUDED"
CANCELED = "CANCELED"
#: Position of each status in the lifecycle, to tell forward moves from regressions; CANCELED has
#: no rank: it is reachable from any status.
RANK = {
    PENDING: 0,
    PAID: 1,
    INVOICED: 2,
    SHIPPED: 3,
    DELIVERY_ISSUE: 3,
    CONCLUDED: 4,
}
#: Every AnyMarket order status.
STATUSES = frozenset(RANK) | {CANCELED}
