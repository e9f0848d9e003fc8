"""CLI adapters for users, tokens and the audit log (`setu user ...`, `setu audit ...`)."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import typer

from setu.kit.access import system_actor
from setu.kit.errors import SetuError

user_app = typer.Typer(help="Manage users and their personal API tokens.", no_args_is_help=True)
token_app = typer.Typer(help="Personal API tokens: shown once, stored hashed, expiring, revocable.",
                        no_args_is_help=True)
user_app.add_typer(token_app, name="token")
audit_app = typer.Typer(help="Verify and export the tamper-evident audit log.", no_args_is_help=True)



def _fail(exc: SetuError) -> None:
    typer.echo(f"error: {exc.detail}", err=True)
    for e in exc.errors:
        typer.echo(f"  {e}", err=True)
    raise typer.Exit(2)


def _password(value: str | None, prompt: str) -> str:
    if value:
        return value
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\n")
        if line:
            return line
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _uow(write: bool):
    from setu.kit.uow import UnitOfWork

    return UnitOfWork(system_actor("cli"), write=write)


@user_app.command("create")
def user_create(
    username: str = typer.Argument(..., help="login name: lower-case letters, digits, '.', '_', '-'"),
    organisation: str = typer.Option(..., "--organisation", "-o", help="organisation code the user belongs to"),
    role: str = typer.Option("viewer", help="viewer, clerk, approver or admin"),
    name: str = typer.Option(None, help="display name (default: the username)"),
    email: str = typer.Option(None),
    system_admin: bool = typer.Option(False, help="administers users and audit; sees no business data"),
    totp: bool = typer.Option(False, help="turn on two-factor (always on for admins)"),
    password: str = typer.Option(None, help="initial password (else read from stdin or prompted)"),
) -> None:
    """Create a user in an organisation of a party."""
    from sqlalchemy import select

    from setu.identity import auth
    from setu.identity.models import Organisation

    pw = _password(password, "Password")
    try:
        with _uow(True) as uow:
            org_id = uow.session.scalar(select(Organisation.id).where(Organisation.code == organisation.upper()))
            if org_id is None:
                typer.echo(f"error: organisation {organisation} not found", err=True)
                raise typer.Exit(2)
            new = auth.create_user(uow, username=username, display_name=name or username, organisation_id=org_id,
                                   role=role, password=pw, email=email, system_admin=system_admin, totp=totp)
            uow.commit()
    except SetuError as exc:
        _fail(exc)
    typer.echo(f"created user {new.user.username} ({role})")
    if new.totp_secret:
        from setu.kit.crypto import totp_uri

        typer.echo(f"two-factor secret: {new.totp_secret}")
        typer.echo(f"authenticator URI: {totp_uri(new.totp_secret, new.user.username)}")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user: sign-in refused, sessions ended, tokens revoked."""
    from setu.identity import auth

    try:
        with _uow(True) as uow:
            auth.disable_user(uow, username=username)
            uow.commit()
    except SetuError as exc:
        _fail(exc)
    typer.echo(f"disabled {username}; their sessions and tokens no longer work")


@user_app.command("reset-password")
def user_reset_password(username: str, password: str = typer.Option(None, help="new password (else stdin/prompt)")) -> None:
    """Set a new password; the user must change it at the next sign-in."""
    from setu.identity import auth

    pw = _password(password, "New password")
    try:
        with _uow(True) as uow:
            auth.reset_password(uow, username=username, password=pw)
            uow.commit()
    except SetuError as exc:
        _fail(exc)
    typer.echo(f"password of {username} reset; sessions ended")


@user_app.command("totp-code")
def user_totp_code(username: str) -> None:
    """Print the current two-factor code of a DEMO user (users of demo organisations only)."""
    from setu.identity import auth
    from setu.kit import crypto

    try:
        with _uow(False) as uow:
            user = auth.get_user_by_name(uow, username)
            if not user.organisation.is_demo:
                typer.echo(f"error: {username} is not a demo user; codes come from their authenticator app", err=True)
                raise typer.Exit(2)
            if not user.totp_secret:
                typer.echo(f"error: {username} has no two-factor key", err=True)
                raise typer.Exit(2)
            typer.echo(crypto.totp_now(user.totp_secret))
    except SetuError as exc:
        _fail(exc)


@token_app.command("create")
def token_create(username: str, name: str = typer.Option("cli", help="what the token is for"),
                 days: int = typer.Option(None, help="lifetime in days (default SETU_TOKEN_DAYS, 90)")) -> None:
    """Create a personal API token for a user. The token is printed once; keep it safe."""
    from setu.identity import auth

    try:
        with _uow(True) as uow:
            secret, tok = auth.create_token(uow, username=username, name=name, days=days)
            uow.commit()
    except SetuError as exc:
        _fail(exc)
    typer.echo(secret)
    typer.echo(f"token {tok.prefix}… for {username} expires {tok.expires_at:%Y-%m-%d}; it is shown only once",
               err=True)


@token_app.command("revoke")
def token_revoke(token: str = typer.Argument(..., help="the token's id or its first 12 characters")) -> None:
    """Revoke a token at once."""
    from setu.identity import auth

    try:
        token_id = uuid.UUID(token)
        kw = {"token_id": token_id}
    except ValueError:
        kw = {"prefix": token}
    try:
        with _uow(True) as uow:
            tok = auth.revoke_token(uow, **kw)
            uow.commit()
    except SetuError as exc:
        _fail(exc)
    typer.echo(f"revoked token {tok.prefix}…")


@audit_app.command("verify")
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
        from setu.identity.audit_checkpoint_cli import verify_held_heads

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


@audit_app.command("export")
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
    from setu.identity.audit_checkpoint_cli import signed_head_or_exit

    with _uow(True) as uow, tmp.open("w", encoding="utf-8") as f:
        n = audit_file.export(uow.session, f, since=since, signed_head=signed_head_or_exit(uow.session))
        uow.commit()
    tmp.replace(output)
    typer.echo(f"exported {n} entries to {output}")
