"""CLI adapter for the ledger (`setu ledger ...`).

- ``setu ledger verify``: replay every posting; exit 1 naming the first bad posting.
- ``setu ledger statement YEAR --party CODE --output FILE.json [--xlsx FILE.xlsx] [--pdf FILE.pdf]``: the yearly
  statement signed by this installation's party (a file already signed by the other party is
  countersigned with ``--countersign FILE.json``).
- ``setu ledger verify-statement FILE --public-key PEM``: offline, with the other party's public key alone.
- ``setu ledger public-key CODE``: this party's ledger public key (PEM) to give the other party.
- ``setu ledger import FILE.json --key KEY``: a batch of journal entries, all or nothing, once per key.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from setu.adapters.console import permission, system_uow
from setu.kit.access import system_actor
from setu.kit.errors import SetuError
from setu.kit.uow import transaction
from setu.ledger import service

app = typer.Typer(name="ledger", help="The reciprocal logistic-support ledger: verify, statements, imports.",
                  no_args_is_help=True)


def _die(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=str(path.parent or Path(".")), prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


@app.command("verify")
@permission("ledger.support.read")
def verify_cmd() -> None:
    """Replay every posting: balances, stored balances = replay, ceilings, signatures."""
    with system_uow() as uow:
        problems = service.verify(uow)
    if problems:
        for p in problems:
            typer.echo(p)
        raise typer.Exit(1)
    typer.echo("ledger verified: every entry balances, stored balances equal the replay, ceilings hold, "
               "every signature verifies")


@app.command("public-key")
@permission("ledger.statement.read")
def public_key_cmd(party: str) -> None:
    typer.echo(service.public_key_pem(party.upper()), nl=False)


@app.command("statement")
@permission("ledger.statement.read")
def statement_cmd(year: int, party: str = typer.Option(..., help="the party signing (this installation's)"),
                  output: Path = typer.Option(..., help="the signed statement (JSON)"),
                  countersign: Optional[Path] = typer.Option(None, help="a statement the other party signed"),
                  xlsx: Optional[Path] = typer.Option(None, help="also write the statement as Excel"),
                  pdf: Optional[Path] = typer.Option(None, help="also write the statement as PDF")) -> None:
    """The yearly settlement statement, signed by ``--party``."""
    try:
        if countersign is not None:
            doc = json.loads(countersign.read_text())
        else:
            with system_uow() as uow:
                doc = service.statement(uow, year=year)
        signed = service.sign_statement(doc, party.upper())
    except (OSError, ValueError, SetuError) as exc:
        _die(str(exc))
    _write_atomic(output, json.dumps(signed, indent=1, sort_keys=True).encode())
    if xlsx is not None:
        from setu.ledger.service import statement_xlsx

        _write_atomic(xlsx, statement_xlsx(signed))
    if pdf:
        from setu.ledger.documents import statement_pdf

        _write_atomic(pdf, statement_pdf(signed))
    typer.echo(f"{output}: statement {year} signed by {', '.join(s['party'] for s in signed['signatures'])}")


@app.command("verify-statement")
@permission("ledger.statement.read")
def verify_statement_cmd(file: Path, public_key: Path = typer.Option(..., help="the other party's public key (PEM)")) -> None:
    """Verify a signed statement offline with one public key alone (no database)."""
    try:
        doc = json.loads(file.read_text())
        pem = public_key.read_text()
    except (OSError, ValueError) as exc:
        _die(f"cannot read: {exc}")
    ok, msg = service.verify_statement(doc, pem)
    typer.echo(msg)
    raise typer.Exit(0 if ok else 1)


@app.command("import")
@permission("ledger.posting.import")
def import_cmd(file: Path, key: str = typer.Option(..., help="the batch's key: a re-run with it imports nothing"),
               on: Optional[str] = typer.Option(None, help="posting date (YYYY-MM-DD), default today")) -> None:
    """Import journal entries ({"entries": [{"memo", "legs": [{account, kind, commodity, amount}]}]}): all or nothing."""
    try:
        entries = json.loads(file.read_text())["entries"]
        day = date.fromisoformat(on) if on else date.today()
        with transaction(system_actor("cli")) as uow:
            n = service.import_batch(uow, key=key, entries=entries, on=day)
    except (OSError, ValueError, KeyError) as exc:
        _die(str(exc))
    except SetuError as exc:
        _die(str(exc))
    typer.echo(f"{n} postings imported" if n else f"batch {key} was already imported: nothing to do")
