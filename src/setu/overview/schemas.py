"""Pydantic output of the programme overview."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ActionRead(BaseModel):
    tile: str
    kind: str
    title: str
    href: str
    detail: str = ""


class OverviewRead(BaseModel):
    today: str
    audit_head: int
    computed_at: str
    tiles: dict[str, dict[str, Any]]
    needs_you: list[ActionRead]
