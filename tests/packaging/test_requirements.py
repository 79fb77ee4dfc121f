"""The production image's dependencies hold no test or dev tool.

The Dockerfile installs ``requirements.txt`` (pinned by ``constraints.txt``) and the distribution with
``--no-deps``, so what the image holds is the resolution of ``requirements.txt``: pip resolves it here
without installing anything (``--dry-run --report``), the way the image build would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: What only tests and developers use (requirements-dev.txt); none may reach the image.
DEV_TOOLS = {"pytest", "ruff", "mypy", "playwright", "aiosmtpd", "openapi-core", "mutmut", "hatchling"}


def _names(requirements: Path) -> set[str]:
    names = set()
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[=<>~!; ]", line, maxsplit=1)[0].lower())
    return names


def test_the_dockerfile_installs_the_runtime_requirements_only() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install[^\n]*", dockerfile)
    assert installs and all("requirements-dev" not in line for line in installs)
    assert any("-r /opt/anymarket/requirements.txt" in line for line in installs)
    assert not _names(ROOT / "requirements.txt") & DEV_TOOLS
    # Every dev tool is declared somewhere, so the list above cannot go stale silently.
    assert _names(ROOT / "requirements-dev.txt") >= DEV_TOOLS


@pytest.mark.slow
def test_the_runtime_resolution_pulls_in_no_test_tool(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report),
            "-r",
            str(ROOT / "requirements.txt"),
            "-c",
            str(ROOT / "constraints.txt"),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    resolved = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    print(f"\nthe image's Python packages (requirements.txt resolved): {len(resolved)}")
    assert not resolved & DEV_TOOLS, f"test/dev tools in the image: {sorted(resolved & DEV_TOOLS)}"
    assert {"apache-airflow", "pandas", "sqlalchemy"} <= resolved
