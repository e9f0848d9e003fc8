"""The programme overview: every tile the user may see (:mod:`setu.overview.tiles`) and the
actions waiting for the user ("Needs you now"), as plain JSON-able data.

The whole answer is kept per (database, audit head, viewer's scope, day), like the readiness
evaluations: the audit chain's head moves on every committed, audited change, so a new head
means a figure may have changed and the entry is stale. The page, ``GET /api/v1/overview`` and
``setu overview`` all call :func:`overview`, so they show the same figures.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from setu.kit.access import require
from setu.kit.uow import UnitOfWork
from setu.overview.tiles import providers

READ = "overview.dashboard.read"
_CACHE: dict[tuple, dict[str, Any]] = {}
_CACHE_MAX = 64


def _scope(uow: UnitOfWork) -> tuple:
    a = uow.actor
    return (a.user_id, a.name, a.party_id, a.organisation_id, a.organisation_kind, a.role, a.system, a.sysadmin)


def compute(uow: UnitOfWork, *, today: date | None = None) -> dict[str, Any]:
    """Every visible tile's figures and the user's waiting actions, computed now (no cache)."""
    require(uow.actor, READ)
    today = today or date.today()
    tiles: dict[str, Any] = {}
    needs: list[dict[str, Any]] = []
    for t in providers():
        if not uow.actor.can(t.permission):
            continue
        tiles[t.key] = {"title": t.title, "source": t.source, **t.compute(uow, today)}
        if t.needs_you is not None:
            needs += [{"tile": t.key, **a.as_dict()} for a in t.needs_you(uow, today)]
    from setu.readiness import service as readiness

    return {"today": today.isoformat(), "audit_head": readiness.change_marker(uow),
            "computed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "tiles": tiles, "needs_you": needs}


def overview(uow: UnitOfWork, *, today: date | None = None) -> dict[str, Any]:
    """:func:`compute`, kept until the audit head moves (or the day changes)."""
    from setu.readiness import service as readiness

    require(uow.actor, READ)
    today = today or date.today()
    key = (str(uow.session.get_bind().url), readiness.change_marker(uow), _scope(uow), today)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    result = compute(uow, today=today)
    for k in [k for k in _CACHE if k[0] == key[0] and k[1] != key[1]]:
        del _CACHE[k]
    while len(_CACHE) >= _CACHE_MAX:
        del _CACHE[next(iter(_CACHE))]
    _CACHE[key] = result
    return result


def forget() -> None:
    """Drop every kept overview (tests)."""
    _CACHE.clear()
