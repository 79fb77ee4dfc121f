"""Integrations and their settings, declared in one YAML file and validated with clear errors.

One *integration* = one AnyMarket account: its connections, alert recipients, pool, schedules and
the settings of BRIEF.md ("Configurações"). The file is ``include/integrations.yaml`` unless
``ANYMARKET_INTEGRATIONS_FILE`` points elsewhere. Every error names the file, the integration and
the exact key and its line, e.g. ``integrations.demo.stock.rule: Input should be
'default_deposit', ... (got 'x'; line 12)``.

A broken integration entry disables that integration alone: :func:`load_integrations` returns the
others (their DAGs keep running), :func:`broken_integrations` says what is wrong with the rest (the
ops index and the DAG file ``dags/integrations_settings.py`` show it), and :func:`get_integration`
refuses a broken one with its problems. What cannot be pinned on one integration — a file that is
not YAML, a duplicate key, a wrong top level — still stops every integration.

Secrets never go here: tokens and database passwords live in Airflow connections.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from anymarket.errors import ConfigurationError

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "include" / "integrations.yaml"
INTEGRATION_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
#: Airflow's schedule presets; anything else must be a cron expression.
SCHEDULE_PRESETS = frozenset(
    {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually"}
)


@cache
def automation_names() -> tuple[str, ...]:
    """Every built automation (the modules of ``anymarket.automations``), in a stable order.

    The package is listed, not imported: the settings check automation names without loading the
    automations (which build on the settings), so the registry stays above the settings.
    """
    spec = importlib.util.find_spec("anymarket.automations")
    if spec is None or spec.submodule_search_locations is None:
        raise RuntimeError("the package anymarket.automations is missing")
    modules = pkgutil.iter_modules(spec.submodule_search_locations)
    return tuple(sorted(module.name for module in modules if not module.name.startswith("_")))


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML's ``true`` is not a number: ``safety_stock: true`` must not pass as 1."""
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and field.annotation in (int, float, int | None):
            raise ValueError("expected a number, got a boolean")
        return value


class ProductSettings(_Settings):
    """Catalog settings (create/update products, prices, catalog import)."""

    import_only_active: bool = True
    default_fiscal_origin: int = Field(0, ge=0, le=8, description="AnyMarket origin id 0..8")
    send_images: Literal["yes", "new_products_only", "no"] = "yes"
    delete_removed_images: bool = False
    replicate_parent_images: bool = False
    price_list: str | None = Field(None, description="ERP price list code; none = product's default price")
    price_format: Literal["fixed", "markup"] = "fixed"
    price_factor: float = Field(1.0, gt=0, description="markup multiplier (AnyMarket priceFactor)")
    price_scope: Literal["SKU", "SKU_MARKETPLACE", "COST"] = "SKU"
    description_line_breaks_to_br: bool = True
    update_sku_code_on_import: bool = False
    send_crossdocking: bool = True
    cost_field: Literal["cost_price", "sell_price", "none"] = "none"


class StockSettings(_Settings):
    """How the quantity AnyMarket shows is computed from the ERP."""

    rule: Literal["default_deposit", "consolidated", "mapped_deposits"] = "default_deposit"
    balance: Literal["physical", "available"] = "available"
    safety_stock: int = Field(0, ge=0, description="a balance at or below this is sent as 0")
    default_deposit: str | None = Field(None, description="ERP deposit code; none = the ERP default")
    first_stock_wait_minutes: int = Field(
        5,
        ge=0,
        le=60,
        description=(
            "mapped_deposits: a SKU product sync just created (at amount 0) may wait this long for a full "
            "PUT /stocks batch of first rows; changes of SKUs already on AnyMarket never wait (0 = never)"
        ),
    )


