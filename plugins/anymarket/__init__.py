"""ERP ⇄ AnyMarket integration for Apache Airflow 3.

The package holds everything the thin DAG files in ``dags/`` build on: the AnyMarket hook, the
operators, the mapping database, ERP access through ``include/sql/erp/``, the integration settings
and the DAG factory. Importing it is cheap on purpose: DAG files import it at parse time.
"""
