"""The panel report's rules: what to post to POST /monitorings, and the body (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from anymarket.rules.monitorings import Problem, monitoring_body, plan

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def problems(*keys: str) -> dict[str, Problem]:
    found = [Problem(k.split(":")[0], k.split(":")[1], f"msg {k}") for k in keys]
    return {p.partner_id: p for p in found}


@pytest.mark.parametrize(
    ("open_now", "posted", "post", "solve"),
    [
        ((), {}, [], []),
        (("order:1",), {}, ["order:1"], []),  # new: posted once
        (("order:1",), {"order:1": "PENDING"}, [], []),  # posted, still open: nothing
        ((), {"order:1": "PENDING"}, [], ["order:1"]),  # cleared: solved once
        ((), {"order:1": "CONCLUDED"}, [], []),  # solved already: nothing
        (("order:1",), {"order:1": "CONCLUDED"}, ["order:1"], []),  # back again: posted again
        (
            ("run:send_stock", "product:P1"),
            {"order:9": "PENDING"},
            ["product:P1", "run:send_stock"],
            ["order:9"],
        ),
    ],
)
def test_plan(open_now, posted, post, solve) -> None:
    result = plan(problems(*open_now), posted)
    assert [p.partner_id for p in result.post] == post and result.solve == solve


def test_body_follows_the_spec_and_cuts_texts() -> None:
    problem = Problem("order", "77", "Pedido 77 retido", "a\n  b " * 3000)
    body = monitoring_body(
        problem, partner_id="order:77", origin="Airflow (Loja)", at=AT, status="PENDING", message="m " * 400
    )
    assert body["partnerId"] == "order:77" and body["type"] == "ALERT" and body["status"] == "PENDING"
    assert body["createdAt"] == "2026-12-07T12:00:00+00:00" and body["origin"] == "Airflow (Loja)"
    assert len(body["message"]) == 500 and body["message"].endswith("…")
    assert len(body["details"]) == 4000 and "\n" not in body["details"]
    run = monitoring_body(
        None, partner_id="run:send_stock", origin="", at=AT, status="CONCLUDED", message="x"
    )
    assert run["type"] == "INTERNAL_ERROR" and "details" not in run and run["origin"] == "airflow-anymarket"
    assert (
        monitoring_body(None, partner_id="product:P", origin="o", at=AT, status="PENDING", message="")[
            "message"
        ]
        == "product:P"
    )


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^monitoring times must carry a timezone \(AnyMarket's createdAt"):
        monitoring_body(
            None, partner_id="order:1", origin="o", at=datetime(2026, 1, 1), status="PENDING", message="m"
        )


def body(partner_id: str = "order:1", *, origin: str = "o", message: str = "m") -> dict[str, str]:
    return monitoring_body(
        None, partner_id=partner_id, origin=origin, at=AT, status="PENDING", message=message
    )


@pytest.mark.parametrize(
    ("partner_id", "expected"),
    [
        ("order:1", "ALERT"),
        ("product:A:B", "ALERT"),  # a code with a colon: the kind is before the first one
        ("run:send_stock", "INTERNAL_ERROR"),
        ("run:a:b", "INTERNAL_ERROR"),
        ("other:1", "ALERT"),  # a kind the table does not know is a person's to look at
        ("nocolon", "ALERT"),
    ],
)
def test_the_type_follows_the_kind_before_the_first_colon(partner_id: str, expected: str) -> None:
    assert body(partner_id)["type"] == expected


def test_texts_are_cut_at_the_specs_limits_and_not_before() -> None:
    assert body(message="m" * 500)["message"] == "m" * 500  # exactly the limit: kept whole
    assert body(message="m" * 501)["message"] == "m" * 499 + "…"
    assert body(origin="o" * 100)["origin"] == "o" * 100
    assert body(origin="o" * 101)["origin"] == "o" * 99 + "…"
    assert body("order:" + "9" * 300)["partnerId"] == "order:" + "9" * 244  # 250 characters
