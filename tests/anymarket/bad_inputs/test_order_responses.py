"""Bad orders from AnyMarket's API (``GET /orders/{id}``), served raw by the real sandbox.

A malformed order is recorded as failed with a message naming the field, nothing reaches the ERP,
its feed item stays unacked, and once AnyMarket serves it correctly the next run imports it: nothing
is lost. Hostile text is imported as text.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from tests.anymarket.bad_inputs.corpus import HTML, HUGE, SQL
from tests.anymarket.operators.test_import_orders import Shop, order_spec

Mutation = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting ``path`` (dotted, list indexes as numbers) to ``value``."""

    def mutate(order: dict[str, Any]) -> dict[str, Any]:
        target: Any = order
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
        return order

    return mutate


_DELETE = object()

#: (test id, corpus kind, mutation of a sound order, fragment the recorded error must contain)
MALFORMED: list[tuple[str, str, Mutation | str, str]] = [
    ("truncated", "truncated_json", "truncate", "response is not JSON"),
    ("items-not-a-list", "wrong_types", _set("items", "SKU-1 x2"), "items: expected a non-empty list"),
    ("amount-a-word", "wrong_types", _set("items.0.amount", "two"), "items[0].amount: 'two' is not a number"),
    ("buyer-a-list", "wrong_types", _set("buyer", ["Ana"]), "buyer: expected an object"),
    ("order-a-list", "wrong_types", "array", "expected a JSON object, got a list"),
    ("huge-buyer-name", "huge_strings", _set("buyer.name", HUGE), "buyer.name: a text of 100000 characters"),
    ("huge-sku-code", "huge_strings", _set("items.0.sku.partnerId", "S" * 500), "items[0].sku.partnerId"),
    ("unknown-status", "unknown_enums", _set("status", "SHIPPED_BY_DRONE"), "'SHIPPED_BY_DRONE' is not an"),
    ("no-items", "missing_required", _set("items", _DELETE), "items: expected a non-empty list, got None"),
    ("no-created-at", "missing_required", _set("createdAt", _DELETE), "createdAt: missing"),
    ("no-sku", "missing_required", _set("items.0.sku", _DELETE), "items[0].sku: expected an object"),
    ("no-buyer", "missing_required", _set("buyer", _DELETE), "buyer: expected an object, got None"),
    ("negative-amount", "negative_quantities", _set("items.0.amount", -2), "items[0].amount: -2 is not a"),
    ("zero-amount", "negative_quantities", _set("items.0.amount", 0), "items[0].amount: 0 is not a positive"),
    ("negative-total", "negative_quantities", _set("total", -10), "total: -10 is not a non-negative"),
    ("naive-created-at", "dates_without_timezone", _set("createdAt", "2026-03-02T12:00:00"), "no timezone"),
    ("naive-payment-date", "dates_without_timezone", _set("paymentDate", "2026-03-02 12:00"), "paymentDate"),
    ("not-a-date", "dates_without_timezone", _set("createdAt", "yesterday"), "not an ISO date-time"),
    ("another-order", "wrong_types", _set("id", 999999), "asked for order"),
]


def _body(order: dict[str, Any], mutation: Mutation | str) -> str:
    if mutation == "truncate":
        return json.dumps(order)[:120]
    if mutation == "array":
        return json.dumps([order])
    assert callable(mutation)
    return json.dumps(mutation(copy.deepcopy(order)))


def _erp_counts(shop: Shop) -> dict[str, int]:
    tables = ("sales_orders", "sales_order_items", "customers", "stock_reservations")
    with shop.env.erp.engine.connect() as c:
        return {t: c.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}


@pytest.mark.parametrize(("case", "kind", "mutation", "fragment"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_order_is_named_written_nowhere_kept_queued_and_imported_once_fixed(
    shop: Shop, case: str, kind: str, mutation: Mutation | str, fragment: str
) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec())
    before = _erp_counts(shop)
    admin.set_faults(raw_responses={f"GET /v2/orders/{order['id']}": _body(order, mutation)})

    summary = shop.run()

    assert summary["counts"]["failed"] == 1, summary
    [failure] = summary["examples"]["failed"]
    assert fragment in failure, failure
    assert _erp_counts(shop) == before
    assert shop.feed() == {order["id"]: False}
    history = shop.env.mapping.history_of("loja1", "order", str(order["id"]))
    assert history[-1]["outcome"] == "error" and fragment in history[-1]["error"]

    admin.set_faults(raw_responses={})
    summary = shop.run()
    assert summary["counts"]["new"] == 1
    assert len(shop.orders(order["id"])) == 1
    assert shop.feed() == {order["id"]: True}


def test_html_and_script_in_texts_are_imported_as_plain_text(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec())
    hostile = copy.deepcopy(order)
    hostile["buyer"]["name"] = HTML
    hostile["items"][0]["product"] = {"id": 1, "title": HTML}
    hostile["shipping"]["street"] = HTML
    admin.set_faults(raw_responses={f"GET /v2/orders/{order['id']}": json.dumps(hostile)})

    assert shop.run()["counts"]["new"] == 1

    [customer] = shop.rows("SELECT name FROM customers")
    assert customer["name"] == HTML
    [erp_order] = shop.orders(order["id"])
    assert erp_order["ship_street"] == HTML


def test_an_sql_looking_sku_code_is_held_as_an_unknown_sku_and_the_erp_is_intact(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec())
    hostile = copy.deepcopy(order)
    hostile["items"][0]["sku"] = {"id": 77, "partnerId": SQL, "title": SQL}
    admin.set_faults(raw_responses={f"GET /v2/orders/{order['id']}": json.dumps(hostile)})
    skus_before = shop.rows("SELECT id, code FROM skus ORDER BY id")

    summary = shop.run()

    assert summary["counts"].get("new", 0) == 0
    [held] = summary["examples"]["held"]
    assert SQL in held
    assert shop.rows("SELECT id, code FROM skus ORDER BY id") == skus_before
    assert shop.orders(order["id"]) == []


COVERED = {
    "truncated_json": ["truncated"],
    "wrong_types": ["items-not-a-list", "amount-a-word", "buyer-a-list", "order-a-list", "another-order"],
    "huge_strings": ["huge-buyer-name", "huge-sku-code"],
    "html_script": ["test_html_and_script_in_texts_are_imported_as_plain_text"],
    "sql_like_codes": ["test_an_sql_looking_sku_code_is_held_as_an_unknown_sku_and_the_erp_is_intact"],
    "unknown_enums": ["unknown-status"],
    "missing_required": ["no-items", "no-created-at", "no-sku", "no-buyer"],
    "negative_quantities": ["negative-amount", "zero-amount", "negative-total"],
    "dates_without_timezone": ["naive-created-at", "naive-payment-date", "not-a-date"],
}


@pytest.fixture
def shop(integration_env: Any, tmp_path: Any) -> Shop:
    return Shop(integration_env, tmp_path)
