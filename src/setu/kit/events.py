"""Named events whose handlers run after the transaction that raised them commits.

A service announces what happened; other capabilities react without the service knowing them::

    # readiness/service.py (inside a write unit of work; services never commit)
    events.publish(uow, "readiness.plan.approved", plan_id=str(plan.id))

    # notifications/handlers.py (imported at start-up, e.g. from the capability registry)
    @events.subscriber("readiness.plan.approved")
    def _notify(event: events.Event) -> None:
        ...

``publish`` only queues: the handlers run through :meth:`setu.kit.uow.UnitOfWork.on_commit`, so
they see committed data, never run when the transaction rolls back or its commit fails, and run in
the order the events were published (and, per event, in the order the handlers subscribed). A
handler that raises is logged (logger ``setu.kit.events``); the commit stands and the other handlers
still run. Handlers run in the committing thread, after the commit: keep them short; anything long
is a background job (:func:`setu.kit.jobs.submit`, which is itself after-commit).

Event names are dotted ``<domain>.<resource>.<past-tense verb>``; payloads carry ids and small
values (JSON-able), not ORM objects, which belong to a session that is finished by then.
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from setu.kit.access import Actor

if TYPE_CHECKING:
    from setu.kit.uow import UnitOfWork

log = logging.getLogger("setu.kit.events")

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$")


@dataclass(frozen=True)
class Event:
    """What happened: its dotted name, who did it, and a read-only payload of ids and values."""

    name: str
    actor: Actor | None
    payload: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __getitem__(self, key: str) -> Any:
        return self.payload[key]


Handler = Callable[[Event], Any]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not EVENT_NAME.match(name):
        raise ValueError(f"event name {name!r} must be dotted lower-case, e.g. 'readiness.plan.approved'")
    return name


def subscribe(name: str, handler: Handler) -> Handler:
    """Call ``handler(event)`` after every commit that published ``name``. Subscribing the same
    handler twice to one name has no further effect. Returns the handler."""
    _check_name(name)
    if not callable(handler):
        raise TypeError(f"handler for {name} must be callable, not {handler!r}")
    if handler not in _handlers[name]:
        _handlers[name].append(handler)
    return handler


def subscriber(name: str) -> Callable[[Handler], Handler]:
    """Decorator form of :func:`subscribe`."""
    def deco(fn: Handler) -> Handler:
        return subscribe(name, fn)
    return deco


def unsubscribe(name: str, handler: Handler) -> None:
    """Remove a handler (tests; plug-ins being unloaded). Unknown handlers are ignored."""
    if handler in _handlers.get(name, []):
        _handlers[name].remove(handler)


def handlers(name: str) -> list[Handler]:
    """The handlers subscribed to ``name``, in the order they run."""
    return list(_handlers.get(name, []))


def dispatch(event: Event) -> None:
    """Run the handlers of one event now (what the after-commit callback does). A failing handler is
    logged and the next one still runs."""
    for h in handlers(event.name):
        try:
            h(event)
        except Exception:
            log.exception("handler %r of event %s failed (the transaction stays committed)", h, event.name)


def publish(uow: "UnitOfWork", name: str, **payload: Any) -> Event:
    """Announce ``name`` in this write unit of work; its handlers run after ``uow`` commits.

    The handlers are looked up when the event is dispatched, so a handler subscribed between the
    publish and the commit runs too. Returns the queued event."""
    event = Event(_check_name(name), uow.actor, MappingProxyType(dict(payload)))
    uow.on_commit(lambda: dispatch(event))
    return event
