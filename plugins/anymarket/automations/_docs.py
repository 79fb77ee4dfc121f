"""The README's automations section and each DAG doc's footer, generated from the declarations.

Everything here reads the :class:`~anymarket.automations.Automation` declarations (plain strings) and
imports no operator, so the DAG factory can use :func:`dag_doc_footer` at parse time. The README part
is printed by ``python -m anymarket.automations readme`` (``--write`` puts it into README.md between
:data:`BEGIN` and :data:`END`); ``tests/anymarket/test_automations_doc.py`` fails when README.md
differs from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anymarket.automations import Automation

REPO_ROOT = Path(__file__).resolve().parents[3]
README = REPO_ROOT / "README.md"
BEGIN = "<!-- automations:begin -->"
END = "<!-- automations:end -->"
QUERIES_DIR = "include/sql/erp/queries"
INTEGRATION = "<integration>"
#: How to regenerate the section (the package lives in ``plugins/``).
COMMAND = "PYTHONPATH=plugins .venv/bin/python -m anymarket.automations readme"

#: How a default schedule reads in the README; anything else is shown as the cron expression.
SCHEDULE_WORDS: dict[str | None, str] = {
    None: "none (triggered by hand)",
    "* * * * *": "every minute",
    "0 * * * *": "hourly",
    "@hourly": "hourly",
    "@daily": "daily",
}


@dataclass(frozen=True)
class SharedPiece:
    """A row of the "where is what" table that belongs to no single automation."""

    name: str
    #: Files or folders, relative to the repository (the test checks they exist).
    paths: tuple[str, ...]
    what: str
    #: Mapping DB tables it owns (the test checks they exist).
    tables: tuple[str, ...] = ()
    erp_sql: str = ""


SHARED_PIECES: tuple[SharedPiece, ...] = (
    SharedPiece(
        "Retries and failures",
        ("plugins/anymarket/errors.py", "plugins/anymarket/hooks/anymarket.py"),
        "the classifier (`classify`): every error is fatal (the task fails at once, no retry), "
        "retryable or row-level (recorded in the entity's history, the run goes on); `TASK_RETRY_ARGS`: "
        "Airflow's retries of a task; one request is retried in the hook (tenacity; connection extra "
        "`max_retries`, `backoff_base`, `backoff_max`, `max_retry_after`)",
        ("history",),
    ),
    SharedPiece(
        "Shared words",
        ("plugins/anymarket/vocabulary.py", "plugins/anymarket/summary.py"),
        "imports nothing above it: names compared as a person would (`normalize_name`), Brazil's time "
        "zone (`BRAZIL`), AnyMarket's order statuses and their lifecycle rank; the run summary "
        "(`RunSummary`)",
    ),
    SharedPiece(
        "Layer order",
        ("tests/anymarket/test_layers.py",),
        "low modules → rules (`rules/`, pure) → services (hook, budget, settings, `mapping/`, `erp/`, "
        "`catalog/`, `orders/`, `callbacks/`) → operators → automations and DAG wiring → ops page; "
        "the test fails on an import that points up",
    ),
    SharedPiece(
        "AnyMarket API client",
        ("plugins/anymarket/hooks/anymarket.py",),
        "`AnyMarketHook`, the only way out to AnyMarket: token, paging, request budget, retries, "
        "`AnyMarketAPIError`",
    ),
    SharedPiece(
        "Request budget",
        ("plugins/anymarket/budget.py", "plugins/anymarket/budget_waits.py"),
        "the account's sliding-hour budget (5 000 requests/hour per token), shared by every task and "
        "worker, in lanes (realtime, callback, bulk paced); the runs waiting for it and when to alert",
        ("request_budgets", "request_budget_usage", "budget_waits"),
    ),
    SharedPiece(
        "Progress",
        ("plugins/anymarket/progress.py",),
        "`n / total`, requests per item and an ETA at the lane's pace, for long bulk work",
    ),
    SharedPiece(
        "Every operator's base",
        ("plugins/anymarket/operators/base.py",),
        "settings, hook and databases (built in `execute`), Params (`run_param`), the run summary "
        "(logged, stored, the task's XCom) and the history",
        ("integrations", "run_summaries", "history"),
    ),
    SharedPiece(
        "Mapping DB",
        (
            "plugins/anymarket/mapping/models.py",
            "plugins/anymarket/mapping/database.py",
            "plugins/anymarket/mapping/migrations",
        ),
        "the tables (`models.py`), their access (`database.py`) and migrations "
        "(`python -m anymarket.mapping upgrade`); mapping CSV files: `mapping/csv_io.py`",
        ("links", "mappings", "sync_cursors"),
    ),
    SharedPiece(
        "ERP access",
        ("plugins/anymarket/erp/database.py", "include/sql/erp/README.md", "include/sql/erp/schema"),
        "`ErpDatabase`: runs a named query; the contract and the reference schema are in "
        "`include/sql/erp/` (`ANYMARKET_ERP_SQL_DIR` points at a copy)",
        erp_sql="`<name>.sql`, or `<name>.<dialect>.sql` beside it",
    ),
    SharedPiece(
        "Callbacks receiver",
        ("plugins/anymarket/callbacks", "plugins/anymarket_plugin.py"),
        "`/anymarket/callbacks/<integration>/<secret>` on the api-server (or `python -m "
        "anymarket.callbacks`): checks the secret, then the body, and queues; `import_orders` imports "
        "from the inbox; `python -m anymarket.callbacks register` makes the secret and registers the URL "
        "(`callbacks/registration.py`, also run by `test_connection`)",
        ("callback_inbox", "callback_not_found"),
    ),
    SharedPiece(
        "Ops page",
        ("plugins/anymarket/ops", "plugins/anymarket_plugin.py"),
        "`/anymarket/ops/` (Airflow login): runs, held orders, rejections, lookups, mapping CSVs "
        "(through `mapping/csv_io.py`); no AnyMarket request",
    ),
    SharedPiece(
        "Settings",
        ("plugins/anymarket/settings.py", "include/integrations.yaml"),
        "the integrations file and its validation (`python -m anymarket.settings check`)",
    ),
    SharedPiece(
        "DAGs",
        ("plugins/anymarket/dag_factory.py", "plugins/anymarket/automations", "dags"),
        "one module per automation declares it; the factory builds one DAG per automation per integration",
    ),
    SharedPiece(
        "Failure e-mails",
        ("plugins/anymarket/notifications.py",),
        "the alert e-mail to the integration's `alert_emails`",
    ),
)


# -- small facts ---------------------------------------------------------------------------------


def module_path(module: str) -> str:
    """``anymarket.rules.send_stock`` → ``plugins/anymarket/rules/send_stock.py``."""
    return f"plugins/{module.replace('.', '/')}.py"


def dag_id(name: str, integration: str = INTEGRATION) -> str:
    return f"anymarket_{integration}__{name}"


def dag_file(name: str) -> str:
    return f"dags/anymarket_{name}.py"


def first_paragraph(doc: str) -> str:
    """The doc's first paragraph, as written (what the README shows of an automation)."""
    return doc.strip().split("\n\n", 1)[0].strip()


