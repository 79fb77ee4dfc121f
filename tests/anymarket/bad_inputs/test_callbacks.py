"""Bad callbacks posted to the real receiver (uvicorn on 127.0.0.1, the mapping DB inbox behind it).

Each is answered 400 with a message naming what is wrong, and the inbox stays empty. Callbacks carry
no dates or quantities: the corpus's "negative quantities" is a negative id there and "dates without
timezone" a date where the id belongs.
"""

from __future__ import annotations

import json
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
    "wrong_types": ["content-a-list", "id-an-object", "id-a-boolean", "oi-a-number"],
    "huge_strings": ["huge-body"],
    "html_script": ["html-type"],
    "sql_like_codes": ["sql-id"],
    "unknown_enums": ["unknown-type"],
    "missing_required": ["no-content", "no-id", "no-oi"],
    "negative_quantities": ["negative-id"],
    "dates_without_timezone": ["date-as-id"],
}
