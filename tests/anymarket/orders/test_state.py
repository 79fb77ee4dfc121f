"""The order import state store: the partnerId write-back is handed to one import at a time."""

from __future__ import annotations

import pytest

from anymarket.mapping.database import MappingDatabase
from anymarket.orders.state import OrderStateStore


@pytest.fixture
def stores(database_url: str) -> tuple[OrderStateStore, OrderStateStore]:
    """Two imports (two workers) over one mapping DB, with order 77 stored as imported."""
    from anymarket.mapping import get_mapping_db

    mapping: MappingDatabase = get_mapping_db(database_url)
    first, second = (OrderStateStore(mapping=mapping, integration_id="loja1") for _ in range(2))
    first.save("77", state="imported", erp_order_codes=["AM-77"])
    return first, second


def test_one_of_two_racing_imports_gets_the_write_back(stores: tuple[OrderStateStore, ...]) -> None:
    first, second = stores
    assert first.claim_partner_id("77", "AM-77") is True
    assert second.claim_partner_id("77", "AM-77") is False  # sending, or sent: not again
    assert first.claim_partner_id("77", "AM-77") is False
    assert second.get("77").partner_id_sent == "AM-77"


def test_a_failed_write_back_is_given_back_for_a_later_touch(stores: tuple[OrderStateStore, ...]) -> None:
    first, second = stores
    assert first.claim_partner_id("77", "AM-77")
    first.release_partner_id("77", "AM-77")
    assert second.get("77").partner_id_sent is None
    assert second.claim_partner_id("77", "AM-77") is True


def test_a_new_code_is_written_back_again_and_a_stale_release_changes_nothing(
    stores: tuple[OrderStateStore, ...],
) -> None:
    first, second = stores
    assert first.claim_partner_id("77", "AM-77")
    assert second.claim_partner_id("77", "AM-77-B") is True  # the ERP code changed: send the new one
    first.release_partner_id("77", "AM-77")  # the old claim's failure must not undo the new one
    assert first.get("77").partner_id_sent == "AM-77-B"


def test_no_claim_for_an_order_not_stored(stores: tuple[OrderStateStore, ...]) -> None:
    first, _ = stores
    assert first.claim_partner_id("404", "AM-404") is False
