"""Report monitorings: the integration's problems posted to AnyMarket's panel (``POST /monitorings``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.summary import RunSummary


class AnyMarketReportMonitoringsOperator(AnyMarketBaseOperator):
    """The operator of the panel report.

    What it does, for the person running it: :mod:`anymarket.automations.report_monitorings`.

    Inside: :class:`anymarket.panel.report.PanelReport` reads the problems and what was posted, and
    posts through the hook; the setting ``report_to_anymarket_panel`` is read at run time, so turning
    it on or off needs no DAG change.

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "report_monitorings"
    lane = "bulk"
    ui_color = "#f2e6d9"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.panel.report import PanelReport

        if not self.integration.report_to_anymarket_panel:
            summary.set("disabled", "report_to_anymarket_panel is off for this integration")
            return
        report = PanelReport(self.mapping, self.integration.id, origin=f"Airflow ({self.integration.name})")
        for key in ("posted", "solved"):
            summary.count(key, 0)
        todo = report.pending_work()
        if not todo:
            return
        progress = self.track_progress(what="monitorings", total=todo)
        report.run(hook=self.hook, summary=summary, advance=progress.advance)
