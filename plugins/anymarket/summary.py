"""A run summary: counts and a few named examples, logged and stored for every automation run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

MAX_EXAMPLES = 50


class RunSummary:
    """What a run did (created/updated/skipped/failed...), in a form both logs and the ops page read."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}
        self.facts: dict[str, Any] = {}

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def note(self, key: str, example: str) -> None:
        """Count ``key`` and keep ``example`` (capped) so a person sees *which* items, not only how many."""
        self.count(key)
        examples = self.examples.setdefault(key, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(example)

    def note_many(self, key: str, items: Sequence[Any]) -> None:
        """Count every item of ``items`` under ``key`` but name only the first few (a new catalog
        may have thousands)."""
        for item in items[:MAX_EXAMPLES]:
            self.note(key, str(item))
        if len(items) > MAX_EXAMPLES:
            self.count(key, len(items) - MAX_EXAMPLES)

    def set(self, key: str, value: Any) -> None:
        self.facts[key] = value

    def as_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "examples": self.examples, **self.facts}

    def lines(self) -> list[str]:
        lines = [f"{key}: {value}" for key, value in sorted(self.counts.items())]
        lines += [f"{key}: {value}" for key, value in self.facts.items()]
        lines += [f"{key} → {', '.join(items)}" for key, items in self.examples.items()]
        return lines
