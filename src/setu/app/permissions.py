"""Route permission declarations: every API and web route names the permission it needs.

``Depends(needs("catalog.part.read"))`` both checks the actor with the one permission engine
(setu.kit.access) and records the declaration on the route, where the architecture tests find it.
"""
from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request

from setu.app.deps import current_actor
from setu.kit.access import Actor, require

PERMISSION_ATTR = "setu_permission"


def needs(permission: str) -> Callable[..., Actor]:
    def dependency(request: Request, actor: Actor = Depends(current_actor)) -> Actor:
        request.state.permission = permission
        return require(actor, permission)

    setattr(dependency, PERMISSION_ATTR, permission)
    dependency.__name__ = f"needs_{permission.replace('.', '_')}"
    return dependency


def route_permission(route) -> str | None:
    """The permission a route declares (None when it declares none, or is public)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    stack = list(dependant.dependencies)
    while stack:
        d = stack.pop()
        perm = getattr(d.call, PERMISSION_ATTR, None)
        if perm:
            return perm
        stack.extend(d.dependencies)
    return None


def iter_routes(app) -> list[tuple[str, set[str], object]]:
    """Every HTTP route of the app as (full path, methods, route-like object with ``dependant``).

    Works with routers included into routers (FastAPI wraps them; their effective contexts
    carry the full path)."""
    from fastapi.routing import APIRoute

    out: list[tuple[str, set[str], object]] = []
    for r in app.routes:
        if isinstance(r, APIRoute):
            out.append((r.path, set(r.methods or ()), r))
        elif hasattr(r, "effective_route_contexts"):
            for c in r.effective_route_contexts():
                out.append((c.path, set(c.methods or ()), c))
    return out
