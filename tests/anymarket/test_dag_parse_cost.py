"""Parsing the DAG files stays cheap: no pandas (or other heavy imports) and no I/O beyond the YAML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, runpy, sys
import airflow.sdk
before = set(sys.modules)
for path in sys.argv[1:]:
    runpy.run_path(path, run_name="dag_file")
print(json.dumps(sorted(set(sys.modules) - before)))
"""

HEAVY = ("pandas", "numpy", "alembic", "psycopg2", "anymarket_sandbox")


def test_dag_files_import_no_heavy_module() -> None:
    files = sorted(str(p) for p in (REPO_ROOT / "dags").glob("*.py"))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *files], capture_output=True, text=True, check=True, env=env
    ).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    heavy = sorted({name.split(".")[0] for name in loaded} & set(HEAVY))
    assert heavy == [], f"DAG parsing imported {heavy}: import them inside execute() instead"
