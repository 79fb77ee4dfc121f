"""Run Airflow 3's process topology for end-to-end tests: real ``airflow`` processes, no Docker.

:class:`AirflowTopology` gives a private ``AIRFLOW_HOME`` with this project's ``dags/`` and
``plugins/``, starts components (``api-server``, ``scheduler``, ``dag-processor``, ``celery worker``)
as process groups with their output in ``<home>/process-logs/``, talks to the REST API as ``admin``
(a fixed password through ``[core] simple_auth_manager_passwords_file``) and stops everything it
started. The browser tier runs it on SQLite with the LocalExecutor (what ``make demo`` runs); the
Celery tier on PostgreSQL and Redis with the CeleryExecutor (what ``docker-compose.yaml`` runs).

Imported by worker processes too (``[core] hostname_callable`` = :func:`worker_hostname`), so this
module imports only the standard library and ``requests`` at the top.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ADMIN_USER = "admin"
ADMIN_PASSWORD = "e2e-admin-password"
#: Environment variable naming a worker in task instances (see :func:`worker_hostname`).
WORKER_NAME_ENV = "ANYMARKET_E2E_WORKER"


def worker_hostname() -> str:
    """``[core] hostname_callable`` of the test workers: both run on this machine, so the machine's
    name cannot tell them apart in ``task_instance.hostname``; each gets its own name instead."""
    return os.environ.get(WORKER_NAME_ENV) or socket.getfqdn()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(what: str, check: Callable[[], Any], timeout: float, interval: float = 1.0) -> Any:
    """Poll ``check`` until it returns something truthy; raise ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class AirflowTopology:
    """Airflow components as processes sharing one ``AIRFLOW_HOME`` and configuration.

    ``config`` holds extra environment (``AIRFLOW__…`` settings, ``AIRFLOW_CONN_…`` connections,
    ``ANYMARKET_INTEGRATIONS_FILE``); the executor and databases come from there.
    """

    def __init__(
        self, home: Path, config: Mapping[str, str], *, base_path: str = "", bin_dir: Path = VENV_BIN
    ) -> None:
        self.home = home
        #: The ``bin`` folder whose ``airflow`` runs (another virtualenv's for tests/packaging).
        self.bin_dir = bin_dir
        self.logs = home / "process-logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.api_port = free_port()
        # ``base_path`` (e.g. "/airflow"): Airflow served under a path, as behind a shared proxy.
        self.url = f"http://127.0.0.1:{self.api_port}{base_path}"
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
        # The test process's own Airflow settings (unit-test mode, its private home) must not leak in.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTEST"))}
        self.env = {
            **inherited,
            # Components start other `airflow` processes: the venv's bin must come first.
            "PATH": f"{bin_dir}{os.pathsep}{inherited.get('PATH', '')}",
            "PYTHONPATH": f"{REPO_ROOT / 'plugins'}{os.pathsep}{REPO_ROOT}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.worker_hostname",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            # Every component signs and checks task tokens with the same secret (as in the compose).
            "AIRFLOW__API_AUTH__JWT_SECRET": "e2e-shared-jwt-secret-0123456789abcdef",
            "AIRFLOW__CORE__FERNET_KEY": "gK4V9gkxl2JqH0F7gQ1P3pQ3f2bqE8XbTq6gGq8Zs3c=",
            # New DAG files and changes show up within seconds instead of 5 minutes.
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            **config,
        }
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._token: str | None = None

    # -- processes ----------------------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 300) -> str:
        """Run an ``airflow`` CLI command to completion; its output, or an error with the output."""
        result = subprocess.run(
            [str(self.bin_dir / "airflow"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> None:
        """Start ``airflow <args>`` in its own process group; output goes to ``process-logs/<name>.log``."""
        log = (self.logs / f"{name}.log").open("wb")
        self._processes[name] = subprocess.Popen(
            [str(self.bin_dir / "airflow"), *args],
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its children (task supervisors, gunicorn/uvicorn workers) too
            cwd=self.home,
        )
        log.close()

    def check_running(self) -> None:
        """Fail with the log's tail when a component has exited."""
        for name, process in self._processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"airflow {name} exited with {process.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM every process group started, then SIGKILL what is left after 20 s."""
        for process in self._processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self._processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(process, signal.SIGKILL)  # stray children of an exited leader, too
            process.wait()
        self._processes.clear()

    # -- readiness ----------------------------------------------------------------------------

    def wait_for_api(self, timeout: float = 180) -> None:
        def healthy() -> bool:
            self.check_running()
            try:
                return requests.get(f"{self.url}/api/v2/monitor/health", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        wait_until("the api-server's health endpoint", healthy, timeout)

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 180) -> None:
        """Wait until the DAG processor has serialised every DAG in ``dag_ids``."""

        def parsed() -> bool:
            self.check_running()
            return all(self.api("GET", f"/api/v2/dags/{dag_id}", ok=(200, 404)).ok for dag_id in dag_ids)

        wait_until(f"the DAG processor to parse {', '.join(dag_ids)}", parsed, timeout, interval=2)

    # -- REST API -----------------------------------------------------------------------------

    def token(self) -> str:
        if self._token is None:
            response = requests.post(
                f"{self.url}/auth/token",
                json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                timeout=30,
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 204), **kwargs: Any) -> Any:
        """Call the public REST API as admin; raise with the body on an unexpected status."""
        kwargs.setdefault("timeout", 30)
        response = requests.request(
            method, self.url + path, headers={"Authorization": f"Bearer {self.token()}"}, **kwargs
        )
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response

    def create_pool(self, name: str, slots: int, description: str = "") -> None:
        body = {"name": name, "slots": slots, "description": description, "include_deferred": False}
        if self.api("POST", "/api/v2/pools", json=body, ok=(201, 409)).status_code == 409:
            self.api("PATCH", f"/api/v2/pools/{name}", json=body)

    def dag(self, dag_id: str) -> dict[str, Any]:
        return self.api("GET", f"/api/v2/dags/{dag_id}").json()

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None) -> str:
        """A manual run (no logical date, as the UI's trigger button); its run id."""
        body = {"logical_date": None, "conf": dict(conf or {})}
        return self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body).json()["dag_run_id"]

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100}).json()["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return self.api("GET", path).json()["task_instances"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 180) -> dict[str, Any]:
        """Wait for a run to finish; fail with its task logs' location when it did not succeed."""

        def finished() -> dict[str, Any] | None:
            self.check_running()
            run = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()
            return run if run["state"] in ("success", "failed") else None

        run = wait_until(f"run {run_id} of {dag_id}", finished, timeout)
        if run["state"] != "success":
            raise AssertionError(f"{dag_id} run {run_id} {run['state']}; task logs in {self.home / 'logs'}")
        return run


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
