"""The soak's invariant checker on crafted states: a consistent world passes, and each kind of
breakage fails exactly the invariant meant to catch it, naming the entity."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from anymarket.settings import IntegrationConfig
from bench.soak.checker import World, check, render

SP, REC = 501, 502


def order(order_id: int = 100, **overrides: Any) -> dict[str, Any]:
    """A paid sandbox order: 2 x SKU-1 from CD São Paulo, freight 5, total 25."""
    base = {
        "id": order_id,
        "status": "PAID_WAITING_SHIP",
        "createdAt": "2026-11-22T10:00:00.000-03:00",
        "fulfillment": False,
        "items": [
            {
                "sku": {"id": 9001, "partnerId": "SKU-1"},
                "amount": 2,
                "gross": 20.0,
                "discount": 0.0,
                "total": 20.0,
                "stocks": [{"stockLocalId": SP, "amount": 2}],
                "shippings": [{"shippingCarrierNormalized": "Correios", "shippingtype": "Normal"}],
            }
        ],
        "freight": 5.0,
        "discount": 0.0,
        "interestValue": 0.0,
        "total": 25.0,
        "buyer": {"name": "Ana Souza", "document": "123.456.789-09"},
        "statusHistory": [{"status": "PAID_WAITING_SHIP", "source": "marketplace"}],
    }
    base.update(overrides)
    return base


def world(**overrides: Any) -> World:
    """A consistent snapshot: order 100 imported as AM-100 (approved, reserving), stock sent."""
    settings = IntegrationConfig(
        id="t",
        name="t",
        alert_emails=["ops@example.com"],
        stock={"rule": "mapped_deposits", "balance": "available", "safety_stock": 0},
        orders={"cutoff_date": "2026-01-01"},
    )
    values: dict[str, Any] = {
        "settings": settings,
        "orders": [order()],
        "stocks": [
            {"stockKeepingUnit": {"id": 9001}, "stockLocal": {"id": SP, "defaultLocal": True}, "amount": 8},
            {"stockKeepingUnit": {"id": 9001}, "stockLocal": {"id": REC, "defaultLocal": False}, "amount": 5},
        ],
        "requests": [{"time": 1000.0, "status": 200, "fault": None, "path": "/v2/orders/100"}],
        "sandbox_requests_per_hour": 5000,
        "connection_requests_per_hour": 5000,
        "erp_orders": [
            {
                "id": 1,
                "code": "AM-100",
                "anymarket_order_id": 100,
                "status": "approved",
                "fulfillment": 0,
                "total": 25.0,
                "customer_document": "12345678909",
                "customer_name": "Ana Souza",
            }
        ],
        "erp_items": [{"sales_order_id": 1, "quantity": 2, "sku_code": "SKU-1", "deposit_code": "CD-SP"}],
        "erp_reservations": [
            {
                "sales_order_id": 1,
                "quantity": 2,
                "released_at": None,
                "sku_code": "SKU-1",
                "deposit_code": "CD-SP",
            }
        ],
        "erp_stock": {
            "list_deposits": [
                {"id": 1, "code": "CD-SP", "name": "CD São Paulo", "is_default": 1, "active": 1},
                {"id": 2, "code": "CD-REC", "name": "CD Recife", "is_default": 0, "active": 1},
            ],
            "stock_skus": [
                {
                    "sku_id": 1,
                    "code": "SKU-1",
                    "made_to_order": 0,
                    "active": 1,
                    "crossdocking_days": 0,
                    "cost_price": None,
                    "sell_price": 10.0,
                }
            ],
            "stock_balances": [
                {"sku_id": 1, "deposit_id": 1, "quantity": 10},
                {"sku_id": 1, "deposit_id": 2, "quantity": 5},
            ],
            "stock_reservations": [{"sku_id": 1, "deposit_id": 1, "quantity": 2}],
        },
        "deposit_mappings": {
            "CD-SP": {"value": str(SP), "attributes": {"counts_toward_balance": True}},
            "CD-REC": {"value": str(REC), "attributes": {"counts_toward_balance": True}},
        },
        "carrier_mappings": {"Correios": "CORREIOS"},
        "sku_links": {"SKU-1": "9001"},
        "order_imports": {"100": {"state": "imported"}},
        "budget_usage": [(16, 1)],
        "catalog": {"products": [{"id": 7}], "skus": [{"id": 9001, "productId": 7, "partnerId": "SKU-1"}]},
        "erp_sku_products": {"SKU-1": "P1"},
    }
    values.update(overrides)
    return World(**values)


def failures(w: World) -> dict[str, list[str]]:
    return {r.name: r.violations for r in check(w) if r.violations}


def progressed(w: World, erp_status: str, history: list[tuple[str, str]], status: str) -> World:
    """``w`` with AM-100 at ``erp_status`` (released) and the sandbox order's history/status."""
    w.erp_orders[0]["status"] = erp_status
    w.erp_reservations[0]["released_at"] = "2026-11-22 13:00:00"
    w.erp_stock["stock_reservations"] = []
    w.erp_stock["stock_balances"][0]["quantity"] = 8  # the invoiced goods left the warehouse
    w.orders[0].update(status=status, statusHistory=[{"status": s, "source": src} for s, src in history])
    return w


