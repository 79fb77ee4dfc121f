"""Airflow DAGs: AnyMarket check ERP contract — one DAG per integration in include/integrations.yaml."""

from anymarket.dag_factory import register_automation_dags

register_automation_dags("check_erp", globals())
