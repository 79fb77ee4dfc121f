"""Progress lines for long bulk work: n / total, requests per item, an ETA at the lane's pace."""

from __future__ import annotations

import logging

import pytest

from anymarket.progress import Progress, duration_text, eta_seconds


@pytest.mark.parametrize(
    ("remaining", "per_item", "per_second", "expected"),
    [
        (100, 2.0, 1.0, 200.0),
        (5000, 2.0, 3500 / 3600, 5000 * 2 * 3600 / 3500),
        (0, 2.0, 1.0, 0.0),
        (10, 0.0, 1.0, None),  # nothing measured yet
        (10, 2.0, 0.0, None),
    ],
)
def test_eta(remaining: int, per_item: float, per_second: float, expected: float | None) -> None:
    assert eta_seconds(remaining=remaining, requests_per_item=per_item, requests_per_second=per_second) == (
        pytest.approx(expected) if expected is not None else None
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "unknown"), (10, "under a minute"), (240, "4 min"), (3900, "1 h 05 min"), (36000, "10 h 00 min")],
)
def test_duration_text(seconds: float | None, text: str) -> None:
    assert duration_text(seconds) == text


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_uses_the_slower_of_the_lane_and_the_measured_pace(caplog: pytest.LogCaptureFixture) -> None:
    clock, sent = Clock(), [0]
    log = logging.getLogger("test.progress")
    progress = Progress(
        what="products",
        total=100,
        requests_sent=lambda: sent[0],
        requests_per_second=1.0,
        log=log,
        clock=clock,
    )
    with caplog.at_level(logging.INFO, logger="test.progress"):
        sent[0], clock.now = 20, 5.0  # a burst: 4 requests a second measured, but the lane allows 1
        progress.advance(10)
        assert progress.eta() == pytest.approx(90 * 2 / 1.0)
        assert caplog.messages == []  # at most one line per 30 s
        sent[0], clock.now = 40, 100.0  # the ERP is slow: 0.4 requests a second measured
        progress.advance(10)
    assert progress.eta() == pytest.approx(80 * 2 / 0.4)
    assert caplog.messages == [
        "20 / 100 products (20.0 %), 2.0 requests each, ETA 7 min at the current budget"
    ]
    assert progress.left() == "80 of 100 products"


def test_a_resumed_import_counts_what_was_done_before_but_not_in_its_requests() -> None:
    clock, sent = Clock(), [7]
    progress = Progress(
        what="products",
        total=1000,
        done=400,
        requests_sent=lambda: sent[0],
        requests_per_second=1.0,
        log=logging.getLogger("test.progress"),
        clock=clock,
    )
    sent[0], clock.now = 17, 10.0
    progress.advance(5)
    assert progress.requests_per_item() == 2.0
    assert progress.left() == "595 of 1000 products"
