"""Airflow import error for broken integration entries; defines no DAG.

A broken entry of the integrations file disables that integration alone: the other integrations'
DAG files keep loading. This file is where the broken ones show, as an import error naming the
key and the line of each problem (``python -m anymarket.settings check`` says the same).
"""

from anymarket.settings import check

check()