def test_a_consistent_world_passes_every_invariant() -> None:
    results = check(world())
    assert [r.name for r in results if r.violations] == []
    checked = {r.name: r.checked for r in results}
    assert checked["orders_imported_once"] == 1
    assert checked["stock_matches_rules"] == 2
    assert checked["open_orders_reserve_stock"] == 1
    assert "FAIL" not in render(results)


def test_a_missing_order_fails_orders_imported_once() -> None:
    w = world(erp_orders=[], erp_items=[], erp_reservations=[], erp_stock=world().erp_stock)
    w.erp_stock["stock_reservations"] = []
    w.stocks[0]["amount"] = 10
    assert failures(w) == {
        "orders_imported_once": ["order 100 (PAID_WAITING_SHIP, paid) is missing in the ERP"]
    }


def test_a_duplicated_order_fails_orders_imported_once() -> None:
    w = world()
    w.erp_orders.append({**w.erp_orders[0], "id": 2, "code": "AM-100-2"})
    found = failures(w)
    assert found["orders_imported_once"] == [
        "order 100: ERP sales orders ['AM-100', 'AM-100-2'], expected ['AM-100']"
    ]


def test_a_multi_cd_order_is_expected_as_one_sales_order_per_deposit() -> None:
    item = copy.deepcopy(order()["items"][0])
    item["stocks"] = [{"stockLocalId": REC, "amount": 2}]
    item["sku"] = {"id": 9001, "partnerId": "SKU-1"}
    multi = order(items=[order()["items"][0], item], total=45.0)
    w = world(orders=[multi])
    assert "orders_imported_once" in failures(w)  # one ERP order for two deposits
    w.erp_orders.append({**w.erp_orders[0], "id": 2, "code": "AM-100-2", "total": 20.0})
    w.erp_items.append({"sales_order_id": 2, "quantity": 2, "sku_code": "SKU-1", "deposit_code": "CD-REC"})
    w.erp_reservations.append({**w.erp_reservations[0], "sales_order_id": 2, "deposit_code": "CD-REC"})
    w.erp_stock["stock_reservations"].append({"sku_id": 1, "deposit_id": 2, "quantity": 2})
    w.stocks[1]["amount"] = 3
    assert failures(w) == {}


def test_wrong_items_totals_or_customer_fail_order_contents() -> None:
    w = world()
    w.erp_items[0]["quantity"] = 1
    w.erp_orders[0]["total"] = 24.0
    w.erp_orders[0]["customer_document"] = "98765432100"
    found = failures(w)["order_contents"]
    assert any("ERP items SKU-1@CD-SP x 1" in v for v in found)
    assert any("ERP total 24.00, AnyMarket total 25.00" in v for v in found)
    assert any("customer 98765432100, buyer 12345678909" in v for v in found)


def test_an_open_order_without_its_reservation_fails() -> None:
    w = world()
    w.erp_reservations[0]["released_at"] = "2026-11-22 13:00:00"
    w.erp_stock["stock_reservations"] = []
    w.stocks[0]["amount"] = 10
    assert failures(w) == {
        "open_orders_reserve_stock": ["AM-100: open reservations none, items SKU-1@CD-SP x 2"]
    }


def test_a_cancellation_that_kept_its_reservation_fails() -> None:
    w = world()
    w.erp_orders[0]["status"] = "cancelled"
    w.orders[0].update(
        status="CANCELED",
        statusHistory=[
            {"status": "PAID_WAITING_SHIP", "source": "marketplace"},
            {"status": "CANCELED", "source": "marketplace"},
        ],
    )
    assert failures(w) == {
        "cancellations_released_stock": ["AM-100 is cancelled but still reserves SKU-1@CD-SP x 2"]
    }


