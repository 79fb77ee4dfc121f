"""Fault injection and the hourly request budget, applied to ``/v2`` requests only.

Everything random draws from one seeded :class:`random.Random` so a test that sets ``seed`` gets the
same sequence of faults on every run (given the same sequence of requests).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class FaultConfig:
    """Knobs settable through ``PUT /_sandbox/faults`` (any subset of these keys)."""

    latency_ms: float = 0.0  # added to every /v2 request before it is handled
    error_rate: float = 0.0  # probability of a random 500/502/503 (the handler does not run)
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    error_burst: int = 0  # the next N requests answer error_statuses in turn (deterministic 5xx)
    timeout_rate: float = 0.0  # probability of sleeping ``timeout_seconds`` before handling
    timeout_seconds: float = 2.0
    burst_429: int = 0  # the next N requests answer 429 (counts down)
    burst_retry_after: int = 1  # Retry-After (seconds) sent during the burst
    callback_drop_rate: float = 0.0  # probability a callback is never sent
    callback_duplicate_rate: float = 0.0  # probability a callback is sent twice
    callback_retries: int = 3  # retries after the first failed attempt (AnyMarket: 3)
    callback_retry_delay: float = 0.2  # seconds between attempts
    callback_timeout: float = 5.0  # HTTP timeout of one delivery attempt
    # "METHOD /v2/path" answered 404 as by an AnyMarket that lacks the endpoint (e.g. the newer
    # "PUT /v2/orders/feeds/batch"), so clients' fallbacks can be tested.
    missing_endpoints: list[str] = field(default_factory=list)
    # "METHOD /v2/path" → a raw body answered 200 as JSON instead of the real handler: truncated JSON,
    # wrong types, hostile text — whatever a client must survive from a misbehaving API.
    raw_responses: dict[str, str] = field(default_factory=dict)
    # An order is not readable (``GET /v2/orders...`` answers 404 / leaves it out) for this many
    # seconds after it was created, while its feed item and callbacks already exist: the eventual
    # consistency a callback arriving before its order can be read runs into (used by the soak).
    order_read_delay_seconds: float = 0.0
    # "METHOD /v2/path" → N: requests to that endpoint are held until N of them are waiting, then let
    # go together (or each after ``rendezvous_timeout_seconds`` alone), so a test can make two
    # clients race on the same data at the same moment instead of hoping their timing overlaps.
    rendezvous: dict[str, int] = field(default_factory=dict)
    rendezvous_timeout_seconds: float = 60.0
    seed: int | None = None

    def update(self, values: dict[str, Any]) -> None:
        """Apply a partial update; unknown keys raise ``KeyError`` so typos do not pass silently."""
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        for key, value in values.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FaultDecision:
    """What the gate must do with one request."""

    kind: str | None = None  # None, "burst_429", "error", "timeout"
    status: int = 0
    retry_after: int = 0
    sleep_seconds: float = 0.0


class FaultInjector:
    """Thread-safe holder of :class:`FaultConfig` plus the seeded random source."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self.config = FaultConfig(seed=seed)
        self._rng = random.Random(seed)
        self._error_turn = 0

    def reset(self, seed: int | None = None) -> None:
        with self._lock:
            self.config = FaultConfig(seed=seed)
            self._rng = random.Random(seed)
            self._error_turn = 0

    def configure(self, values: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.config.update(values)
            if "error_burst" in values:
                self._error_turn = 0
            if "seed" in values:
                self._rng = random.Random(values["seed"])
            return self.config.as_dict()

    def snapshot(self) -> FaultConfig:
        with self._lock:
            return FaultConfig(**self.config.as_dict())

    def decide(self) -> FaultDecision:
        """Draw the fault (if any) for one /v2 request; the burst goes first, as a gateway would."""
        with self._lock:
            cfg = self.config
            if cfg.burst_429 > 0:
                cfg.burst_429 -= 1
                return FaultDecision("burst_429", 429, retry_after=cfg.burst_retry_after)
            if cfg.error_burst > 0:
                cfg.error_burst -= 1
                self._error_turn += 1
                return FaultDecision(
                    "error", cfg.error_statuses[(self._error_turn - 1) % len(cfg.error_statuses)]
                )
            if cfg.error_rate and self._rng.random() < cfg.error_rate:
                return FaultDecision("error", self._rng.choice(cfg.error_statuses))
            if cfg.timeout_rate and self._rng.random() < cfg.timeout_rate:
                return FaultDecision("timeout", sleep_seconds=cfg.timeout_seconds)
            return FaultDecision()

    def chance(self, rate: float) -> bool:
        """A seeded coin flip (used for callback drop/duplicate)."""
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate


class RequestBudget:
    """Fixed-window per-token budget: ``requests_per_hour`` requests per ``window_seconds``.

    AnyMarket documents 5 000 requests/hour/token and nothing about the window, so a fixed window that
    starts at the token's first request is enough; ``Retry-After`` is the time left in the window.
    """

    def __init__(self, requests_per_hour: int, window_seconds: float = 3600.0) -> None:
        self._lock = threading.Lock()
        self.initial = requests_per_hour
        self.requests_per_hour = requests_per_hour
        self.window_seconds = window_seconds
        self._windows: dict[str, list[float]] = {}  # token -> [window_start, used]

    def reset(self) -> None:
        with self._lock:
            self.requests_per_hour = self.initial
            self.window_seconds = 3600.0
            self._windows.clear()

    def configure(
        self,
        requests_per_hour: int | None = None,
        window_seconds: float | None = None,
        clear_usage: bool = False,
    ) -> None:
        with self._lock:
            if requests_per_hour is not None:
                self.requests_per_hour = int(requests_per_hour)
            if window_seconds is not None:
                self.window_seconds = float(window_seconds)
            if clear_usage:
                self._windows.clear()

    def consume(self, token: str) -> int:
        """Count one request; return 0 when allowed, else the Retry-After seconds (≥ 1)."""
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(token)
            if window is None or now - window[0] >= self.window_seconds:
                window = self._windows[token] = [now, 0]
            if window[1] >= self.requests_per_hour:
                return max(1, int(window[0] + self.window_seconds - now + 0.999))
            window[1] += 1
            return 0

    def usage(self, token_to_oi: dict[str, str]) -> dict[str, Any]:
        """Budget settings and per-account usage (keyed by OI so tokens are never echoed)."""
        now = time.monotonic()
        with self._lock:
            used = []
            for token, (start, count) in self._windows.items():
                used.append(
                    {
                        "oi": token_to_oi.get(token),
                        "used": int(count),
                        "remaining": max(0, self.requests_per_hour - int(count)),
                        "windowResetsInSeconds": max(0.0, round(start + self.window_seconds - now, 3)),
                    }
                )
            return {
                "requestsPerHour": self.requests_per_hour,
                "windowSeconds": self.window_seconds,
                "usage": used,
            }
