"""CLI adapter for the tamper-evident audit log (`setu audit ...`)."""
from __future__ import annotations

from pathlib import Path

import typer

from setu.adapters.console import permission, system_uow
from setu.kit.access import system_actor
from setu.kit.audit import VerifyResult
from setu.kit.uow import transaction

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
            if result.ok:  # and it still extends every signed head held (setu.kit.checkpoints)
                result = verify_held_heads(uow.session, result)
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
    with transaction(system_actor("cli")) as uow, tmp.open("w", encoding="utf-8") as f:
        n = audit_file.export(uow.session, f, since=since, signed_head=signed_head_or_exit(uow.session))
    tmp.replace(output)
    typer.echo(f"exported {n} entries to {output}")


# -- signed checkpoints of the chain's head (docs/security.md) ---------------------------------

def _key():
    from setu.kit import signing
    from setu.kit.settings import get_settings

    try:
        return signing.load_or_create_key(get_settings().audit_key_path)
    except signing.SigningError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _party(party: str | None) -> str | None:
    from setu.kit.settings import get_settings

    return party or get_settings().party


def signed_head_or_exit(session, party: str | None = None) -> dict:
    """Sign this installation's head now (for an export or a checkpoint file)."""
    from setu.kit import checkpoints

    try:
        return checkpoints.issue(session, key=_key(), party=_party(party))
    except checkpoints.CheckpointError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def verify_held_heads(session, chain: VerifyResult) -> VerifyResult:
    """After the chain itself verifies: does it still extend every signed head held?"""
    from setu.kit import checkpoints, signing
    from setu.kit.settings import get_settings

    own = None
    if Path(get_settings().audit_key_path).exists():
        try:
            own = signing.load_or_create_key(get_settings().audit_key_path).public_key()
        except signing.SigningError:
            own = None
    held = checkpoints.verify_held(session, own_public=own)
    if held is None:
        return chain
    if not held.ok:
        return VerifyResult(False, chain.entries, held.problem, held.seq)
    return chain


@app.command("checkpoint")
@permission("audit.entry.read")
def audit_checkpoint(output: Path = typer.Option(..., "--output", "-o", help="checkpoint file to write (JSON)"),
                     party: str = typer.Option(None, help="this installation's party (default SETU_PARTY)")) -> None:
    """Sign the chain head (entry, hash, time, party) with this installation's key, for the other party."""
    import json

    with transaction(system_actor("cli")) as uow:
        doc = signed_head_or_exit(uow.session, party)
    tmp = output.with_suffix(output.suffix + ".part")
    tmp.write_text(json.dumps(doc, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    tmp.replace(output)
    typer.echo(f"signed the head of {doc['party']}: entry {doc['seq']} {doc['hash'][:16]}... (key {doc['key_id']}) "
               f"-> {output}")


@app.command("public-key")
@permission("audit.entry.read")
def audit_public_key(output: Path = typer.Option(None, "--output", "-o", help="write the PEM here (else print it)")) -> None:
    """This installation's public key, to hand to the other party (`setu audit trust-key`)."""
    from setu.kit import signing

    pem = signing.public_pem(_key().public_key())
    if output:
        output.write_text(pem, encoding="utf-8")
        typer.echo(f"public key {signing.key_id(_key().public_key())} -> {output}")
    else:
        typer.echo(pem, nl=False)


@app.command("trust-key")
@permission("audit.key.update")
def audit_trust_key(party: str = typer.Argument(..., help="the other party's code, e.g. RUS"),
                    file: Path = typer.Argument(..., help="its public key (PEM)")) -> None:
    """Register the other party's public key, to verify the checkpoints it hands over."""
    from setu.kit import checkpoints, signing

    try:
        with transaction(system_actor("cli")) as uow:
            kid = checkpoints.trust_key(uow.session, party=party, public_pem=file.read_text(encoding="utf-8"))
    except (OSError, signing.SigningError, checkpoints.CheckpointError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"trusted key {kid} for {party.upper()}")


@app.command("import-checkpoint")
@permission("audit.key.update")
def audit_import_checkpoint(file: Path = typer.Argument(..., help="a checkpoint file, or an export with a signed head")) -> None:
    """Verify a signed head the other party handed over and keep it (`setu audit verify` checks it)."""
    from setu.kit import checkpoints, signing

    try:
        doc = checkpoints.read_document(file.read_text(encoding="utf-8"))
        with transaction(system_actor("cli")) as uow:
            new = checkpoints.receive(uow.session, doc)
    except (OSError, signing.SigningError, checkpoints.CheckpointError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    state = "kept" if new else "already held"
    typer.echo(f"{state}: the head of {doc['party']} at entry {doc['seq']} ({doc['at']}), signature verified")
