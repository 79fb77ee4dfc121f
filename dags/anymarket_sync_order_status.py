"""Airflow DAGs: AnyMarket sync order status — one DAG per integration in include/integrations.yaml."""

from anymarket.dag_factory import register_automation_dags

register_automation_dags("sync_order_status", globals())
