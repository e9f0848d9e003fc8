"""CLI adapter for users and their API tokens (`setu user ...`)."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import typer

from setu.kit.uow import transaction

from setu.adapters.console import permission

from setu.kit.access import system_actor
from setu.kit.errors import SetuError

app = user_app = typer.Typer(name="user", help="Manage users and their personal API tokens.", no_args_is_help=True)
token_app = typer.Typer(help="Personal API tokens: shown once, stored hashed, expiring, revocable.",
                        no_args_is_help=True)
user_app.add_typer(token_app, name="token")



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
@permission("identity.user.create")
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
    from setu.identity import auth
    from setu.identity import repository as repo

    pw = _password(password, "Password")
    try:
        with transaction(system_actor("cli")) as uow:
            org_id = repo.organisation_id_by_code(uow.session, organisation.upper())
            if org_id is None:
                typer.echo(f"error: organisation {organisation} not found", err=True)
                raise typer.Exit(2)
            new = auth.create_user(uow, username=username, display_name=name or username, organisation_id=org_id,
                                   role=role, password=pw, email=email, system_admin=system_admin, totp=totp)
    except SetuError as exc:
        _fail(exc)
    typer.echo(f"created user {new.user.username} ({role})")
    if new.totp_secret:
        from setu.kit.crypto import totp_uri

        typer.echo(f"two-factor secret: {new.totp_secret}")
        typer.echo(f"authenticator URI: {totp_uri(new.totp_secret, new.user.username)}")


@user_app.command("disable")
@permission("identity.user.update")
def user_disable(username: str) -> None:
    """Disable a user: sign-in refused, sessions ended, tokens revoked."""
    from setu.identity import auth

    try:
        with transaction(system_actor("cli")) as uow:
            auth.disable_user(uow, username=username)
    except SetuError as exc:
        _fail(exc)
    typer.echo(f"disabled {username}; their sessions and tokens no longer work")


@user_app.command("reset-password")
@permission("identity.user.update")
def user_reset_password(username: str, password: str = typer.Option(None, help="new password (else stdin/prompt)")) -> None:
    """Set a new password; the user must change it at the next sign-in."""
    from setu.identity import auth

    pw = _password(password, "New password")
    try:
        with transaction(system_actor("cli")) as uow:
            auth.reset_password(uow, username=username, password=pw)
    except SetuError as exc:
        _fail(exc)
    typer.echo(f"password of {username} reset; sessions ended")


@user_app.command("totp-code")
@permission("identity.user.read")
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
@permission("identity.token.create")
def token_create(username: str, name: str = typer.Option("cli", help="what the token is for"),
                 days: int = typer.Option(None, help="lifetime in days (default SETU_TOKEN_DAYS, 90)")) -> None:
    """Create a personal API token for a user. The token is printed once; keep it safe."""
    from setu.identity import auth

    try:
        with transaction(system_actor("cli")) as uow:
            secret, tok = auth.create_token(uow, username=username, name=name, days=days)
    except SetuError as exc:
        _fail(exc)
    typer.echo(secret)
    typer.echo(f"token {tok.prefix}… for {username} expires {tok.expires_at:%Y-%m-%d}; it is shown only once",
               err=True)


@token_app.command("revoke")
@permission("identity.token.update")
def token_revoke(token: str = typer.Argument(..., help="the token's id or its first 12 characters")) -> None:
    """Revoke a token at once."""
    from setu.identity import auth

    try:
        token_id = uuid.UUID(token)
        kw = {"token_id": token_id}
    except ValueError:
        kw = {"prefix": token}
    try:
        with transaction(system_actor("cli")) as uow:
            tok = auth.revoke_token(uow, **kw)
    except SetuError as exc:
        _fail(exc)
    typer.echo(f"revoked token {tok.prefix}…")