def schedule_words(schedule: str | None) -> str:
    words = SCHEDULE_WORDS.get(schedule)
    if schedule is None:
        return str(words)
    return f"{words} (`{schedule}`)" if words else f"`{schedule}`"


def _code(values: Iterable[str], *, none: str = "—", sep: str = ", ") -> str:
    rendered = [f"`{value}`" for value in values]
    return sep.join(rendered) if rendered else none


def describe_param(name: str, param: Any) -> str:
    """One Param as a README bullet: name, title, type, default, description."""
    schema: dict[str, Any] = dict(getattr(param, "schema", {}) or {})
    value = getattr(param, "value", param)
    if "enum" in schema:
        kind = "one of " + ", ".join(f"`{option}`" for option in schema["enum"])
    else:
        types = schema.get("type") or []
        types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
        kind = schema.get("format") or "/".join(types) or "any"
    if value is None:
        default = "empty"
    else:
        default = f"`{value}`" if isinstance(value, str) else f"`{json.dumps(value)}`"
    title = f" *{schema['title']}*" if schema.get("title") else ""
    description = getattr(param, "description", None) or schema.get("description")
    text = f"- `{name}`{title} ({kind}; default {default})"
    return f"{text}: {description}" if description else text


# -- the DAG doc's footer ------------------------------------------------------------------------


