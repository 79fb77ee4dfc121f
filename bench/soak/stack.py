"""The soak's world on one machine: the AnyMarket sandbox (demo mode, selling), an SMTP sink and
``airflow standalone`` with this project's ``dags/`` and ``plugins/`` in a private ``AIRFLOW_HOME``,
wired like ``scripts/demo.sh`` does it (connections from ``AIRFLOW_CONN_*``, the pool, the callback
URL, the demo ERP and mappings) but with an integrations file of its own, tuned to make minutes count.
Every process runs in its own process group and is stopped with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INTEGRATION = "soak"
TOKEN, OI = "soak-token", "soak-oi."
BRT = timezone(timedelta(hours=-3))
#: Schedules that let a few minutes hold many runs: every minute (cron's finest grain) for the
#: automations that move data, the installers less often. An automation not listed (one built
#: later) runs every minute too, so it joins the soak without an edit here.
SCHEDULES = {"test_connection": "*/5 * * * *", "install_deposits": "*/10 * * * *"}
EVERY_MINUTE = "* * * * *"


def soak_schedules() -> dict[str, str | None]:
    """The schedule of every built automation in the soak: scheduled ones per :data:`SCHEDULES`
    (every minute when not listed, so an automation built later joins without an edit here);
    manual ones (no default schedule: catalog import, mapping management) stay manual."""
    from anymarket import automations

    return {
        name: SCHEDULES.get(name, EVERY_MINUTE) if automations.get(name).default_schedule else None
        for name in automations.names()
    }


def every_minute_automations() -> list[str]:
    """The automations the soak runs every minute (the catch-up waits for their runs)."""
    return [name for name, cron in soak_schedules().items() if cron == EVERY_MINUTE]


#: The AnyMarket connection's extra for the soak: give up on a request after 1.5 s (the sandbox's
#: timeout fault sleeps 2 s, so a faulted request really times out client-side while the sandbox
#: still applies it), retry quickly, and never sit out a Retry-After over 5 s (leave it to the
#: task's retry) so a run never stalls for minutes.
CONNECTION_EXTRA = {
    "timeout": 1.5,
    "max_retries": 5,
    "backoff_base": 0.5,
    "backoff_max": 4,
    "max_retry_after": 5,
    "callback_secret": "soak-callback-secret-5d1e9a7c4b20",
}
CALLBACK_SECRET = CONNECTION_EXTRA["callback_secret"]
#: Order settings that make a run short and the safety nets frequent.
ORDER_SETTINGS = {"callback_watch_seconds": 20, "pending_recheck_minutes": 1, "reconcile_days": 1}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, check: Callable[[], Any], timeout: float, interval: float = 1.0) -> Any:
    """Poll ``check`` until truthy; ``TimeoutError`` naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class StackConfig:
    workdir: Path
    demo_interval: float
    requests_per_hour: int
    seed: int
    products: int


