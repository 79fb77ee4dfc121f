"""Airflow DAGs: AnyMarket Full stock — one DAG per integration in include/integrations.yaml."""

from anymarket.dag_factory import register_automation_dags

register_automation_dags("fulfillment_stock", globals())
