"""Mappings as CSV files: export, parse and validate, apply in one transaction.

Ops manage every mapping kind (``models.MAPPING_KINDS``) without code: export a kind to a CSV file,
edit it in a spreadsheet, import it back — from the ops page (download/upload) or the
``manage_mappings`` DAG. One file per kind, named after it (``carriers.csv``); its columns are the
mapping's key, its value and the attributes the automations read (``counts_toward_balance`` for
deposits, ``tracking_url_template`` for carriers, ``intermediary_name`` and ``seller_id`` for
intermediaries), plus an informational ``source`` column.

Import rules:

* the file is read as UTF-8 (with or without BOM) or, failing that, Windows-1252 (Excel's "CSV" on a
  Brazilian Windows); cells are separated by ``,`` or ``;`` (Excel in pt-BR writes ``;``);
* every problem is reported as ``<file> line <n>, column <name>: <what>`` — unknown kinds and
  columns, missing columns, empty required cells, duplicate keys, values of the wrong form, and codes
  the ERP does not have (carriers, payment methods, sales channels, deposits) or AnyMarket
  warehouses the deposit installer has not seen. A file with any error applies nothing;
* rows are compared with the database: equal rows are left untouched (an exported file imported back
  changes nothing, not even ``updated_at``), changed and new rows become ``manual`` (the deposit
  installer never overwrites them); with ``mode="replace"`` keys missing from the file are deleted;
* all files of one import are applied in one transaction with one history row per kind saying who
  imported what and what changed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from anymarket.errors import AnyMarketError, FatalError
from anymarket.mapping import models as m
from anymarket.mapping.database import utcnow
from anymarket.orders.fiscal import is_valid_cnpj
from anymarket.vocabulary import CANCELED, RANK

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from anymarket.erp.database import ErpDatabase
    from anymarket.mapping.database import MappingDatabase

#: AnyMarket's order statuses (JSDK ``OrderStatus``) in lifecycle order: what the status mappings may name.
ANYMARKET_ORDER_STATUSES = (*sorted(RANK, key=RANK.__getitem__), CANCELED)
#: The ``marketplace`` values of ``GET /stocks/fulfillment/{marketplace}/{idSku}`` (the spec's enum).
FULFILLMENT_MARKETPLACES = ("MERCADO_LIVRE", "B2W_NEW_API", "OUTROS")
MAX_CELL = 200  # mappings.key / mappings.value are VARCHAR(200)
MAX_ERRORS = 50  # enough to fix a file; a wholly wrong file would otherwise list every cell
TRUE_WORDS = {"true", "yes", "sim", "1", "y", "s", "x"}
FALSE_WORDS = {"false", "no", "não", "nao", "0", "n", ""}
ImportMode = Literal["merge", "replace"]


# -- what each kind's file looks like ---------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One CSV column and the rules its cells follow.

    :param erp: the ERP reference whose *active* codes the cell must be (``carrier``,
        ``payment_method``, ``sales_channel``, ``deposit``).
    :param warehouse: the cell must be an AnyMarket warehouse the deposit installer stored.
    :param choices: the cell must be one of these.
    :param wildcard: ``*`` (the default row) is accepted besides the rules above.
    :param check: a format rule returning what is wrong, or ``None``.
    """

    name: str
    required: bool = True
    erp: str | None = None
    warehouse: bool = False
    choices: tuple[str, ...] = ()
    wildcard: bool = False
    check: Callable[[str], str | None] | None = None
    boolean: bool = False


def _digits(value: str) -> str | None:
    return None if value.isdigit() and int(value) > 0 else f"must be a numeric AnyMarket id, got {value!r}"


def _type_value(value: str) -> str | None:
    return None if ":" in value.strip(":") else f"must be 'type:value' (e.g. 'Cor:Azul'), got {value!r}"


def _cnpj(value: str) -> str | None:
    digits = re.sub(r"[.\-/\s]", "", value)
    if not digits.isdigit() or len(digits) != 14:
        return f"must be a CNPJ of 14 digits, got {value!r}"
    if not is_valid_cnpj(digits):
        return f"{value!r} is not a valid CNPJ (check digits)"
    return None


