"""CLI adapter for the tamper-evident audit log (`setu audit ...`)."""
from __future__ import annotations

from pathlib import Path

import typer

from setu.adapters.console import permission, system_uow

app = typer.Typer(name="audit", help="Verify and export the tamper-evident audit log.", no_args_is_help=True)


def _uow(write: bool):
    return system_uow(write)


@app.command("verify")
@permission("audit.entry.read")
def audit_verify(file: Path = typer.Option(None, "--file", help="verify an export file instead of this database")) -> None:
    """Check the hash chain; name the first entry that was changed, removed or reordered."""
    from setu.kit import audit, audit_file

    if file:
        if not file.exists():
            typer.echo(f"error: {file} does not exist", err=True)
            raise typer.Exit(2)
        try:
            result = audit_file.verify_file(file)
        except ValueError as exc:
            typer.echo(f"error: {file}: {exc}", err=True)
            raise typer.Exit(1) from None
        where = str(file)
    else:
        with _uow(False) as uow:
            result = audit.verify_database(uow.session)
        where = "the database"
    if result.ok:
        typer.echo(f"ok: {result.entries} entries in {where}, chain intact (head {result.head_hash or '-'})")
    else:
        typer.echo(f"TAMPERED: {where}: {result.problem}", err=True)
        raise typer.Exit(1)


@app.command("export")
@permission("audit.entry.read")
def audit_export(output: Path = typer.Option(..., "--output", "-o", help="file to write (JSON Lines)"),
                 since: str = typer.Option(None, help="only entries at or after this time (ISO date or timestamp)")) -> None:
    """Write entries to a file the other party can check with `setu audit verify --file`."""
    from datetime import datetime

    from setu.kit import audit_file

    if since:
        try:
            datetime.fromisoformat(since)
        except ValueError:
            typer.echo(f"error: --since {since!r} is not an ISO date or timestamp", err=True)
            raise typer.Exit(2) from None
    tmp = output.with_suffix(output.suffix + ".part")
    with _uow(False) as uow, tmp.open("w", encoding="utf-8") as f:
        n = audit_file.export(uow.session, f, since=since)
    tmp.replace(output)
    typer.echo(f"exported {n} entries to {output}")
