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
    """What an automation is: its tasks, default schedule and the doc shown in the UI.

    ``add_tasks`` is called inside the DAG context with the integration; it creates the operators.
    ``params`` become the DAG's Params (the trigger form of manual runs).
    """

    name: str
    title: str
    default_schedule: str | None
    doc: str
    add_tasks: Callable[[IntegrationConfig], None]
    tags: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


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
