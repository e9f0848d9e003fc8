"""`setu audit checkpoint | public-key | trust-key | import-checkpoint`: signed chain heads
exchanged between the parties (the logic is in setu.kit.checkpoints and setu.kit.signing)."""
from __future__ import annotations

from pathlib import Path

import typer

from setu.identity.cli import _uow, audit_app
from setu.kit.audit import VerifyResult


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


@audit_app.command("checkpoint")
def audit_checkpoint(output: Path = typer.Option(..., "--output", "-o", help="checkpoint file to write (JSON)"),
                     party: str = typer.Option(None, help="this installation's party (default SETU_PARTY)")) -> None:
    """Sign the chain head (entry, hash, time, party) with this installation's key, for the other party."""
    import json

    with _uow(True) as uow:
        doc = signed_head_or_exit(uow.session, party)
        uow.commit()
    tmp = output.with_suffix(output.suffix + ".part")
    tmp.write_text(json.dumps(doc, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    tmp.replace(output)
    typer.echo(f"signed the head of {doc['party']}: entry {doc['seq']} {doc['hash'][:16]}... (key {doc['key_id']}) "
               f"-> {output}")


@audit_app.command("public-key")
def audit_public_key(output: Path = typer.Option(None, "--output", "-o", help="write the PEM here (else print it)")) -> None:
    """This installation's public key, to hand to the other party (`setu audit trust-key`)."""
    from setu.kit import signing

    pem = signing.public_pem(_key().public_key())
    if output:
        output.write_text(pem, encoding="utf-8")
        typer.echo(f"public key {signing.key_id(_key().public_key())} -> {output}")
    else:
        typer.echo(pem, nl=False)


@audit_app.command("trust-key")
def audit_trust_key(party: str = typer.Argument(..., help="the other party's code, e.g. RUS"),
                    file: Path = typer.Argument(..., help="its public key (PEM)")) -> None:
    """Register the other party's public key, to verify the checkpoints it hands over."""
    from setu.kit import checkpoints, signing

    try:
        with _uow(True) as uow:
            kid = checkpoints.trust_key(uow.session, party=party, public_pem=file.read_text(encoding="utf-8"))
            uow.commit()
    except (OSError, signing.SigningError, checkpoints.CheckpointError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"trusted key {kid} for {party.upper()}")


@audit_app.command("import-checkpoint")
def audit_import_checkpoint(file: Path = typer.Argument(..., help="a checkpoint file, or an export with a signed head")) -> None:
    """Verify a signed head the other party handed over and keep it (`setu audit verify` checks it)."""
    from setu.kit import checkpoints, signing

    try:
        doc = checkpoints.read_document(file.read_text(encoding="utf-8"))
        with _uow(True) as uow:
            new = checkpoints.receive(uow.session, doc)
            uow.commit()
    except (OSError, signing.SigningError, checkpoints.CheckpointError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    state = "kept" if new else "already held"
    typer.echo(f"{state}: the head of {doc['party']} at entry {doc['seq']} ({doc['at']}), signature verified")
