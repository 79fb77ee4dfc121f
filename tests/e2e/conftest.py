"""End-to-end tiers: real Airflow processes against the AnyMarket sandbox (``-m browser``, ``-m celery``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from anymarket_sandbox.server import SandboxServer
from anymarket_sandbox.testing import validated_server
from tests.e2e.topology import REPO_ROOT

ARTIFACTS = REPO_ROOT / ".run" / "artifacts"
_saved: list[Path] = []


def artifact_path(tier: str, name: str) -> Path:
    """Where a test artifact goes (``.run/artifacts/<tier>/<name>``); listed at the end of the run."""
    path = ARTIFACTS / tier / name
    path.parent.mkdir(parents=True, exist_ok=True)
    _saved.append(path)
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    existing = [p for p in _saved if p.exists()]
    if existing:
        terminalreporter.section("end-to-end artifacts")
        for path in existing:
            terminalreporter.write_line(str(path))


@pytest.fixture(scope="module")
def e2e_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of the tier's own, on loopback; Airflow's task processes call it over HTTP. It validates
    their traffic against AnyMarket's OpenAPI spec (when the spec is here): the module's last test errors
    on leaving it with each violation outside the tolerated list."""
    with validated_server(where="the e2e tier's sandbox (Airflow task processes' requests)") as server:
        yield server
