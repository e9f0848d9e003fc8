"""Workflows declared once: states, transitions, who may make each, and the audit action.

A capability declares its state machine in ``rules.py`` (pure: no database) and its service calls
:meth:`Workflow.apply`::

    PLAN = Workflow(
        "readiness.plan", states=("proposed", "approved", "rejected"), initial="proposed",
        state_attr="status", record_by="decided_by", record_at="decided_at",
        transitions=[
            Transition("approve", "proposed", "approved", "readiness.plan.approve",
                       who=[not_author("created_by")], assign={"note": "decision_note"},
                       event="readiness.plan.approved"),
            Transition("reject", "proposed", "rejected", "readiness.plan.approve",
                       who=[not_author("created_by")], guard=requires("note", "say why the plan is rejected"),
                       assign={"note": "decision_note"}, event="readiness.plan.rejected"),
        ])

    PLAN.apply(uow, plan, "approve", version=form_version, note=note)    # in the service
    PLAN.available(actor, plan)                                            # buttons on the page

:meth:`Workflow.apply` checks, in this order, and refuses with the first failure:

1. the transition exists (else :class:`ValidationFailed` 422 listing the transitions);
2. **state**: the object's current state is one of the transition's sources, else
   :class:`Conflict` 409 ``"cannot approve: the plan is approved (approve is allowed from proposed)"``;
3. **version** (optimistic check, when the caller passes ``version=`` read with the form): else 409;
4. **actor**: the permission (:func:`setu.kit.access.require`), then each object rule of ``who``,
   else :class:`PermissionDenied` 403 naming the transition, the permission and the rule;
5. **guard**: a condition on the object and the arguments (e.g. a rejection needs a reason), else
   :class:`ValidationFailed` 422.

Then it sets the state, records who and when (``record_by`` / ``record_at``, where the object has
such attributes), assigns arguments to attributes (``assign``), flushes (the audit hook records the
row's update as ``<table>.update``) and appends one more audit entry whose action is the
transition's audit action (default ``<workflow name>.<transition name>``, e.g.
``readiness.plan.approve``) with the state before and after; if the transition names an ``event``
it is published with :func:`setu.kit.events.publish` and its handlers run after the commit.

Object rules (``who``) are :class:`Rule` objects: :func:`not_author` (maker-checker: nobody decides
their own record, through :func:`setu.kit.access.require_not_own`), :func:`party_of` (the actor is
of the party an attribute names: "the counterparty confirms"), :func:`not_party_of`, or
:func:`rule` for anything else. The CLI's system actor passes the party rules (it acts for the
installation) but not :func:`not_author`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect as sa_inspect

from setu.kit.access import Actor, require, require_not_own
from setu.kit.db import utcnow
from setu.kit.errors import Conflict, FieldError, PermissionDenied, ValidationFailed

if TYPE_CHECKING:
    from setu.kit.uow import UnitOfWork


# -- who may: object rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """An object rule on who may make a transition, on top of its permission.

    ``check(actor, obj, transition)`` returns ``None`` when the actor may, or the reason it may not
    (a sentence naming the actor), which becomes part of the 403's detail."""

    description: str
    check: Callable[[Actor, Any, "Transition"], str | None]


def rule(description: str, predicate: Callable[[Actor, Any], bool]) -> Rule:
    """A custom rule: ``predicate(actor, obj)`` true means allowed; ``description`` says who may
    ("the depot's planner"), and the refusal reads "<actor> is not <description>"."""
    return Rule(description, lambda a, o, _t: None if predicate(a, o) else f"{a.name} is not {description}")


def not_author(attr: str = "created_by") -> Rule:
    """Maker-checker: the actor is not the one named by ``obj.<attr>`` (a user name), decided by
    :func:`setu.kit.access.require_not_own`, the rule every approval step shares."""

    def check(actor: Actor, obj: Any, t: "Transition") -> str | None:
        try:
            require_not_own(actor, getattr(obj, attr, None) or "", t.permission)
        except PermissionDenied as exc:
            return exc.detail
        return None

    return Rule(f"not the author ({attr})", check)


def _party_attr(obj: Any, attr: str) -> str | None:
    v = getattr(obj, attr, None)
    return None if v is None else str(v)


def party_of(attr: str, description: str | None = None) -> Rule:
    """The actor belongs to the party named by ``obj.<attr>`` (e.g. ``counterparty_id``: "the
    counterparty confirms"). The system actor passes."""

    def check(actor: Actor, obj: Any, _t: "Transition") -> str | None:
        if actor.system:
            return None
        want = _party_attr(obj, attr)
        if actor.party_id is None or want is None or str(actor.party_id) != want:
            return f"{actor.name} is not of the party this step belongs to ({attr})"
        return None

    return Rule(description or f"of the party in {attr}", check)