def _tracking_template(value: str) -> str | None:
    if not re.match(r"^https?://", value):
        return f"must be an http(s) URL, got {value!r}"
    if "{tracking_code}" not in value:
        return f"must contain {{tracking_code}} where the tracking code goes, got {value!r}"
    return None


@dataclass(frozen=True)
class KindSpec:
    """The CSV form of one mapping kind: key column, value column, attribute columns."""

    kind: str
    file_name: str
    key: Column
    value: Column
    attributes: tuple[Column, ...] = ()

    @property
    def columns(self) -> tuple[Column, ...]:
        return (self.key, self.value, *self.attributes, Column("source", required=False))

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


SPECS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            "category", "categories.csv", Column("erp_code"), Column("anymarket_category_id", check=_digits)
        ),
        KindSpec("brand", "brands.csv", Column("erp_code"), Column("anymarket_brand_id", check=_digits)),
        KindSpec("attribute", "attributes.csv", Column("erp_attribute"), Column("anymarket_characteristic")),
        KindSpec(
            "variation_type",
            "variation_types.csv",
            Column("erp_variation_type"),
            Column("anymarket_variation_type"),
        ),
        KindSpec(
            "variation_value",
            "variation_values.csv",
            Column("erp_type_value", check=_type_value),
            Column("anymarket_variation_value"),
        ),
        KindSpec(
            "deposit",
            "deposits.csv",
            Column("erp_code", erp="deposit"),
            Column("stock_local_id", warehouse=True, check=_digits),
            (Column("counts_toward_balance", boolean=True),),
        ),
        KindSpec(
            "fulfillment_deposit",
            "fulfillment_deposits.csv",
            Column("anymarket_marketplace", choices=FULFILLMENT_MARKETPLACES),
            Column("erp_deposit_code", erp="deposit"),
        ),
        KindSpec(
            "order_status_import",
            "order_statuses_import.csv",
            Column("anymarket_status", choices=ANYMARKET_ORDER_STATUSES, wildcard=True),
            Column("erp_status"),
        ),
        KindSpec(
            "order_status_export",
            "order_statuses_export.csv",
            Column("erp_status"),
            Column("anymarket_status", choices=ANYMARKET_ORDER_STATUSES),
        ),
        KindSpec(
            "payment_method",
            "payment_methods.csv",
            Column("anymarket_payment", wildcard=True),
            Column("erp_code", erp="payment_method"),
        ),
        KindSpec(
            "carrier",
            "carriers.csv",
            Column("anymarket_carrier"),
            Column("erp_code", erp="carrier"),
            (Column("tracking_url_template", required=False, check=_tracking_template),),
        ),
        KindSpec(
            "sales_channel",
            "sales_channels.csv",
            Column("anymarket_channel", wildcard=True),
            Column("erp_code", erp="sales_channel"),
        ),
        KindSpec(
            "intermediary",
            "intermediaries.csv",
            Column("anymarket_marketplace"),
            Column("intermediary_cnpj", check=_cnpj),
            (Column("intermediary_name", required=False), Column("seller_id", required=False)),
        ),
    )
}
assert set(SPECS) == set(m.MAPPING_KINDS), "every mapping kind needs a CSV form"

ERP_LABELS = {
    "carrier": "ERP carrier",
    "payment_method": "ERP payment method",
    "sales_channel": "ERP sales channel",
    "deposit": "ERP deposit",
}


def spec_for(kind: str) -> KindSpec:
    if kind not in SPECS:
        raise MappingCsvError(
            [CsvError("(kind)", None, None, f"unknown mapping kind {kind!r} (known: {', '.join(SPECS)})")]
        )
    return SPECS[kind]


def kind_of_file(file_name: str) -> str | None:
    """The kind a file name stands for: ``carriers.csv``, ``carrier.csv`` or ``loja1-carriers.csv``."""
    stem = PurePath(file_name).name.lower().removesuffix(".csv")
    names = [(name, spec.kind) for spec in SPECS.values() for name in (spec.file_name[:-4], spec.kind)]
    # Longest name first: ``fulfillment_deposits`` also ends with ``_deposits``.
    for name, kind in sorted(names, key=lambda item: -len(item[0])):
        if stem == name or stem.endswith((f"-{name}", f"_{name}")):
            return kind
    return None


