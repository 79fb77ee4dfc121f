"""Prune history: the integration's mapping DB history, run summaries and handled callbacks, past
the retention setting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.summary import RunSummary


class AnyMarketPruneHistoryOperator(AnyMarketBaseOperator):
    """The operator of the mapping DB retention.

    What it does, for the person running it: :mod:`anymarket.automations.prune_history`.

    Inside: :func:`anymarket.mapping.retention.prune` with the integration's ``retention_days`` (or
    the run's ``keep_days`` Param) and ``dry_run`` Param; the rows removed per table go to the run
    summary (``deleted_<table>``), with the cutoff. No AnyMarket request, no ERP access.

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "prune_history"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.errors import ConfigurationError
        from anymarket.mapping.retention import prune

        params = (context or {}).get("params") or {}
        keep_days = params.get("keep_days") or self.integration.retention_days
        if not isinstance(keep_days, int) or keep_days < 1:
            raise ConfigurationError(
                f"prune_history: keep_days must be a whole number of days, at least 1; got {keep_days!r}"
            )
        dry_run = bool(params.get("dry_run"))
        result = prune(self.mapping, self.integration.id, keep_days=keep_days, dry_run=dry_run)
        summary.set("keep_days", keep_days)
        summary.set("cutoff", result.cutoff.isoformat())
        summary.set("dry_run", result.dry_run)
        for table, count in result.deleted.items():
            summary.set(f"{'would_delete' if result.dry_run else 'deleted'}_{table}", count)
