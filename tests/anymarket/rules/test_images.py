"""The image read-back rule: what an image AnyMarket answered means (no I/O)."""

from __future__ import annotations

import pytest

from anymarket.rules.images import NO_MESSAGE, image_outcome


@pytest.mark.parametrize(
    ("remote", "checks", "expected"),
    [
        (None, 1, ("GONE", None)),
        ({"status": "PROCESSED"}, 1, ("PROCESSED", None)),
        ({"status": "processed"}, 5, ("PROCESSED", None)),
        ({"status": "ERROR", "statusMessage": " Não foi possível baixar a imagem. "}, 1,
         ("ERROR", "Não foi possível baixar a imagem.")),
        ({"status": "ERROR"}, 1, ("ERROR", NO_MESSAGE)),
        ({"status": "ERROR", "statusMessage": "  "}, 5, ("ERROR", NO_MESSAGE)),
        ({"status": "UNPROCESSED"}, 1, ("UNPROCESSED", None)),
        ({"status": "UNPROCESSED"}, 2, ("UNPROCESSED", None)),
        ({"status": "UNPROCESSED"}, 3, ("UNCONFIRMED", "still UNPROCESSED after 3 reads")),
        ({"status": "UNPROCESSED"}, 4, ("UNCONFIRMED", "still UNPROCESSED after 4 reads")),
        ({}, 1, ("UNPROCESSED", None)),
        ({}, 3, ("UNCONFIRMED", "still without a status after 3 reads")),
    ],
)  # fmt: skip
def test_image_outcome(remote, checks, expected) -> None:
    assert image_outcome(remote, checks=checks, max_checks=3) == expected
