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
from typing import IO, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from setu.kit.access import system_actor
from setu.kit.errors import SetuError
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


def system_uow(write: bool = False, *, name: str = "cli", engine: Any = None) -> UnitOfWork:
    """A unit of work of the installation's system actor (``system:<name>``)."""
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