class Stack:
    """Start, wire and stop the processes (see the module docstring)."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.run = config.workdir
        self.sandbox_port = free_port()
        self.airflow_port = free_port()
        self.smtp_port = free_port()
        self.erp_url = f"sqlite:///{self.run / 'erp.db'}"
        self.mapping_url = f"sqlite:///{self.run / 'mapping.db'}"
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.integrations_file = self.run / "integrations.yaml"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    # -- environment --------------------------------------------------------------------------

    @property
    def connection_requests_per_hour(self) -> int:
        return self.config.requests_per_hour

    @property
    def validating(self) -> bool:
        """The sandbox checks every exchange against AnyMarket's OpenAPI export (when it is here)."""
        from anymarket_sandbox import conformance

        return conformance.enabled()[0]

    def env(self) -> dict[str, str]:
        home = self.run / "airflow"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTEST"))}
        anymarket = {
            "conn_type": "http",
            "host": f"{self.sandbox_url}/v2",
            "password": TOKEN,
            "extra": {"oi": OI, "requests_per_hour": self.config.requests_per_hour, **CONNECTION_EXTRA},
        }
        smtp_extra = {"disable_ssl": True, "disable_tls": True, "from_email": "soak@localhost"}
        return {
            **inherited,
            "PATH": f"{BIN}:{inherited.get('PATH', '')}",
            "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "6",
            # Unpaused as soon as parsed: the soak starts every automation on its schedule at once.
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__API__PORT": str(self.airflow_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.airflow_port}/execution/",
            "ANYMARKET_INTEGRATIONS_FILE": str(self.integrations_file),
            "AIRFLOW_CONN_ANYMARKET_SOAK": json.dumps(anymarket),
            "AIRFLOW_CONN_ANYMARKET_SOAK_ERP": json.dumps(
                {"conn_type": "sqlite", "host": str(self.run / "erp.db")}
            ),
            "AIRFLOW_CONN_ANYMARKET_MAPPING_DB": json.dumps(
                {"conn_type": "sqlite", "host": str(self.run / "mapping.db")}
            ),
            "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps(
                {"conn_type": "smtp", "host": "127.0.0.1", "port": self.smtp_port, "extra": smtp_extra}
            ),
        }

    def integrations_yaml(self) -> dict[str, Any]:
        today = datetime.now(BRT).date()  # every soak order is created today (Brazilian time)
        return {
            "integrations": {
                INTEGRATION: {
                    "name": "Soak (sandbox under faults)",
                    "environment": "sandbox",
                    "alert_emails": ["ops@example.com"],
                    "pool_slots": 4,
                    "schedules": soak_schedules(),
                    "stock": {"rule": "mapped_deposits", "balance": "available", "safety_stock": 2},
                    "orders": {"cutoff_date": today.isoformat(), **ORDER_SETTINGS},
                }
            }
        }

    # -- set-up -------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Fresh work dir, integrations file, demo ERP, migrated mapping DB with the demo mappings."""
        from anymarket.mapping.database import MappingDatabase
        from anymarket_sandbox.demo_erp import seed_demo_erp

        if self.run.exists():
            shutil.rmtree(self.run)
        (self.run / "maildir").mkdir(parents=True)
        self.integrations_file.write_text(yaml.safe_dump(self.integrations_yaml()))
        seed_demo_erp(self.erp_url, products=self.config.products, seed=self.config.seed)
        mapping = MappingDatabase.from_url(self.mapping_url)
        mapping.upgrade()
        demo_mappings = yaml.safe_load((ROOT / "anymarket_sandbox" / "demo_mappings.yaml").read_text())
        for kind, pairs in demo_mappings.items():
            for key, value in pairs.items():
                mapping.set_mapping(INTEGRATION, kind, str(key), str(value))
        mapping.engine.dispose()

    def start_sandbox(self) -> None:
        from anymarket_sandbox.demo_erp import demo_sku_codes

        env = {
            **self.env(),
            "SANDBOX_PORT": str(self.sandbox_port),
            "SANDBOX_TOKEN": TOKEN,
            "SANDBOX_OI": OI,
            "SANDBOX_DEMO_INTERVAL": str(self.config.demo_interval),
            "SANDBOX_DEMO_SKUS": ",".join(demo_sku_codes(self.erp_url)),
            "SANDBOX_SEED": str(self.config.seed),
            "SANDBOX_REQUESTS_PER_HOUR": str(self.config.requests_per_hour),
            "SANDBOX_VALIDATE_OPENAPI": "1" if self.validating else "0",
        }
        self._spawn("sandbox", [str(BIN / "python"), "-m", "anymarket_sandbox", "--demo"], env)
        self._spawn(
            "smtp",
            [
                str(BIN / "python"),
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.smtp_port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.run / "maildir"),
            ],
            env,
        )
        wait_until(
            "the sandbox", lambda: requests.get(f"{self.sandbox_url}/_sandbox/health", timeout=2).ok, 60
        )
        requests.post(
            f"{self.sandbox_url}/v2/callbacks",
            headers={"gumgaToken": TOKEN},
            json={
                "url": f"http://127.0.0.1:{self.airflow_port}/anymarket/callbacks/{INTEGRATION}/{CALLBACK_SECRET}",
                "orderActive": True,
            },
            timeout=10,
        ).raise_for_status()

    def start_airflow(self) -> None:
        env = self.env()
        self._airflow(["db", "migrate"], env)
        from anymarket.settings import get_integration

        integration = get_integration(INTEGRATION, self.integrations_file)
        self._airflow(["pools", "set", integration.pool, str(integration.pool_slots), "soak"], env)
        self._spawn("airflow", [str(BIN / "airflow"), "standalone"], env)
        wait_until(
            "the Airflow API server",
            lambda: requests.get(f"http://127.0.0.1:{self.airflow_port}/api/v2/monitor/health", timeout=3).ok,
            300,
            interval=2,
        )

    def _airflow(self, args: list[str], env: dict[str, str]) -> None:
        log = self.run / f"airflow-{args[0]}.log"
        with log.open("ab") as out:
            subprocess.run([str(BIN / "airflow"), *args], env=env, stdout=out, stderr=out, check=True)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.run / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )

    def stop(self) -> None:
        """TERM every process group, then KILL what is left after 20 s."""
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def dead(self) -> list[str]:
        """Names of processes that exited (none should while the soak runs)."""
        return [name for name, p in self.processes.items() if p.poll() is not None]


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
