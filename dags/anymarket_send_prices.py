"""Airflow DAGs: AnyMarket send prices — one DAG per integration in include/integrations.yaml."""

from anymarket.dag_factory import register_automation_dags

register_automation_dags("send_prices", globals())
