"""Bad inputs are refused before any database is touched, so one mapping DB engine is enough here
(the operators' own tests run every path on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"