def dag_doc_footer(automation: Automation) -> str:
    """Where the automation lives, under its doc in the UI (from the declaration, not written twice)."""
    tables = [*automation.state_tables, "run_summaries", "history"]
    code = [module_path(automation.operator), *map(module_path, automation.helpers)]
    lines = [
        "",
        "---",
        "**Where it lives**",
        "",
        f"- ERP queries (`{QUERIES_DIR}/<name>.sql`): {_code(automation.erp_queries, none='none')}",
        f"- Mapping DB tables: {_code(tables)}",
        f"- Code: {_code(code)}"
        + (f"; rules (pure): {_code(map(module_path, automation.rules))}" if automation.rules else ""),
    ]
    return "\n".join(lines) + "\n"


# -- the README section --------------------------------------------------------------------------


def _automation_entry(automation: Automation) -> list[str]:
    params = [describe_param(name, param) for name, param in automation.params.items()]
    return [
        f"### {automation.title} — `{automation.name}`",
        "",
        f"- DAG `{dag_id(automation.name)}`, file `{dag_file(automation.name)}`",
        f"- Default schedule: {schedule_words(automation.default_schedule)}",
        "- Params:" if params else "- Params: none",
        *(f"  {line}" for line in params),
        "",
        first_paragraph(automation.doc),
        "",
    ]


def _where_row(automation: Automation) -> str:
    code = f"`{module_path(automation.operator)}`"
    if automation.helpers:
        code += f"<br>with {_code(map(module_path, automation.helpers))}"
    cells = [
        f"{automation.title}<br>`{automation.name}`",
        f"`{dag_id(automation.name)}`<br>`{dag_file(automation.name)}`",
        code,
        _code(map(module_path, automation.rules), sep="<br>"),
        _code((f"{q}.sql" for q in automation.erp_queries), sep="<br>"),
        _code(automation.state_tables),
    ]
    return "| " + " | ".join(cells) + " |"


def _shared_row(piece: SharedPiece) -> str:
    cells = [
        f"**{piece.name}**",
        "all",
        f"{_code(piece.paths, sep='<br>')}<br>{piece.what}",
        "—",
        piece.erp_sql or "—",
        _code(piece.tables),
    ]
    return "| " + " | ".join(cells) + " |"


def readme_section(automations: Iterable[Automation]) -> str:
    """The markdown between the README's markers (markers excluded)."""
    automations = list(automations)
    lines = [
        "<!-- Generated from the declarations in plugins/anymarket/automations/*.py: edit those, then run",
        f"     `{COMMAND} --write`; a test fails when this section differs. -->",
        "",
        "Each automation is one module in `plugins/anymarket/automations/` and one DAG per integration.",
        "Below is the first paragraph of each one's doc; the whole doc (settings, Params, what happens on",
        "errors, and where it lives) is the DAG's documentation in the Airflow UI.",
        "",
    ]
    for automation in automations:
        lines += _automation_entry(automation)
    lines += [
        "### Where is what",
        "",
        "Paths are from the repository root; ERP SQL files are in `include/sql/erp/queries/`. State tables",
        "are the mapping DB tables an automation reads or writes besides `integrations`, `run_summaries`",
        "and `history` (every run writes those) and the request budget's (every AnyMarket request spends",
        "it).",
        "",
        "| Automation | DAG | Operator module | Rule modules (pure) | ERP SQL files | State tables |",
        "|---|---|---|---|---|---|",
        *(_where_row(automation) for automation in automations),
        *(_shared_row(piece) for piece in SHARED_PIECES),
    ]
    return "\n".join(lines) + "\n"


def all_automations() -> list[Automation]:
    from anymarket import automations

    return [automations.get(name) for name in automations.names()]


def replace_section(readme: str, section: str) -> str:
    """``readme`` with the text between the markers replaced by ``section``."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md needs the markers {BEGIN} and {END}, in that order")
    return readme[: start + len(BEGIN)] + "\n" + section + readme[end:]


def current_section(readme: str) -> str:
    """What README.md holds between the markers now."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md needs the markers {BEGIN} and {END}, in that order")
    return readme[start + len(BEGIN) : end].removeprefix("\n")
