"""Tile providers of the programme overview, one module per capability, found by convention.

Every module in this package defines ``TILE = Tile(...)``: the capability it reads, the
permission a user needs to see it, its order on the page and ``compute(uow, today)``, which
returns the tile's figures (plain JSON-able data). A module may also define
``needs_you(uow, today) -> list[Action]``: the actions waiting for the signed-in user.

Adding a capability's tile (contracts, orders, ...) is one new module here: the overview service,
the page, ``GET /api/v1/overview`` and ``setu overview`` pick it up. Each provider reads its
capability only through that capability's ``service`` functions, so each figure is scoped exactly
as on the capability's own page.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One number on the overview: its value, its unit (or currency) and the page it comes from."""

    label: str
    value: Any
    unit: str = ""
    href: str = "/"
    id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "value": self.value, "unit": self.unit, "href": self.href}


@dataclass(frozen=True)
class Action:
    """One thing waiting for the user, one click away (``href``)."""

    kind: str          # plan_decision / claim_confirmation / ticket_acknowledgement / fai_approval / ...
    title: str
    href: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "href": self.href, "detail": self.detail}


@dataclass(frozen=True)
class Tile:
    key: str
    title: str
    order: int
    permission: str
    compute: Callable[..., dict[str, Any]]
    source: str = "/"      # the capability's page
    needs_you: Callable[..., list[Action]] | None = field(default=None)


def _provider_modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)
            if not m.name.startswith("_")]


@cache
def providers() -> tuple[Tile, ...]:
    """Every tile, in page order."""
    tiles = []
    for mod in _provider_modules():
        tile = getattr(mod, "TILE", None)
        if not isinstance(tile, Tile):
            raise TypeError(f"{mod.__name__} defines no TILE = Tile(...)")
        if tile.needs_you is None and hasattr(mod, "needs_you"):
            tile = Tile(tile.key, tile.title, tile.order, tile.permission, tile.compute, tile.source, mod.needs_you)
        tiles.append(tile)
    keys = [t.key for t in tiles]
    if len(keys) != len(set(keys)):
        raise ValueError(f"two overview tiles share a key: {sorted(keys)}")
    return tuple(sorted(tiles, key=lambda t: (t.order, t.key)))


def month_start(today: date) -> date:
    return today.replace(day=1)
