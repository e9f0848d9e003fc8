"""The console toolkit every capability's ``cli.py`` uses; it knows no domain.

- exit codes: 0 done, 1 a check failed (e.g. a tampered audit chain), 2 bad input (nothing changed);
- :func:`fail`: print a message (or a :class:`~setu.kit.errors.SetuError` with each field at fault)
  and exit 2;
- :func:`system_uow`: a unit of work of the installation's system actor, who runs batch commands;
- :func:`progress`: a Rich progress bar on standard error (off when it is not a terminal);
- :func:`atomic_write`: write a file through a temporary sibling, renamed only when complete;
- :func:`permission`: declare the permission a command exercises, in the one permission
  vocabulary (:mod:`setu.kit.access`); an architecture test fails a command that declares none.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from setu.kit.access import system_actor
from setu.kit.errors import SetuError

if TYPE_CHECKING:  # the database layer is imported by the commands that use it (fast start-up)
    from setu.kit.uow import UnitOfWork

OK, CHECK_FAILED, BAD_INPUT = 0, 1, 2
PERMISSION_ATTR = "setu_permission"

err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def permission(name: str) -> Callable[[F], F]:
    """``@permission("catalog.part.import")`` under ``@app.command(...)``: what the command does,
    in the permission vocabulary (commands run as the system actor, who holds every permission)."""
    def mark(func: F) -> F:
        setattr(func, PERMISSION_ATTR, name)
        return func

    return mark


def command_permission(callback: Any) -> str | None:
    """The permission a command's callback declares (Typer keeps the function's attributes)."""
    return getattr(callback, PERMISSION_ATTR, None)


def fail(problem: SetuError | str | list[str]) -> NoReturn:
    """Print what is wrong (each field of a SetuError on its own line) and exit with code 2."""
    if isinstance(problem, SetuError):
        typer.echo(f"error: {problem.detail}", err=True)
        for e in problem.errors:
            typer.echo(f"  {e}", err=True)
    else:
        for line in [problem] if isinstance(problem, str) else problem:
            typer.echo(f"error: {line}", err=True)
    raise typer.Exit(BAD_INPUT)


def system_uow(write: bool = False, *, name: str = "cli", engine: Any = None) -> "UnitOfWork":
    """A unit of work of the installation's system actor (``system:<name>``)."""
    from setu.kit.uow import UnitOfWork

    return UnitOfWork(system_actor(name), write=write, engine=engine)


def progress(*, transient: bool = True, console: Console | None = None) -> Progress:
    """A progress bar on standard error: description, bar, done/total, elapsed time."""
    out = console or err_console
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=out, transient=transient, disable=not out.is_terminal)


@contextmanager
def atomic_write(path: Path, mode: str = "w", **kw: Any) -> Iterator[IO]:
    """Open ``path.part`` for writing and rename it to ``path`` only when the block succeeds, so a
    failed or interrupted command never leaves a half-written file under the real name."""
    tmp = path.with_suffix(path.suffix + ".part")
    try:
        with open(tmp, mode, **({"encoding": "utf-8"} if "b" not in mode and "encoding" not in kw else {}), **kw) as f:
            yield f
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# -- `setu import <resource>` / `setu export <resource>`, generated from the capabilities' tables ---

#: Errors printed to the terminal before "... and N more" (all of them are in the error file).
MAX_PRINTED = 1000