def not_party_of(attr: str, description: str | None = None) -> Rule:
    """The actor belongs to a party, and not the one named by ``obj.<attr>`` (e.g. the claimant's
    party may not confirm its own claim). The system actor passes."""

    def check(actor: Actor, obj: Any, _t: "Transition") -> str | None:
        if actor.system:
            return None
        if actor.party_id is None:
            return f"{actor.name} acts for no party"
        if str(actor.party_id) == _party_attr(obj, attr):
            return f"{actor.name} is of the party in {attr}: the other party must take this step"
        return None

    return Rule(description or f"not of the party in {attr}", check)


# -- guards ------------------------------------------------------------------------------------

Guard = Callable[[Any, Mapping[str, Any]], "str | FieldError | None"]


def requires(arg: str, message: str) -> Guard:
    """A guard: the argument ``arg`` must be given and not blank (e.g. a rejection's reason)."""

    def guard(_obj: Any, kw: Mapping[str, Any]) -> FieldError | None:
        v = kw.get(arg)
        if v is None or (isinstance(v, str) and not v.strip()):
            return FieldError(arg, message)
        return None

    return guard


# -- transitions and workflows -----------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """One step: from any of ``source`` to ``target``, by whoever has ``permission`` and passes
    every rule of ``who``, when ``guard(obj, kwargs)`` returns nothing (else its message, or a
    :class:`FieldError`, is the 422).

    ``assign`` maps keyword arguments of :meth:`Workflow.apply` onto attributes
    (``{"note": "decision_note"}``; blank strings become ``None``); ``effect(obj, actor, kwargs)``
    does anything else the step changes. ``record_by`` / ``record_at`` override the workflow's.
    ``label`` is the button text (default: the name, capitalised)."""

    name: str
    source: Sequence[str] | str
    target: str
    permission: str
    who: Sequence[Rule] = ()
    guard: Guard | None = None
    audit_action: str | None = None
    event: str | None = None
    assign: Mapping[str, str] = field(default_factory=dict)
    effect: Callable[[Any, Actor, Mapping[str, Any]], None] | None = None
    record_by: str | None = None
    record_at: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        src = (self.source,) if isinstance(self.source, str) else tuple(self.source)
        object.__setattr__(self, "source", src)
        object.__setattr__(self, "who", tuple(self.who))
        if self.permission.count(".") != 2:
            raise ValueError(f"transition {self.name}: permission {self.permission!r} is not "
                             "<domain>.<resource>.<action>")

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


class Workflow:
    """A declared state machine over objects that keep their state in ``state_attr``."""

    def __init__(self, name: str, *, states: Iterable[str], initial: str, transitions: Iterable[Transition],
                 state_attr: str = "status", version_attr: str = "version", record_by: str | None = None,
                 record_at: str | None = None, noun: str | None = None):
        self.name = name
        self.states = tuple(states)
        self.initial = initial
        self.state_attr = state_attr
        self.version_attr = version_attr
        self.record_by = record_by
        self.record_at = record_at
        #: how details name the object ("the plan"); default: the last part of the workflow name
        self.noun = noun or name.rsplit(".", 1)[-1].replace("_", " ")
        self.transitions: dict[str, Transition] = {}
        if initial not in self.states:
            raise ValueError(f"workflow {name}: initial state {initial!r} is not one of {self.states}")
        for t in transitions:
            if t.name in self.transitions:
                raise ValueError(f"workflow {name}: transition {t.name!r} is declared twice")
            bad = [s for s in (*t.source, t.target) if s not in self.states]
            if bad:
                raise ValueError(f"workflow {name}: transition {t.name!r} names unknown state(s) {bad}")
            self.transitions[t.name] = t

    # -- reading --------------------------------------------------------------------------------

    def transition(self, name: str) -> Transition:
        """The transition called ``name``; an unknown name is a 422 listing the known ones."""
        t = self.transitions.get(name)
        if t is None:
            known = ", ".join(self.transitions)
            raise ValidationFailed(f"{self.name}: there is no transition {name!r} (one of: {known})",
                                   [FieldError("transition", f"must be one of: {known}")])
        return t

    def state_of(self, obj: Any) -> str:
        return getattr(obj, self.state_attr)

    def from_state(self, state: str) -> list[Transition]:
        """Transitions that may leave ``state``, whoever acts (in declaration order)."""
        return [t for t in self.transitions.values() if state in t.source]

    def terminal(self, state: str) -> bool:
        return not self.from_state(state)

    def _who_refusal(self, actor: Actor | None, obj: Any, t: Transition) -> PermissionDenied | None:
        try:
            require(actor, t.permission)
        except PermissionDenied:
            who = actor.name if actor is not None else "an anonymous caller (sign in first)"
            return PermissionDenied(f"cannot {t.name} the {self.noun}: {t.permission} is not permitted for {who}",
                                    permission=t.permission)
        for r in t.who:
            reason = r.check(actor, obj, t)
            if reason:
                return PermissionDenied(f"cannot {t.name} the {self.noun} (needs {t.permission}, {r.description}): "
                                        f"{reason}", permission=t.permission)
        return None

    def available(self, actor: Actor | None, obj: Any) -> list[Transition]:
        """The transitions ``actor`` may make now on ``obj`` (state, permission and object rules;
        guards that depend on arguments are left to :meth:`apply`): the buttons a page shows."""
        state = self.state_of(obj)
        return [t for t in self.from_state(state) if self._who_refusal(actor, obj, t) is None]

    def can(self, actor: Actor | None, obj: Any, name: str) -> bool:
        return any(t.name == name for t in self.available(actor, obj))

    # -- checking and applying ------------------------------------------------------------------

    def check(self, actor: Actor | None, obj: Any, name: str, *, version: int | None = None,
              **kw: Any) -> Transition:
        """Raise the refusal :meth:`apply` would raise (see the module docstring), or return the
        transition. Changes nothing."""
        t = self.transition(name)
        state = self.state_of(obj)
        if state not in t.source:
            allowed = " or ".join(t.source)
            raise Conflict(f"cannot {t.name} the {self.noun}: it is {state} ({t.name} is allowed from {allowed})",
                           [FieldError(self.state_attr, state)])
        if version is not None and hasattr(obj, self.version_attr):
            current = getattr(obj, self.version_attr)
            if current is not None and int(version) != int(current):
                raise Conflict(f"cannot {t.name} the {self.noun}: it was changed by someone else (version "
                               f"{current}, you read {version}); reload it and try again",
                               [FieldError(self.version_attr, "stale")])
        refusal = self._who_refusal(actor, obj, t)
        if refusal is not None:
            raise refusal
        if t.guard is not None:
            problem = t.guard(obj, kw)
            if problem:
                fe = problem if isinstance(problem, FieldError) else FieldError(t.name, str(problem))
                raise ValidationFailed(f"cannot {t.name} the {self.noun}: {fe.message}", [fe])
        return t

    def apply(self, uow: "UnitOfWork", obj: Any, name: str, *, version: int | None = None, **kw: Any) -> Transition:
        """Make transition ``name`` on ``obj`` as ``uow.actor``: check (state, version, actor, guard),
        then change the object, flush and audit in ``uow`` (the caller commits). Returns the
        transition made. Objects that are not mapped (or a ``uow`` without a session) are changed
        in memory only (no flush, no audit entry; the event only where ``uow`` has ``on_commit``)."""
        actor = uow.actor
        t = self.check(actor, obj, name, version=version, **kw)
        before = self.state_of(obj)
        setattr(obj, self.state_attr, t.target)
        recorded: dict[str, Any] = {}
        by, at = t.record_by or self.record_by, t.record_at or self.record_at
        if by and hasattr(obj, by):
            setattr(obj, by, actor.name[:200])
            recorded[by] = actor.name[:200]
        if at and hasattr(obj, at):
            now = utcnow()
            setattr(obj, at, now)
            recorded[at] = now.isoformat()
        for arg, attr in t.assign.items():
            if arg in kw:
                v = kw[arg]
                if isinstance(v, str):
                    v = v.strip() or None
                setattr(obj, attr, v)
        if t.effect is not None:
            t.effect(obj, actor, kw)
        session = getattr(uow, "session", None)
        state = sa_inspect(obj, raiseerr=False)
        if session is not None and state is not None and getattr(state, "mapper", None) is not None:
            from setu.kit import audit

            if state.session is None:
                session.add(obj)
            audit.append_with_flush(session, [{
                "action": t.audit_action or f"{self.name}.{t.name}",
                "object_type": state.mapper.local_table.name,
                "object_id": str(getattr(obj, "id", "") or ""),
                "before": {self.state_attr: before},
                "after": {self.state_attr: t.target, "transition": t.name, **recorded},
            }])
        if t.event and hasattr(uow, "on_commit"):
            from setu.kit import events

            events.publish(uow, t.event, object_id=str(getattr(obj, "id", "") or ""), transition=t.name,
                           from_state=before, to_state=t.target)
        return t

    def describe(self) -> list[dict[str, Any]]:
        """The declaration as rows (for documentation pages and tests)."""
        return [{"transition": t.name, "from": list(t.source), "to": t.target, "permission": t.permission,
                 "who": [r.description for r in t.who],
                 "audit_action": t.audit_action or f"{self.name}.{t.name}", "event": t.event}
                for t in self.transitions.values()]
