"""Every inbound path covers every kind of the corpus, and every test id it names exists."""

from __future__ import annotations

import importlib

import pytest

from tests.anymarket.bad_inputs.corpus import KINDS

#: One module per inbound path.
PATHS = (
    "test_order_responses",  # AnyMarket API: an order
    "test_api_listings",  # AnyMarket API: the feed, order listings, warehouses
    "test_callbacks",  # AnyMarket callbacks
    "test_settings_file",  # the integrations file
    "test_mapping_csv",  # mapping CSV files (the ops page and manage_mappings)
)


def _test_ids(module: object) -> set[str]:
    """Parametrize ids and test function names of ``module``."""
    ids: set[str] = set()
    for name, value in vars(module).items():
        if not name.startswith("test_"):
            continue
        ids.add(name)
        for mark in getattr(value, "pytestmark", []):
            if mark.name == "parametrize":
                ids.update(mark.kwargs.get("ids") or [])
    return ids


@pytest.mark.parametrize("path", PATHS)
def test_each_path_covers_every_kind_with_real_tests(path: str) -> None:
    module = importlib.import_module(f"tests.anymarket.bad_inputs.{path}")
    covered = module.COVERED
    assert set(covered) == set(KINDS), f"{path}: missing kinds {set(KINDS) - set(covered)}"
    known = _test_ids(module)
    for kind, ids in covered.items():
        assert ids, f"{path}: no test for {kind}"
        assert set(ids) <= known, f"{path}: {kind} names tests that do not exist: {set(ids) - known}"
