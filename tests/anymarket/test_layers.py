"""The package's layers stay straight: a module imports only from its own layer or below.

Bottom to top: the low shared modules (``vocabulary``, ``errors``, ``summary``) → ``rules`` (pure) →
services (hooks, budget, connections, settings, notifications, mapping, erp, catalog, orders,
callbacks) → ``operators`` → ``automations`` and ``dag_factory`` → ``ops`` (the ops UI plugin).

Every module under ``plugins/anymarket`` is parsed (nothing is imported), and every ``anymarket``
import is checked, at the top of a module or inside a function. Imports under ``if TYPE_CHECKING:``
are left out of the layer order: they never run, and only name the types a function takes (the
rules annotate with the settings models they read). The explicit rules below count them too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "plugins" / "anymarket"

#: Bottom to top; a module belongs to the layer of its longest matching prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # anymarket.provider: the provider's registration, loaded by Airflow itself; imports nothing of ours.
    (
        "low",
        ("anymarket", "anymarket.vocabulary", "anymarket.errors", "anymarket.summary", "anymarket.provider"),
    ),
    ("rules", ("anymarket.rules", "anymarket.fulfillment.rules")),
    (
        "services",
        (
            "anymarket.hooks",
            "anymarket.budget",
            "anymarket.budget_waits",
            "anymarket.stock_levels",
            "anymarket.progress",
            "anymarket.connections",
            "anymarket.settings",
            "anymarket.notifications",
            "anymarket.mapping",
            "anymarket.erp",
            "anymarket.catalog",
            "anymarket.listings",
            "anymarket.fulfillment",
            "anymarket.panel",
            "anymarket.orders",
            "anymarket.callbacks",
        ),
    ),
    ("operators", ("anymarket.operators",)),
    ("automations", ("anymarket.automations", "anymarket.dag_factory")),
    ("ops", ("anymarket.ops",)),
)


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    type_only: bool

    def __str__(self) -> str:
        kind = " (TYPE_CHECKING)" if self.type_only else ""
        return f"{self.importer}:{self.line} imports {self.target}{kind}"


def layer_of(module: str) -> int | None:
    """Index of ``module``'s layer in :data:`LAYERS`; ``None`` when no layer claims it."""
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            # the package root claims only itself, not everything below it
            matches = module == prefix or (prefix != "anymarket" and module.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return best[1] if best else None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_in(
    source: str, module: str, *, is_package: bool = False, known: frozenset[str] = frozenset()
) -> list[Import]:
    """Every ``anymarket`` import of ``source`` (the module named ``module``), anywhere in it.

    ``from anymarket.x import y`` targets ``anymarket.x.y`` when that is a module (``known``), else
    ``anymarket.x``. Relative imports are resolved against the module's package.
    """
    found: list[Import] = []
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.append(submodule if submodule in known else base)
        for target in targets:
            if target == "anymarket" or target.startswith("anymarket."):
                found.append(Import(module, target, node.lineno, type_only))
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(source), False)
    return found


@cache
def all_imports() -> tuple[Import, ...]:
    known = frozenset(modules())
    found: list[Import] = []
    for module, path in modules().items():
        source = path.read_text(encoding="utf-8")
        found += imports_in(source, module, is_package=path.name == "__init__.py", known=known)
    return tuple(found)


def upward(imports: list[Import] | tuple[Import, ...]) -> list[str]:
    """The runtime imports pointing to a higher layer, described."""
    bad = []
    for edge in imports:
        if edge.type_only:
            continue
        mine, theirs = layer_of(edge.importer), layer_of(edge.target)
        if mine is not None and theirs is not None and theirs > mine:
            bad.append(f"{edge} ({LAYERS[mine][0]} → {LAYERS[theirs][0]})")
    return bad


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(name for name in modules() if layer_of(name) is None)
    assert unplaced == [], f"put these modules in a layer of LAYERS: {unplaced}"
    targets = sorted({edge.target for edge in all_imports() if layer_of(edge.target) is None})
    assert targets == [], f"imports of modules no layer claims: {targets}"


def test_the_scan_sees_the_imports() -> None:
    """Guards the guard: the parser finds top-level, in-function and TYPE_CHECKING imports."""
    edges = {(edge.importer, edge.target, edge.type_only) for edge in all_imports()}
    assert ("anymarket.operators.send_stock", "anymarket.operators.base", False) in edges
    assert ("anymarket.ops.router", "anymarket.automations", False) in edges  # inside a function
    assert ("anymarket.operators.base", "anymarket.settings", True) in edges


def test_no_import_points_to_a_higher_layer() -> None:
    bad = upward(all_imports())
    assert bad == [], "imports pointing to a higher layer:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("anymarket.catalog.payload", "from anymarket.operators.install_deposits import x"),
        ("anymarket.rules.send_stock", "def f():\n    from anymarket.mapping import models\n"),
        ("anymarket.mapping.csv_io", "import anymarket.ops.queries\n"),
        ("anymarket.settings", "from anymarket import automations\n"),
        ("anymarket.orders.status", "from ..operators import base\n"),
    ],
)
def test_an_upward_import_is_caught(module: str, source: str) -> None:
    found = imports_in(source, module, known=frozenset(modules()))
    assert upward(found), f"{source!r} in {module} should point up"


def test_only_automations_import_operators() -> None:
    """Operators are built by the automations; an operator shares code only through operators.base."""
    bad = []
    for edge in all_imports():
        if not (edge.target == "anymarket.operators" or edge.target.startswith("anymarket.operators.")):
            continue
        if edge.importer.startswith("anymarket.automations."):
            continue
        if edge.importer.startswith("anymarket.operators.") and edge.target == "anymarket.operators.base":
            continue
        bad.append(str(edge))
    assert bad == [], "only automations import operators (operators: operators.base):\n" + "\n".join(bad)


def test_settings_do_not_import_the_automation_registry() -> None:
    bad = [
        str(edge)
        for edge in all_imports()
        if edge.importer == "anymarket.settings"
        and (edge.target == "anymarket.automations" or edge.target.startswith("anymarket.automations."))
    ]
    assert bad == [], "settings must not import the automation registry:\n" + "\n".join(bad)


def test_vocabulary_imports_nothing_from_anymarket() -> None:
    assert [str(edge) for edge in all_imports() if edge.importer == "anymarket.vocabulary"] == []