class OrderSettings(_Settings):
    """Order import and status sending rules."""

    cutoff_date: date | None = Field(None, description="orders created before it are never imported")
    import_statuses: Literal["paid", "paid_and_pending"] = "paid"
    import_fulfillment: bool = False
    import_interest: bool = True
    import_freight: bool = True
    import_discounts: bool = True
    item_cost_from_sell_price: bool = False
    split_multi_cd: bool = True
    invoiced_when: Literal["nfe_authorized", "nfe_authorized_and_fulfilled"] = "nfe_authorized"
    shipped_after_invoicing: bool = False
    nfe_number_as_tracking: bool = False
    send_nfe_xml_mercado_livre: bool = True
    send_nfe_xml_other_marketplaces: bool = False
    allow_status_regression: bool = False
    default_sales_operation: str | None = Field(
        None, description="ERP sales operation (natureza de operação) code for imported orders"
    )
    contributor_sales_operation: str | None = Field(
        None, description="ERP sales operation for ICMS-contributor buyers (with a state tax id)"
    )
    sales_operation_by_channel: dict[str, str] = Field(
        default_factory=dict,
        description="ERP sales operation per 'MARKETPLACE:account', 'MARKETPLACE' or ERP sales channel",
    )
    require_intermediary: bool = Field(
        False, description="hold marketplace orders without an intermediary mapping (NF-e infIntermed)"
    )
    own_store_marketplaces: list[str] = Field(
        default_factory=lambda: ["ECOMMERCE"],
        description="AnyMarket marketPlace values that are the seller's own store: no intermediary",
    )
    require_sales_channel: bool = Field(False, description="hold orders whose sales channel is not mapped")
    contact_name_format: Literal["as_received", "title_case", "upper"] = "as_received"
    default_payment_method: str | None = None
    # Import orders: how often the safety nets run and how long a run keeps serving callbacks.
    send_partner_id: bool = Field(True, description="write the ERP order code back to AnyMarket")
    reconcile_days: int = Field(7, ge=0, le=90, description="daily re-read of the last N days; 0 = off")
    pending_recheck_minutes: int = Field(15, ge=1, description="re-read pending-payment orders every N min")
    callback_watch_seconds: int = Field(
        45, ge=0, le=3000, description="after its work, a run imports arriving callbacks for this long"
    )


class BudgetSettings(_Settings):
    """How the account's request budget is split into lanes (see :mod:`anymarket.budget`)."""

    lanes: bool = Field(True, description="off = first come, first served (no reserve, no pacing)")
    realtime_reserve: float = Field(
        0.3, ge=0.05, le=0.95, description="share of requests_per_hour bulk work may never use"
    )
    callback_share: float = Field(
        0.5, gt=0, le=1, description="share of the realtime reserve callback lookups may use"
    )
    bulk_burst: float = Field(
        0.1, gt=0, le=1, description="share of bulk's allowance sent back to back before pacing"
    )
    realtime_alert_after_minutes: int = Field(
        15, ge=1, description="alert when realtime work has waited for the budget this long"
    )

    def shares(self) -> Any:
        """The shares as :class:`anymarket.budget.LaneShares` (imported here: DAG files parse fast)."""
        from anymarket.budget import LaneShares

        return LaneShares(
            lanes=self.lanes,
            realtime_reserve=self.realtime_reserve,
            callback_share=self.callback_share,
            bulk_burst=self.bulk_burst,
        )


