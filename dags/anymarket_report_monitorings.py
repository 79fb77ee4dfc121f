"""Airflow DAGs: AnyMarket report monitorings — one DAG per integration in include/integrations.yaml."""

from anymarket.dag_factory import register_automation_dags

register_automation_dags("report_monitorings", globals())
