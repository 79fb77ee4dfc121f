"""Sync order status over the real sandbox, a real SQLite ERP and the mapping DB (SQLite and PostgreSQL).

Orders are imported by the real import operator (the ``Shop`` helper), then the ERP invoices, ships,
delivers or cancels them, and the status operator tells AnyMarket.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import sqlalchemy as sa

from anymarket.operators.sync_order_status import AnyMarketSyncOrderStatusOperator
from tests.anymarket.operators.test_import_orders import Shop, order_spec

XML = '<?xml version="1.0"?><nfeProc versao="4.00"><NFe><infNFe Id="NFe{key}"/></NFe></nfeProc>'


def key_for(number: int) -> str:
    return f"3526011234567800019055001{number:09d}1{number:08d}"[:44].ljust(44, "0")


class StatusShop(Shop):
    """A shop whose ERP can invoice, ship, deliver and cancel imported orders."""

    def sync(self) -> dict[str, Any]:
        op = AnyMarketSyncOrderStatusOperator(task_id="sync_order_status", integration_id="loja1")
        return op.execute({"run_id": "test"})

    def sql(self, sql: str, **params: Any) -> None:
        with self.env.erp.engine.begin() as c:
            c.execute(sa.text(sql), params)

    def part_id(self, code: str) -> int:
        return self.rows("SELECT id FROM sales_orders WHERE code = :c", c=code)[0]["id"]

    def set_status(self, code: str, status: str, **extra: Any) -> None:
        sets = ", ".join(["status = :status", *(f"{k} = :{k}" for k in extra)])
        self.sql(f"UPDATE sales_orders SET {sets} WHERE code = :code", code=code, status=status, **extra)

    def invoice(self, code: str, number: int, *, access_key: str | None = None, xml: bool = True) -> None:
        key = key_for(number) if access_key is None else access_key
        self.sql(
            "INSERT INTO invoices (sales_order_id, access_key, number, series, issued_at, cfop, status, xml) "
            "VALUES (:o, :k, :n, '1', '2026-03-02 13:00:00.000', '5102', 'authorized', :x)",
            o=self.part_id(code),
            k=key,
            n=number,
            x=XML.format(key=key) if xml else None,
        )

    def ship(self, code: str, tracking_code: str | None = "BR123456789BR") -> None:
        self.sql(
            "INSERT INTO shipments (sales_order_id, carrier_id, tracking_code, shipped_at, "
            "estimated_delivery_at) VALUES (:o, 1, :t, '2026-03-02 18:00:00.000', '2026-03-06 18:00:00.000')",
            o=self.part_id(code),
            t=tracking_code,
        )

    def deliver(self, code: str) -> None:
        self.sql(
            "UPDATE shipments SET delivered_at = '2026-03-05 15:30:00.000' WHERE sales_order_id = :o",
            o=self.part_id(code),
        )

    def status_puts(self) -> list[tuple[str, Any]]:
        return [
            (r["path"], r["body"])
            for r in self.env.sandbox.admin.requests(method="PUT")
            if not r["path"].startswith("/v2/orders/feeds") and "partnerid" not in r["path"]
        ]


@pytest.fixture
def shop(integration_env: Any, tmp_path: Any) -> StatusShop:
    shop = StatusShop(integration_env, tmp_path)
    integration_env.mapping.set_mapping(
        "loja1",
        "carrier",
        "Correios",
        "CORREIOS",
        attributes={"tracking_url_template": "https://rastreio.example/{tracking_code}"},
    )
    return shop


def imported(shop: StatusShop, **spec: Any) -> tuple[int, str]:
    order = shop.env.sandbox.admin.create_order(**order_spec(carrier="Correios", **spec))
    shop.run()
    shop.env.sandbox.admin.clear_requests()
    return order["id"], f"AM-{order['id']}"


def remote(shop: StatusShop, order_id: int) -> dict[str, Any]:
    """The order as AnyMarket holds it (read through the API, as a client would)."""
    sandbox = shop.env.sandbox
    answer = requests.get(
        f"{sandbox.base_url}/orders/{order_id}", headers={"gumgaToken": sandbox.token}, timeout=10
    )
    answer.raise_for_status()
    return answer.json()


def test_paid_to_delivered_with_xml_one_request_per_change_and_rerun_sends_nothing(shop: StatusShop) -> None:
    order_id, code = imported(shop)  # Mercado Livre: the NF-e XML goes first by default

    shop.invoice(code, 101)
    shop.set_status(code, "invoiced")
    summary = shop.sync()
    puts = shop.status_puts()
    assert [p for p, _ in puts] == [f"/v2/orders/{order_id}/nfe", f"/v2/orders/{order_id}"]
    assert puts[1][1]["status"] == "INVOICED"
    assert puts[1][1]["invoice"]["accessKey"] == key_for(101)
    assert puts[1][1]["invoice"]["date"] == "2026-03-02T10:00:00-03:00"
    assert shop.env.sandbox.admin.nfe(order_id).startswith("<?xml")
    assert remote(shop, order_id)["status"] == "INVOICED"
    assert summary["counts"]["status_requests"] == 1 and summary["counts"]["xml_requests"] == 1

    shop.env.sandbox.admin.clear_requests()
    shop.ship(code)
    shop.set_status(code, "shipped")
    shop.sync()
    [(_, body)] = shop.status_puts()
    assert body["status"] == "PAID_WAITING_DELIVERY"
    assert body["tracking"]["number"] == "BR123456789BR"
    assert body["tracking"]["url"] == "https://rastreio.example/BR123456789BR"
    assert body["tracking"]["carrier"] == "Correios"

    shop.env.sandbox.admin.clear_requests()
    shop.deliver(code)
    shop.set_status(code, "delivered")
    shop.sync()
    [(_, body)] = shop.status_puts()
    assert body == {"status": "CONCLUDED", "tracking": {"deliveredDate": "2026-03-05T12:30:00-03:00"}}
    assert remote(shop, order_id)["status"] == "CONCLUDED"

    shop.env.sandbox.admin.clear_requests()
    summary = shop.sync()
    assert shop.env.sandbox.admin.requests() == []
    assert summary["counts"]["sent"] == 0 and summary["counts"]["unchanged"] >= 1


def test_skipped_steps_go_in_order_without_xml_and_nfe_number_as_tracking(shop: StatusShop) -> None:
    shop.configure(reconcile_days=0, send_nfe_xml_mercado_livre=False, nfe_number_as_tracking=True)
    order_id, code = imported(shop)
    shop.invoice(code, 202)
    shop.ship(code, tracking_code=None)
    shop.deliver(code)
    shop.set_status(code, "delivered")

    summary = shop.sync()

    puts = shop.status_puts()
    assert [b["status"] for _, b in puts] == ["INVOICED", "PAID_WAITING_DELIVERY", "CONCLUDED"]
    assert all(p == f"/v2/orders/{order_id}" for p, _ in puts)  # no XML
    assert puts[1][1]["tracking"]["number"] == "202" and "url" not in puts[1][1]["tracking"]
    assert summary["counts"]["sent"] == 3 and remote(shop, order_id)["status"] == "CONCLUDED"


def test_xml_required_by_order_metadata_even_when_settings_say_no(shop: StatusShop) -> None:
    shop.configure(reconcile_days=0, send_nfe_xml_mercado_livre=False)
    order_id, code = imported(shop, metadata={"needInvoiceXML": "true"})
    shop.invoice(code, 303)
    shop.set_status(code, "invoiced")
    shop.sync()
    assert [p for p, _ in shop.status_puts()] == [f"/v2/orders/{order_id}/nfe", f"/v2/orders/{order_id}"]


def test_shipped_right_after_invoicing(shop: StatusShop) -> None:
    shop.configure(reconcile_days=0, shipped_after_invoicing=True, nfe_number_as_tracking=True)
    order_id, code = imported(shop)
    shop.invoice(code, 404)
    shop.set_status(code, "invoiced")
    shop.sync()
    statuses = [b["status"] for _, b in shop.status_puts() if "status" in (b or {})]
    assert statuses == ["INVOICED", "PAID_WAITING_DELIVERY"]
    assert remote(shop, order_id)["status"] == "PAID_WAITING_DELIVERY"


def test_missing_access_key_holds_with_a_clear_reason_until_the_erp_changes(shop: StatusShop) -> None:
    order_id, code = imported(shop)
    shop.invoice(code, 505, access_key="")
    shop.set_status(code, "invoiced")

    summary = shop.sync()
    assert shop.status_puts() == []
    [reason] = summary["examples"]["held"]
    assert "has no access key" in reason and "never sent without it" in reason
    history = shop.env.mapping.history_of("loja1", "order", str(order_id))
    assert history[-1]["outcome"] == "held"

    assert shop.sync()["counts"]["held"] == 0  # unchanged ERP data: not tried again
    shop.sql("UPDATE invoices SET access_key = :k WHERE number = 505", k=key_for(505))
    shop.sync()
    assert remote(shop, order_id)["status"] == "INVOICED"


def test_no_invoice_at_all_holds(shop: StatusShop) -> None:
    _, code = imported(shop)
    shop.set_status(code, "invoiced")
    summary = shop.sync()
    assert "needs an authorized NF-e" in summary["examples"]["held"][0]
    assert shop.status_puts() == []


def test_regression_is_refused_and_recorded_then_sent_when_allowed(shop: StatusShop) -> None:
    order_id, code = imported(shop)
    shop.invoice(code, 606)
    shop.set_status(code, "invoiced")
    shop.sync()
    shop.env.sandbox.admin.clear_requests()

    shop.sql("UPDATE invoices SET status = 'cancelled' WHERE number = 606")
    shop.set_status(code, "approved")
    summary = shop.sync()
    assert shop.status_puts() == []
    assert "never moves backwards" in summary["examples"]["refused"][0]
    assert shop.env.mapping.history_of("loja1", "order", str(order_id))[-1]["action"] == "status_regression"

    shop.configure(reconcile_days=0, allow_status_regression=True)
    summary = shop.sync()
    [(_, body)] = shop.status_puts()
    assert body == {"status": "PAID_WAITING_SHIP"}
    # The sandbox, like AnyMarket's JSDK, forbids this move: the 422 is recorded, nothing marked sent.
    assert summary["counts"]["rejected"] == 1 and summary["counts"]["sent"] == 0
    assert remote(shop, order_id)["status"] == "INVOICED"
    last = shop.env.mapping.history_of("loja1", "order", str(order_id))[-1]
    assert last["action"] == "status_rejected" and "Não é permitido" in last["error"]
    shop.env.sandbox.admin.clear_requests()
    assert shop.sync()["counts"]["rejected"] == 0 and shop.status_puts() == []  # not retried unchanged


def test_multi_cd_advances_only_when_both_parts_have(shop: StatusShop) -> None:
    order = shop.env.sandbox.admin.create_order(
        **order_spec(
            carrier="Correios",
            items=[
                {
                    "partnerId": "SKU-1",
                    "quantity": 2,
                    "unitPrice": 50.0,
                    "stocks": [{"stockLocalId": shop.sp}],
                },
                {
                    "partnerId": "SKU-2",
                    "quantity": 1,
                    "unitPrice": 30.0,
                    "stocks": [{"stockLocalId": shop.rec}],
                },
            ],
        )
    )
    shop.run()
    shop.env.sandbox.admin.clear_requests()
    first, second = f"AM-{order['id']}", f"AM-{order['id']}-2"

    shop.invoice(first, 701)
    shop.set_status(first, "invoiced")
    summary = shop.sync()
    assert shop.status_puts() == [] and summary["counts"]["partial"] == 1
    assert shop.env.mapping.history_of("loja1", "order", str(order["id"]))[-1]["action"] == "status_partial"

    shop.invoice(second, 702)
    shop.set_status(second, "invoiced")
    shop.sync()
    assert [b["status"] for p, b in shop.status_puts() if not p.endswith("/nfe")] == ["INVOICED"]
    assert remote(shop, order["id"])["status"] == "INVOICED"


def test_erp_cancellation_of_one_part_cancels_the_anymarket_order(shop: StatusShop) -> None:
    order_id, code = imported(shop)
    shop.set_status(code, "cancelled", cancel_reason="Sem estoque")
    shop.sync()
    [(_, body)] = shop.status_puts()
    assert body == {"status": "CANCELED", "cancelDetails": f"Cancelado no ERP ({code}: Sem estoque)"}
    assert remote(shop, order_id)["status"] == "CANCELED"
    shop.env.sandbox.admin.clear_requests()
    shop.sync()
    assert shop.status_puts() == []


def test_outage_is_retried_next_run_and_nothing_is_marked_sent(shop: StatusShop) -> None:
    shop.configure(reconcile_days=0, send_nfe_xml_mercado_livre=False)
    order_id, code = imported(shop)
    shop.invoice(code, 808)
    shop.set_status(code, "invoiced")
    shop.env.sandbox.admin.set_faults(error_rate=1.0)
    with pytest.raises(Exception, match=r"503|502|500|unavailable"):
        shop.sync()
    shop.env.sandbox.admin.set_faults(error_rate=0.0)
    assert remote(shop, order_id)["status"] == "PAID_WAITING_SHIP"
    summary = shop.sync()
    assert summary["counts"]["sent"] == 1 and remote(shop, order_id)["status"] == "INVOICED"
