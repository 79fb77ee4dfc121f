"""The soak tier's marker (registered here so the shared pytest configuration needs no edit)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "soak: chaos soak of a real Airflow against the faulty sandbox, then the invariant checker "
        "(SOAK_MINUTES; `make test` runs it)",
    )
