"""Unit of work: the one way to open a transaction.

``with UnitOfWork(actor, write=True) as uow: ...; uow.commit()`` — rollback by default; services
receive ``uow`` and never commit; the adapter commits before it answers. A write unit of work
cannot start without an actor, so every change is attributable (the audit hook reads
``session.info["actor"]``).

Side effects wait for the commit: ``uow.on_commit(callback)`` queues a callable that runs after
:meth:`UnitOfWork.commit` has succeeded, in the order queued; a rollback (leaving the block without
committing, or an exception) or a failed commit drops them. A callback that raises is logged
(logger ``setu.kit.uow``) and does not undo the commit nor stop the callbacks after it.
:mod:`setu.kit.events` (named events) and :mod:`setu.kit.jobs` (job enqueues) are built on it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from setu.kit import audit as _audit  # noqa: F401  (registers the one audit hook on every Session)
from setu.kit.access import Actor
from setu.kit.db import get_engine, session_factory
from sqlalchemy.exc import OperationalError

from setu.kit.errors import Busy, PermissionDenied

log = logging.getLogger("setu.kit.uow")


class UnitOfWork:
    def __init__(self, actor: Actor | None, *, write: bool = False, engine: Engine | None = None):
        if write and actor is None:
            raise PermissionDenied("a write cannot start without an actor")
        self.actor = actor
        self.write = write
        self.engine = engine or get_engine()
        self.session: Session
        self._committed = False
        self._discarded = False
        self._after_commit: list[Callable[[], Any]] = []

    @property
    def committed(self) -> bool:
        return self._committed

    def discard(self) -> None:
        """Roll back what this unit of work has flushed, now, and never commit it (a page that
        answers with the form's errors keeps nothing of the failed step; reads go on)."""
        self._discarded = True
        if getattr(self, "session", None) is not None:
            self.session.rollback()

    @property
    def discarded(self) -> bool:
        return self._discarded

    def on_commit(self, callback: Callable[[], Any]) -> None:
        """Run ``callback()`` once this unit of work has committed (never after a rollback or a failed
        commit). Callbacks run in the order queued; one that raises is logged and the rest still run."""
        if not self.write:
            raise PermissionDenied("on_commit needs a write unit of work: a read-only one never commits")
        if not callable(callback):
            raise TypeError(f"on_commit takes a callable, not {callback!r}")
        self._after_commit.append(callback)

    def _run_after_commit(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        for cb in callbacks:
            try:
                cb()
            except Exception:  # the commit stands: a side effect failing is reported, not undone
                log.exception("after-commit callback %r failed (the transaction stays committed)", cb)

    def __enter__(self) -> "UnitOfWork":
        self.session = session_factory(self.engine, write=self.write)()
        self.session.info["actor"] = self.actor
        self.session.info["write"] = self.write
        return self

    def commit(self) -> None:
        if not self.write:
            raise PermissionDenied("a read-only unit of work cannot commit")
        if self._discarded:
            raise PermissionDenied("this unit of work was discarded: it rolls back")
        try:
            self.session.commit()
        except BaseException:
            self._after_commit.clear()  # the commit failed: its side effects never happen
            raise
        self._committed = True
        self._run_after_commit()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._after_commit.clear()
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


@contextmanager
def transaction(actor: Actor | None, *, engine: Engine | None = None) -> Iterator[UnitOfWork]:
    """A write unit of work that commits when the block ends normally and rolls back when it
    raises (or was :meth:`~UnitOfWork.discard`-ed): the one helper batch commands, jobs and the
    adapters use, so that capabilities never commit themselves."""
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        yield uow
        if not uow.committed and not uow.discarded:
            uow.commit()
