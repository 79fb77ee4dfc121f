"""Airflow DAGs: AnyMarket sync products — one DAG per integration in include/integrations.yaml."""

from anymarket.dag_factory import register_automation_dags

register_automation_dags("sync_products", globals())
