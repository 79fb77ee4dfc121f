"""Progress a person can read for long bulk work: ``n / total``, requests per item and an ETA.

The first product sync of a 5 000-product catalog, a catalog import or a 90-day backfill runs for
hours within the bulk lane's pace; its log says how far it is and when it will end at the current
budget, and a run that ends waiting for the budget says in its summary what is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class InfoLogger(Protocol):
    """What :class:`Progress` logs through: a stdlib logger, an adapter, or an operator's ``self.log``
    (Airflow's structlog logger), which share ``info(format, *args)``."""

    def info(self, msg: str, /, *args: Any) -> Any: ...

#: At most one progress line per this many seconds (and one at the end).
LOG_EVERY_SECONDS = 30.0


def eta_seconds(*, remaining: int, requests_per_item: float, requests_per_second: float) -> float | None:
    """Seconds until ``remaining`` items are done at ``requests_per_second``; ``None`` if unknown."""
    if remaining <= 0:
        return 0.0
    if requests_per_item <= 0 or requests_per_second <= 0:
        return None
    return remaining * requests_per_item / requests_per_second


def duration_text(seconds: float | None) -> str:
    """``"1 h 05 min"``, ``"4 min"``, ``"under a minute"`` or ``"unknown"``."""
    if seconds is None:
        return "unknown"
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    """Count items of one long piece of work and log where it stands.

    :param what: what is counted, plural (``"products"``).
    :param total: how many items the work has.
    :param requests_sent: the hook's request counter (``lambda: hook.requests_sent``).
    :param requests_per_second: the pace the lane allows (bulk share / window), for the ETA; the
        measured pace is used when it is slower.
    :param done: items an earlier run already did (a resumed import), counted as done but not in
        the requests per item.
    """

    def __init__(
        self,
        *,
        what: str,
        total: int,
        requests_sent: Callable[[], int],
        requests_per_second: float,
        log: InfoLogger,
        done: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.total = total
        self.done = done
        self._done_at_start = done
        self._requests_sent = requests_sent
        self._requests_at_start = requests_sent()
        self._pace = requests_per_second
        self._log = log
        self._clock = clock
        self._started = clock()
        self._logged = self._started

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = self._clock()
        if now - self._logged >= LOG_EVERY_SECONDS or self.done >= self.total:
            self._logged = now
            self._log.info("%s", self.line())

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done)

    def requests_per_item(self) -> float:
        done_here = self.done - self._done_at_start
        return (self._requests_sent() - self._requests_at_start) / done_here if done_here else 0.0

    def eta(self) -> float | None:
        elapsed = self._clock() - self._started
        measured = (self._requests_sent() - self._requests_at_start) / elapsed if elapsed > 0 else 0.0
        pace = min(self._pace, measured) if measured > 0 else self._pace
        return eta_seconds(
            remaining=self.remaining, requests_per_item=self.requests_per_item(), requests_per_second=pace
        )

    def line(self) -> str:
        share = f" ({100 * self.done / self.total:.1f} %)" if self.total else ""
        return (
            f"{self.done} / {self.total} {self.what}{share}, {self.requests_per_item():.1f} requests each, "
            f"ETA {duration_text(self.eta())} at the current budget"
        )

    def left(self) -> str:
        """What is left, for a summary: ``"4 120 of 5 000 products"``."""
        return f"{self.remaining} of {self.total} {self.what}"