def table_apps(tables: Any) -> tuple[typer.Typer, typer.Typer]:
    """The ``import`` and ``export`` command groups: one command per import / export spec of
    ``tables`` (a :class:`setu.adapters.tables.Tables`), each declaring the spec's permission.

    Runs as the installation's system actor. Imports are all-or-nothing: exit code 0 on success,
    2 when any row has an error (nothing is changed, every error is printed as ``row N, column C:
    message`` and an error file is written)."""
    import inspect
    from typing import Optional

    from rich.progress import TimeRemainingColumn

    from setu.kit import tabular

    imports = ", ".join(tables.IMPORT_RESOURCES) or "nothing"
    import_app = typer.Typer(
        help=f"Import {imports} from a CSV or Excel (.xlsx) file. All or nothing: every row is checked first, "
             "every error is reported as 'row N, column C: message' together with an error file to fix and "
             "import again, and nothing changes unless the whole file is valid (exit code 2 otherwise). Use "
             "--dry-run to check a file without changing anything.",
        no_args_is_help=True,
    )
    export_app = typer.Typer(
        help=f"Export a list ({', '.join(tables.EXPORT_RESOURCES)}) to CSV or Excel (.xlsx). Exported files of "
             f"{imports} can be imported again unchanged.",
        no_args_is_help=True,
    )

    def bar() -> Progress:
        return Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(), console=err_console,
                        transient=True, disable=not err_console.is_terminal)

    def run_import(resource: str, file: Path, dry_run: bool, errors: Optional[Path]) -> None:
        if not file.is_file():
            err_console.print(f"[red]{file}: no such file[/red]")
            raise typer.Exit(BAD_INPUT)
        tasks: dict[str, int] = {}
        with bar() as progress_bar:
            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    for t in tasks.values():
                        progress_bar.update(t, visible=False)
                    label = {"reading": f"checking {file.name}", "writing": f"writing {resource}"}.get(phase, phase)
                    tasks[phase] = progress_bar.add_task(label, total=max(total, 1))
                progress_bar.update(tasks[phase], completed=done, total=max(total, 1))

            try:
                with system_uow(write=True) as uow:
                    result = tables.import_file(uow, resource, file, dry_run=dry_run, progress=progress)
                    if result.ok and not dry_run:
                        uow.commit()
            except SetuError as exc:
                err_console.print(f"[red]{exc.detail}[/red]")
                for e in exc.errors:
                    typer.echo(f"  {e}", err=True)
                err_console.print("nothing was changed")
                raise typer.Exit(BAD_INPUT) from None
        if result.errors:
            for e in result.errors[:MAX_PRINTED]:
                typer.echo(str(e), err=True)
            if len(result.errors) > MAX_PRINTED:
                err_console.print(f"... and {len(result.errors) - MAX_PRINTED} more (all are in the error file)")
            if not (len(result.errors) == 1 and result.errors[0].field == "(file)" and result.rows == 0):
                target = errors or tabular.default_error_path(file)
                try:
                    tabular.write_error_file(file, target, result.errors)
                    err_console.print(f"error file: {target} (your rows plus an 'errors' column; fix them and "
                                      "import it again)")
                except (OSError, tabular.TableError) as exc:
                    err_console.print(f"could not write the error file {target}: {exc}")
            err_console.print(f"[red]{file.name}: {result.summary()}[/red]")
            raise typer.Exit(BAD_INPUT)
        typer.echo(f"{file.name}: {resource}: {result.summary()}")

    def run_export(resource: str, fmt: Optional[str], output: Optional[str], filters: dict[str, object]) -> None:
        import sys

        if fmt is None:
            fmt = "csv"
            if output and output != "-":
                try:
                    fmt = tabular.detect_format(output)
                except tabular.TableError:
                    fmt = "csv"
        fmt = fmt.lower()
        if fmt not in tabular.FORMATS:
            err_console.print(f"[red]--format: use one of {', '.join(tabular.FORMATS)}[/red]")
            raise typer.Exit(BAD_INPUT)
        if output is None:
            output = "-" if fmt == "csv" else f"{resource}.xlsx"
        if output == "-" and fmt == "xlsx" and sys.stdout.isatty():
            err_console.print("[red]an .xlsx file cannot go to the terminal; use --output FILE.xlsx[/red]")
            raise typer.Exit(BAD_INPUT)
        count = 0
        try:
            with system_uow() as uow:
                header, rows = tables.export_rows(uow, resource, filters)

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
            err_console.print(f"[red]{exc.detail}[/red]")
            for e in exc.errors:
                typer.echo(f"  {e}", err=True)
            raise typer.Exit(BAD_INPUT) from None
        if output != "-":
            err_console.print(f"{count} {resource} row(s) written to {output}")

    def columns_help(spec: Any) -> str:
        cols = [f"{c.name}{' (required)' if c.required else ''}{': ' + c.help if c.help else ''}"
                for c in spec.columns]
        return "Columns (header row, any order): " + "; ".join(cols) + "."

    def add_import(spec: Any) -> None:
        def command(
            file: Path = typer.Argument(..., help="a .csv (UTF-8; comma, semicolon or tab) or .xlsx file (first "
                                                  "visible sheet)", exists=False, dir_okay=False),
            dry_run: bool = typer.Option(False, "--dry-run", help="check every row and say what would be created "
                                                                  "or updated; change nothing"),
            errors: Optional[Path] = typer.Option(None, "--errors", help="where to write the error file (default: "
                                                  "next to FILE, named FILE.errors.csv / .xlsx)", dir_okay=False),
        ) -> None:
            run_import(spec.resource, file, dry_run, errors)

        command.__name__ = f"import_{spec.resource.replace('-', '_')}"
        command.__annotations__ = {"file": Path, "dry_run": bool, "errors": Optional[Path], "return": None}
        import_app.command(spec.resource, help=f"{spec.description} {columns_help(spec)}".strip())(
            permission(spec.permission)(command))

    def add_export(spec: Any) -> None:
        params = [
            inspect.Parameter("format", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str], default=typer.Option(
                None, "--format", "-f", help="csv or xlsx (default: from --output's extension, else csv)")),
            inspect.Parameter("output", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str], default=typer.Option(
                None, "--output", "-o", help="file to write; '-' for standard output (default: standard output "
                                             "for csv, RESOURCE.xlsx for xlsx)")),
        ]
        names: dict[str, str] = {}  # python parameter -> filter
        for key, what in spec.filters.items():
            py = key if key.isidentifier() and key not in ("format", "output", "from") else f"{key}_"
            names[py] = key
            decl = spec.options.get(key, "--" + key.replace("_", "-"))
            params.append(inspect.Parameter(py, inspect.Parameter.KEYWORD_ONLY,
                                            annotation=Optional[spec.types.get(key, str)],
                                            default=typer.Option(None, decl, help=what)))

        def command(**kw: Any) -> None:
            run_export(spec.resource, kw.pop("format", None), kw.pop("output", None),
                       {names[k]: v for k, v in kw.items()})

        command.__name__ = f"export_{spec.resource.replace('-', '_')}"
        command.__doc__ = spec.description
        command.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        export_app.command(spec.resource, help=spec.description or None)(permission(spec.permission)(command))

    for spec in tables.IMPORTS.values():
        add_import(spec)
    for spec in tables.EXPORTS.values():
        add_export(spec)
    return import_app, export_app
