"""The shared words: names compared as a person would, Brazil's time, the order status lifecycle."""

from __future__ import annotations

from datetime import UTC, date, datetime

from anymarket import vocabulary as v
from anymarket.operators.import_orders import _day_filter
from anymarket.orders.importer import day_start


def test_normalize_name_ignores_case_accents_and_spacing() -> None:
    assert v.normalize_name("  CD  São Paulo ") == v.normalize_name("cd sao paulo")
    assert v.normalize_name("CD Recife") != v.normalize_name("CD Recife 2")


def test_a_brazilian_day_is_minus_three_hours_today() -> None:
    assert _day_filter(date(2026, 1, 31)) == {
        "createdAfter": "2026-01-31T00:00:00.000-03:00",
        "createdBefore": "2026-01-31T23:59:59.999-03:00",
    }
    assert day_start(date(2026, 7, 1)) == datetime(2026, 7, 1, 3, 0, tzinfo=UTC)


def test_the_status_lifecycle() -> None:
    assert {*v.RANK, v.CANCELED} == v.STATUSES
    assert v.CANCELED not in v.RANK  # reachable from any status, never ranked
    lifecycle = sorted(v.RANK, key=v.RANK.__getitem__)
    assert lifecycle == [v.PENDING, v.PAID, v.INVOICED, v.SHIPPED, v.DELIVERY_ISSUE, v.CONCLUDED]
