"""Pure rule of the image read-back: what an image AnyMarket answered means for the mapping DB.

AnyMarket processes a posted image asynchronously (``status`` ``UNPROCESSED`` → ``PROCESSED`` or
``ERROR`` with ``statusMessage``). The read-back (``check_images``) asks again until it has an
answer, at most ``max_checks`` times; an image still unprocessed then is ``UNCONFIRMED`` (shown on
the ops page, not asked about again), and one AnyMarket no longer lists is ``GONE`` (forgotten).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PENDING = "UNPROCESSED"
FINAL = frozenset({"PROCESSED", "ERROR", "UNCONFIRMED"})
#: When AnyMarket's ERROR comes without a message, the ops page still says what happened.
NO_MESSAGE = "AnyMarket could not process the image (no statusMessage given)."


def image_outcome(
    remote: Mapping[str, Any] | None, *, checks: int, max_checks: int
) -> tuple[str, str | None]:
    """``(status, message)`` after reading an image back for the ``checks``-th time (1-based).

    ``remote`` is the image in ``GET /products/{id}/images`` (``None``: not listed any more).
    """
    if remote is None:
        return "GONE", None
    status = str(remote.get("status") or "").upper()
    if status == "ERROR":
        message = str(remote.get("statusMessage") or "").strip()
        return "ERROR", message or NO_MESSAGE
    if status == "PROCESSED":
        return "PROCESSED", None
    if checks >= max_checks:
        return "UNCONFIRMED", f"still {status or 'without a status'} after {checks} reads"
    return PENDING, None
