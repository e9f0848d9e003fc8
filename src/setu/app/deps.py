"""FastAPI dependencies shared by the API and the web pages: the actor and units of work."""
from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from setu.kit.access import Actor
from setu.kit.errors import Unauthenticated
from setu.kit.uow import UnitOfWork


def current_actor(request: Request) -> Actor:
    """The signed-in user behind this request (set by :mod:`setu.app.auth` from the API token or
    the web session). There is no anonymous actor: without one the request is refused."""
    actor = getattr(request.state, "actor", None)
    if actor is None:
        raise Unauthenticated("sign in first")
    return actor


def read_uow(request: Request) -> Iterator[UnitOfWork]:
    with UnitOfWork(current_actor(request), write=False, engine=request.app.state.engine) as uow:
        yield uow


def write_uow(request: Request) -> Iterator[UnitOfWork]:
    """A write unit of work; the route calls ``uow.commit()`` before it answers."""
    with UnitOfWork(current_actor(request), write=True, engine=request.app.state.engine) as uow:
        yield uow


def query_without_nul(request: Request) -> None:
    """Refuse query parameters holding NUL characters (PostgreSQL cannot compare text with them)."""
    from setu.kit.errors import FieldError, ValidationFailed

    bad = sorted({k for k, v in request.query_params.multi_items() if "\x00" in k or "\x00" in v})
    if bad:
        raise ValidationFailed("query parameters must not contain NUL characters",
                               [FieldError(k.replace("\x00", "\\0"), "must not contain NUL characters") for k in bad])