class IntegrationConfig(_Settings):
    """One AnyMarket account and everything its DAGs need to know."""

    id: str
    name: str = Field(min_length=1, max_length=200)
    environment: Literal["production", "sandbox"] = "production"
    anymarket_conn_id: str = ""
    erp_conn_id: str = ""
    alert_emails: list[str] = Field(min_length=1)
    alert_from: str = "airflow-anymarket@localhost"
    pool: str = ""
    pool_slots: int = Field(2, ge=1, le=32, description="concurrent AnyMarket tasks of this account")
    automations: list[str] | None = Field(None, description="enabled automations; none = every built one")
    schedules: dict[str, str | None] = Field(default_factory=dict)
    products: ProductSettings = ProductSettings()
    stock: StockSettings = StockSettings()
    orders: OrderSettings = OrderSettings()
    budget: BudgetSettings = BudgetSettings()
    retention_days: int = Field(
        90, ge=1, description="mapping DB history, run summaries and handled callbacks older than this go"
    )
    report_to_anymarket_panel: bool = Field(
        False, description="post held orders, refused products and failed runs to AnyMarket's panel"
    )

    @field_validator("id")
    @classmethod
    def _id_is_a_name(cls, value: str) -> str:
        if not INTEGRATION_ID.match(value):
            raise ValueError(
                "must start with a lowercase letter and hold only lowercase letters, digits and _ "
                "(it becomes part of DAG ids, pools and connection ids)"
            )
        return value

    @field_validator("alert_emails")
    @classmethod
    def _emails_look_like_emails(cls, value: list[str]) -> list[str]:
        bad = [address for address in value if not EMAIL.match(address)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(bad)}")
        return value

    @field_validator("automations")
    @classmethod
    def _automations_exist(cls, value: list[str] | None) -> list[str] | None:
        unknown = [name for name in value or [] if name not in automation_names()]
        if unknown:
            known = ", ".join(automation_names())
            raise ValueError(f"unknown automation(s) {', '.join(unknown)}; known: {known}")
        return value

    @field_validator("schedules")
    @classmethod
    def _schedules_name_automations(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        unknown = [name for name in value if name not in automation_names()]
        if unknown:
            known = ", ".join(automation_names())
            raise ValueError(f"schedule for unknown automation(s) {', '.join(unknown)}; known: {known}")
        bad = [f"{name}: {cron!r}" for name, cron in value.items() if not _schedule_ok(cron)]
        if bad:
            raise ValueError(
                f"not a cron expression or Airflow preset ({', '.join(sorted(SCHEDULE_PRESETS))}): "
                + "; ".join(bad)
            )
        return value

    def model_post_init(self, _context: Any) -> None:
        # Defaults derived from the id, so a minimal entry needs no connection ids.
        object.__setattr__(self, "anymarket_conn_id", self.anymarket_conn_id or f"anymarket_{self.id}")
        object.__setattr__(self, "erp_conn_id", self.erp_conn_id or f"anymarket_{self.id}_erp")
        object.__setattr__(self, "pool", self.pool or f"anymarket_{self.id}")

    def settings_snapshot(self) -> dict[str, Any]:
        """The settings as JSON-friendly data, stored in the mapping DB with each run."""
        return self.model_dump(mode="json", include={"products", "stock", "orders", "budget"})


def integrations_file() -> Path:
    return Path(os.environ.get("ANYMARKET_INTEGRATIONS_FILE") or DEFAULT_FILE)


def _schedule_ok(expression: str | None) -> bool:
    if expression is None or expression in SCHEDULE_PRESETS:
        return True
    from croniter import croniter

    return bool(croniter.is_valid(expression))


@dataclass(frozen=True)
class _Loaded:
    """One read of the integrations file: the valid integrations, and the problems of the others."""

    integrations: dict[str, IntegrationConfig]
    broken: dict[str, list[str]]


def _load(path: Path | None) -> _Loaded:
    path = path or integrations_file()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ConfigurationError(
            f"Integrations file {path} does not exist: create it (see include/integrations.yaml in the "
            "project) or point ANYMARKET_INTEGRATIONS_FILE at yours."
        ) from None
    return _load_cached(str(path), mtime)


def load_integrations(path: Path | None = None) -> dict[str, IntegrationConfig]:
    """The valid integrations of the file (a broken entry is left out, see
    :func:`broken_integrations`); cached until the file changes."""
    return _load(path).integrations


def broken_integrations(path: Path | None = None) -> dict[str, list[str]]:
    """``{integration id: its problems}`` of the entries that are disabled until fixed."""
    return _load(path).broken


def get_integration(integration_id: str, path: Path | None = None) -> IntegrationConfig:
    loaded = _load(path)
    if integration_id in loaded.broken:
        raise ConfigurationError(
            f"Integration '{integration_id}' in {path or integrations_file()} is disabled until its "
            "settings are fixed:\n  " + "\n  ".join(loaded.broken[integration_id])
        )
    try:
        return loaded.integrations[integration_id]
    except KeyError:
        raise ConfigurationError(
            f"Integration '{integration_id}' is not declared in {path or integrations_file()} "
            f"(declared: {', '.join(sorted(loaded.integrations)) or 'none'})."
        ) from None


def check(path: Path | None = None) -> dict[str, IntegrationConfig]:
    """The whole file valid, or a :class:`ConfigurationError` naming every problem (``settings check``
    and the DAG file that shows broken entries as an import error)."""
    path = path or integrations_file()
    loaded = _load(path)
    problems = [problem for entry in loaded.broken.values() for problem in entry]
    if problems:
        raise ConfigurationError(f"{path} has invalid settings:\n  " + "\n  ".join(problems))
    if not loaded.integrations:
        raise ConfigurationError(f"{path} declares no integration: add one under 'integrations:'.")
    return loaded.integrations


@lru_cache(maxsize=8)
def _load_cached(path: str, _mtime: int) -> _Loaded:
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    loader = _unique_key_loader()
    try:
        root = yaml.compose(text, Loader=loader)
        document = yaml.load(text, Loader=loader) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or set(document) - {"integrations"}:
        raise ConfigurationError(f"{path}: the top level must hold only 'integrations:'.")
    entries = document.get("integrations") or {}
    if not isinstance(entries, dict):
        raise ConfigurationError(f"{path}: 'integrations' must map integration ids to their settings.")
    integrations: dict[str, IntegrationConfig] = {}
    broken: dict[str, list[str]] = {}
    for integration_id, entry in entries.items():
        where = ("integrations", integration_id)
        if not isinstance(entry, dict):
            line = _line(root, where)
            broken[str(integration_id)] = [f"integrations.{integration_id}: must be a mapping (line {line})"]
            continue
        try:
            integrations[str(integration_id)] = IntegrationConfig(id=str(integration_id), **entry)
        except ValidationError as exc:
            broken[str(integration_id)] = _describe(root, where, exc)
    return _Loaded(integrations, broken)


def _describe(root: Any, where: tuple[Any, ...], exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        path = (*where, *error["loc"])
        key, line = ".".join(str(part) for part in path), _line(root, path)
        if error["type"] == "extra_forbidden":
            lines.append(f"{key}: unknown setting (check its spelling in README 'Settings'; line {line})")
        else:
            lines.append(f"{key}: {error['msg']} (got {error.get('input')!r}; line {line})")
    return lines


def _line(node: Any, path: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest node of ``path`` the YAML has (its key's line for a mapping)."""
    import yaml

    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
        if match is None:
            break
        line, node = match[0].start_mark.line + 1, match[1]
    return line


@cache
def _unique_key_loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader refusing a key that appears twice in one mapping (YAML keeps the last silently)."""

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"key {key!r} appears twice (lines {seen[key]} and {key_node.start_mark.line + 1})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    return Loader


def main(argv: list[str] | None = None) -> None:
    """``python -m anymarket.settings check|pools``: validate the file / list the pools it needs."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m anymarket.settings")
    parser.add_argument("command", choices=["check", "pools"])
    args = parser.parse_args(argv)
    try:
        integrations = check() if args.command == "check" else load_integrations()
    except ConfigurationError as exc:
        raise SystemExit(str(exc)) from None
    if args.command == "check":
        print(f"{integrations_file()}: {len(integrations)} integration(s) valid: {', '.join(integrations)}")
    else:
        for integration in integrations.values():
            print(f"{integration.pool}\t{integration.pool_slots}\tAnyMarket requests of {integration.name}")


if __name__ == "__main__":
    main()
