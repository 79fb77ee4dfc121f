"""Bad callbacks posted to the real receiver (uvicorn on 127.0.0.1, the mapping DB inbox behind it).

Each is answered 400 with a message naming what is wrong, and the inbox stays empty. Callbacks carry
no dates or quantities: the corpus's "negative quantities" is a negative id there and "dates without
timezone" a date where the id belongs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from anymarket.mapping import models
from tests.anymarket.bad_inputs.corpus import HTML, HUGE, SQL
from tests.anymarket.operators.test_import_orders import Shop
from tests.anymarket.operators.test_import_orders_callbacks import receiver  # noqa: F401 (a fixture)

OI = "sandbox-oi."


def _valid(**content: Any) -> dict[str, Any]:
    return {"type": "ORDER", "content": {"id": "1234", "oi": OI, **content}}


#: (test id, raw body, fragment of the 400 message)
BAD_BODIES: list[tuple[str, str | bytes, str]] = [
    ("truncated", json.dumps(_valid())[:25], "body is not JSON"),
    ("not-utf8", b'{"type": "ORDER", "content": {"id": "\xff\xfe"}}', "body is not JSON"),
    ("content-a-list", json.dumps({"type": "ORDER", "content": [1234, OI]}), 'expected {"type"'),
    ("id-an-object", json.dumps(_valid(id={"value": 1234})), "content.id must be a numeric id"),
    ("id-a-boolean", json.dumps(_valid(id=True)), "content.id must be a numeric id"),
    ("oi-a-number", json.dumps(_valid(oi=12345)), "content.oi must be a non-empty string"),
    ("huge-body", json.dumps(_valid(oi=HUGE)), "body larger than"),
    ("html-type", json.dumps({"type": HTML, "content": {"id": "1", "oi": OI}}), "type must be one of"),
    ("sql-id", json.dumps(_valid(id=SQL)), "content.id must be a numeric id"),
    ("unknown-type", json.dumps({"type": "INVOICE_PAID", "content": {"id": "1", "oi": OI}}), "type must be"),
    ("no-content", json.dumps({"type": "ORDER"}), 'expected {"type"'),
    ("no-id", json.dumps({"type": "ORDER", "content": {"oi": OI}}), "content.id must be a numeric id"),
    ("no-oi", json.dumps({"type": "ORDER", "content": {"id": "1"}}), "content.oi must be a non-empty"),
    ("negative-id", json.dumps(_valid(id=-1234)), "content.id must be a numeric id"),
    ("date-as-id", json.dumps(_valid(id="2026-03-02T12:00:00")), "content.id must be a numeric id"),
    # `^...$` with re.match let a trailing newline through: a second row and a GET of "…%0A".
    ("id-newline", json.dumps(_valid(id="990000000002\n")), "content.id must be a numeric id"),
    # 1 900 levels in under 4 KB: json.loads recurses past Python's limit (a 500 and a trace before).
    ("deep-nesting", '{"type": "ORDER", "content": ' + "[" * 1900 + "]" * 1900 + "}", "nests deeper"),
]


@pytest.mark.parametrize(("case", "body", "fragment"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_a_bad_callback_is_refused_with_its_reason_and_nothing_is_queued(
    shop: Shop, receiver: str, case: str, body: str | bytes, fragment: str  # noqa: F811
) -> None:
    response = requests.post(receiver, data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    with shop.env.mapping.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(models.callback_inbox)).scalar_one() == 0


def test_a_sound_callback_is_queued(shop: Shop, receiver: str) -> None:  # noqa: F811
    """The control case: the same receiver and inbox accept a well-formed notification."""
    response = requests.post(receiver, json=_valid(), timeout=5)
    assert response.status_code == 200
    with shop.env.mapping.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(models.callback_inbox)).scalar_one() == 1


@pytest.fixture
def shop(integration_env: Any, tmp_path: Any) -> Shop:
    return Shop(integration_env, tmp_path)


COVERED = {
    "truncated_json": ["truncated", "not-utf8"],
    "wrong_types": ["content-a-list", "id-an-object", "id-a-boolean", "oi-a-number", "id-newline"],
    "huge_strings": ["huge-body", "deep-nesting"],
    "html_script": ["html-type"],
    "sql_like_codes": ["sql-id"],
    "unknown_enums": ["unknown-type"],
    "missing_required": ["no-content", "no-id", "no-oi"],
    "negative_quantities": ["negative-id"],
    "dates_without_timezone": ["date-as-id"],
}


def inbox_rows(shop: Shop) -> list[dict[str, Any]]:
    with shop.env.mapping.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.select(models.callback_inbox))]


def test_types_nothing_reads_are_acknowledged_and_not_stored(shop: Shop, receiver: str) -> None:  # noqa: F811
    for kind in ("PRODUCT", "QUESTION", "INBOUND_NFE"):
        response = requests.post(receiver, json={"type": kind, "content": {"id": "7", "oi": OI}}, timeout=5)
        assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert inbox_rows(shop) == []


def test_transmissions_are_kept_only_while_listing_health_is_enabled(shop: Shop, receiver: str) -> None:  # noqa: F811
    """listing_health reads TRANSMISSION callbacks (a listing changed); with it disabled nothing would,
    so they are not kept."""
    from anymarket.callbacks import app as receiver_app

    body = {"type": "TRANSMISSION", "content": {"id": "7", "oi": OI}}
    stored = requests.post(receiver, json=body, timeout=5)
    assert (stored.status_code, stored.json()["status"]) == (200, "stored")
    assert [(r["resource_type"], r["resource_id"]) for r in inbox_rows(shop)] == [("TRANSMISSION", "7")]
    door = receiver_app._connection_door("loja1")
    assert door is not None and door.stored == {"ORDER", "TRANSMISSION"}
    settings = Path(os.environ["ANYMARKET_INTEGRATIONS_FILE"])
    only_orders = "    name: Loja 1\n    automations: [import_orders]\n"
    settings.write_text(settings.read_text().replace("    name: Loja 1\n", only_orders, 1))
    door = receiver_app._connection_door("loja1")
    assert door is not None and door.stored == {"ORDER"}


def test_the_inbox_cap_is_per_type(shop: Shop, receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A flood of one type (TRANSMISSION) never blocks orders."""
    from anymarket.callbacks import inbox

    monkeypatch.setattr(inbox, "MAX_PENDING", 2)
    listing = {"type": "TRANSMISSION", "content": {"id": "1", "oi": OI}}
    listings = []
    for i in range(1, 4):
        listing["content"]["id"] = str(i)
        listings.append(requests.post(receiver, json=listing, timeout=5).status_code)
    assert listings == [200, 200, 429]
    orders = [requests.post(receiver, json=_valid(id=str(i)), timeout=5).status_code for i in range(1, 4)]
    assert orders == [200, 200, 429]