# -- errors -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvError:
    """One problem, located: ``carriers.csv line 4, column erp_code: unknown ERP carrier 'XYZ'``."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class MappingCsvError(FatalError, ValueError):
    """The files hold errors; nothing was applied. ``errors`` lists them all (up to ``MAX_ERRORS``).

    Fatal: the same file fails the same way, so a task importing it fails without retrying."""

    def __init__(self, errors: list[CsvError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"{len(errors)} error(s) in the mapping file(s), nothing was applied:\n{lines}")


# -- export -----------------------------------------------------------------------------------------


def export_csv(mapping: MappingDatabase, integration_id: str, kind: str) -> str:
    """Every mapping of ``kind`` as CSV text (``,``-separated, a header line, sorted by key)."""
    spec = spec_for(kind)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(spec.header)
    for key, row in sorted(mapping.mappings_of(integration_id, kind).items()):
        attributes = row["attributes"] or {}
        cells = [key, row["value"]]
        for column in spec.attributes:
            value = attributes.get(column.name)
            cells.append(("true" if value is True else "false") if column.boolean else (value or ""))
        writer.writerow([*cells, row["source"]])
    return out.getvalue()


# -- parse ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingRow:
    line: int
    key: str
    value: str
    #: The attribute columns of the file: a value, or ``None`` to remove the attribute.
    attributes: dict[str, Any]


@dataclass
class MappingFile:
    """One parsed file: its kind and rows (not yet checked against the ERP)."""

    name: str
    kind: str
    rows: list[MappingRow]
    encoding: str
    delimiter: str


def decode(data: bytes | str, file_name: str) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (BOM or not), else Windows-1252; anything else is an error."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise MappingCsvError(
                [
                    CsvError(
                        file_name,
                        line,
                        None,
                        f"byte 0x{data[utf8_error.start]:02x} is not text in UTF-8 or Windows-1252: "
                        "save the file as 'CSV UTF-8'",
                    )
                ]
            ) from None


def _delimiter(header_line: str) -> str | None:
    counts = {d: header_line.count(d) for d in (",", ";")}
    if not any(counts.values()):
        return None
    return max(counts, key=lambda d: counts[d])


def parse_csv(data: bytes | str, *, file_name: str, kind: str | None = None) -> MappingFile:
    """Read one mapping file; raises :class:`MappingCsvError` naming every problem found.

    ``kind`` defaults to the one the file name stands for (``carriers.csv`` → ``carrier``).
    """
    file_name = PurePath(file_name).name or "mappings.csv"
    kind = kind or kind_of_file(file_name)
    if kind is None:
        known = ", ".join(s.file_name for s in SPECS.values())
        raise MappingCsvError(
            [
                CsvError(
                    file_name,
                    None,
                    None,
                    f"cannot tell the mapping kind from the file name (use one of {known})",
                )
            ]
        )
    spec = spec_for(kind)
    text, encoding = decode(data, file_name)
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise MappingCsvError(
            [CsvError(file_name, 1, None, f"the file is empty: expected the header {spec.header}")]
        )
    delimiter = _delimiter(lines[first])
    errors: list[CsvError] = []
    if delimiter is None and len(lines[first].split("\t")) > 1:
        raise MappingCsvError(
            [CsvError(file_name, first + 1, None, "columns are separated by tabs: separate them with , or ;")]
        )
    # strict: a quote left open (a file cut short) is an error, not a value running to the end.
    reader = csv.reader(io.StringIO(text), delimiter=delimiter or ",", strict=True)
    rows: list[MappingRow] = []
    header: list[str] | None = None
    seen: dict[str, int] = {}
    ended_at = 0
    for cells in _rows_or_error(reader, file_name, errors):
        line, ended_at = ended_at + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            errors += _check_header(spec, header, file_name, line)
            if errors:
                break
            continue
        if len(cells) > len(header):
            errors.append(
                CsvError(
                    file_name,
                    line,
                    None,
                    f"{len(cells)} cells but the header has {len(header)} columns "
                    f"(a {delimiter!r} inside a value needs quotes)",
                )
            )
            continue
        cell = dict(zip(header, (c.strip() for c in cells), strict=False))
        key = cell.get(spec.key.name, "")
        if key in seen:
            message = f"duplicate key {key!r} (also on line {seen[key]})"
            errors.append(CsvError(file_name, line, spec.key.name, message))
            continue
        if key:
            seen[key] = line
        row = _row(spec, cell, file_name, line, errors)
        if row is not None:
            rows.append(row)
        if len(errors) >= MAX_ERRORS:
            break
    if header is None and not errors:
        errors.append(CsvError(file_name, 1, None, f"the file is empty: expected the header {spec.header}"))
    if errors:
        raise MappingCsvError(errors[:MAX_ERRORS])
    return MappingFile(name=file_name, kind=kind, rows=rows, encoding=encoding, delimiter=delimiter or ",")


def _rows_or_error(reader: Any, file_name: str, errors: list[CsvError]) -> Iterator[list[str]]:
    """The reader's rows; a malformed one (e.g. an unclosed quote) ends the file with a located error."""
    try:
        yield from reader
    except csv.Error as exc:
        errors.append(
            CsvError(file_name, reader.line_num, None, f"malformed CSV ({exc}): is a quote left open?")
        )


