"""Manage mappings: export them to CSV files, or import edited CSV files back (all rows or none)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anymarket.operators.base import AnyMarketBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from anymarket.mapping.csv_io import CsvUpload
    from anymarket.summary import RunSummary

ACTIONS = ("export", "import")


def default_export_dir(integration_id: str) -> Path:
    """Where an export goes when no path is given (on the worker that ran it; the log has the text)."""
    return Path(tempfile.gettempdir()) / "anymarket-mappings" / integration_id


class AnyMarketManageMappingsOperator(AnyMarketBaseOperator):
    """The operator of the mapping CSV export and import.

    What it does, for the person running it: :mod:`anymarket.automations.manage_mappings`.

    Inside: the files themselves — specs per kind, parsing, validation against the ERP and the stored
    warehouses, the one-transaction apply and its history row — are :mod:`anymarket.mapping.csv_io`,
    shared with the ops page's download and upload; this operator gathers the inputs (files, folder,
    pasted text) and reports. Export defaults to :func:`default_export_dir`. Invalid files fail the
    task as a fatal error (:mod:`anymarket.errors`: no retry); the user recorded is the run's
    triggering user.

    :param action: ``export`` or ``import``.
    :param kind: one mapping kind, or empty/``all`` for every kind (export) or the file names (import).
    :param path: where to export to, or what to import (file or folder).
    :param csv_text: CSV text to import (instead of, or besides, ``path``).
    :param mode: ``merge`` (add and update) or ``replace`` (also delete rows absent from the file).
    :param dry_run: validate and count the changes, apply nothing.
    """

    automation = "manage_mappings"
    template_fields: Sequence[str] = (
        *AnyMarketBaseOperator.template_fields,
        "action",
        "kind",
        "path",
        "csv_text",
        "mode",
        "dry_run",
    )

    def __init__(
        self,
        *,
        action: str | None = None,
        kind: str | None = None,
        path: str | None = None,
        csv_text: str | None = None,
        mode: str | None = None,
        dry_run: bool | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.action = action
        self.kind = kind
        self.path = path
        self.csv_text = csv_text
        self.mode = mode
        # The Param is named dry_run (the UI's form), which shadows BaseOperator.dry_run(); Airflow 3
        # never calls that method on a running task.
        self.dry_run = dry_run  # type: ignore[method-assign,assignment]

    def run(self, context: Context, summary: RunSummary) -> None:
        from anymarket.errors import ConfigurationError

        request = _Request(**{name: self.run_param(context, name, getattr(self, name)) for name in _PARAMS})
        action = str(request.action or "export")
        if action not in ACTIONS:
            raise ConfigurationError(f"action is {action!r}: use export or import")
        summary.set("action", action)
        if action == "export":
            self._export(request, summary)
        else:
            self._import(request, context, summary)

    # -- export -------------------------------------------------------------------------------

    def _export(self, request: _Request, summary: RunSummary) -> None:
        from anymarket.errors import ConfigurationError
        from anymarket.mapping import csv_io

        kind = request.kind
        kinds = list(csv_io.SPECS) if kind in (None, "all") else [csv_io.spec_for(str(kind)).kind]
        target = Path(request.path or default_export_dir(self.integration.id)).expanduser()
        if target.suffix.lower() == ".csv" and len(kinds) > 1:
            raise ConfigurationError(
                f"path {str(target)!r} is one file: give a folder to export every kind, or one kind"
            )
        for kind_name in kinds:
            file = target if target.suffix.lower() == ".csv" else target / csv_io.SPECS[kind_name].file_name
            file.parent.mkdir(parents=True, exist_ok=True)
            text = csv_io.export_csv(self.mapping, self.integration.id, kind_name)
            file.write_text(text, encoding="utf-8")
            rows = text.count("\n") - 1
            summary.note("exported", f"{kind_name}: {rows} rows → {file}")
            self.log.info("Exported %s mappings (%d rows) to %s:\n%s", kind_name, rows, file, text)
        summary.set("path", str(target))

    # -- import -------------------------------------------------------------------------------

    def _import(self, request: _Request, context: Context, summary: RunSummary) -> None:
        from anymarket.mapping import csv_io

        uploads = self._uploads(request)
        dag_run = context.get("dag_run") if context else None
        user = getattr(dag_run, "triggering_user_name", None) or f"DAG run {self.run_id}"
        try:
            results = csv_io.import_files(
                self.mapping,
                self.integration.id,
                uploads,
                erp=lambda: self.erp,
                mode=str(request.mode or "merge"),  # type: ignore[arg-type]
                dry_run=request.dry_run_on,
                user=user,
                run_id=self.run_id,
            )
        except csv_io.MappingCsvError as exc:
            summary.set("errors", [str(e) for e in exc.errors])
            for error in exc.errors:
                self.log.error("%s", error)
            raise  # a FatalError: the same file would fail the same way, so no retry
        for result in results:
            self.log.info("%s", result.describe())
            for change in ("added", "updated", "deleted"):
                summary.count(change, result.count(change))
            summary.count("unchanged", result.unchanged)
        summary.set("files", [result.describe() for result in results])
        summary.set("dry_run", request.dry_run_on)

    def _uploads(self, request: _Request) -> list[CsvUpload]:
        from anymarket.errors import ConfigurationError
        from anymarket.mapping import csv_io

        kind = None if request.kind in (None, "all") else str(request.kind)
        uploads: list[csv_io.CsvUpload] = []
        path = request.path
        if path:
            source = Path(path).expanduser()
            if source.is_dir():
                files = sorted(p for p in source.iterdir() if p.suffix.lower() == ".csv")
                if not files:
                    raise ConfigurationError(f"folder {str(source)!r} holds no .csv file")
            elif source.is_file():
                files = [source]
            else:
                raise ConfigurationError(f"path {str(source)!r} does not exist on this worker")
            uploads += [csv_io.CsvUpload(name=f.name, data=f.read_bytes(), kind=kind) for f in files]
        text = request.csv_text
        if text:
            if kind is None:
                raise ConfigurationError("csv_text needs a kind (which mapping the text is)")
            uploads.append(csv_io.CsvUpload(name="csv_text", data=text, kind=kind))
        if not uploads:
            raise ConfigurationError("import needs a path (a .csv file or a folder of them) or csv_text")
        return uploads


_PARAMS = ("action", "kind", "path", "csv_text", "mode", "dry_run")


@dataclass(frozen=True)
class _Request:
    """What this run was asked to do: the operator's arguments, else the run's Params."""

    action: str | None
    kind: str | None
    path: str | None
    csv_text: str | None
    mode: str | None
    dry_run: bool | str | None

    @property
    def dry_run_on(self) -> bool:
        """``dry_run`` from the trigger form (a bool) or a templated argument (``"True"``)."""
        return str(self.dry_run).strip().lower() in {"true", "1", "yes"}
