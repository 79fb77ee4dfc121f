"""Check ERP contract: does the integration's ERP answer every named query as the code needs?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anymarket.errors import ConfigurationError
from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.summary import RunSummary


class AnyMarketCheckErpOperator(AnyMarketBaseOperator):
    """The operator of the ERP contract check.

    What it does, for the person running it: :mod:`anymarket.automations.check_erp`.

    Inside: :func:`anymarket.erp.checker.check_contract` on the integration's
    :attr:`~anymarket.operators.base.AnyMarketBaseOperator.erp` (the same connection, SQL folder and
    overrides the other automations use); the report goes to the task log line by line and to the run
    summary (``ok``/``defect``/``skipped`` counts, the defect lines as examples). A report with any
    file not OK raises :class:`~anymarket.errors.ConfigurationError`: fatal, no retry, the alert
    e-mail carries the defects.

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "check_erp"

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.erp.checker import check_contract

        report = check_contract(self.erp)
        for line in report.render().splitlines():
            self.log.info("%s", line)
        summary.set("dialect", report.dialect)
        summary.set("sql_dir", report.sql_dir)
        for file in report.files:
            if file.status == "ok":
                summary.count("ok")
            else:
                summary.note(file.status, file.line())
        if not report.ok:
            defects = report.defects
            raise ConfigurationError(
                f"ERP contract check: {len(defects)} of {len(report.files)} query files are not OK on "
                f"{report.dialect} ({report.sql_dir}): "
                + "; ".join(f"{f.file}: {f.problems[0]}" for f in defects[:5])
                + (f"; and {len(defects) - 5} more (see the task log)" if len(defects) > 5 else "")
            )
