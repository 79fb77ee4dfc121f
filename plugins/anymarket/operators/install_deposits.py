"""Deposit installer: import AnyMarket's warehouses and link the ERP deposits of the same name."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from anymarket.mapping import models as m
from anymarket.mapping.database import upsert
from anymarket.operators.base import AnyMarketBaseOperator
from anymarket.vocabulary import normalize_name

if TYPE_CHECKING:
    from airflow.sdk import Context
    from sqlalchemy.engine import Connection

    from anymarket.summary import RunSummary


class AnyMarketInstallDepositsOperator(AnyMarketBaseOperator):
    """The operator of the deposit installer.

    What it does, for the person running it: :mod:`anymarket.automations.install_deposits`.

    Inside: one mapping DB transaction mirrors the warehouse list into ``anymarket_warehouses``
    (upsert, then delete the ids AnyMarket no longer returns) and writes the new ``deposit`` mappings
    (:meth:`~anymarket.mapping.database.MappingDatabase.set_mapping`, attributes
    ``counts_toward_balance``, ``erp_name``, ``anymarket_name``). Names are compared through
    ``normalize_name``; an existing mapping, whatever its source, is never touched.

    Constructor: only the base operator's parameters
    (:class:`~anymarket.operators.base.AnyMarketBaseOperator`).
    """

    automation = "install_deposits"

    def run(self, context: Context, summary: RunSummary) -> None:
        warehouses = self.hook.stock_locals()
        deposits = [d for d in self.erp.query("list_deposits") if _truthy(d.get("active", True))]
        summary.set("warehouses", len(warehouses))
        summary.set("erp_deposits", len(deposits))
        integration_id = self.integration.id
        by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for warehouse in warehouses:
            by_name[normalize_name(warehouse.get("name", ""))].append(warehouse)
        warehouse_ids = {str(w["id"]) for w in warehouses}

        with self.mapping.begin() as conn:
            self._store_warehouses(conn, integration_id, warehouses)
            existing = {
                row.key: row.value
                for row in conn.execute(
                    sa.select(m.mappings.c.key, m.mappings.c.value).where(
                        m.mappings.c.integration_id == integration_id, m.mappings.c.kind == "deposit"
                    )
                )
            }
            for deposit in deposits:
                code, name = str(deposit["code"]), str(deposit["name"])
                label = f"{name} ({code})"
                if code in existing:
                    if existing[code] in warehouse_ids:
                        summary.note("already_linked", label)
                    else:
                        summary.note("linked_to_missing_warehouse", f"{label} → {existing[code]}")
                        self._history(
                            conn,
                            code,
                            "stale_link",
                            "error",
                            error=f"mapped to warehouse {existing[code]}, which AnyMarket no longer has",
                        )
                    continue
                candidates = by_name.get(normalize_name(name), [])
                if len(candidates) == 1:
                    warehouse = candidates[0]
                    self.mapping.set_mapping(
                        integration_id,
                        "deposit",
                        code,
                        str(warehouse["id"]),
                        attributes={
                            "counts_toward_balance": True,
                            "erp_name": name,
                            "anymarket_name": warehouse.get("name"),
                        },
                        source="auto",
                        conn=conn,
                    )
                    existing[code] = str(warehouse["id"])
                    summary.note("linked", f"{label} → {warehouse['id']}")
                    self._history(conn, code, "link", "ok", response=warehouse)
                elif not candidates:
                    summary.note("unmatched_deposits", label)
                    self._history(
                        conn,
                        code,
                        "link",
                        "skipped",
                        error=f"no AnyMarket warehouse named {name!r}: map it by hand",
                    )
                else:
                    ids = ", ".join(str(w["id"]) for w in candidates)
                    summary.note("ambiguous_deposits", f"{label} → {ids}")
                    self._history(
                        conn,
                        code,
                        "link",
                        "skipped",
                        error=f"several AnyMarket warehouses are named {name!r} ({ids}): map it by hand",
                    )
            linked_ids = set(existing.values())
            for warehouse in warehouses:
                if str(warehouse["id"]) not in linked_ids:
                    summary.note("unmatched_warehouses", f"{warehouse.get('name')} ({warehouse['id']})")
        for key in (
            "unmatched_deposits",
            "ambiguous_deposits",
            "unmatched_warehouses",
            "linked_to_missing_warehouse",
        ):
            if summary.counts[key]:
                self.log.warning("%s: %s", key, ", ".join(summary.examples[key]))

    def _store_warehouses(
        self, conn: Connection, integration_id: str, warehouses: list[dict[str, Any]]
    ) -> None:
        """Mirror AnyMarket's warehouse list: upsert what it has, drop what it no longer has."""
        table = m.anymarket_warehouses
        for warehouse in warehouses:
            upsert(
                conn,
                table,
                {"integration_id": integration_id, "stock_local_id": str(warehouse["id"])},
                {
                    "name": warehouse.get("name") or str(warehouse["id"]),
                    "is_default": bool(warehouse.get("defaultLocal")),
                    "is_virtual": bool(warehouse.get("virtual")),
                    "zip_code": warehouse.get("zipCode"),
                },
            )
        conn.execute(
            sa.delete(table).where(
                table.c.integration_id == integration_id,
                table.c.stock_local_id.not_in([str(w["id"]) for w in warehouses]),
            )
        )

    def _history(self, conn: Connection, code: str, action: str, outcome: str, **details: Any) -> None:
        self.record_history(
            entity_type="deposit", entity_key=code, action=action, outcome=outcome, conn=conn, **details
        )


def _truthy(value: Any) -> bool:
    return value not in (False, 0, "0", "false", "f", "n", "N", None)
