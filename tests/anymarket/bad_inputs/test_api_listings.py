"""Bad listings from AnyMarket's API — the order feed, the order listing a backfill reads, and the
warehouses — served raw by the real sandbox.

A listing that cannot be read fails the run with a message naming the endpoint and what was wrong,
and changes nothing; a bad item among good ones is reported and the good ones go through.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from anymarket.errors import AnyMarketAPIError
from anymarket.operators.import_orders import OrdersFailedError
from anymarket.operators.install_deposits import AnyMarketInstallDepositsOperator
from tests.anymarket.bad_inputs.corpus import HTML, HUGE, SQL
from tests.anymarket.operators.test_import_orders import Shop, order_spec

FEED = "GET /v2/orders/feeds"


@pytest.fixture
def shop(integration_env: Any, tmp_path: Any) -> Shop:
    return Shop(integration_env, tmp_path)


# -- the order feed -------------------------------------------------------------------------------

UNREADABLE_FEEDS = [
    ("feed-truncated", '[{"id": 1001, "tok', "response is not JSON"),
    ("feed-an-object", '{"content": [{"id": 1001, "token": "t"}]}', "expected a list of {id, token} items"),
]


@pytest.mark.parametrize(("case", "body", "fragment"), UNREADABLE_FEEDS, ids=[u[0] for u in UNREADABLE_FEEDS])
def test_an_unreadable_feed_fails_the_run_and_changes_nothing(
    shop: Shop, case: str, body: str, fragment: str
) -> None:
    order = shop.env.sandbox.admin.create_order(**order_spec())
    shop.env.sandbox.admin.set_faults(raw_responses={FEED: body})
    with pytest.raises(AnyMarketAPIError, match="orders/feeds") as raised:
        shop.run()
    assert fragment in str(raised.value)
    assert shop.orders(order["id"]) == [] and shop.feed() == {order["id"]: False}


BAD_FEED_ITEMS = [
    ("item-id-a-word", {"id": "abc", "token": "t-1"}),
    ("item-token-huge", {"id": 424242, "token": HUGE}),
    ("item-id-sql", {"id": f"1; {SQL}", "token": "t-1"}),
    ("item-no-token", {"id": 424242}),
    ("item-negative-id", {"id": -5, "token": "t-1"}),
]


@pytest.mark.parametrize(("case", "bad_item"), BAD_FEED_ITEMS, ids=[b[0] for b in BAD_FEED_ITEMS])
def test_a_malformed_feed_item_is_reported_and_the_good_ones_are_imported(
    shop: Shop, case: str, bad_item: dict[str, Any]
) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec())
    [item] = [{"id": i["id"], "token": i["token"]} for i in admin.feed_state() if not i["acked"]]
    admin.set_faults(raw_responses={FEED: json.dumps([bad_item, item])})

    with pytest.raises(OrdersFailedError, match="malformed feed item"):
        shop.run()

    assert len(shop.orders(order["id"])) == 1
    assert shop.feed() == {order["id"]: True}


# -- the order listing a backfill reads ------------------------------------------------------------


def test_an_unreadable_listing_page_fails_the_backfill_and_imports_nothing(shop: Shop) -> None:
    admin = shop.env.sandbox.admin
    order = admin.create_order(**order_spec())
    admin.set_faults(raw_responses={"GET /v2/orders": '{"content": [{"id": 1'})
    with pytest.raises(AnyMarketAPIError, match="response is not JSON"):
        shop.run(created_from=order["createdAt"][:10])
    assert shop.orders(order["id"]) == []


@pytest.mark.parametrize(
    ("case", "field", "value", "fragment"),
    [
        ("listing-unknown-status", "status", "LOST_IN_TRANSIT", "'LOST_IN_TRANSIT' is not an AnyMarket"),
        ("listing-naive-date", "createdAt", "2026-03-02T10:00:00", "has no timezone offset"),
    ],
    ids=["listing-unknown-status", "listing-naive-date"],
)
def test_a_bad_order_in_a_listing_is_named_and_the_others_are_imported(
    shop: Shop, case: str, field: str, value: str, fragment: str
) -> None:
    admin = shop.env.sandbox.admin
    good, bad = admin.create_order(**order_spec()), admin.create_order(**order_spec())
    broken = copy.deepcopy(bad)
    broken[field] = value
    page = {"links": [], "content": [good, broken], "page": {"size": 100, "totalElements": 2, "number": 0}}
    admin.set_faults(raw_responses={"GET /v2/orders": json.dumps(page)})

    summary = shop.run(created_from=good["createdAt"][:10])

    assert summary["counts"]["new"] == 1 and summary["counts"]["failed"] == 1
    assert fragment in summary["examples"]["failed"][0]
    assert len(shop.orders(good["id"])) == 1 and shop.orders(bad["id"]) == []


# -- the warehouses (install_deposits) -------------------------------------------------------------

BAD_WAREHOUSES = [
    ("locals-truncated", '[{"id": 1, "name": "CD', "response is not JSON"),
    ("locals-an-object", '{"id": 1, "name": "CD"}', "expected a list of warehouses, got dict"),
    ("locals-id-a-word", '[{"id": "one", "name": "CD"}]', "[0].id is 'one', not a warehouse id"),
    ("locals-huge-name", json.dumps([{"id": 1, "name": HUGE}]), "[0].name is"),
    ("locals-no-name", '[{"id": 1}]', "[0].name is 'None', not a name"),
    ("locals-negative-id", '[{"id": -1, "name": "CD"}]', "[0].id is -1, not a warehouse id"),
]


@pytest.mark.parametrize(("case", "body", "fragment"), BAD_WAREHOUSES, ids=[b[0] for b in BAD_WAREHOUSES])
def test_malformed_warehouses_fail_the_installer_and_change_no_mapping(
    shop: Shop, case: str, body: str, fragment: str
) -> None:
    env = shop.env
    before = env.mapping.mappings_of("loja1", "deposit")
    env.sandbox.admin.set_faults(raw_responses={"GET /v2/stocks/locals": body})
    operator = AnyMarketInstallDepositsOperator(task_id="install_deposits", integration_id="loja1")
    with pytest.raises(AnyMarketAPIError, match="stocks/locals") as raised:
        operator.execute({"run_id": "test"})
    assert fragment in str(raised.value)
    assert env.mapping.mappings_of("loja1", "deposit") == before


def test_a_warehouse_named_with_html_is_stored_as_text(shop: Shop) -> None:
    env = shop.env
    env.sandbox.admin.create_stock_local(HTML)
    operator = AnyMarketInstallDepositsOperator(task_id="install_deposits", integration_id="loja1")
    summary = operator.execute({"run_id": "test"})
    assert any(example.startswith(HTML) for example in summary["examples"]["unmatched_warehouses"])


COVERED = {
    "truncated_json": [
        "feed-truncated",
        "test_an_unreadable_listing_page_fails_the_backfill_and_imports_nothing",
        "locals-truncated",
    ],
    "wrong_types": ["feed-an-object", "item-id-a-word", "locals-an-object", "locals-id-a-word"],
    "huge_strings": ["item-token-huge", "locals-huge-name"],
    "html_script": ["test_a_warehouse_named_with_html_is_stored_as_text"],
    "sql_like_codes": ["item-id-sql"],
    "unknown_enums": ["listing-unknown-status"],
    "missing_required": ["item-no-token", "locals-no-name"],
    "negative_quantities": ["item-negative-id", "locals-negative-id"],
    "dates_without_timezone": ["listing-naive-date"],
}
