"""One source per automation: its module's ``doc`` and declarations, checked against README and code.

* README.md's automations section is what ``python -m anymarket.automations readme`` generates;
* every declared operator, helper and rule module exists, and the operator is the automation's;
* every declared ERP query has its SQL file, every declared state table exists, and the
  declarations say what the code does (the query names and mapping DB tables it uses);
* the DAG's doc is the automation's doc, and operator docstrings do not repeat it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from functools import cache
from pathlib import Path

import pytest

from anymarket import automations
from anymarket.automations import Automation, _docs
from anymarket.automations.__main__ import main as automations_cli
from anymarket.mapping import models

REPO_ROOT = Path(__file__).resolve().parents[2]
QUERIES = REPO_ROOT / "include" / "sql" / "erp" / "queries"
#: Every ERP query name: the file's name before its first dot (``<name>.sql`` or ``<name>.<dialect>.sql``).
QUERY_NAMES = frozenset(path.name.split(".", 1)[0] for path in QUERIES.glob("*.sql"))
DIALECTS = ("sqlite", "postgresql")
#: Written by every run (operators/base.py, budget_waits.py) or by every request (budget.py): not
#: declared per automation.
BASE_TABLES = frozenset(
    {"integrations", "run_summaries", "history", "request_budgets", "request_budget_usage", "budget_waits"}
)
#: MappingDatabase methods and the table each one reads or writes.
MAPPING_METHODS = {
    "link": "links",
    "link_many": "links",
    "links_of": "links",
    "link_attributes_of": "links",
    "mappings_of": "mappings",
    "set_mapping": "mappings",
    "get_cursor": "sync_cursors",
    "set_cursor": "sync_cursors",
}
NAMES = automations.names()
#: This many words in a row, found in both an automation's doc and its operator's docstring, is a repeat.
SHINGLE = 8


def automation(name: str) -> Automation:
    return automations.get(name)


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(Path(importlib.import_module(module).__file__ or "").read_text(encoding="utf-8"))


def queries_used(module: str) -> set[str]:
    """String constants in ``module`` that name an ERP query."""
    return {
        node.value
        for node in ast.walk(_tree(module))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in QUERY_NAMES
    }


def tables_used(module: str) -> set[str]:
    """Mapping DB tables ``module`` touches: ``m.<table>`` and the MappingDatabase methods it calls."""
    tables = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "m":
            tables.add(node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            tables.add(MAPPING_METHODS.get(node.func.attr, ""))
    return tables & set(models.metadata.tables)


def _plain(text: str) -> str:
    """Text without markup or line breaks, to compare docs written in markdown and in reST."""
    return " ".join(re.sub(r"[`*]", "", text).split()).casefold()


# -- (a) README ----------------------------------------------------------------------------------


def test_readme_automations_section_is_generated_from_the_declarations() -> None:
    expected = _docs.readme_section(_docs.all_automations())
    current = _docs.current_section(_docs.README.read_text(encoding="utf-8"))
    assert current == expected, (
        "README.md's automations section (between <!-- automations:begin --> and "
        "<!-- automations:end -->) differs from the automations' declarations: run\n"
        f"    {_docs.COMMAND} --write\n"
        "(or paste the output of the same command without --write between the markers)."
    )


def test_readme_write_rewrites_only_the_marked_section(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Title\n\nbefore\n\n{_docs.BEGIN}\nstale text\n{_docs.END}\n\nafter\n", encoding="utf-8"
    )
    assert automations_cli(["readme", "--write", "--file", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nbefore\n\n") and text.endswith(f"{_docs.END}\n\nafter\n")
    assert "stale text" not in text
    assert _docs.current_section(text) == _docs.readme_section(_docs.all_automations())
    automations_cli(["readme", "--write", "--file", str(readme)])
    assert readme.read_text(encoding="utf-8") == text  # a second write changes nothing
    capsys.readouterr()
    assert automations_cli(["readme"]) == 0
    assert capsys.readouterr().out == _docs.readme_section(_docs.all_automations())


def test_readme_section_has_every_automation_and_the_shared_pieces() -> None:
    section = _docs.readme_section(_docs.all_automations())
    for name in NAMES:
        a = automation(name)
        assert f"`anymarket_<integration>__{name}`" in section
        assert f"`dags/anymarket_{name}.py`" in section
        assert _docs.first_paragraph(a.doc) in section
        for param in a.params:
            assert f"- `{param}`" in section
    assert "| **Retries and failures** | all | `plugins/anymarket/errors.py`" in section
    assert "TASK_RETRY_ARGS" in section and "tenacity" in section


@pytest.mark.parametrize("piece", _docs.SHARED_PIECES, ids=lambda p: p.name)
def test_shared_pieces_point_at_what_exists(piece: _docs.SharedPiece) -> None:
    for path in piece.paths:
        assert (REPO_ROOT / path).exists(), f"{piece.name}: {path} does not exist"
    for table in piece.tables:
        assert table in models.metadata.tables, f"{piece.name}: no mapping DB table {table!r}"


# -- (b) declarations ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_declarations_are_plain_strings(name: str) -> None:
    """Parsing a DAG must not import operators: the declarations are names, never objects."""
    a = automation(name)
    assert isinstance(a.operator, str) and a.operator
    for field in ("helpers", "rules", "erp_queries", "state_tables"):
        values = getattr(a, field)
        assert isinstance(values, tuple) and all(isinstance(v, str) and v for v in values), field
        assert len(set(values)) == len(values), f"{name}.{field} lists a value twice: {values}"


@pytest.mark.parametrize("name", NAMES)
def test_operator_module_defines_the_automations_operator(name: str) -> None:
    from anymarket.operators.base import AnyMarketBaseOperator

    a = automation(name)
    module = importlib.import_module(a.operator)
    operators = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, AnyMarketBaseOperator) and cls.__module__ == module.__name__
    ]
    assert [cls.automation for cls in operators] == [name], (
        f"{a.operator} should define one operator with automation = {name!r}; found "
        f"{[(cls.__name__, cls.automation) for cls in operators]}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_helper_and_rule_modules_exist(name: str) -> None:
    a = automation(name)
    for module in (*a.helpers, *a.rules):
        importlib.import_module(module)
        assert (REPO_ROOT / _docs.module_path(module)).is_file(), module


@pytest.mark.parametrize("name", NAMES)
def test_every_declared_query_has_its_sql_file(name: str) -> None:
    # As anymarket.erp.database.ErpDatabase.query_path resolves it: <name>.<dialect>.sql, else <name>.sql.
    for query in automation(name).erp_queries:
        for dialect in DIALECTS:
            candidates = (QUERIES / f"{query}.{dialect}.sql", QUERIES / f"{query}.sql")
            assert any(path.is_file() for path in candidates), (
                f"{name}: ERP query {query!r} has no {candidates[1].name} (nor {candidates[0].name}) "
                f"in {QUERIES.relative_to(REPO_ROOT)}"
            )


@pytest.mark.parametrize("name", NAMES)
def test_every_declared_state_table_exists(name: str) -> None:
    for table in automation(name).state_tables:
        assert table in models.metadata.tables, (
            f"{name}: no mapping DB table {table!r} in anymarket.mapping.models"
        )
        assert table not in BASE_TABLES, f"{name}: {table!r} is written by every run; do not declare it"


@pytest.mark.parametrize("name", NAMES)
def test_declared_queries_are_the_ones_the_code_runs(name: str) -> None:
    a = automation(name)
    used = set().union(*(queries_used(m) for m in (a.operator, *a.helpers, *a.rules)))
    assert used == set(a.erp_queries), (
        f"{name}: its code ({a.operator} and helpers) runs {sorted(used)}, but erp_queries declares "
        f"{sorted(a.erp_queries)}: undeclared {sorted(used - set(a.erp_queries))}, not run "
        f"{sorted(set(a.erp_queries) - used)}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_declared_state_tables_are_the_ones_the_code_touches(name: str) -> None:
    a = automation(name)
    used = set().union(*(tables_used(m) for m in (a.operator, *a.helpers, *a.rules))) - BASE_TABLES
    assert used == set(a.state_tables), (
        f"{name}: its code touches {sorted(used)}, but state_tables declares {sorted(a.state_tables)}"
    )


def test_every_query_and_table_belongs_somewhere() -> None:
    """The where-is-what table is complete: no SQL file or table nobody claims."""
    declared = [automation(name) for name in NAMES]
    claimed_queries = {q for a in declared for q in a.erp_queries}
    assert QUERY_NAMES - claimed_queries == set(), "SQL files no automation declares"
    claimed_tables = {t for a in declared for t in a.state_tables}
    claimed_tables |= {t for piece in _docs.SHARED_PIECES for t in piece.tables}
    assert set(models.metadata.tables) - claimed_tables == set(), "mapping DB tables nobody declares"


# -- (c) the DAG's doc and the operator docstrings --------------------------------------------------


def test_dag_doc_is_the_automation_doc_with_its_footer() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
    assert bag.import_errors == {}
    for name in NAMES:
        a = automation(name)
        dag = bag.dags[f"anymarket_demo__{name}"]
        assert a.doc in (dag.doc_md or "")
        assert (dag.doc_md or "").endswith(_docs.dag_doc_footer(a))
        for query in a.erp_queries:
            assert f"`{query}`" in _docs.dag_doc_footer(a)
        assert {type(task).__module__ for task in dag.tasks} == {a.operator}


@pytest.mark.parametrize("name", NAMES)
def test_operator_docstring_points_at_the_automation_and_does_not_repeat_its_doc(name: str) -> None:
    from anymarket.operators.base import AnyMarketBaseOperator

    a = automation(name)
    module = importlib.import_module(a.operator)
    (operator,) = (
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, AnyMarketBaseOperator) and cls.__module__ == module.__name__
    )
    docstring = inspect.getdoc(operator) or ""
    assert f":mod:`anymarket.automations.{name}`" in docstring, (
        f"{operator.__name__}'s docstring should point at :mod:`anymarket.automations.{name}`"
    )
    plain = _plain(docstring)
    assert _plain(_docs.first_paragraph(a.doc)) not in plain
    # Nor any run of SHINGLE words of the doc: what users read is said once, in the doc.
    words = _plain(a.doc).split()
    for start in range(len(words) - SHINGLE + 1):
        phrase = " ".join(words[start : start + SHINGLE])
        assert phrase not in plain, f"{operator.__name__}'s docstring repeats the doc: {phrase!r}"
