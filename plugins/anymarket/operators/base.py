"""The base of every AnyMarket operator: settings, hook, databases, run summary and its record."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from anymarket.connections import MAPPING_DB_CONN_ID
from anymarket.errors import FatalError, RequestBudgetExhausted, classify
from anymarket.summary import RunSummary

if TYPE_CHECKING:
    import sqlalchemy as sa
    from airflow.sdk import Context

    from anymarket.erp.database import ErpDatabase
    from anymarket.errors import AnyMarketAPIError
    from anymarket.hooks.anymarket import AnyMarketHook
    from anymarket.mapping.database import MappingDatabase
    from anymarket.progress import Progress
    from anymarket.settings import IntegrationConfig

log = logging.getLogger(__name__)


class AnyMarketBaseOperator(BaseOperator):
    """Run one automation of one integration and record what it did.

    Subclasses implement :meth:`run`, counting into the :class:`RunSummary` they are handed, and
    decide per entity with :func:`anymarket.errors.row_level` whether an error is recorded (the run
    goes on) or raised (the run stops; :mod:`anymarket.errors` says whether Airflow retries). The
    summary is logged, stored in the mapping DB (``run_summaries``, also when the run fails) and
    returned as the task's XCom. Settings are read from the integrations file when the task runs,
    so an edited setting applies to the next run without waiting for the DAG to be re-parsed.

    Hooks and databases are built lazily, on first use inside :meth:`execute`, never at parse time.

    Every request is spent in the run's budget lane (:meth:`budget_lane`; :mod:`anymarket.budget`).
    A run that finds its lane spent ends cleanly — outcome ``waiting``, not failed, no retry, no
    e-mail — with what waits and when it continues in its summary; the next run continues (every
    automation is idempotent and keeps its state per entity). Only realtime work waiting too long
    alerts (:mod:`anymarket.budget_waits`).

    :param integration_id: the integration (AnyMarket account) this task works for.
    :param anymarket_conn_id: overrides the integration's AnyMarket connection.
    :param erp_conn_id: overrides the integration's ERP database connection.
    :param mapping_conn_id: the mapping database connection.
    """

    automation: ClassVar[str] = ""
    #: The budget lane of this automation's runs (``realtime`` or ``bulk``); :meth:`budget_lane` may
    #: choose per run (a full resend or a backfill is bulk work).
    lane: ClassVar[str] = "realtime"
    template_fields: Sequence[str] = ("integration_id", "anymarket_conn_id", "erp_conn_id", "mapping_conn_id")
    ui_color = "#ffd9b3"

    def __init__(
        self,
        *,
        integration_id: str,
        anymarket_conn_id: str | None = None,
        erp_conn_id: str | None = None,
        mapping_conn_id: str = MAPPING_DB_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.integration_id = integration_id
        self.anymarket_conn_id = anymarket_conn_id
        self.erp_conn_id = erp_conn_id
        self.mapping_conn_id = mapping_conn_id

    @cached_property
    def integration(self) -> IntegrationConfig:
        from anymarket.settings import get_integration

        return get_integration(self.integration_id)

    @cached_property
    def hook(self) -> AnyMarketHook:
        from anymarket.hooks.anymarket import AnyMarketHook

        return AnyMarketHook(
            anymarket_conn_id=self.anymarket_conn_id or self.integration.anymarket_conn_id,
            lane=getattr(self, "run_lane", self.lane),
            shares=self.integration.budget.shares(),
        )

    @cached_property
    def mapping(self) -> MappingDatabase:
        from anymarket.connections import database_url
        from anymarket.mapping import get_mapping_db

        return get_mapping_db(database_url(self.mapping_conn_id))

    @cached_property
    def erp(self) -> ErpDatabase:
        from anymarket.connections import database_url
        from anymarket.erp.database import ErpDatabase

        return ErpDatabase(database_url(self.erp_conn_id or self.integration.erp_conn_id))

    def execute(self, context: Context) -> dict[str, Any]:
        from anymarket.mapping.database import utcnow

        started = utcnow()
        self.run_id = context.get("run_id") if context else None
        summary = RunSummary()
        self.progress: Progress | None = None
        self.run_lane = self.budget_lane(context)
        self.mapping.upsert_integration(
            self.integration.id,
            name=self.integration.name,
            environment=self.integration.environment,
            settings=self.integration.settings_snapshot(),
        )
        outcome = "failed"
        try:
            self.run(context, summary)
            outcome = "ok"
        except RequestBudgetExhausted as exc:
            self._wait_for_budget(exc, summary)  # raises BudgetStarvedError to alert (outcome failed)
            outcome = "waiting"
        except Exception as exc:
            # Raised as it is: a FatalError is Airflow's AirflowFailException (no retry, alert now),
            # anything else is retried by Airflow (anymarket.errors.TASK_RETRY_ARGS).
            summary.set("error", str(exc))
            summary.set("error_kind", str(classify(exc)))
            raise
        finally:
            if outcome == "ok":
                from anymarket import budget_waits

                budget_waits.clear(self.mapping, self.integration.id, self.automation)
            if "hook" in self.__dict__:
                summary.set("requests_used", self.hook.requests_sent)
                summary.set("budget_lane", str(self.hook.lane))
            self.mapping.record_run_summary(
                self.integration.id,
                self.automation,
                run_id=self.run_id,
                outcome=outcome,
                summary=summary.as_dict(),
                started_at=started,
            )
            self.log.info("%s summary for %s (%s):", self.automation, self.integration.id, outcome)
            for line in summary.lines():
                self.log.info("  %s", line)
        return summary.as_dict()

    def run(self, context: Context, summary: RunSummary) -> None:
        raise NotImplementedError

    def budget_lane(self, context: Context) -> str:
        """The lane this run's requests are spent in; the automation's :attr:`lane` by default."""
        return self.lane

    def track_progress(self, *, what: str, total: int, done: int = 0) -> Progress:
        """Start counting a long piece of work: logs ``n / total`` and an ETA at the lane's pace,
        and says what is left if the run ends waiting for the budget."""
        from anymarket.progress import Progress

        budget = self.hook.budget
        limits = budget.limits
        per_window = limits.bulk if str(self.hook.lane) == "bulk" else limits.total
        self.progress = Progress(
            what=what,
            total=total,
            done=done,
            requests_sent=lambda: self.hook.requests_sent,
            requests_per_second=per_window / budget.window_seconds,
            log=self.log,
        )
        return self.progress

    def _wait_for_budget(self, exc: RequestBudgetExhausted, summary: RunSummary) -> None:
        """End the run cleanly on a spent lane (see the class docstring); raise the one alert when
        realtime work has waited too long."""
        from datetime import timedelta

        from anymarket import budget_waits
        from anymarket.mapping.database import utcnow

        now = utcnow()
        continues_at = now + timedelta(seconds=exc.retry_after)
        waiting = (
            f"{self.progress.left()} left" if self.progress is not None else "the rest of this run's work"
        )
        wait = budget_waits.record(
            self.mapping,
            self.integration.id,
            self.automation,
            lane=exc.lane,
            continues_at=continues_at,
            waiting=waiting,
            now=now,
        )
        summary.set(
            "waiting_for_budget",
            {
                "lane": exc.lane,
                "reached": exc.what,
                "used": exc.used,
                "limit": exc.limit,
                "waiting": waiting,
                "continues_at": continues_at.isoformat(timespec="seconds"),
                "waiting_since": wait.since.isoformat(timespec="seconds"),
            },
        )
        self.log.warning(
            "%s is spent (%d/%d, %s lane): this run stops here, cleanly; %s waits for the next run "
            "(room at %s).",
            exc.what.capitalize(),
            exc.used,
            exc.limit,
            exc.lane,
            waiting,
            continues_at.isoformat(timespec="seconds"),
        )
        alert_after = timedelta(minutes=self.integration.budget.realtime_alert_after_minutes)
        if budget_waits.should_alert(wait, alert_after=alert_after, now=now):
            budget_waits.mark_alerted(self.mapping, self.integration.id, self.automation, now=now)
            minutes = (now - wait.since).total_seconds() / 60
            message = (
                f"Realtime work of integration {self.integration.id} cannot keep up: {self.automation} "
                f"has waited {minutes:.0f} min for AnyMarket's request budget ({exc.what} spent, "
                f"{exc.used}/{exc.limit}); {waiting} waits. Raise budget.realtime_reserve, pause or "
                "reschedule bulk DAGs, or space out the realtime schedules. This alert goes out once "
                "per streak; runs keep continuing."
            )
            summary.set("error", message)
            raise BudgetStarvedError(message) from exc

    @staticmethod
    def run_param(context: Context, name: str, given: Any = None) -> Any:
        """DAG Param ``name`` of this run: ``given`` (the operator's own argument) when set, else the
        run's ``context["params"]``; a blank string is "not given" (``None``).

        Params are read here, never rendered into a template: a template renders an empty Param as
        the string ``"None"``."""
        value = given if given is not None else (context.get("params") or {}).get(name)
        if isinstance(value, str):
            return value.strip() or None
        return value

    def record_refusal(
        self,
        *,
        table: sa.Table,
        values: dict[str, Any],
        compared: Sequence[str],
        sku_code: str,
        payload: Any,
        error: AnyMarketAPIError,
        stored_error: str,
        held_until: str,
    ) -> None:
        """Keep a row AnyMarket refused (``table``: the automation's ``*_rejected``, so it is held back
        until one of ``compared`` changes) and the SKU's history entry, in one transaction."""
        from anymarket.mapping.database import upsert_many, utcnow

        message = error.message or str(error)
        with self.mapping.begin() as conn:
            upsert_many(
                conn,
                table,
                [{**values, "error": stored_error, "rejected_at": utcnow()}],
                (*compared, "error", "rejected_at"),
            )
            self.record_history(
                entity_type="sku",
                entity_key=sku_code,
                action=self.automation,
                outcome="error",
                request=payload,
                response=error.as_record(),
                error=f"{message} ({held_until})",
                conn=conn,
            )

    def record_history(
        self, *, entity_type: str, entity_key: str, action: str, outcome: str, **details: Any
    ) -> None:
        """One history row for this integration and run; ``details``: request, response, error, conn."""
        self.mapping.record_history(
            self.integration.id,
            entity_type=entity_type,
            entity_key=entity_key,
            action=action,
            outcome=outcome,
            run_id=self.run_id,
            **details,
        )


class BudgetStarvedError(FatalError):
    """Realtime work has waited for the request budget longer than the integration allows."""
