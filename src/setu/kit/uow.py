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
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from setu.kit import audit as _audit  # noqa: F401  (registers the one audit hook on every Session)
from setu.kit.access import Actor
from setu.kit.db import get_engine, session_factory
from setu.kit.errors import PermissionDenied

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
        self._after_commit: list[Callable[[], Any]] = []

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
