"""What every in-process bench sets up first: a private Airflow home and the bench integration's
database connections (SQLite files), through the same ``AIRFLOW_CONN_*`` variables a deployment uses."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def private_airflow(prefix: str) -> tuple[tempfile.TemporaryDirectory, Path]:
    """A temporary folder holding ``AIRFLOW_HOME``; call before anything imports Airflow (it reads its
    settings on first import)."""
    tmp_dir = tempfile.TemporaryDirectory(prefix=prefix)
    tmp = Path(tmp_dir.name)
    os.environ["AIRFLOW_HOME"] = str(tmp / "airflow")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    # Operators run by calling execute(), as in the tests; without this the SDK warns on every run
    # that execute() is called outside a task runner.
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
    return tmp_dir, tmp


def sqlite_connections(*, erp: Path | None = None, mapping: Path | None = None) -> None:
    """Point the ``bench`` integration's ERP and the shared mapping DB connections at SQLite files."""
    variables = {"AIRFLOW_CONN_ANYMARKET_BENCH_ERP": erp, "AIRFLOW_CONN_ANYMARKET_MAPPING_DB": mapping}
    for variable, path in variables.items():
        if path is not None:
            os.environ[variable] = json.dumps({"conn_type": "sqlite", "host": str(path)})