def test_a_stock_mismatch_fails_stock_matches_rules() -> None:
    w = world()
    w.stocks[0]["amount"] = 7
    assert failures(w) == {"stock_matches_rules": [f"SKU-1 @ warehouse {SP}: AnyMarket shows 7, rules say 8"]}


def test_a_status_the_erp_set_but_anymarket_lacks_fails() -> None:
    w = progressed(world(), "invoiced", [("PAID_WAITING_SHIP", "marketplace")], "PAID_WAITING_SHIP")
    assert failures(w) == {
        "status_reached_anymarket": [
            "order 100: AnyMarket has PAID_WAITING_SHIP, the ERP says INVOICED (AM-100=invoiced)"
        ]
    }


def test_the_full_lifecycle_in_order_passes() -> None:
    history = [
        ("PAID_WAITING_SHIP", "marketplace"),
        ("INVOICED", "api"),
        ("PAID_WAITING_DELIVERY", "api"),
        ("CONCLUDED", "api"),
    ]
    assert failures(progressed(world(), "delivered", history, "CONCLUDED")) == {}


def test_a_backwards_status_fails_status_history() -> None:
    history = [("PAID_WAITING_SHIP", "marketplace"), ("PAID_WAITING_DELIVERY", "api"), ("INVOICED", "api")]
    found = failures(progressed(world(), "invoiced", history, "INVOICED"))
    assert (
        found["status_history_in_order"][0]
        == "order 100: we moved it PAID_WAITING_DELIVERY → INVOICED (backwards)"
    )


def test_a_skipped_step_fails_status_history() -> None:
    history = [("PAID_WAITING_SHIP", "marketplace"), ("PAID_WAITING_DELIVERY", "api")]
    assert failures(progressed(world(), "shipped", history, "PAID_WAITING_DELIVERY")) == {
        "status_history_in_order": [
            "order 100: we sent ['PAID_WAITING_DELIVERY'], the ERP steps to PAID_WAITING_DELIVERY are "
            "['INVOICED', 'PAID_WAITING_DELIVERY']"
        ]
    }


def test_an_order_that_must_not_be_imported_fails_when_it_is() -> None:
    w = world(orders=[order(fulfillment=True)])
    assert failures(w) == {
        "no_unexpected_erp_orders": ["order 100 is in the ERP (AM-100) but must not be: fulfillment order"]
    }


def test_an_unmapped_carrier_must_be_held_and_recorded() -> None:
    held = order()
    held["items"][0]["shippings"] = [{"shippingCarrierNormalized": "Amazon Logistics", "shippingtype": "X"}]
    w = world(orders=[held], erp_orders=[], erp_items=[], erp_reservations=[], order_imports={})
    w.erp_stock["stock_reservations"] = []
    w.stocks[0]["amount"] = 10
    assert failures(w) == {
        "held_orders_recorded": [
            "order 100 (unmapped carrier 'Amazon Logistics') must be held; mapping DB says no record"
        ]
    }
    w.order_imports = {"100": {"state": "held"}}
    assert failures(w) == {}


def test_a_pending_order_is_not_expected_in_the_erp() -> None:
    pending = order(status="PENDING", statusHistory=[{"status": "PENDING", "source": "marketplace"}])
    w = world(orders=[pending], erp_orders=[], erp_items=[], erp_reservations=[])
    w.erp_stock["stock_reservations"] = []
    w.stocks[0]["amount"] = 10
    assert failures(w) == {}


def add_request(w: World, *, status: int) -> None:
    """One more logged request, counted in the budget too."""
    w.requests.append({"time": 1001.0, "status": status, "fault": None, "path": "/v2/stocks"})
    w.budget_usage = [(16, len(w.requests))]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda w: add_request(w, status=429),
            "the sandbox's budget answered 429 to 1 request(s), e.g. /v2/stocks",
        ),
        (
            lambda w: w.requests.append({"time": 1001.0, "status": 200, "fault": None, "path": "/v2/stocks"}),
            "the sandbox saw 2 requests but the budget counted only 1: some bypassed the budget",
        ),
        (
            lambda w: setattr(w, "budget_usage", [(16, 3000), (40, 2500)]),
            "the mapping DB counted 5500 requests in one hour (limit 5000)",
        ),
    ],
)
def test_budget_breaches_fail_request_budget(change: Any, message: str) -> None:
    w = world()
    change(w)
    assert failures(w) == {"request_budget": [message]}


