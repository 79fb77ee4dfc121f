"""The distribution as someone else's Airflow gets it: the wheel, installed into a fresh virtualenv.

One wheel is built from this checkout (pyproject.toml, hatchling) and installed with Airflow into a new
virtualenv — no ``--system-site-packages``, no ``PYTHONPATH``: only what the wheel and its declared
dependencies bring. pip resolves with the project's ``constraints.txt`` from the local cache/index
(about 2 minutes on a busy 2-core machine). Then that virtualenv's Airflow shows:

* ``airflow providers list`` lists the provider, with the ``anymarket`` connection type;
* its api-server serves the ``anymarket`` connection form (labelled fields, hidden standard ones);
* the Test button's endpoint runs the hook's ``test_connection`` against the AnyMarket sandbox (a
  real HTTP server): passes with the sandbox's token and OI, fails clearly with a wrong token;
* a three-line DAG file and an integrations file produce every automation's DAG;
* the ERP SQL contract is inside the installed package, and is what the ERP layer reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from anymarket import automations
from anymarket_sandbox.server import SandboxServer
from tests.e2e.shop import write_integrations
from tests.e2e.topology import REPO_ROOT, AirflowTopology

pytestmark = pytest.mark.slow

DISTRIBUTION = "airflow-provider-anymarket"
INTEGRATION = "shop"
#: The whole DAG file a team adds to its DAGs folder (Airflow only parses files that say "airflow" and
#: "dag"; the docstring does).
THREE_LINE_DAG_FILE = (
    '"""Airflow DAGs: every AnyMarket automation, one DAG per integration of the integrations file."""\n'
    "from anymarket import automations, dag_factory\n"
    "for name in automations.names(): dag_factory.register_automation_dags(name, globals())\n"
)


@dataclass
class Installed:
    wheel: Path
    venv: Path
    install_seconds: float

    @property
    def bin(self) -> Path:
        return self.venv / "bin"


def _run(*args: str | Path, timeout: float = 900, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("distribution")
    # The dev virtualenv's hatchling builds it (requirements-dev.txt): no download at build time.
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        root / "dist",
        REPO_ROOT,
    )
    (wheel,) = (root / "dist").glob("airflow_provider_anymarket-*.whl")
    venv = root / "venv"
    started = time.monotonic()
    _run(sys.executable, "-m", "venv", venv)
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run(
        venv / "bin" / "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        wheel,
        "-c",
        REPO_ROOT / "constraints.txt",
        env=clean_env,
    )
    return Installed(wheel, venv, time.monotonic() - started)


@dataclass
class Deployment:
    airflow: AirflowTopology
    sandbox: SandboxServer
    dag_ids: set[str]


@pytest.fixture(scope="module")
def deployment(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    home = tmp_path_factory.mktemp("airflow-installed")
    dags = home / "dags"
    dags.mkdir()
    (dags / "anymarket.py").write_text(THREE_LINE_DAG_FILE)
    integrations = write_integrations(
        home / "integrations.yaml",
        {
            INTEGRATION: {
                "name": "Shop (installed)",
                "environment": "sandbox",
                "alert_emails": ["ops@shop.example"],
            }
        },
    )
    (home / "plugins").mkdir()
    config = {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        # An empty plugins folder: nothing of this checkout is importable, only the installed package.
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        # The UI's Test button (POST /api/v2/connections/test) is off unless enabled.
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "ANYMARKET_INTEGRATIONS_FILE": str(integrations),
    }
    airflow = AirflowTopology(home, config, bin_dir=installed.bin)
    airflow.env.pop("PYTHONPATH")
    airflow.env.pop("VIRTUAL_ENV", None)
    dag_ids = {f"anymarket_{INTEGRATION}__{name}" for name in automations.names()}
    with SandboxServer() as sandbox:
        try:
            airflow.airflow("db", "migrate")
            airflow.start("api-server", "api-server")
            airflow.wait_for_api()
            yield Deployment(airflow, sandbox, dag_ids)
        finally:
            airflow.stop()


def test_the_wheel_carries_the_package_the_contract_and_the_entry_point(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_text = wheel.read(entry_points).decode()
    assert {"anymarket/provider.py", "anymarket/hooks/anymarket.py", "anymarket/erp/sql/README.md"} <= names
    assert "anymarket/erp/sql/queries/list_deposits.sql" in names
    assert "anymarket/mapping/migrations/script.py.mako" in names  # non-Python package data too
    assert not any(n.startswith(("tests/", "anymarket_sandbox/", "dags/")) for n in names)
    assert "[apache_airflow_provider]" in entry_text
    assert "provider_info = anymarket.provider:get_provider_info" in entry_text
    print(f"fresh virtualenv + install of the wheel with Airflow: {installed.install_seconds:.0f} s")


def test_the_installed_package_reads_its_own_sql_contract(installed: Installed) -> None:
    code = (
        "import anymarket, anymarket.erp.database as d, pathlib, sys;"
        "print(json.dumps([anymarket.__file__, str(d.DEFAULT_SQL_DIR), sys.path]))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTEST", "ANYMARKET"))},
        "AIRFLOW_HOME": str(installed.venv / "airflow-home"),
    }
    env.pop("PYTHONPATH", None)
    out = _run(installed.bin / "python", "-c", "import json;" + code, env=env)
    package_file, sql_dir, _ = json.loads(out)
    assert Path(package_file).is_relative_to(installed.venv), package_file
    assert Path(sql_dir) == Path(package_file).parent / "erp" / "sql"
    assert (Path(sql_dir) / "queries" / "list_deposits.sql").is_file()


def test_airflow_lists_the_provider(deployment: Deployment) -> None:
    providers = _json_of(deployment.airflow.airflow("providers", "list", "-o", "json"))
    ours = [p for p in providers if p["package_name"] == DISTRIBUTION]
    assert ours, f"{DISTRIBUTION} not in {[p['package_name'] for p in providers]}"
    assert ours[0]["version"] == _version_of_checkout()
    hooks = _json_of(deployment.airflow.airflow("providers", "hooks", "-o", "json"))
    anymarket = [h for h in hooks if h.get("connection_type") == "anymarket"]
    assert anymarket and anymarket[0]["class"] == "anymarket.hooks.anymarket.AnyMarketHook", anymarket


def test_the_api_server_serves_the_connection_form(deployment: Deployment) -> None:
    metas = deployment.airflow.api("GET", "/ui/connections/hook_meta").json()
    (form,) = [m for m in metas if m["connection_type"] == "anymarket"]
    assert form["hook_name"] == "AnyMarket"
    standard = form["standard_fields"]
    assert standard["host"]["title"] == "API base URL" and standard["host"]["placeholder"].startswith(
        "https://"
    )
    assert standard["password"]["title"] == "gumgaToken"
    assert standard["login"]["hidden"] and standard["url_schema"]["hidden"]
    assert standard["port"]["title"] == "Port of the API" and not standard["port"]["hidden"]
    extra = form["extra_fields"]
    for key in ("oi", "environment", "requests_per_hour", "timeout", "stock_batch_size", "page_size"):
        assert key in extra, f"{key} missing from {sorted(extra)}"
    assert extra["oi"]["schema"]["title"] == "OI"
    assert extra["stock_batch_size"]["schema"]["maximum"] == 200
    assert extra["callback_secret"]["schema"]["format"] == "password"


def test_the_test_button_checks_token_and_oi_against_the_sandbox(deployment: Deployment) -> None:
    sandbox = deployment.sandbox
    body = {
        "connection_id": "anymarket_shop",
        "conn_type": "anymarket",
        "host": sandbox.base_url,
        "password": sandbox.token,
        "extra": json.dumps({"oi": sandbox.oi, "timeout": 10}),
    }
    good = deployment.airflow.api("POST", "/api/v2/connections/test", json=body).json()
    assert good["status"] is True, good
    assert f"Connected to {sandbox.base_url}: the token is accepted" in good["message"]

    wrong = deployment.airflow.api(
        "POST", "/api/v2/connections/test", json={**body, "password": "not-the-token"}
    ).json()
    assert wrong["status"] is False
    assert "refused the token" in wrong["message"] and "gumgaToken" in wrong["message"]

    no_oi = deployment.airflow.api(
        "POST", "/api/v2/connections/test", json={**body, "extra": json.dumps({"oi": "12345"})}
    ).json()
    assert no_oi["status"] is False and "ending with a dot" in no_oi["message"]


def test_three_lines_and_an_integrations_file_make_the_dags(deployment: Deployment) -> None:
    listed = _json_of(deployment.airflow.airflow("dags", "list", "--local", "-o", "json"))
    assert {d["dag_id"] for d in listed} == deployment.dag_ids
    errors = _json_of(deployment.airflow.airflow("dags", "list-import-errors", "--local", "-o", "json"))
    assert errors == [], errors


def _json_of(output: str) -> Any:
    """The JSON an ``airflow … -o json`` printed, after any log lines it printed first."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(("[", "{"))), None)
    assert start is not None, f"no JSON in:\n{output}"
    return json.loads("\n".join(lines[start:]))


def _version_of_checkout() -> str:
    import tomllib

    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
