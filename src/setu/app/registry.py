"""The one list of capabilities, and what each brings, found by convention.

A capability is a package ``setu.<name>``; the registry looks for these modules in it and uses
what it finds (a missing module means the capability has nothing of that kind):

========================  ===================================================================
``<cap>.models``          SQLAlchemy models (their tables join the metadata Alembic migrates)
``<cap>.policies``        permission declarations (:func:`setu.kit.access.declare`)
``<cap>.api.router``      JSON API routes, mounted under ``/api/v1``
``<cap>.web.router``      web pages; ``<cap>.web.NAV`` their navigation entries
``<cap>/templates/``      the capability's templates, as ``<cap>/...html``
``<cap>.cli.app``         a Typer group, mounted as ``setu <app.info.name>``
``<cap>.tables``          import/export specs (``IMPORTS``, ``EXPORTS``) for CSV and Excel
========================  ===================================================================

Adding a capability is one new package plus one line in :data:`CAPABILITIES`
(docs/adding-a-capability.md). The order is the dependency order: a capability may use the
services of those before it, never of those after it (the import-linter layers contract).
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

#: Every capability, in dependency order (lowest first).
CAPABILITIES: tuple[str, ...] = (
    "identity",
    "audit",
    "notifications",
    "finance",
    "catalog",
    "fleet",
    "demand",
    "forecasting",
    "readiness",
    "localisation",
    "contracts",
    "aftersales",
    "ledger",
    "overview",
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _module(name: str) -> ModuleType | None:
    """Import ``name`` when it exists; errors inside an existing module propagate."""
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # the parent package itself is absent
        return None
    return importlib.import_module(name) if spec is not None else None


@dataclass(frozen=True)
class Capability:
    name: str

    def part(self, kind: str) -> ModuleType | None:
        return _module(f"setu.{self.name}.{kind}")

    @property
    def template_dir(self) -> Path:
        return PACKAGE_DIR / self.name / "templates"


@cache
def capabilities(names: tuple[str, ...] = CAPABILITIES) -> tuple[Capability, ...]:
    for n in names:
        if _module(f"setu.{n}") is None:
            raise ModuleNotFoundError(f"capability setu.{n} is listed in the registry but not installed")
    return tuple(Capability(n) for n in names)


def load_models(names: tuple[str, ...] = CAPABILITIES) -> None:
    """Import every capability's models (and the kit's own tables) so the metadata holds every table."""
    importlib.import_module("setu.kit.audit")
    for c in capabilities(names):
        c.part("models")


def metadata(names: tuple[str, ...] = CAPABILITIES):
    from setu.kit.db import Base

    load_models(names)
    return Base.metadata


def load_policies(names: tuple[str, ...] = CAPABILITIES) -> None:
    """Import every capability's permission declarations."""
    for c in capabilities(names):
        c.part("policies")


def api_routers(names: tuple[str, ...] = CAPABILITIES) -> list:
    return [m.router for c in capabilities(names) if (m := c.part("api")) is not None]


def web_modules(names: tuple[str, ...] = CAPABILITIES) -> list[ModuleType]:
    return [m for c in capabilities(names) if (m := c.part("web")) is not None]


def template_dirs(names: tuple[str, ...] = CAPABILITIES) -> list[Path]:
    return [c.template_dir for c in capabilities(names) if c.template_dir.is_dir()]


def cli_apps(names: tuple[str, ...] = CAPABILITIES) -> list:
    return [m.app for c in capabilities(names) if (m := c.part("cli")) is not None]


def table_modules(names: tuple[str, ...] = CAPABILITIES) -> list[ModuleType]:
    return [m for c in capabilities(names) if (m := c.part("tables")) is not None]


@cache
def tables():
    """Every capability's import and export specs (``<cap>.tables``), gathered in one
    :class:`setu.adapters.tables.Tables`: what the export routes and the import/export commands run."""
    from setu.adapters.tables import Tables

    return Tables.from_modules(table_modules())


def exporter():
    """What the export routes use: :func:`tables`."""
    return tables()
