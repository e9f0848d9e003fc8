"""Security events recorded off the request path: a bounded queue and one background writer.

A refused request (401, 403, a failed login) must be answered at once, whatever the database is
doing: while a long import holds SQLite's write lock, writing the event in the request made every
refusal wait for the lock (30 s) and some were lost. Instead the request puts the event on a
queue (:func:`submit`, never blocks) and a daemon thread per database writes what has queued up
in one short transaction (a batch), retrying a batch that met a busy database a few times.

What could not be recorded is counted, never silently dropped: ``dropped`` (the queue was full)
and ``failed`` (the batch could not be written after its retries), both logged on the
``setu.security`` logger and served by ``GET /health`` (:func:`stats`). :func:`flush` waits until
everything queued so far is written (tests, shutdown).

The same writer carries other small bookkeeping writes that must not hold up a request, such as a
web session's last-seen time (a write on every read otherwise): ``submit(engine, item, kind=...)``.
This module knows no tables: the writer calls the function registered for each kind with a unit
of work and the list of items (:func:`register`).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("setu.security")

#: Most items waiting; beyond it new items are counted as dropped (and logged).
QUEUE_SIZE = 10_000
#: Most items written in one transaction.
BATCH = 500
#: How long a batch is retried while the database is busy (seconds), and the pause between tries.
RETRY_FOR_S = 300.0
PAUSE_S = 0.5
#: A writer with nothing to do for this long ends (a new one starts with the next item).
IDLE_EXIT_S = 10.0

_writers_for: dict[str, Callable[[Any, list[Any]], None]] = {}


def register(kind: str, write: Callable[[Any, list[Any]], None]) -> None:
    """Say how items of ``kind`` are written: ``write(uow, items)`` inside a write unit of work."""
    _writers_for[kind] = write


@dataclass
class Stats:
    queued: int = 0
    recorded: int = 0
    dropped: int = 0
    failed: int = 0
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"queued": self.queued, "recorded": self.recorded, "dropped": self.dropped, "failed": self.failed,
                "last_error": self.last_error}


@dataclass
class _Writer:
    engine: Any
    q: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=QUEUE_SIZE))
    stats: Stats = field(default_factory=Stats)
    thread: threading.Thread | None = None
    idle: threading.Condition = field(default_factory=threading.Condition)
    pending: int = 0

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="setu-security-events", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                first = self.q.get(timeout=IDLE_EXIT_S)
            except queue.Empty:
                with _lock:  # submit() puts under the same lock: nothing can slip in meanwhile
                    if self.q.empty():
                        if _writers.get(id(self.engine)) is self:
                            del _writers[id(self.engine)]
                        return
                continue
            batch = [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self.q.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)
            with self.idle:
                self.pending -= len(batch)
                self.stats.queued = self.pending
                self.idle.notify_all()

    def _write(self, batch: list[tuple[str, Any]]) -> None:
        from setu.kit.access import system_actor
        from setu.kit.uow import UnitOfWork

        by_kind: dict[str, list[Any]] = {}
        for kind, item in batch:
            by_kind.setdefault(kind, []).append(item)
        give_up = time.monotonic() + RETRY_FOR_S
        while True:
            try:
                with UnitOfWork(system_actor("security"), write=True, engine=self.engine) as uow:
                    for kind, items in by_kind.items():
                        _writers_for[kind](uow, items)
                    uow.commit()
                self.stats.recorded += len(batch)
                return
            except Exception as exc:  # busy database, or a bug: count it, never lose it silently
                self.stats.last_error = f"{type(exc).__name__}: {exc}"[:300]
                if time.monotonic() < give_up and _busy(exc):
                    time.sleep(PAUSE_S)
                    continue
                self.stats.failed += len(batch)
                log.error("could not record %d security event(s): %s", len(batch), self.stats.last_error)
                return


def _busy(exc: BaseException) -> bool:
    from setu.kit.errors import Busy

    text = str(exc).lower()
    return isinstance(exc, Busy) or "locked" in text or "busy" in text or "lock timeout" in text


_writers: dict[int, _Writer] = {}
_stats: dict[int, tuple[Any, Stats]] = {}
_lock = threading.Lock()


def submit(engine: Any, item: Any, *, kind: str = "security_event") -> bool:
    """Queue ``item`` to be written; returns at once (False when the queue is full: counted, logged)."""
    with _lock:
        w = _writers.get(id(engine))
        if w is None or w.engine is not engine:
            st = _stats.get(id(engine))
            if st is None or st[0] is not engine:
                st = _stats[id(engine)] = (engine, Stats())
            w = _Writer(engine, stats=st[1])
            _writers[id(engine)] = w
            w.start()
        with w.idle:
            w.pending += 1
        try:
            w.q.put_nowait((kind, item))
        except queue.Full:
            with w.idle:
                w.pending -= 1
            w.stats.dropped += 1
            log.error("security event queue full (%d waiting): an event was not recorded", QUEUE_SIZE)
            return False
        w.stats.queued = w.pending
    return True


def flush(engine: Any, timeout_s: float = 30.0) -> bool:
    """Wait until every item queued so far for ``engine`` is written (or failed); False on timeout."""
    w = _writers.get(id(engine))
    if w is None:
        return True
    deadline = time.monotonic() + timeout_s
    with w.idle:
        while w.pending > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            w.idle.wait(left)
    return True


def stats(engine: Any) -> dict[str, Any]:
    """What the writer of ``engine`` has queued, recorded, dropped and failed (for /health)."""
    st = _stats.get(id(engine))
    return (st[1] if st is not None and st[0] is engine else Stats()).as_dict()
