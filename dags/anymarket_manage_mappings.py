"""Airflow DAGs: AnyMarket manage mappings (CSV) — one DAG per integration in include/integrations.yaml."""

from anymarket.dag_factory import register_automation_dags

register_automation_dags("manage_mappings", globals())