def _check_header(spec: KindSpec, header: list[str], file_name: str, line: int) -> list[CsvError]:
    errors = []
    known = spec.header
    for name in header:
        if name not in known:
            hint = (
                " (is the file separated by , or ;?)" if ("," in name or ";" in name or "\t" in name) else ""
            )
            errors.append(
                CsvError(
                    file_name,
                    line,
                    name or "(empty)",
                    f"unknown column for {spec.kind}{hint}; known: {known}",
                )
            )
        elif header.count(name) > 1:
            errors.append(CsvError(file_name, line, name, "column appears more than once"))
    for column in spec.columns:
        if column.required and column.name not in header:
            errors.append(CsvError(file_name, line, column.name, "required column is missing"))
    # One message per duplicated name is enough.
    return list(dict.fromkeys(errors))


def _row(
    spec: KindSpec, cell: dict[str, str], file_name: str, line: int, errors: list[CsvError]
) -> MappingRow | None:
    before = len(errors)
    for column in spec.columns:
        value = cell.get(column.name, "")
        if not value:
            if column.required and not column.boolean:
                errors.append(CsvError(file_name, line, column.name, "empty: a value is required"))
            continue
        if len(value) > MAX_CELL:
            errors.append(CsvError(file_name, line, column.name, f"longer than {MAX_CELL} characters"))
        elif column.wildcard and value == "*":
            continue
        elif column.choices and value not in column.choices:
            errors.append(
                CsvError(file_name, line, column.name, f"{value!r} is not one of {', '.join(column.choices)}")
            )
        elif column.boolean and value.lower() not in TRUE_WORDS | FALSE_WORDS:
            errors.append(CsvError(file_name, line, column.name, f"{value!r} is not true or false"))
        elif column.check and (problem := column.check(value)):
            errors.append(CsvError(file_name, line, column.name, problem))
    if len(errors) > before:
        return None
    attributes: dict[str, Any] = {}
    for column in spec.attributes:
        value = cell.get(column.name, "")
        attributes[column.name] = (value.lower() in TRUE_WORDS) if column.boolean else (value or None)
    return MappingRow(line=line, key=cell[spec.key.name], value=cell[spec.value.name], attributes=attributes)


# -- validate against the ERP and AnyMarket's warehouses --------------------------------------------


