"""An integration wired to the real sandbox, a real ERP database and a real mapping database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from anymarket.erp.database import ErpDatabase
from anymarket.mapping.database import MappingDatabase
from anymarket_sandbox.server import SandboxServer

INTEGRATIONS_YAML = """\
integrations:
  loja1:
    name: Loja 1
    environment: sandbox
    alert_emails: [ops@loja1.example]
"""


#: loja1's callback secret (connection extra ``callback_secret``): the receiver's URL ends with it.
CALLBACK_SECRET = "test-callback-secret-0123456789abcdef"


@dataclass
class IntegrationEnv:
    sandbox: SandboxServer
    erp: ErpDatabase
    mapping: MappingDatabase
    integration_id: str = "loja1"


def set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))


def anymarket_connection(
    monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, conn_id: str = "anymarket_loja1", **extra: object
) -> None:
    set_connection(
        monkeypatch,
        conn_id,
        conn_type="http",
        host=sandbox.base_url,
        password=sandbox.token,
        extra={
            "oi": sandbox.oi,
            "timeout": 5,
            "backoff_base": 0.01,
            "backoff_max": 0.05,
            "callback_secret": CALLBACK_SECRET,
            **extra,
        },
    )


@pytest.fixture
def reconnect(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer):
    """Redefine loja1's AnyMarket connection with other extra values (e.g. another OI)."""

    def _reconnect(**extra: object) -> None:
        anymarket_connection(monkeypatch, sandbox, **extra)

    return _reconnect


@pytest.fixture
def integration_env(
    sandbox: SandboxServer, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IntegrationEnv:
    """Integration ``loja1``: sandbox account, an empty reference ERP (SQLite), the mapping DB on
    SQLite and on PostgreSQL (``database_url`` is parametrised)."""
    config = tmp_path / "integrations.yaml"
    config.write_text(INTEGRATIONS_YAML)
    monkeypatch.setenv("ANYMARKET_INTEGRATIONS_FILE", str(config))
    erp_url = f"sqlite:///{tmp_path / 'erp.db'}"
    erp = ErpDatabase(erp_url)
    erp.create_schema()
    set_connection(monkeypatch, "anymarket_loja1_erp", conn_type="sqlite", host=str(tmp_path / "erp.db"))
    if database_url.startswith("sqlite"):
        set_connection(
            monkeypatch, "anymarket_mapping_db", conn_type="sqlite", host=database_url[len("sqlite:///") :]
        )
    else:
        set_connection(
            monkeypatch, "anymarket_mapping_db", conn_type="generic", extra={"sqlalchemy_url": database_url}
        )
    anymarket_connection(monkeypatch, sandbox)
    from anymarket.mapping import get_mapping_db

    return IntegrationEnv(sandbox=sandbox, erp=erp, mapping=get_mapping_db(database_url))


@pytest.fixture(scope="session")
def airflow_metadata_db() -> None:
    """``dag.test()`` needs Airflow's metadata DB; migrate the test home's SQLite once."""
    marker = Path(os.environ["AIRFLOW_HOME"]) / ".migrated"
    if marker.exists():
        return
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    marker.touch()
