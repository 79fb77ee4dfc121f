"""``docker-compose.yaml`` checked without Docker: Airflow 3's official topology, wired for this project.

Docker cannot run on the CI machines; these checks catch what would only fail at ``docker compose
up``: a missing service, a component with its own JWT secret, a result backend on a driver that is not
installed, a connection that is not valid JSON, demo services outside their profile.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from tests.e2e.topology import REPO_ROOT

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text())["services"]


def test_the_official_topology_is_there(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES} <= set(services)
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command, name
        assert services[name]["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
    assert services["airflow-worker"]["deploy"]["replicas"] == 2
    assert "/api/v2/monitor/health" in " ".join(services["airflow-apiserver"]["healthcheck"]["test"])


def test_every_component_shares_executor_databases_and_secrets(services: dict[str, Any]) -> None:
    shared = (
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "ANYMARKET_INTEGRATIONS_FILE",
    )
    envs = {name: services[name]["environment"] for name in [*AIRFLOW_SERVICES, "airflow-init"]}
    for key in shared:
        assert len({str(env.get(key)) for env in envs.values()}) == 1, f"{key} differs between services"
    env = envs["airflow-worker"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = env["AIRFLOW__CELERY__BROKER_URL"]
    assert broker.startswith("redis://") and "@redis:" in broker
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    # SQLAlchemy 2.1 would pick psycopg 3 for a bare "postgresql://", which is not installed.
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"


def test_connections_are_json_and_use_three_databases(services: dict[str, Any]) -> None:
    env = services["airflow-worker"]["environment"]
    connections = {k: json.loads(v) for k, v in env.items() if k.startswith("AIRFLOW_CONN_")}
    assert {
        "AIRFLOW_CONN_ANYMARKET_MAPPING_DB",
        "AIRFLOW_CONN_ANYMARKET_DEMO",
        "AIRFLOW_CONN_ANYMARKET_DEMO_ERP",
        "AIRFLOW_CONN_SMTP_DEFAULT",
    } <= set(connections)
    metadata_db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1]
    databases = {
        metadata_db,
        connections["AIRFLOW_CONN_ANYMARKET_MAPPING_DB"]["schema"],
        connections["AIRFLOW_CONN_ANYMARKET_DEMO_ERP"]["schema"],
    }
    assert len(databases) == 3
    init_script = services["airflow-init"]["command"][-1]
    for database in databases - {metadata_db}:
        assert database in init_script  # created by airflow-init
    assert "anymarket.mapping upgrade" in init_script and "airflow pools set" in init_script
    demo = connections["AIRFLOW_CONN_ANYMARKET_DEMO"]
    assert demo["conn_type"] == "http" and demo["extra"]["oi"] and demo["extra"]["timeout"]


def test_sandbox_and_mail_catcher_only_in_the_demo_profile(services: dict[str, Any]) -> None:
    for name in ("anymarket-sandbox", "smtp"):
        assert services[name]["profiles"] == ["demo"]
    for name, service in services.items():
        if name not in ("anymarket-sandbox", "smtp"):
            assert "profiles" not in service, name
    demo = json.loads(services["airflow-worker"]["environment"]["AIRFLOW_CONN_ANYMARKET_DEMO"])
    assert demo["host"].startswith("http://anymarket-sandbox:8765/")
    smtp = json.loads(services["airflow-worker"]["environment"]["AIRFLOW_CONN_SMTP_DEFAULT"])
    assert smtp["host"] == "smtp"


def test_image_matches_the_pinned_airflow() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    requirements = (REPO_ROOT / "requirements.txt").read_text()
    image = re.search(r"^FROM apache/airflow:(\S+)-python3\.11$", dockerfile, re.M)
    pinned = re.search(r"^apache-airflow==(\S+)$", requirements, re.M)
    assert image and pinned and image.group(1) == pinned.group(1)