@dataclass
class References:
    """What the cells are checked against: ERP codes (active or not) and AnyMarket warehouses."""

    erp: dict[str, dict[str, bool]] = field(default_factory=dict)  # reference → {code: active}
    #: ``{stock_local_id: name}``; ``None`` when the deposit installer has stored none yet.
    warehouses: dict[str, str] | None = None

    @classmethod
    def load(
        cls,
        files: Iterable[MappingFile],
        *,
        mapping: MappingDatabase,
        integration_id: str,
        erp: Callable[[], ErpDatabase] | None,
    ) -> References:
        """Read only what the files' kinds need: ``erp()`` is called only when they hold ERP codes."""
        columns = [c for f in files for c in (SPECS[f.kind].key, SPECS[f.kind].value)]
        needed = {c.erp for c in columns if c.erp}
        refs = cls()
        if needed:
            if erp is None:
                raise AnyMarketError(
                    f"validating {', '.join(sorted(needed))} codes needs the integration's ERP database"
                )
            database = erp()
            if needed & {"carrier", "payment_method", "sales_channel"}:
                for row in database.query("order_reference_data"):
                    refs.erp.setdefault(row["kind"], {})[str(row["code"])] = bool(row["active"])
            if "deposit" in needed:
                deposits = database.query("list_deposits")
                refs.erp["deposit"] = {str(d["code"]): bool(d["active"]) for d in deposits}
        if any(c.warehouse for c in columns):
            table = m.anymarket_warehouses
            with mapping.engine.connect() as conn:
                stored = conn.execute(
                    sa.select(table.c.stock_local_id, table.c.name).where(
                        table.c.integration_id == integration_id
                    )
                ).all()
            refs.warehouses = {r.stock_local_id: r.name for r in stored} or None
        return refs


def validate(files: Iterable[MappingFile], references: References) -> None:
    """Check every ERP code and warehouse id; raises :class:`MappingCsvError` naming each bad cell."""
    errors: list[CsvError] = []
    for mapping_file in files:
        spec = SPECS[mapping_file.kind]
        for row in mapping_file.rows:
            for column, value in ((spec.key, row.key), (spec.value, row.value)):
                if column.wildcard and value == "*":
                    continue
                problem = _reference_problem(column, value, references)
                if problem:
                    errors.append(CsvError(mapping_file.name, row.line, column.name, problem))
    if errors:
        raise MappingCsvError(errors[:MAX_ERRORS])


def _reference_problem(column: Column, value: str, references: References) -> str | None:
    if column.erp:
        codes = references.erp.get(column.erp, {})
        label = ERP_LABELS[column.erp]
        if value not in codes:
            return f"unknown {label} {value!r} (known: {_known(c for c, active in codes.items() if active)})"
        if not codes[value]:
            return f"{label} {value!r} is inactive in the ERP: activate it or pick another"
    if column.warehouse and references.warehouses is not None and value not in references.warehouses:
        known = _known(f"{k} ({n})" for k, n in references.warehouses.items())
        return (
            f"unknown AnyMarket warehouse {value!r} (known: {known}; run install_deposits after adding one)"
        )
    return None


def _known(values: Iterable[str], limit: int = 20) -> str:
    values = sorted(values)
    if not values:
        return "none"
    more = f", … {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


# -- apply ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    key: str
    change: Literal["added", "updated", "deleted"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class ImportResult:
    """What one file changed (or would change, when ``applied`` is false)."""

    file: str
    kind: str
    rows: int
    unchanged: int
    changes: list[Change]
    applied: bool

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)

    def describe(self) -> str:
        verb = "" if self.applied else " (check only, nothing applied)"
        return (
            f"{self.file} ({self.kind}): {self.rows} rows, {self.count('added')} added, "
            f"{self.count('updated')} updated, {self.count('deleted')} deleted, "
            f"{self.unchanged} unchanged{verb}"
        )


@dataclass(frozen=True)
class CsvUpload:
    """One file handed to :func:`import_files`: its name, its bytes, optionally its kind."""

    name: str
    data: bytes | str
    kind: str | None = None


