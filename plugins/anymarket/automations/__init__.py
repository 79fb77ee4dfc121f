"""The automations: one module each, declaring ``AUTOMATION`` (an :class:`Automation`).

A module here *is* the registration: the DAG factory finds automations by listing this package, so
adding one never edits a shared list, and an automation that is not built has no module and no DAG.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anymarket.settings import automation_names

if TYPE_CHECKING:
    from anymarket.settings import IntegrationConfig


@dataclass(frozen=True)
class Automation:
    """What an automation is: its tasks, default schedule, the doc shown in the UI, and where it lives.

    ``doc`` is the one user-facing description (what it does, its settings and Params, what happens on
    errors); its first paragraph is also the automation's entry in the README. ``add_tasks`` is called
    inside the DAG context with the integration; it creates the operators. ``params`` become the DAG's
    Params (the trigger form of manual runs).

    Where it lives — plain strings, so parsing a DAG imports none of it; the README's "where is what"
    table and the DAG doc's footer are generated from them (``python -m anymarket.automations readme``)
    and ``tests/anymarket/test_automations_doc.py`` checks them against the code:

    * ``operator``: the module of its operator (``anymarket.operators.<name>``);
    * ``helpers``: the modules the operator hands its work to (I/O included), e.g. the order importer;
    * ``rules``: the pure rule modules (no I/O) it decides with;
    * ``erp_queries``: the named ERP queries it runs (``include/sql/erp/queries/<name>.sql``);
    * ``state_tables``: the mapping DB tables it reads or writes, besides ``integrations``,
      ``run_summaries`` and ``history`` (every run writes those, :mod:`anymarket.operators.base`) and
      the request budget's (every AnyMarket request spends it, :mod:`anymarket.budget`).
    """

    name: str
    title: str
    default_schedule: str | None
    doc: str
    add_tasks: Callable[[IntegrationConfig], None]
    operator: str
    tags: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    helpers: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    erp_queries: tuple[str, ...] = ()
    state_tables: tuple[str, ...] = ()


def names() -> tuple[str, ...]:
    """Every built automation, in a stable order (module names; nothing is imported)."""
    return automation_names()


def get(name: str) -> Automation:
    if name not in names():
        raise KeyError(f"unknown automation {name!r}; known: {', '.join(names())}")
    automation = importlib.import_module(f"{__name__}.{name}").AUTOMATION
    if automation.name != name:
        raise RuntimeError(f"module {name} declares automation {automation.name!r}")
    return automation