def test_the_inbox_is_capped_per_integration(
    shop: Shop, receiver: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from anymarket.callbacks import inbox

    monkeypatch.setattr(inbox, "MAX_PENDING", 3)
    statuses = [requests.post(receiver, json=_valid(id=str(i)), timeout=5).status_code for i in range(1, 6)]
    assert statuses == [200, 200, 200, 429, 429]
    # A duplicate of a waiting one still collapses into its row.
    assert requests.post(receiver, json=_valid(id="2"), timeout=5).status_code == 200
    assert sorted(r["resource_id"] for r in inbox_rows(shop)) == ["1", "2", "3"]


def test_a_duplicate_does_not_give_a_failing_callback_its_attempts_back(shop: Shop, receiver: str) -> None:  # noqa: F811
    from anymarket.callbacks import inbox
    from anymarket.errors import CALLBACK_MAX_ATTEMPTS

    mapping = shop.env.mapping
    for attempt in range(1, CALLBACK_MAX_ATTEMPTS + 1):
        assert requests.post(receiver, json=_valid(), timeout=5).status_code == 200  # re-posted each time
        [waiting] = inbox.pending(mapping, "loja1", "ORDER")
        assert waiting.attempts == attempt - 1
        inbox.mark_failed_attempt(mapping, waiting, "GET /orders/1234: 404")
    assert requests.post(receiver, json=_valid(), timeout=5).status_code == 200
    assert inbox.pending(mapping, "loja1", "ORDER") == []  # spent: the feed brings the order if it exists
    [row] = inbox_rows(shop)
    assert (row["status"], row["attempts"]) == ("failed", CALLBACK_MAX_ATTEMPTS)


def test_handled_callbacks_are_pruned_after_the_retention_and_waiting_ones_stay(
    shop: Shop, receiver: str  # noqa: F811
) -> None:
    from datetime import timedelta

    from anymarket.callbacks import inbox
    from anymarket.mapping.database import utcnow

    mapping = shop.env.mapping
    for order_id in ("1", "2", "3"):
        assert requests.post(receiver, json=_valid(id=order_id), timeout=5).status_code == 200
    first = inbox.pending(mapping, "loja1", "ORDER")[0]
    inbox.mark_processed(mapping, first)
    for _ in range(5):
        [waiting] = [n for n in inbox.pending(mapping, "loja1", "ORDER") if n.resource_id == "2"]
        inbox.mark_failed_attempt(mapping, waiting, "GET /orders/2: 404")
    assert inbox.prune(mapping, "loja1") == 0  # all of it is recent

    # A week and a minute later, the next import run prunes the processed and the failed one.
    with mapping.begin() as conn:
        conn.execute(
            sa.update(models.callback_inbox).values(
                received_at=utcnow() - inbox.RETENTION - timedelta(minutes=1)
            )
        )
    summary = shop.run(watch_seconds=0)
    assert summary["counts"]["callbacks_pruned"] == 2
    assert [r["resource_id"] for r in inbox_rows(shop)] == ["3"]  # pending: kept, whatever its age


# -- the secret in the URL ------------------------------------------------------------------------


def test_without_the_right_secret_nothing_is_stored_nor_told(shop: Shop, receiver: str) -> None:  # noqa: F811
    """No secret (the old URL), a wrong one, one a character short, an unknown integration: the same
    404, whatever the body — nothing says whether the integration exists."""
    base, secret = receiver.rsplit("/", 1)
    forged = [
        base,  # the old secretless URL
        f"{base}/{'x' * len(secret)}",
        f"{base}/{secret[:-1]}",
        f"{base}/{secret}x",
        f"{base}/{secret}/extra",
        receiver.replace("/loja1/", "/ghost/"),
        f"{base}/{secret.upper()}",
    ]
    answers = {requests.post(url, json=_valid(), timeout=5).text for url in forged} | {
        requests.post(forged[1], data=b"[" * 5000, timeout=5).text
    }
    assert answers == {'{"code":"404","message":"not found"}'}
    assert inbox_rows(shop) == []
    assert shop.env.sandbox.admin.requests() == []


def test_an_integration_without_a_secret_refuses_every_callback_and_says_so_once(
    shop: Shop, receiver: str, reconnect: Any, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    reconnect(callback_secret=None)
    base = receiver.rsplit("/", 1)[0]
    with caplog.at_level("WARNING", logger="anymarket.callbacks.app"):
        for url in (receiver, base, f"{base}/{'y' * 43}", receiver):
            assert requests.post(url, json=_valid(), timeout=5).status_code == 404
    lines = [r.getMessage() for r in caplog.records if "callback_secret" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "python -m anymarket.callbacks register --integration loja1" in lines[0]
    assert inbox_rows(shop) == []


def test_the_previous_secret_is_accepted_during_its_grace_period(
    shop: Shop, receiver: str, reconnect: Any  # noqa: F811
) -> None:
    from datetime import UTC, datetime, timedelta

    base, old = receiver.rsplit("/", 1)
    new = "rotated-secret-abcdefghijklmnopqrstuvwxyz"
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    reconnect(callback_secret=new, callback_secret_previous=old, callback_secret_previous_until=soon)
    assert requests.post(f"{base}/{new}", json=_valid(id="1"), timeout=5).status_code == 200
    assert requests.post(f"{base}/{old}", json=_valid(id="2"), timeout=5).status_code == 200
    assert sorted(r["resource_id"] for r in inbox_rows(shop)) == ["1", "2"]


def test_the_previous_secret_is_refused_after_its_grace_period(
    shop: Shop, receiver: str, reconnect: Any  # noqa: F811
) -> None:
    base, old = receiver.rsplit("/", 1)
    new = "rotated-secret-abcdefghijklmnopqrstuvwxyz"
    past = "2020-01-01T00:00:00Z"
    reconnect(callback_secret=new, callback_secret_previous=old, callback_secret_previous_until=past)
    assert requests.post(f"{base}/{old}", json=_valid(id="2"), timeout=5).status_code == 404
    assert requests.post(f"{base}/{new}", json=_valid(id="1"), timeout=5).status_code == 200
    assert [r["resource_id"] for r in inbox_rows(shop)] == ["1"]


def test_an_id_that_answered_404_is_acknowledged_and_not_stored_for_an_hour(
    shop: Shop,
    receiver: str,  # noqa: F811
) -> None:
    """A forged (or not yet readable) id costs one GET per run while its row lasts; re-posting it
    within the hour stores nothing and costs nothing."""
    from datetime import timedelta

    from anymarket.callbacks import inbox
    from anymarket.mapping.database import utcnow

    mapping = shop.env.mapping
    assert requests.post(receiver, json=_valid(id="990000000001"), timeout=5).json() == {"status": "stored"}
    shop.run(watch_seconds=0)  # GET /orders/990000000001 → 404: remembered
    assert inbox.recently_not_found(mapping, "loja1", "ORDER", "990000000001")
    [row] = inbox_rows(shop)
    shop.env.sandbox.admin.clear_requests()
    again = requests.post(receiver, json=_valid(id="990000000001"), timeout=5)
    assert again.status_code == 200 and again.json()["status"] == "ignored"
    assert inbox_rows(shop) == [row]  # not re-armed, not a new row
    # An hour later it is forgotten (and pruned by the next run).
    later = utcnow() + inbox.NOT_FOUND_MEMORY + timedelta(minutes=1)
    assert not inbox.recently_not_found(mapping, "loja1", "ORDER", "990000000001", now=later)
    inbox.prune(mapping, "loja1", now=later)
    assert not inbox.recently_not_found(mapping, "loja1", "ORDER", "990000000001")
    assert shop.env.sandbox.admin.requests() == []