def import_files(
    mapping: MappingDatabase,
    integration_id: str,
    uploads: list[CsvUpload],
    *,
    erp: Callable[[], ErpDatabase] | None,
    mode: ImportMode = "merge",
    dry_run: bool = False,
    user: str | None = None,
    run_id: str | None = None,
) -> list[ImportResult]:
    """Parse, validate and apply mapping files, all in one transaction: every row or none.

    Raises :class:`MappingCsvError` (every error of every file) before anything is written.
    ``erp`` returns the integration's ERP database; it is called only when a file holds ERP codes.
    ``dry_run`` computes the changes and writes nothing. ``user``/``run_id`` go to the history.
    """
    if mode not in ("merge", "replace"):
        raise MappingCsvError(
            [CsvError("(mode)", None, None, f"mode must be merge or replace, got {mode!r}")]
        )
    files: list[MappingFile] = []
    errors: list[CsvError] = []
    for upload in uploads:
        try:
            files.append(parse_csv(upload.data, file_name=upload.name, kind=upload.kind))
        except MappingCsvError as exc:
            errors += exc.errors
    kinds = [f.kind for f in files]
    for kind in {k for k in kinds if kinds.count(k) > 1}:
        names = ", ".join(f.name for f in files if f.kind == kind)
        errors.append(CsvError(names, None, None, f"several files for the kind {kind}: send one"))
    if errors:
        raise MappingCsvError(errors[:MAX_ERRORS])
    if not files:
        raise MappingCsvError([CsvError("(upload)", None, None, "no file was given")])
    validate(files, References.load(files, mapping=mapping, integration_id=integration_id, erp=erp))

    results = []
    with mapping.begin() as conn:
        for mapping_file in files:
            existing = _existing(conn, integration_id, mapping_file.kind)
            changes, unchanged = _diff(mapping_file, existing, mode)
            result = ImportResult(
                file=mapping_file.name,
                kind=mapping_file.kind,
                rows=len(mapping_file.rows),
                unchanged=unchanged,
                changes=changes,
                applied=not dry_run and bool(changes),
            )
            results.append(result)
            if result.applied:
                _apply(conn, integration_id, mapping_file.kind, changes)
                mapping.record_history(
                    integration_id,
                    entity_type="mapping",
                    entity_key=mapping_file.kind,
                    action="import_csv",
                    outcome="ok",
                    request={"file": mapping_file.name, "user": user, "mode": mode, "rows": result.rows},
                    response={
                        "added": result.count("added"),
                        "updated": result.count("updated"),
                        "deleted": result.count("deleted"),
                        "unchanged": unchanged,
                        "changes": [vars(c) for c in changes[:200]],
                    },
                    run_id=run_id,
                    conn=conn,
                )
    return results


def _existing(conn: Connection, integration_id: str, kind: str) -> dict[str, dict[str, Any]]:
    table = m.mappings
    rows = conn.execute(
        sa.select(table.c.key, table.c.value, table.c.attributes).where(
            table.c.integration_id == integration_id, table.c.kind == kind
        )
    )
    return {r.key: {"value": r.value, "attributes": dict(r.attributes or {})} for r in rows}


def _diff(
    mapping_file: MappingFile, existing: dict[str, dict[str, Any]], mode: ImportMode
) -> tuple[list[Change], int]:
    changes: list[Change] = []
    unchanged = 0
    for row in mapping_file.rows:
        before = existing.get(row.key)
        # Attributes the file has no column for (e.g. the installer's names) are kept.
        attributes = dict(before["attributes"]) if before else {}
        for name, value in row.attributes.items():
            if value is None:
                attributes.pop(name, None)
            else:
                attributes[name] = value
        after = {"value": row.value, "attributes": attributes}
        if before is None:
            changes.append(Change(row.key, "added", None, after))
        elif before != after:
            changes.append(Change(row.key, "updated", before, after))
        else:
            unchanged += 1
    if mode == "replace":
        in_file = {row.key for row in mapping_file.rows}
        changes += [Change(k, "deleted", v, None) for k, v in sorted(existing.items()) if k not in in_file]
    return changes, unchanged


def _apply(conn: Connection, integration_id: str, kind: str, changes: list[Change]) -> None:
    table = m.mappings
    now = utcnow()
    added = []
    for change in changes:
        where = (table.c.integration_id == integration_id, table.c.kind == kind, table.c.key == change.key)
        if change.change == "deleted":
            conn.execute(sa.delete(table).where(*where))
            continue
        assert change.after is not None
        values = {
            "value": change.after["value"],
            "attributes": change.after["attributes"] or None,
            "source": "manual",
            "updated_at": now,
        }
        if change.change == "updated":
            conn.execute(sa.update(table).where(*where).values(**values))
        else:
            added.append(
                {
                    "integration_id": integration_id,
                    "kind": kind,
                    "key": change.key,
                    "created_at": now,
                    **values,
                }
            )
    if added:
        conn.execute(sa.insert(table), added)  # one executemany: a 5 000-row file stays quick
