"""Failure alerts: an e-mail to the integration's recipients through the ``smtp_default`` connection."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig

SUBJECT = "[AnyMarket {integration}] {{{{ ti.dag_id }}}}.{{{{ ti.task_id }}}} failed"

BODY = """
<p>The task <b>{{ ti.task_id }}</b> of DAG <b>{{ ti.dag_id }}</b> failed
(run {{ run_id }}, try {{ ti.try_number }}).</p>
<p><b>Error:</b> {{ exception | e }}</p>
<p>Open the task's log in Airflow for the details; the run summary and each entity's history are in the
mapping database.</p>
"""


def failure_notifier(integration: IntegrationConfig):
    """A task-level ``on_failure_callback`` mailing ``alert_emails`` (DAG-level ones break ``dag.test``)."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return SmtpNotifier(
        to=list(integration.alert_emails),
        from_email=integration.alert_from,
        subject=SUBJECT.format(integration=integration.id),
        html_content=BODY,
    )
