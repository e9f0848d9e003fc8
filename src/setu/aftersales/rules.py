"""After-sales rules (pure: no database): the ticket workflow, the default priority and the SLA clock.

Ticket workflow (domain rules section 5, after ServiceNow FSM and SAP PM/CS)::

    new -> acknowledged -> (quoted -> approved) -> in_work -> resolved -> closed_complete
                                                                       | closed_incomplete
    any open state -> on_hold (reason) -> back to the state it left;  new/acknowledged/... -> cancelled

The supplier the ticket is addressed to (``supplier_org_id``) acknowledges, quotes, starts work,
holds and resolves; the raising organisation (``raised_by_org_id``) approves a quote, closes,
reopens or cancels. Anyone else is refused (403) even with the permission.

SLA clock (ServiceNow task SLA conditions start / pause / resume / stop / reset and retroactive
start; Odoo sticky failure and excluded stages; Maximo calendars, ranking and escalations): the clock
is the pure function :func:`sla_clock` of the ticket's event history and an instant ``now``, so it
can be recomputed at any time and tested with a frozen clock.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from setu.kit.workflow import Rule, Transition, Workflow, requires, rule

# -- vocabulary --------------------------------------------------------------------------------

TYPES = ("spares", "repair_exchange", "technical_query", "warranty_claim", "field_team_visit",
         "documentation_request")
PRIORITIES = ("critical", "urgent", "routine")          # critical = equipment down
#: the only reasons for which an on-hold ticket's clock pauses (never "awaiting_payment")
PAUSE_REASONS = ("awaiting_customer_information", "awaiting_customer_access", "awaiting_export_licence")
HOLD_REASONS = (*PAUSE_REASONS, "awaiting_payment", "awaiting_parts")
COMMITMENTS = ("acknowledge", "respond", "restore")
THRESHOLDS = (50, 75, 100)                               # escalation levels, percent of the target

OPEN_STATES = ("new", "acknowledged", "quoted", "approved", "in_work")
STATES = (*OPEN_STATES, "on_hold", "resolved", "closed_complete", "closed_incomplete", "cancelled")
CLOSED_STATES = ("closed_complete", "closed_incomplete", "cancelled")


def default_priority(unit_status: str | None, essentiality: int | None) -> str:
    """The priority a ticket gets unless its raiser chooses one: a unit that is down (not mission
    capable) for a part of essentiality 1 (no-go, S2000M essentiality code) is critical; a down unit
    or an essentiality-1 part on a working unit is urgent; anything else is routine."""
    down = (unit_status or "").lower() in {"down", "nmc", "not_mission_capable", "unserviceable"}
    vital = essentiality == 1
    if down and vital:
        return "critical"
    if down or vital:
        return "urgent"
    return "routine"


# -- the ticket workflow ---------------------------------------------------------------------------

READ, CREATE, UPDATE, APPROVE = ("aftersales.ticket.read", "aftersales.ticket.create",
                                 "aftersales.ticket.update", "aftersales.ticket.approve")


def _is_org(attr: str, description: str) -> Rule:
    return rule(description, lambda actor, obj: actor.system or (
        actor.organisation_id is not None and actor.organisation_id == getattr(obj, attr, None)))


SUPPLIER = _is_org("supplier_org_id", "the organisation the ticket is addressed to")
RAISER = _is_org("raised_by_org_id", "the organisation that raised the ticket")


def _check_reason(_obj: Any, kw: Mapping[str, Any]):
    from setu.kit.errors import FieldError

    reason = kw.get("reason")
    if reason not in HOLD_REASONS:
        return FieldError("reason", f"must be one of: {', '.join(HOLD_REASONS)}")
    return None


TICKET = Workflow(
    "aftersales.ticket", states=STATES, initial="new", state_attr="status", noun="ticket",
    transitions=[
        Transition("acknowledge", "new", "acknowledged", UPDATE, who=[SUPPLIER],
                   record_by="acknowledged_by", record_at="acknowledged_at", event="aftersales.ticket.acknowledged"),
        Transition("quote", "acknowledged", "quoted", UPDATE, who=[SUPPLIER],
                   guard=requires("note", "say what the quotation offers"), assign={"note": "last_answer"},
                   event="aftersales.ticket.quoted"),
        Transition("approve", "quoted", "approved", APPROVE, who=[RAISER], event="aftersales.ticket.approved"),
        Transition("start_work", ("acknowledged", "approved"), "in_work", UPDATE, who=[SUPPLIER],
                   event="aftersales.ticket.in_work", label="Start work"),
        Transition("hold", OPEN_STATES[1:], "on_hold", UPDATE, who=[SUPPLIER], guard=_check_reason,
                   assign={"reason": "hold_reason"}, event="aftersales.ticket.on_hold"),
        Transition("resume", "on_hold", "in_work", UPDATE, who=[SUPPLIER], assign={"reason": "hold_reason"},
                   event="aftersales.ticket.resumed"),
        Transition("resolve", ("in_work", "acknowledged"), "resolved", UPDATE, who=[SUPPLIER],
                   guard=requires("note", "say how the ticket was resolved"), assign={"note": "resolution"},
                   record_by="resolved_by", record_at="resolved_at", event="aftersales.ticket.resolved"),
        Transition("reopen", "resolved", "in_work", UPDATE, who=[RAISER],
                   guard=requires("note", "say why the ticket is reopened"), event="aftersales.ticket.reopened"),
        Transition("close_complete", "resolved", "closed_complete", UPDATE, who=[RAISER],
                   event="aftersales.ticket.closed", label="Close (complete)"),
        Transition("close_incomplete", "resolved", "closed_incomplete", UPDATE, who=[RAISER],
                   guard=requires("note", "say what was left undone"), event="aftersales.ticket.closed",
                   label="Close (incomplete)"),
        Transition("cancel", ("new", "acknowledged", "quoted", "approved", "on_hold"), "cancelled", UPDATE,
                   who=[RAISER], guard=requires("note", "say why the ticket is cancelled"),
                   event="aftersales.ticket.cancelled"),
    ])


# -- working-hours calendars -----------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (Monday = 0) in a time zone, and holidays (whole days off).
    ``hours`` maps a weekday to (start, end) local times; a weekday not in it is a day off."""

    name: str
    tz: str = "UTC"
    hours: Mapping[int, tuple[time, time]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def _windows(self, day: date) -> tuple[datetime, datetime] | None:
        if day in self.holidays or day.weekday() not in self.hours:
            return None
        start, end = self.hours[day.weekday()]
        z = ZoneInfo(self.tz)
        return datetime.combine(day, start, z), datetime.combine(day, end, z)

    def working_seconds(self, a: datetime, b: datetime) -> float:
        """Working seconds in [a, b) (0 when b <= a)."""
        if b <= a:
            return 0.0
        z = ZoneInfo(self.tz)
        day, last = a.astimezone(z).date() - timedelta(days=1), b.astimezone(z).date() + timedelta(days=1)
        total = 0.0
        while day <= last:
            w = self._windows(day)
            if w is not None:
                lo, hi = max(a, w[0]), min(b, w[1])
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add_working(self, a: datetime, seconds: float) -> datetime:
        """The instant at which ``seconds`` of working time after ``a`` have passed."""
        if seconds <= 0:
            return a
        z = ZoneInfo(self.tz)
        day = a.astimezone(z).date()
        left = seconds
        for _ in range(3660):                                # ten years of days at most
            w = self._windows(day)
            if w is not None:
                lo = max(a, w[0])
                if w[1] > lo:
                    span = (w[1] - lo).total_seconds()
                    if span >= left:
                        return lo + timedelta(seconds=left)
                    left -= span
            day += timedelta(days=1)
        raise ValueError(f"calendar {self.name}: no working time within ten years of {a.isoformat()}")


#: Round-the-clock: every second counts.
ALWAYS = None


def _elapsed(cal: Calendar | None, a: datetime, b: datetime) -> float:
    if cal is None:
        return max(0.0, (b - a).total_seconds())
    return cal.working_seconds(a, b)


def _forward(cal: Calendar | None, a: datetime, seconds: float) -> datetime:
    if cal is None:
        return a + timedelta(seconds=max(0.0, seconds))
    return cal.add_working(a, seconds)


# -- SLA policies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaPolicy:
    """Targets (hours, of the calendar's working time, or wall-clock when there is no calendar) for
    each commitment, for tickets of ``types`` and ``priorities`` (empty = any). Where several
    policies match, the lowest ``rank`` wins (Maximo ranking)."""

    name: str
    rank: int
    targets: Mapping[str, float]
    types: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    calendar: Calendar | None = None

    def matches(self, ticket_type: str, priority: str) -> bool:
        return (not self.types or ticket_type in self.types) and (not self.priorities or priority in self.priorities)


def choose_policy(policies: Iterable[SlaPolicy], ticket_type: str, priority: str) -> SlaPolicy | None:
    """The matching policy of lowest rank (ties: the first declared); None when none matches."""
    best: SlaPolicy | None = None
    for p in policies:
        if p.matches(ticket_type, priority) and (best is None or p.rank < best.rank):
            best = p
    return best


# -- the clock ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One entry of a ticket's history. ``kind``: ``created`` (data: type, priority), ``priority``
    (data: priority), ``state`` (data: state, reason for on_hold). The acknowledge commitment stops
    when the ticket leaves ``new``; respond when it is first quoted, in work or resolved; restore
    when it is resolved (a reopen resumes it, ServiceNow "reset" is not applied: elapsed time stays)."""

    at: datetime
    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)


STOPS = {"acknowledge": {"acknowledged", "quoted", "approved", "in_work", "resolved", "closed_complete",
                         "closed_incomplete"},
         "respond": {"quoted", "in_work", "resolved", "closed_complete", "closed_incomplete"},
         "restore": {"resolved", "closed_complete", "closed_incomplete"}}


@dataclass(frozen=True)
class Clock:
    """One commitment's clock at ``now``. ``stage``: in_progress / paused / completed / cancelled;
    ``elapsed_hours`` counts running working time only; ``percent`` of the target in force (after any
    retroactive re-evaluation); ``levels`` the escalation thresholds reached (sticky); ``breached``
    sticky; ``due_at`` where the clock would reach its target if it keeps running (None when stopped)."""

    commitment: str
    policy: str | None
    stage: str
    elapsed_hours: float
    target_hours: float | None
    percent: float | None
    levels: tuple[int, ...]
    breached: bool
    due_at: datetime | None
    next_escalation_at: datetime | None


def sla_clock(events: Sequence[Event], policies: Sequence[SlaPolicy], now: datetime) -> dict[str, Clock]:
    """Every commitment's clock for a ticket with this history at ``now`` (events after ``now`` are
    ignored: the clock as it stood then). Pure and deterministic."""
    evs = sorted((e for e in events if e.at <= now), key=lambda e: e.at)
    if not evs or evs[0].kind != "created":
        raise ValueError("a ticket's history starts with its 'created' event")
    ticket_type, priority = evs[0].data["type"], evs[0].data["priority"]
    out: dict[str, Clock] = {}
    for c in COMMITMENTS:
        out[c] = _one_clock(c, evs, policies, ticket_type, priority, now)
    return out


def _one_clock(c: str, evs: Sequence[Event], policies: Sequence[SlaPolicy], ticket_type: str, priority: str,
               now: datetime) -> Clock:
    policy = choose_policy(policies, ticket_type, priority)
    elapsed = 0.0
    stage = "in_progress"
    levels: set[int] = set()
    breached = False
    t = evs[0].at
    running: list[tuple[datetime, datetime]] = []

    def target() -> float | None:
        if policy is None or c not in policy.targets:
            return None
        return float(policy.targets[c]) * 3600.0

    def mark() -> None:
        nonlocal breached
        tg = target()
        if tg is None or tg <= 0:
            return
        for lvl in THRESHOLDS:
            if elapsed >= tg * lvl / 100.0 - 1e-9:
                levels.add(lvl)
        if 100 in levels:
            breached = True                                   # sticky: a breach stays a breach
    cal = policy.calendar if policy else None
    for e in evs[1:] + [Event(now, "now")]:
        if stage == "in_progress":
            running.append((t, e.at))
            elapsed += _elapsed(cal, t, e.at)
            mark()
        t = e.at
        if stage in ("completed", "cancelled"):
            continue
        if e.kind == "priority":
            priority = e.data["priority"]
            policy = choose_policy(policies, ticket_type, priority)   # retroactive: same elapsed, new target
            cal = policy.calendar if policy else None
            elapsed = sum(_elapsed(cal, a, b) for a, b in running)   # the new calendar, from the start
            mark()
        elif e.kind == "state":
            s = e.data["state"]
            if s in STOPS[c]:
                stage = "completed"
            elif s == "cancelled":
                stage = "cancelled"
            elif s == "on_hold":
                stage = "paused" if e.data.get("reason") in PAUSE_REASONS else "in_progress"
            else:
                stage = "in_progress"
    tg = target()
    cal = policy.calendar if policy else None
    due = nxt = None
    if stage == "in_progress" and tg is not None:
        due = _forward(cal, now, tg - elapsed) if elapsed < tg else None
        for lvl in THRESHOLDS:
            if lvl not in levels:
                nxt = _forward(cal, now, tg * lvl / 100.0 - elapsed)
                break
    return Clock(c, policy.name if policy else None, stage, round(elapsed / 3600.0, 6),
                 tg / 3600.0 if tg is not None else None,
                 round(100.0 * elapsed / tg, 3) if tg else None, tuple(sorted(levels)), breached, due, nxt)


UTC = timezone.utc


# -- supplier metrics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketOutcome:
    """What the metrics need of one ticket: its supplier, its clocks at the report instant, and
    whether the removed part was found without fault (no fault found)."""

    supplier: str
    clocks: Mapping[str, Clock]
    no_fault_found: bool = False


def supplier_metrics(outcomes: Iterable[TicketOutcome]) -> dict[str, dict[str, float | int | None]]:
    """Per supplier: ``tickets``; ``compliance`` = share of commitments with a target that are not
    breached (Odoo "SLA status analysis": success / (success + failed)); ``mean_acknowledge_hours``
    (MTTA) and ``mean_restore_hours`` (MTTR, the repair turnaround of restored tickets) over
    completed clocks, in SLA working hours; ``no_fault_found_rate`` = NFF tickets / tickets."""
    by: dict[str, list[TicketOutcome]] = {}
    for o in outcomes:
        by.setdefault(o.supplier, []).append(o)

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 3) if xs else None

    out: dict[str, dict[str, float | int | None]] = {}
    for supplier, items in sorted(by.items()):
        measured = [c for o in items for c in o.clocks.values() if c.target_hours is not None]
        ok = [c for c in measured if not c.breached]
        done = lambda k: [o.clocks[k].elapsed_hours for o in items  # noqa: E731
                          if k in o.clocks and o.clocks[k].stage == "completed"]
        out[supplier] = {
            "tickets": len(items),
            "compliance": round(len(ok) / len(measured), 4) if measured else None,
            "breaches": len(measured) - len(ok),
            "mean_acknowledge_hours": mean(done("acknowledge")),
            "mean_restore_hours": mean(done("restore")),
            "no_fault_found_rate": round(sum(o.no_fault_found for o in items) / len(items), 4),
        }
    return out
