"""The figures a bench measured, collected for ``BENCHMARKS.md`` (``bench/report.py``).

A bench keeps printing its own human output and, for each figure an issue asks for, also calls::

    from figures import record  # bench/ is on sys.path when a bench runs as a script
    record("send_stock", "first full send: requests", used, "requests", target=302)

``record`` prints nothing. When ``BENCH_FIGURES_FILE`` names a file (``bench/report.py`` sets it for
each bench it runs), it appends one JSON line per figure to it; otherwise it does nothing, so a bench
run by hand behaves as before. A ratio (requests per order, orders per minute...) is computed by the
bench from counts of the same run; put those counts in ``note`` so the report shows where it came from.
Dependency-free on purpose: benches import it before anything else.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ENV_VAR = "BENCH_FIGURES_FILE"
#: How a measured value is held against its target: ``value <comparison> target``.
COMPARISONS = {
    "<": lambda value, target: value < target,
    "<=": lambda value, target: value <= target,
    "==": lambda value, target: value == target,
    ">=": lambda value, target: value >= target,
    ">": lambda value, target: value > target,
}
_REPO_ROOT = Path(__file__).resolve().parent.parent


def record(
    section: str,
    name: str,
    value: float,
    unit: str,
    *,
    target: float | None = None,
    comparison: str = "<=",
    note: str = "",
) -> None:
    """Record one figure of ``section`` (an automation, e.g. ``send_stock``) if a report collects them.

    ``target`` is what the issue asks for and ``comparison`` how ``value`` must relate to it
    (``value <= target`` by default); leave ``target`` out for a figure the issues ask for without one
    (wall time, peak memory). Raises ``ValueError`` on a comparison it does not know or a value that is
    not a finite number, so a bench with a typo fails where it is written, not in the report.
    """
    if comparison not in COMPARISONS:
        raise ValueError(f"figure {name!r}: comparison {comparison!r} is not one of {sorted(COMPARISONS)}")
    for label, number in (("value", value), ("target", target)):
        if number is not None and (isinstance(number, bool) or not math.isfinite(float(number))):
            raise ValueError(f"figure {name!r}: {label} {number!r} is not a finite number")
    path = os.environ.get(ENV_VAR)
    if not path:
        return
    line = {
        "section": section,
        "name": name,
        "value": float(value),
        "unit": unit,
        "target": None if target is None else float(target),
        "comparison": comparison,
        "note": note,
        "command": _command(),
        "recorded_at": time.time(),
    }
    # One write per line in append mode: lines from benches run one after another never interleave.
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def met(figure: dict[str, Any]) -> bool | None:
    """Whether a recorded figure meets its target; ``None`` when it has none."""
    if figure.get("target") is None:
        return None
    return COMPARISONS[figure["comparison"]](figure["value"], figure["target"])


def read(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The figures recorded in ``path`` (one JSON object a line; blank lines ignored)."""
    text = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _command() -> str:
    """How the bench was started, relative to the repository (``bench/send_stock.py --skus 500``)."""
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if script is None:
        return ""
    try:
        shown = str(script.relative_to(_REPO_ROOT))
    except ValueError:
        shown = str(script)
    return shlex.join([shown, *sys.argv[1:]])


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0..1) of ``sorted_values``, nearest rank (what the benches print)."""
    return sorted_values[min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))]


def record_latencies(
    section: str,
    label: str,
    latencies: list[float],
    *,
    expected: int,
    p95_target: float | None,
    note: str = "",
) -> None:
    """A latency series as figures — how many of ``expected`` were seen (target: all), p50, p95
    (strictly under ``p95_target`` seconds, if any) and max — and as one printed line.
    ``latencies`` in seconds, any order."""
    ordered = sorted(latencies)
    record(section, f"{label}: seen", len(ordered), "", target=expected, comparison=">=", note=note)
    if not ordered:
        print(f"{label}: nothing seen of {expected}")
        return
    p95 = percentile(ordered, 0.95)
    verdict = ""
    if p95_target is not None:
        verdict = f"; target p95 < {p95_target:g} s {'ok' if p95 < p95_target else 'OVER'}"
    print(
        f"{label}: {len(ordered)}/{expected} seen ({note}); p50 {statistics.median(ordered):.1f} s, "
        f"p95 {p95:.1f} s, max {ordered[-1]:.1f} s{verdict}"
    )
    record(section, f"{label}: p50", statistics.median(ordered), "s", note=note)
    record(
        section, f"{label}: p95", percentile(ordered, 0.95), "s", target=p95_target, comparison="<", note=note
    )
    record(section, f"{label}: max", ordered[-1], "s", note=note)
