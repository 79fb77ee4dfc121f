"""What every in-process bench sets up first: a private Airflow home, the bench integration's
database connections (SQLite files), through the same ``AIRFLOW_CONN_*`` variables a deployment uses,
and the AnyMarket sandbox in a process of its own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sandbox(port: int, *, token: str, oi: str, **env: str) -> subprocess.Popen[bytes]:
    """The sandbox in a process of its own, answering on ``port``: its CPU and memory stay out of the
    bench's process (and its GIL). ``env``: more ``SANDBOX_*`` settings. Killed and refused if it does
    not answer within 30 s."""
    from anymarket_sandbox.admin import SandboxAdmin

    process = subprocess.Popen(
        [sys.executable, "-m", "anymarket_sandbox"],
        env={
            **os.environ,
            "SANDBOX_PORT": str(port),
            "SANDBOX_TOKEN": token,
            "SANDBOX_OI": oi,
            "PYTHONPATH": str(ROOT),
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    admin = SandboxAdmin(f"http://127.0.0.1:{port}", timeout=60)
    deadline = time.monotonic() + 30
    while True:
        try:
            admin.health()
            return process
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the sandbox did not start") from None
            time.sleep(0.2)
