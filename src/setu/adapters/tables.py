"""Import and export of the capabilities' tables as CSV or Excel (.xlsx); knows no domain.

Each capability declares what it imports and exports in ``<cap>/tables.py`` (``IMPORTS`` and
``EXPORTS``: :class:`~setu.kit.tabular.ImportSpec` / :class:`~setu.kit.tabular.ExportSpec`), and
writes its rows through its own rules and policies. :class:`Tables` gathers those specs (the
registry hands it ``setu.app.registry.table_modules()``) and offers the one way to run them:

- :meth:`Tables.import_table` / :meth:`~Tables.import_file` / :meth:`~Tables.import_bytes`: all or
  nothing. Every row is read and checked inside the caller's write unit of work, *every* error is
  collected as ``row N, column C: message`` (row numbers as the user sees them, header = row 1),
  and rows are written only when there is none; it never commits (the adapter commits, or rolls
  back on a dry run or on errors).
- :meth:`Tables.export_rows` gives ``(header, rows)`` of a list; :meth:`~Tables.export_bytes`
  streams it as CSV or builds an .xlsx.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from setu.kit import tabular
from setu.kit.access import require
from setu.kit.errors import ErrorList, FieldError, ValidationFailed
from setu.kit.tabular import ExportSpec, ImportResult, ImportSpec, ProgressCallback, Rows, Table, TableError
from setu.kit.uow import UnitOfWork

# the generic helpers, here as well for the adapters that use a Tables
default_error_path = tabular.default_error_path
error_rows = tabular.error_rows
write_error_file = tabular.write_error_file
error_file_bytes = tabular.error_file_bytes


class Tables:
    """Every capability's import and export specs, and the functions that run them."""

    def __init__(self, imports: Iterable[ImportSpec] = (), exports: Iterable[ExportSpec] = ()):
        self.IMPORTS: dict[str, ImportSpec] = {}
        self.EXPORTS: dict[str, ExportSpec] = {}
        for spec in imports:
            if spec.resource in self.IMPORTS:
                raise ValueError(f"two capabilities import {spec.resource!r}")
            self.IMPORTS[spec.resource] = spec
        for spec in exports:
            if spec.resource in self.EXPORTS:
                raise ValueError(f"two capabilities export {spec.resource!r}")
            self.EXPORTS[spec.resource] = spec
        self.IMPORT_COLUMNS = {r: s.columns for r, s in self.IMPORTS.items()}
        self.IMPORT_PERMISSIONS = {r: s.permission for r, s in self.IMPORTS.items()}
        self.IMPORT_RESOURCES = tuple(self.IMPORTS)
        self.EXPORT_RESOURCES = tuple(self.EXPORTS)

    @classmethod
    def from_modules(cls, modules: Iterable[ModuleType]) -> "Tables":
        """The specs of ``<cap>.tables`` modules (their ``IMPORTS`` and ``EXPORTS`` sequences)."""
        mods = list(modules)
        return cls([s for m in mods for s in getattr(m, "IMPORTS", ())],
                   [s for m in mods for s in getattr(m, "EXPORTS", ())])

    # -- imports ---------------------------------------------------------------------------------

    def import_table(self, uow: UnitOfWork, resource: str, table: Table, *, dry_run: bool = False,
                     progress: ProgressCallback | None = None) -> ImportResult:
        """Validate every row of ``table`` and, when there is no error, write them in ``uow``.

        Never commits: the caller commits when ``result.ok and not dry_run`` and otherwise lets the
        unit of work roll back. On a dry run nothing is written (the counts say what would be).
        Errors are in ``result.errors`` (each ``str()`` is ``row N, column C: message``), sorted by
        row; a database refusal at write time is reported the same way (row None).
        """
        spec = self.IMPORTS.get(resource)
        if spec is None:
            raise ValidationFailed("unknown resource", [FieldError("resource",
                                                                   f"use one of {', '.join(self.IMPORTS)}")])
        require(uow.actor, spec.permission)
        errs = ErrorList()
        res = ImportResult(resource=resource, dry_run=dry_run)
        rows = Rows(table, spec.columns, errs, progress)
        try:
            # reads (references, existing rows) go through a separate read-only unit of work, so the
            # write lock (SQLite: BEGIN IMMEDIATE) is taken only when the validated rows are written;
            # rows changed meanwhile are refused by their version, duplicates by the unique indexes
            with UnitOfWork(uow.actor, engine=uow.engine) as reader:
                spec.run(uow, reader, rows, errs, res, progress, dry_run)
        except (IntegrityError, DBAPIError) as exc:
            errs.add("(database)", f"the database refused the import: {getattr(exc, 'orig', exc)}")
        res.rows = rows.count
        # a missing required column is reported once, on row 1, not again on every row
        kept = [e for e in errs.errors if e.row == table.header_row or e.field not in rows.missing]
        res.errors = sorted(kept, key=lambda e: (e.row or 0))
        return res

    def import_file(self, uow: UnitOfWork, resource: str, path: str | Path, *, dry_run: bool = False,
                    progress: ProgressCallback | None = None) -> ImportResult:
        """Open ``path`` (CSV or .xlsx, safely) and :meth:`import_table` it; an unreadable file gives
        one error in the result, not an exception."""
        try:
            table = tabular.open_table(path)
        except TableError as exc:
            return ImportResult(resource=resource, dry_run=dry_run,
                                errors=[FieldError("(file)", exc.message, exc.row)])
        with table:
            return self.import_table(uow, resource, table, dry_run=dry_run, progress=progress)

    def import_bytes(self, uow: UnitOfWork, resource: str, data: bytes, fmt: str, *, dry_run: bool = False,
                     progress: ProgressCallback | None = None) -> ImportResult:
        """:meth:`import_file` for an upload held in memory (``fmt``: ``tabular.detect_format(filename)``)."""
        try:
            table = tabular.open_table_bytes(data, fmt)
        except TableError as exc:
            return ImportResult(resource=resource, dry_run=dry_run,
                                errors=[FieldError("(file)", exc.message, exc.row)])
        with table:
            return self.import_table(uow, resource, table, dry_run=dry_run, progress=progress)

    default_error_path = staticmethod(tabular.default_error_path)
    write_error_file = staticmethod(tabular.write_error_file)
    error_file_bytes = staticmethod(tabular.error_file_bytes)

    # -- exports ---------------------------------------------------------------------------------

    def export_rows(self, uow: UnitOfWork, resource: str, filters: Mapping[str, Any] | None = None,
                    ) -> tuple[list[str], Iterator[list[Any]]]:
        """``(header, rows)`` of a list, filtered; rows stream from the database (consume them while
        ``uow`` is open). ``filters`` keys per resource are in ``EXPORTS[resource].filters``; empty
        values are ignored, an unknown key is a :class:`ValidationFailed`."""
        spec = self.EXPORTS.get(resource)
        if spec is None:
            raise ValidationFailed("unknown export", [FieldError("resource", f"use one of {', '.join(self.EXPORTS)}")])
        require(uow.actor, spec.permission)
        f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
        unknown = sorted(set(f) - set(spec.filters))
        if unknown:
            raise ValidationFailed("unknown filter", [FieldError(k, f"is not a filter of {resource}; use "
                                                                    f"{', '.join(spec.filters)}") for k in unknown])
        return spec.build(uow, f)

    def export_bytes(self, uow: UnitOfWork, resource: str, filters: Mapping[str, Any] | None = None, *,
                     fmt: str = "csv") -> Iterator[bytes]:
        """The export as bytes: CSV streams in chunks; .xlsx is built whole, then yielded once.

        For a web response: ``StreamingResponse(tables.export_bytes(uow, "parts", {"q": q},
        fmt="xlsx"), media_type=tabular.MEDIA_TYPES[fmt], headers={"Content-Disposition":
        'attachment; filename="' + tables.export_filename("parts", fmt) + '"'})`` (keep ``uow`` open
        until it is sent, or ``b"".join(...)`` it inside the unit of work).
        """
        header, rows = self.export_rows(uow, resource, filters)
        if fmt == "csv":
            return tabular.iter_csv_bytes(header, rows)
        if fmt == "xlsx":
            return iter([tabular.xlsx_bytes(header, rows, sheet_title=resource)])
        raise ValidationFailed("unknown format", [FieldError("format", f"use one of {', '.join(tabular.FORMATS)}")])

    @staticmethod
    def export_filename(resource: str, fmt: str) -> str:
        return f"setu-{resource}-{date.today().isoformat()}.{fmt}"
