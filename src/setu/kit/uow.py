"""Unit of work: the one way to open a transaction.

``with UnitOfWork(actor, write=True) as uow: ...; uow.commit()`` — rollback by default; services
receive ``uow`` and never commit; the adapter commits before it answers. A write unit of work
cannot start without an actor, so every change is attributable (the audit hook reads
``session.info["actor"]``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from setu.kit import audit as _audit  # noqa: F401  (registers the one audit hook on every Session)
from setu.kit.access import Actor
from setu.kit.db import get_engine, session_factory
from sqlalchemy.exc import OperationalError

from setu.kit.errors import Busy, PermissionDenied


class UnitOfWork:
    def __init__(self, actor: Actor | None, *, write: bool = False, engine: Engine | None = None):
        if write and actor is None:
            raise PermissionDenied("a write cannot start without an actor")
        self.actor = actor
        self.write = write
        self.engine = engine or get_engine()
        self.session: Session
        self._committed = False

    def __enter__(self) -> "UnitOfWork":
        self.session = session_factory(self.engine, write=self.write)()
        self.session.info["actor"] = self.actor
        self.session.info["write"] = self.write
        return self

    def commit(self) -> None:
        if not self.write:
            raise PermissionDenied("a read-only unit of work cannot commit")
        self.session.commit()
        self._committed = True

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()
        # the write lock (SQLite: BEGIN IMMEDIATE at the first statement) or a row lock could not be
        # had within the lock timeout: a clear, retryable 503 instead of "database is locked"
        if isinstance(exc, OperationalError) and is_lock_timeout(exc):
            raise Busy(BUSY_DETAIL) from exc


BUSY_DETAIL = ("the database is busy with another write (a large import?) and its write lock could not be had "
               "in time; nothing was changed: retry in a moment")


def is_lock_timeout(exc: BaseException) -> bool:
    """SQLite's ``database is locked`` / ``busy`` after the busy timeout, PostgreSQL's lock_timeout (55P03)."""
    text = str(getattr(exc, "orig", exc)).lower()
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code == "55P03" or "database is locked" in text or "database is busy" in text or "lock timeout" in text
