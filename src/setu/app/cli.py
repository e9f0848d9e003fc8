"""Root CLI: composes every capability's Typer app (from :mod:`setu.app.registry`) into `setu`.

The capability groups are mounted lazily (:class:`LazyGroup`): ``setu forecast file`` imports the
forecasting command module and what it uses, not every capability with its database models and
engines. ``setu --help`` (and anything that lists the commands) still imports and lists them all.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperGroup

from setu.adapters.console import command_permission, permission
from setu.app import registry

_APP_NAME = re.compile(r"""^app\s*=.*?typer\.Typer\(\s*name\s*=\s*["']([\w-]+)["']""", re.M)


def _capability_command_names() -> dict[str, str]:
    """Command group name -> capability, read from each ``<cap>/cli.py`` without importing it
    (its ``app = typer.Typer(name="...")`` line). A capability whose name cannot be read this way
    is found by importing every group (:meth:`LazyGroup.get_command`)."""
    out: dict[str, str] = {}
    for cap in registry.CAPABILITIES:
        path = registry.PACKAGE_DIR / cap / "cli.py"
        try:
            m = _APP_NAME.search(path.read_text(encoding="utf-8"))
        except OSError:
            continue
        if m:
            out[m.group(1)] = cap
    return out


def _capability_app(cap: str) -> typer.Typer | None:
    return next(iter(registry.cli_apps((cap,))), None)


def _demo_app() -> typer.Typer:
    from setu.demo.load import demo_app

    return demo_app


def _table_app(which: int) -> typer.Typer:
    from setu.adapters.console import table_apps

    return table_apps(registry.tables())[which]


class LazyGroup(TyperGroup):
    """The root group: eager commands (db, serve) plus groups built on first use."""

    def _lazy(self) -> dict[str, Callable[[], Any]]:
        found = getattr(self, "_lazy_cache", None)
        if found is None:
            found = {name: (lambda cap=cap: _capability_app(cap)) for name, cap in _capability_command_names().items()}
            found["demo"] = _demo_app
            found["import"] = lambda: _table_app(0)
            found["export"] = lambda: _table_app(1)
            self._lazy_cache = found
            self._built: dict[str, Any] = {}
        return found

    def _build(self, name: str):
        if name not in self._built:
            sub = self._lazy()[name]()
            if sub is None:
                self._built[name] = None
            else:
                cmd = typer.main.get_group(sub)
                cmd.name = name
                self._built[name] = cmd
        return self._built[name]

    def _all_capability_groups(self) -> None:
        """Every capability's group, imported (a group the cheap scan missed is found here)."""
        lazy = self._lazy()
        for sub in registry.cli_apps():
            name = sub.info.name
            if name and name not in lazy:
                lazy[name] = lambda sub=sub: sub

    def list_commands(self, ctx):
        self._all_capability_groups()
        names = set(super().list_commands(ctx)) | set(self._lazy())
        return sorted(n for n in names if n in self.commands or self._build(n) is not None)

    def get_command(self, ctx, cmd_name):
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in self._lazy():
            self._all_capability_groups()
        if cmd_name in self._lazy():
            return self._build(cmd_name)
        return None


app = typer.Typer(
    cls=LazyGroup,
    help="Setu: catalog & fleet, forecasting, readiness and more, for two partner countries.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Create and migrate the database (SQLite by default, or SETU_DATABASE_URL).",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@permission("admin.database.upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision to migrate to")) -> None:
    """Create the database, or migrate it to the newest schema (Alembic)."""
    from setu.kit.db import upgrade_database
    from setu.kit.settings import get_settings

    url = get_settings().database_url
    upgrade_database(url, revision)
    typer.echo(f"database at {url.split('@')[-1]} is at revision {revision}")


@db_app.command("grant-app-role")
@permission("admin.database.grant")
def db_grant_app_role(role: str = typer.Argument(..., help="the application's PostgreSQL login role")) -> None:
    """PostgreSQL: grant the application's role read/write on business tables, append-only on the
    audit log (no UPDATE, DELETE or TRUNCATE), nothing on the schema. Run as the schema owner."""
    from setu.kit.db import get_engine, grant_app_role

    try:
        for stmt in grant_app_role(get_engine(), role):
            typer.echo(stmt)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("serve")
@permission("admin.server.run")
def serve(
    host: str = typer.Option(None, help="address to listen on (default SETU_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default SETU_PORT or 8000)"),
    reload: bool = typer.Option(False, help="reload on code changes (development)"),
    workers: int = typer.Option(1, min=1, help="server processes (each with its own database pool); "
                                                "not with --reload"),
) -> None:
    """Serve the web app and the JSON API (docs at /api/v1/docs)."""
    import uvicorn

    from setu.kit.settings import get_settings

    s = get_settings()
    uvicorn.run("setu.app.main:create_app", factory=True, host=host or s.host, port=port or s.port, reload=reload,
                workers=None if reload else workers)


def command_paths() -> list[str]:
    """Every leaf command of `setu`, as "group command"."""
    import click

    root = typer.main.get_command(app)
    out: list[str] = []

    def walk(cmd, ctx, prefix: str) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                walk(sub, click.Context(sub, parent=ctx), f"{prefix} {name}".strip())
        else:
            out.append(prefix)

    walk(root, click.Context(root), "")
    return out


def command_permissions() -> dict[str, str | None]:
    """Every leaf command of `setu` with the permission it declares (None: declares none)."""
    import click

    root = typer.main.get_command(app)
    out: dict[str, str | None] = {}

    def walk(cmd, ctx, prefix: str) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                walk(sub, click.Context(sub, parent=ctx), f"{prefix} {name}".strip())
        else:
            out[prefix] = command_permission(cmd.callback)

    walk(root, click.Context(root), "")
    return out


def main() -> None:
    app()
