"""The ERP contract checker: does this ERP answer every named query the way the integration needs?

Adapting ``include/sql/erp/`` to a seller's ERP is the hardest step of adoption; without this a team
finds its mistakes when a DAG fails. :func:`check_contract` runs every query of
:data:`anymarket.erp.contract.CONTRACT` against the ERP, through the same :class:`ErpDatabase` (so
the same folder, overrides and parameter binding the automations use), and reports per file: OK, or
exactly what is wrong — the file is missing, the database refused it (syntax, a missing table or
column: the driver's message), a returned column is missing or holds values of the wrong type, the
file uses a parameter the integration never passes — and where the README documents the file.

Nothing is changed: every file runs, in the contract's order, inside one transaction that is rolled
back at the end — each under a savepoint, so one failing does not hide the next. The writes (the
catalog import's upserts, the order import's inserts and updates) write a recognisable product, SKU,
customer and order that the later reads find (so their types are checked even on an ERP without such
rows), and all of it disappears with the rollback. What
a rollback cannot undo: PostgreSQL sequences and MariaDB ``AUTO_INCREMENT`` counters move on (ids
skip a few numbers), and triggers with side effects outside the database would fire.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from anymarket.erp.contract import CONTRACT, ColumnType, From, Query
from anymarket.erp.database import ErpDatabase, ErpSqlNotFoundError, parse_timestamp

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["ContractReport", "FileReport", "check_contract"]

#: Rows of a read whose values are type-checked (enough to meet a bad value, cheap on a big ERP).
MAX_ROWS_CHECKED = 500
#: Values of another query's result bound to a list parameter.
MAX_SAMPLE_VALUES = 200

Status = Literal["ok", "defect", "skipped"]


@dataclass
class FileReport:
    """The verdict on one query file."""

    query: str
    file: str
    status: Status
    documented_at: str
    path: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_checked: int = 0

    def line(self) -> str:
        """One line for people: ``OK  name.sql (…)`` or ``DEFECT  name.sql: problem; problem — see …``."""
        where = f" [{self.path}]" if self.path else ""
        if self.status == "ok":
            note = f"; {'; '.join(self.notes)}" if self.notes else ""
            return f"OK      {self.file}{where} ({self.rows_checked} rows checked{note})"
        label = "DEFECT " if self.status == "defect" else "SKIPPED"
        return f"{label} {self.file}{where}: {'; '.join(self.problems)} — documented in {self.documented_at}"


@dataclass
class ContractReport:
    """The verdict on the whole folder against one ERP database."""

    dialect: str
    database: str
    sql_dir: str
    files: list[FileReport]

    @property
    def ok(self) -> bool:
        return all(report.status == "ok" for report in self.files)

    @property
    def defects(self) -> list[FileReport]:
        return [report for report in self.files if report.status != "ok"]

    def file(self, query: str) -> FileReport:
        return next(report for report in self.files if report.query == query)

    def render(self) -> str:
        """The report people read (the CLI prints it; the DAG's task log shows it)."""
        ok = sum(1 for report in self.files if report.status == "ok")
        head = (
            f"ERP contract check of {self.database} ({self.dialect}), SQL folder {self.sql_dir}: "
            f"{len(self.files)} files, {ok} OK, {len(self.files) - ok} not OK."
        )
        verdict = (
            "Every query answers as the integration needs."
            if self.ok
            else "Fix the files marked DEFECT (SKIPPED ones depend on them), then run the check again."
        )
        return "\n".join([head, *(report.line() for report in self.files), verdict])

    def as_dict(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "database": self.database,
            "sql_dir": self.sql_dir,
            "ok": self.ok,
            "files": [asdict(report) for report in self.files],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


def check_contract(erp: ErpDatabase, *, contract: tuple[Query, ...] = CONTRACT) -> ContractReport:
    """Run every query of ``contract`` against ``erp`` without changing its data; report per file."""
    results: dict[str, list[dict[str, Any]] | None] = {}
    reports: dict[str, FileReport] = {}
    with erp.engine.connect() as connection:
        transaction = connection.begin()
        if erp.dialect == "sqlite":
            # pysqlite only opens a transaction before a DML statement; without this BEGIN the first
            # SAVEPOINT would open one itself, and releasing it would commit the check's writes.
            connection.exec_driver_sql("BEGIN")
        try:
            for entry in contract:
                reports[entry.name] = _check_one(erp, connection, entry, results)
        finally:
            transaction.rollback()
    return ContractReport(
        dialect=erp.dialect,
        database=erp.engine.url.render_as_string(hide_password=True),
        sql_dir=str(erp.sql_dir),
        files=[reports[entry.name] for entry in contract],
    )


def _check_one(
    erp: ErpDatabase,
    connection: Connection,
    entry: Query,
    results: dict[str, list[dict[str, Any]] | None],
) -> FileReport:
    report = FileReport(query=entry.name, file=entry.file, status="ok", documented_at=entry.documented_at)
    results[entry.name] = None  # until it ran and returned rows
    try:
        path = erp.query_path(entry.name)
    except ErpSqlNotFoundError as exc:
        report.status = "defect"
        report.problems.append(f"missing: {exc}")
        return report
    report.path = str(path)
    if path.name != entry.file:
        report.notes.append(f"{erp.dialect} override {path.name}")
    try:
        sql = erp.load_sql(entry.name)
    except (OSError, UnicodeDecodeError) as exc:
        report.status = "defect"
        report.problems.append(f"cannot read the file: {exc}")
        return report

    used = set(sa.text(sql)._bindparams)
    unknown = sorted(used - set(entry.params))
    if unknown:
        report.status = "defect"
        report.problems.append(
            "uses parameter(s) "
            + ", ".join(f":{name}" for name in unknown)
            + " that the integration never passes (it passes: "
            + (", ".join(f":{name}" for name in entry.params) or "none")
            + ")"
        )
        return report

    params, missing_inputs = _bind(entry, results)
    missing_inputs += [
        f"{name}.sql to have run cleanly first (it writes the rows this one changes)"
        for name in entry.requires
        if results.get(name) is None
    ]
    if missing_inputs:
        report.status = "skipped"
        report.problems.append("not run: it needs " + "; ".join(missing_inputs))
        return report

    clause, _ = erp._statement(entry.name, params)
    # A savepoint per file: on PostgreSQL an error aborts the whole transaction, which would make
    # every later file fail for no fault of its own.
    nested = connection.begin_nested()
    try:
        result = connection.execute(clause, erp._prepare(params))
        keys: list[str] = []
        rows: list[dict[str, Any]] = []
        changed = result.rowcount
        if result.returns_rows:
            keys = list(result.keys())
            rows = [dict(row) for row in result.mappings().fetchmany(MAX_ROWS_CHECKED)]
            result.close()
    except sa.exc.SQLAlchemyError as exc:
        if nested.is_active:
            nested.rollback()
        detail = getattr(exc, "orig", None) or exc
        report.status = "defect"
        action = "write" if entry.writes else "query"
        report.problems.append(
            f"the database refused the {action} on {erp.dialect}: {type(detail).__name__}: "
            f"{' '.join(str(detail).split())}"
        )
        return report
    nested.commit()  # releases the savepoint; the outer transaction is still rolled back

    if entry.writes and not entry.returns and changed == 0:
        # Its parameters point at rows the check wrote just before (or at a new row), so a write that
        # changes nothing has the wrong key: the automation would silently do nothing too.
        report.status = "defect"
        report.problems.append(
            "changed no row, although its parameters point at the row the check wrote before it "
            "(a WHERE on the wrong column?)"
        )
        return report

    expected = dict(entry.returns)
    if entry.returns and not keys:
        report.status = "defect"
        names = ", ".join(expected)
        report.problems.append(
            f"returns no rows at all: it must return {names}"
            + (" (a write: end it with RETURNING " + names + ")" if entry.writes else "")
        )
        return report
    missing = [name for name in expected if name not in keys]
    for name in missing:
        report.problems.append(
            f"returns no column '{name}' ({_describe(expected[name])}); it returns: {', '.join(keys)}"
        )
    report.rows_checked = len(rows)
    for name, kind in entry.returns:
        if name in missing:
            continue
        for index, row in enumerate(rows, start=1):
            problem = _type_problem(row[name], kind)
            if problem:
                report.problems.append(
                    f"column '{name}' must be {_describe(kind)}, row {index} has {problem}"
                )
                break
    if report.problems:
        report.status = "defect"
        return report
    if entry.returns and not rows:
        report.notes.append("no rows returned, so the column types were not checked")
    results[entry.name] = rows
    return report


def _bind(entry: Query, results: dict[str, list[dict[str, Any]] | None]) -> tuple[dict[str, Any], list[str]]:
    """The sample parameters of ``entry``, and for a write the inputs it cannot run without.

    A read whose source query gave nothing binds the fallback (a value matching nothing: the file
    still compiles and runs). A write would point at a row that does not exist and fail on a foreign
    key for no fault of its own, so it is not run, and the missing input is named.
    """
    params: dict[str, Any] = {}
    missing: list[str] = []
    for name, sample in entry.params.items():
        if not isinstance(sample, From):
            params[name] = sample
            continue
        rows = results.get(sample.query)
        values = [row.get(sample.column) for row in rows or [] if row.get(sample.column) is not None]
        if not values:
            if entry.writes:
                why = "which did not run cleanly (see above)" if rows is None else "which returned no row"
                missing.append(f"the {sample.column} from {sample.query}.sql, {why}")
            params[name] = sample.fallback
        elif sample.many:
            params[name] = list(dict.fromkeys(values))[:MAX_SAMPLE_VALUES]
        else:
            params[name] = values[0]
    return params, missing


_DESCRIPTIONS: dict[str, str] = {
    "integer": "an integer",
    "number": "a number",
    "text": "text",
    "flag": "a 0/1 flag",
    "timestamp": "a timestamp",
}


def _describe(kind: ColumnType | str) -> str:
    return _DESCRIPTIONS.get(kind, kind)


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def _type_problem(value: Any, kind: ColumnType) -> str | None:
    """``None`` when ``value`` fits ``kind``, else what it is instead (for the report)."""
    if value is None:
        return None
    if kind == "text":
        return None if isinstance(value, str) else _show(value)
    if kind == "integer":
        if isinstance(value, bool):
            return _show(value)
        if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value()):
            return None
        return _show(value)
    if kind == "number":
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return None
        return _show(value)
    if kind == "flag":
        if isinstance(value, bool) or (isinstance(value, int | Decimal) and value in (0, 1)):
            return None
        return _show(value)
    if kind == "timestamp":
        if isinstance(value, datetime | date):
            return None
        if isinstance(value, str):
            try:
                parse_timestamp(value)
            except ValueError:
                return f"text {value[:40]!r}, not an ISO timestamp"
            return None
        return _show(value)
    raise ValueError(f"unknown column type {kind!r}")
