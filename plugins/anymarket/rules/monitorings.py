"""Pure rules of the panel report: which problems to post to ``POST /monitorings``, and the body.

A *problem* is an order held, a product AnyMarket refused or an automation whose last run failed,
keyed by a ``partnerId`` of ours (``order:<id>``, ``product:<code>``, ``run:<automation>``). A problem
open now and not posted (or posted, solved, and back) is posted once, ``PENDING``; one posted and no
longer open is posted again ``CONCLUDED`` (the spec's ``MonitoringPost`` status), once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

#: The spec's ``type``: a held order or a refused product waits for a person (ALERT); a failed run
#: is the integration's own error (INTERNAL_ERROR).
TYPES = {"order": "ALERT", "product": "ALERT", "run": "INTERNAL_ERROR"}
MESSAGE_MAX, DETAILS_MAX = 500, 4000
PENDING, CONCLUDED = "PENDING", "CONCLUDED"


@dataclass(frozen=True)
class Problem:
    kind: str  # order | product | run
    key: str
    message: str
    details: str | None = None

    @property
    def partner_id(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class Plan:
    post: list[Problem]
    solve: list[str]  # partner ids


def plan(open_problems: Mapping[str, Problem], posted: Mapping[str, str]) -> Plan:
    """``open_problems`` by partner id; ``posted``: partner id → the status last posted."""
    post = [p for pid, p in sorted(open_problems.items()) if posted.get(pid) != PENDING]
    solve = sorted(pid for pid, status in posted.items() if status == PENDING and pid not in open_problems)
    return Plan(post=post, solve=solve)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def monitoring_body(
    problem: Problem | None, *, partner_id: str, origin: str, at: datetime, status: str, message: str
) -> dict[str, str]:
    """A ``MonitoringPost`` body; ``message`` is the problem's (or, to solve it, the stored one)."""
    if at.tzinfo is None:
        raise ValueError("monitoring times must carry a timezone (AnyMarket's createdAt is date-time)")
    kind = partner_id.split(":", 1)[0]
    body = {
        "partnerId": partner_id[:250],
        "origin": _cut(origin, 100) or "airflow-anymarket",
        "message": _cut(message, MESSAGE_MAX) or partner_id,
        "createdAt": at.isoformat(timespec="seconds"),
        "type": TYPES.get(kind, "ALERT"),
        "status": status,
    }
    if problem is not None and problem.details and problem.details.strip():
        body["details"] = _cut(problem.details, DETAILS_MAX)
    return body