def test_a_429_injected_as_a_fault_is_not_a_budget_breach() -> None:
    w = world()
    w.requests.append({"time": 1001.0, "status": 429, "fault": "burst_429", "path": "/v2/stocks"})
    w.budget_usage = [(16, 2)]
    assert failures(w) == {}


def test_duplicated_products_or_skus_fail_catalog_no_duplicates() -> None:
    w = world()
    assert w.catalog is not None
    w.catalog["skus"].append({"id": 9002, "productId": 8, "partnerId": "SKU-1"})
    assert failures(w) == {
        "catalog_no_duplicates": [
            "SKU SKU-1 exists 2 times on AnyMarket",
            "ERP product P1 is 2 AnyMarket products: [7, 8]",
        ]
    }


def test_an_exchange_off_the_spec_fails_openapi_conformance() -> None:
    assert failures(world()) == {}  # no report: the sandbox did not validate (no spec here)
    clean = world(conformance={"checked": 40, "violations": []})
    assert failures(clean) == {} and {r.name: r.checked for r in check(clean)}["openapi_conformance"] == 40
    off = {
        "operation": "PUT /v2/stocks",
        "status": 204,
        "side": "request",
        "message": "[0].additionalTime: '2' is not of type 'integer'",
    }
    w = world(conformance={"checked": 40, "violations": [off, off]})
    assert failures(w) == {
        "openapi_conformance": [
            "PUT /v2/stocks → 204, request [0].additionalTime: '2' is not of type 'integer' (2 times)"
        ]
    }


def test_a_kit_is_expected_at_its_components_stock_and_its_order_holds_the_components() -> None:
    """KIT = 2 x SKU-1: AnyMarket shows floor(SKU-1's 8 available / 2) = 4 in SP (2 in Recife), and the
    open order for one kit holds 2 of SKU-1, not the kit."""
    w = world()
    w.erp_stock["stock_skus"].append({**w.erp_stock["stock_skus"][0], "sku_id": 2, "code": "KIT"})
    w.erp_stock["kit_components"] = [
        {"kit_sku_id": 2, "kit_code": "KIT", "component_sku_id": 1, "component_code": "SKU-1", "quantity": 2}
    ]
    w.sku_links["KIT"] = "9002"
    w.stocks += [
        {"stockKeepingUnit": {"id": 9002}, "stockLocal": {"id": SP, "defaultLocal": True}, "amount": 4},
        {"stockKeepingUnit": {"id": 9002}, "stockLocal": {"id": REC, "defaultLocal": False}, "amount": 2},
    ]
    w.erp_items[0].update(sku_code="KIT", quantity=1)  # the line stays the kit, as on AnyMarket
    w.orders[0]["items"][0].update(sku={"id": 9002, "partnerId": "KIT"}, amount=1, gross=20.0)
    w.orders[0]["items"][0]["stocks"] = [{"stockLocalId": SP, "amount": 1}]
    assert failures(w) == {}
    w.stocks[2]["amount"] = 8  # the kit's own (empty) balance or SKU-1's amount would be wrong
    w.erp_reservations[0]["quantity"] = 1  # one kit holding 1 of SKU-1 instead of 2
    assert failures(w) == {
        "stock_matches_rules": [f"KIT @ warehouse {SP}: AnyMarket shows 8, rules say 4"],
        "open_orders_reserve_stock": ["AM-100: open reservations SKU-1@CD-SP x 1, items SKU-1@CD-SP x 2"],
    }


def test_a_full_deposit_is_expected_nowhere_even_mapped_as_counting() -> None:
    """The demo's installer links FULL-ML to the Full warehouse as counting; its balance is never sent,
    so AnyMarket showing 0 there is right and showing the Full stock would be wrong."""
    full = 703
    w = world()
    w.erp_stock["list_deposits"].append(
        {"id": 9, "code": "FULL-ML", "name": "Full Mercado Livre", "is_default": 0, "active": 1}
    )
    w.erp_stock["stock_balances"].append({"sku_id": 1, "deposit_id": 9, "quantity": 40})
    w.deposit_mappings["FULL-ML"] = {"value": str(full), "attributes": {"counts_toward_balance": True}}
    w.fulfillment_deposits = {"FULL-ML"}
    assert failures(w) == {}
    w.fulfillment_deposits = set()  # without the Full mapping the rules would want the 40 there
    wrong = f"SKU-1 @ warehouse {full}: AnyMarket shows 0, rules say 40"
    assert failures(w) == {"stock_matches_rules": [wrong]}
