"""Read the integration's open problems from the mapping DB and post them to AnyMarket's panel.

Problems (:class:`anymarket.rules.monitorings.Problem`): orders ``import_orders`` holds
(``order_imports`` state ``held``, with the reason), products AnyMarket refused
(``product_rejected``, with its message) and automations whose last run failed (``run_summaries``).
:func:`anymarket.rules.monitorings.plan` says what to post; each post is recorded in
``panel_monitorings`` right after AnyMarket accepted it, so a stopped run never posts twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import upsert_many, utcnow
from anymarket.rules.monitorings import CONCLUDED, PENDING, Problem, monitoring_body, plan

if TYPE_CHECKING:
    from anymarket.hooks.anymarket import AnyMarketHook
    from anymarket.mapping.database import MappingDatabase
    from anymarket.summary import RunSummary

#: The panel report's own failures are not reported by itself (it would be the one failing).
SELF = "report_monitorings"


class PanelReport:
    """The panel report of one integration."""

    def __init__(self, mapping: MappingDatabase, integration_id: str, *, origin: str) -> None:
        """:param origin: the spec's ``origin`` ("Nome do integrador"), shown in AnyMarket's panel."""
        self.mapping = mapping
        self.integration_id = integration_id
        self.origin = origin

    def open_problems(self) -> dict[str, Problem]:
        """Every problem open now, by partner id."""
        found: list[Problem] = []
        with self.mapping.engine.connect() as conn:
            oi = m.order_imports.c
            for row in conn.execute(
                sa.select(oi.anymarket_order_id, oi.reason).where(
                    oi.integration_id == self.integration_id, oi.state == "held"
                )
            ):
                found.append(
                    Problem(
                        "order",
                        row.anymarket_order_id,
                        f"Pedido {row.anymarket_order_id} retido pela integração: "
                        f"{row.reason or 'sem motivo'}",
                        row.reason,
                    )
                )
            pr = m.product_rejected.c
            for row in conn.execute(
                sa.select(pr.product_code, pr.message).where(pr.integration_id == self.integration_id)
            ):
                found.append(
                    Problem(
                        "product",
                        row.product_code,
                        f"Produto {row.product_code} recusado: {row.message}",
                        row.message,
                    )
                )
            rs = m.run_summaries
            latest = (
                sa.select(sa.func.max(rs.c.id))
                .where(rs.c.integration_id == self.integration_id, rs.c.automation != SELF)
                .group_by(rs.c.automation)
            )
            for row in conn.execute(
                sa.select(rs.c.automation, rs.c.summary).where(rs.c.id.in_(latest), rs.c.outcome == "failed")
            ):
                error = str((row.summary or {}).get("error") or "sem mensagem")
                found.append(
                    Problem("run", row.automation, f"Automação {row.automation} falhou: {error}", error)
                )
        return {p.partner_id: p for p in found}

    def posted(self) -> dict[str, tuple[str, str]]:
        """partner id → (status last posted, message posted)."""
        t = m.panel_monitorings.c
        with self.mapping.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.partner_id, t.status, t.message).where(t.integration_id == self.integration_id)
            )
            return {r.partner_id: (r.status, r.message) for r in rows}

    def run(
        self, *, hook: AnyMarketHook, summary: RunSummary, advance: Callable[[], None] = lambda: None
    ) -> None:
        """Post what :func:`~anymarket.rules.monitorings.plan` says, recording each accepted post."""
        problems = self.open_problems()
        posted = self.posted()
        todo = plan(problems, {pid: status for pid, (status, _) in posted.items()})
        summary.count("problems_open", len(problems))
        for problem in todo.post:
            self._post(hook, problem.partner_id, problem, PENDING, problem.message, problem.kind)
            summary.note("posted", problem.partner_id)
            advance()
        for partner_id in todo.solve:
            self._post(hook, partner_id, None, CONCLUDED, posted[partner_id][1], partner_id.split(":", 1)[0])
            summary.note("solved", partner_id)
            advance()

    def pending_work(self) -> int:
        """How many posts a run would send now (for the progress total)."""
        todo = plan(self.open_problems(), {pid: s for pid, (s, _) in self.posted().items()})
        return len(todo.post) + len(todo.solve)

    def _post(
        self,
        hook: AnyMarketHook,
        partner_id: str,
        problem: Problem | None,
        status: str,
        message: str,
        kind: str,
    ) -> None:
        now = utcnow()
        body = monitoring_body(
            problem, partner_id=partner_id, origin=self.origin, at=now, status=status, message=message
        )
        answer: Any = hook.post("/monitorings", body)
        row = {
            "integration_id": self.integration_id,
            "partner_id": partner_id,
            "kind": kind,
            "message": body["message"],
            "status": status,
            "anymarket_id": str(answer["id"])
            if isinstance(answer, dict) and answer.get("id") is not None
            else None,
            "posted_at": now,
            "solved_at": now if status == CONCLUDED else None,
        }
        with self.mapping.begin() as conn:
            upsert_many(
                conn,
                m.panel_monitorings,
                [row],
                ("kind", "message", "status", "anymarket_id", "posted_at", "solved_at"),
            )
