"""CLI adapter for imports and exports: ``setu import ...`` and ``setu export ...``.

Runs as the installation's system actor on the database of ``SETU_DATABASE_URL``. Imports are
all-or-nothing: exit code 0 on success, 2 when any row has an error (nothing is changed, every
error is printed as ``row N, column C: message`` and an error file is written).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from setu.adapters.console import permission
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from setu.app import transfer
from setu.kit import tabular
from setu.kit.access import system_actor
from setu.kit.errors import SetuError
from setu.kit.uow import UnitOfWork

#: Errors printed to the terminal before "... and N more" (all of them are in the error file).
MAX_PRINTED = 1000

import_app = typer.Typer(
    help="Import parts, bills of material, stock or demand from a CSV or Excel (.xlsx) file. All or nothing: "
         "every row is checked first, every error is reported as 'row N, column C: message' together with an "
         "error file to fix and import again, and nothing changes unless the whole file is valid (exit code 2 "
         "otherwise). Use --dry-run to check a file without changing anything.",
    no_args_is_help=True,
)
export_app = typer.Typer(
    help="Export a list (parts, bom, sites, equipment types and units, stock, demand, organisations) to CSV or "
         "Excel (.xlsx). Exported parts, bom, stock and demand files can be imported again unchanged.",
    no_args_is_help=True,
)

_err = Console(stderr=True, soft_wrap=True)


def _columns_help(resource: str) -> str:
    cols = []
    for c in transfer.IMPORT_COLUMNS[resource]:
        cols.append(f"{c.name}{' (required)' if c.required else ''}{': ' + c.help if c.help else ''}")
    return "Columns (header row, any order): " + "; ".join(cols) + "."


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeRemainingColumn(), console=_err, transient=True, disable=not _err.is_terminal)


def _run_import(resource: str, file: Path, dry_run: bool, errors: Optional[Path]) -> None:
    if not file.is_file():
        _err.print(f"[red]{file}: no such file[/red]")
        raise typer.Exit(2)
    tasks: dict[str, int] = {}
    with _progress() as bar:
        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                for t in tasks.values():
                    bar.update(t, visible=False)
                label = {"reading": f"checking {file.name}", "writing": f"writing {resource}"}.get(phase, phase)
                tasks[phase] = bar.add_task(label, total=max(total, 1))
            bar.update(tasks[phase], completed=done, total=max(total, 1))

        try:
            with UnitOfWork(system_actor("cli"), write=True) as uow:
                result = transfer.import_file(uow, resource, file, dry_run=dry_run, progress=progress)
                if result.ok and not dry_run:
                    uow.commit()
        except SetuError as exc:
            _err.print(f"[red]{exc.detail}[/red]")
            for e in exc.errors:
                typer.echo(f"  {e}", err=True)
            _err.print("nothing was changed")
            raise typer.Exit(2) from None
    if result.errors:
        for e in result.errors[:MAX_PRINTED]:
            typer.echo(str(e), err=True)
        if len(result.errors) > MAX_PRINTED:
            _err.print(f"... and {len(result.errors) - MAX_PRINTED} more (all are in the error file)")
        if not (len(result.errors) == 1 and result.errors[0].field == "(file)" and result.rows == 0):
            target = errors or transfer.default_error_path(file)
            try:
                transfer.write_error_file(file, target, result.errors)
                _err.print(f"error file: {target} (your rows plus an 'errors' column; fix them and import it again)")
            except (OSError, tabular.TableError) as exc:
                _err.print(f"could not write the error file {target}: {exc}")
        _err.print(f"[red]{file.name}: {result.summary()}[/red]")
        raise typer.Exit(2)
    typer.echo(f"{file.name}: {resource}: {result.summary()}")


_FILE = typer.Argument(..., help="a .csv (UTF-8; comma, semicolon or tab) or .xlsx file (first visible sheet)",
                       exists=False, dir_okay=False)
_DRY = typer.Option(False, "--dry-run", help="check every row and say what would be created or updated; "
                                             "change nothing")
_ERRORS = typer.Option(None, "--errors", help="where to write the error file (default: next to FILE, "
                                              "named FILE.errors.csv / .xlsx)", dir_okay=False)


@import_app.command("parts", help="Create or update parts (matched on manufacturer_code + part_number). "
                                  + _columns_help("parts"))
@permission("catalog.part.import")
def import_parts(file: Path = _FILE, dry_run: bool = _DRY, errors: Optional[Path] = _ERRORS) -> None:
    _run_import("parts", file, dry_run, errors)


@import_app.command("bom", help="Create or update bill-of-material lines (matched on equipment type, parent and "
                                "child). " + _columns_help("bom"))
@permission("catalog.bom.import")
def import_bom(file: Path = _FILE, dry_run: bool = _DRY, errors: Optional[Path] = _ERRORS) -> None:
    _run_import("bom", file, dry_run, errors)


@import_app.command("stock", help="Set stock positions (matched on part and site). " + _columns_help("stock"))
@permission("fleet.stock.import")
def import_stock(file: Path = _FILE, dry_run: bool = _DRY, errors: Optional[Path] = _ERRORS) -> None:
    _run_import("stock", file, dry_run, errors)


@import_app.command("demand", help="Set monthly demand history (matched on part, site and month). "
                                   + _columns_help("demand"))
@permission("demand.record.import")
def import_demand(file: Path = _FILE, dry_run: bool = _DRY, errors: Optional[Path] = _ERRORS) -> None:
    _run_import("demand", file, dry_run, errors)


# -- export ------------------------------------------------------------------------------------------


def _run_export(resource: str, fmt: Optional[str], output: Optional[str], filters: dict[str, object]) -> None:
    if fmt is None:
        fmt = "csv"
        if output and output != "-":
            try:
                fmt = tabular.detect_format(output)
            except tabular.TableError:
                fmt = "csv"
    fmt = fmt.lower()
    if fmt not in tabular.FORMATS:
        _err.print(f"[red]--format: use one of {', '.join(tabular.FORMATS)}[/red]")
        raise typer.Exit(2)
    if output is None:
        output = "-" if fmt == "csv" else f"{resource}.xlsx"
    if output == "-" and fmt == "xlsx" and sys.stdout.isatty():
        _err.print("[red]an .xlsx file cannot go to the terminal; use --output FILE.xlsx[/red]")
        raise typer.Exit(2)
    count = 0
    try:
        with UnitOfWork(system_actor("cli")) as uow:
            header, rows = transfer.export_rows(uow, resource, filters)

            def counted():
                nonlocal count
                for r in rows:
                    count += 1
                    yield r

            if output == "-":
                out = sys.stdout.buffer
                if fmt == "csv":
                    for chunk in tabular.iter_csv_bytes(header, counted(), bom=False):
                        out.write(chunk)
                else:
                    out.write(tabular.xlsx_bytes(header, counted(), sheet_title=resource))
                out.flush()
            else:
                tabular.write_table(output, header, counted(), fmt=fmt, sheet_title=resource)
    except SetuError as exc:
        _err.print(f"[red]{exc.detail}[/red]")
        for e in exc.errors:
            typer.echo(f"  {e}", err=True)
        raise typer.Exit(2) from None
    if output != "-":
        _err.print(f"{count} {resource} row(s) written to {output}")


_FORMAT = typer.Option(None, "--format", "-f", help="csv or xlsx (default: from --output's extension, else csv)")
_OUTPUT = typer.Option(None, "--output", "-o", help="file to write; '-' for standard output (default: standard "
                                                    "output for csv, RESOURCE.xlsx for xlsx)")


@export_app.command("parts")
@permission("catalog.part.read")
def export_parts(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    q: Optional[str] = typer.Option(None, "--q", help="search part number, name, NSN, origin designation"),
    kind: Optional[str] = typer.Option(None, help="repairable or consumable"),
    manufacturer_code: Optional[str] = typer.Option(None, help="only this manufacturer"),
    has_nsn: Optional[bool] = typer.Option(None, "--has-nsn/--no-nsn", help="only parts with / without an NSN"),
) -> None:
    """Export parts (the columns of `setu import parts`)."""
    _run_export("parts", format, output, {"q": q, "kind": kind, "manufacturer_code": manufacturer_code,
                                          "has_nsn": has_nsn})


@export_app.command("bom")
@permission("catalog.bom.read")
def export_bom(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    equipment_type: Optional[str] = typer.Option(None, help="only this equipment type (code)"),
) -> None:
    """Export bill-of-material lines (the columns of `setu import bom`)."""
    _run_export("bom", format, output, {"equipment_type": equipment_type})


@export_app.command("interchanges")
@permission("catalog.interchange.read")
def export_interchanges(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    code: Optional[str] = typer.Option(None, help="one code: one_way, two_way, not_interchangeable, as_set, "
                                                  "qualified, re_identified"),
    part_number: Optional[str] = typer.Option(None, help="only the links of this part number (either side)"),
) -> None:
    """Export interchangeability and supersession links (replaced part -> replacing part, code)."""
    _run_export("interchanges", format, output, {"code": code, "part_number": part_number})


@export_app.command("stock")
@permission("fleet.stock.read")
def export_stock(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    site: Optional[str] = typer.Option(None, help="only this site (code)"),
    q: Optional[str] = typer.Option(None, "--q", help="search part number and name"),
    manufacturer_code: Optional[str] = typer.Option(None, help="only this manufacturer"),
    part_number: Optional[str] = typer.Option(None, help="only this part number"),
) -> None:
    """Export stock positions (the columns of `setu import stock`)."""
    _run_export("stock", format, output, {"site": site, "q": q, "manufacturer_code": manufacturer_code,
                                          "part_number": part_number})


@export_app.command("demand")
@permission("demand.record.read")
def export_demand(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    site: Optional[str] = typer.Option(None, help="only this site (code)"),
    from_: Optional[str] = typer.Option(None, "--from", help="first month, YYYY-MM"),
    to: Optional[str] = typer.Option(None, "--to", help="last month, YYYY-MM"),
    q: Optional[str] = typer.Option(None, "--q", help="search part number and name"),
    manufacturer_code: Optional[str] = typer.Option(None, help="only this manufacturer"),
    part_number: Optional[str] = typer.Option(None, help="only this part number"),
) -> None:
    """Export monthly demand history (the columns of `setu import demand`)."""
    _run_export("demand", format, output, {"site": site, "from": from_, "to": to, "q": q,
                                           "manufacturer_code": manufacturer_code, "part_number": part_number})


@export_app.command("sites")
@permission("fleet.site.read")
def export_sites(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    q: Optional[str] = typer.Option(None, "--q", help="search code and name"),
    kind: Optional[str] = typer.Option(None, help="base, depot, plant or port"),
    echelon: Optional[int] = typer.Option(None, help="1 depot echelon, 2 base echelon"),
) -> None:
    """Export sites: code, name, kind, organisation, echelon, parent."""
    _run_export("sites", format, output, {"q": q, "kind": kind, "echelon": echelon})


@export_app.command("equipment-types")
@permission("fleet.equipment_type.read")
def export_equipment_types(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    q: Optional[str] = typer.Option(None, "--q", help="search code and name"),
    category: Optional[str] = typer.Option(None, help="equipment category, e.g. frigate"),
) -> None:
    """Export equipment types: code, name, category, origin party, OEM, operating hours per year."""
    _run_export("equipment-types", format, output, {"q": q, "category": category})


@export_app.command("equipment-units")
@permission("fleet.equipment_unit.read")
def export_equipment_units(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    q: Optional[str] = typer.Option(None, "--q", help="search serial"),
    equipment_type: Optional[str] = typer.Option(None, help="only this equipment type (code)"),
    site: Optional[str] = typer.Option(None, help="only units at this site (code)"),
    status: Optional[str] = typer.Option(None, help="operational, down_maintenance or down_parts"),
) -> None:
    """Export equipment units: serial, equipment type, site, status."""
    _run_export("equipment-units", format, output, {"q": q, "equipment_type": equipment_type, "site": site,
                                                    "status": status})


@export_app.command("organisations")
@permission("identity.organisation.read")
def export_organisations(
    format: Optional[str] = _FORMAT, output: Optional[str] = _OUTPUT,
    q: Optional[str] = typer.Option(None, "--q", help="search code and name"),
    kind: Optional[str] = typer.Option(None, help="organisation kind, e.g. depot, oem"),
    party: Optional[str] = typer.Option(None, help="only this party (code)"),
) -> None:
    """Export organisations: code, name, kind, party, is_demo."""
    _run_export("organisations", format, output, {"q": q, "kind": kind, "party": party})
