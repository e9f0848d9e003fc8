"""After-sales use cases: raise a ticket against an equipment unit, move it through the ticket
workflow (:data:`setu.aftersales.rules.TICKET`, audited), and compute its SLA clocks from the stored
event history with the real time. Services never commit."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from setu.aftersales import repository as repo
from setu.aftersales import rules
from setu.aftersales.models import Ticket, TicketEscalation, TicketEvent
from setu.fleet import service as fleet
from setu.identity import service as identity
from setu.kit import jobs
from setu.kit.access import require, system_actor
from setu.kit.db import utcnow
from setu.kit.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from setu.kit.listing import Page, paginate
from setu.kit.timestamps import as_utc
from setu.kit.uow import UnitOfWork, transaction
from setu.notifications import service as notifications

#: Organisation kinds a ticket may be addressed to.
SUPPLIER_KINDS = ("oem", "joint_venture", "export_agency")

#: The installation's SLA policies (hours, around the clock), one per priority; ranked so that a
#: type-specific policy (lower rank) could override them.
POLICIES: tuple[rules.SlaPolicy, ...] = (
    rules.SlaPolicy("critical 24x7", 10, {"acknowledge": 2, "respond": 8, "restore": 72},
                    priorities=frozenset({"critical"})),
    rules.SlaPolicy("urgent 24x7", 20, {"acknowledge": 8, "respond": 24, "restore": 168},
                    priorities=frozenset({"urgent"})),
    rules.SlaPolicy("routine 24x7", 30, {"acknowledge": 24, "respond": 72, "restore": 720},
                    priorities=frozenset({"routine"})),
)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [FieldError(field, message)])


def list_tickets(uow: UnitOfWork, *, status: str | None = None, supplier_org_id: uuid.UUID | None = None,
                 sort: str | None = None, cursor: str | None = None, limit: int = 50) -> Page[Ticket]:
    require(uow.actor, rules.READ)
    return paginate(uow.session, repo.tickets(uow.actor, status=status, supplier_org_id=supplier_org_id),
                    model=Ticket, sortable=repo.TICKET_SORT, sort=sort, cursor=cursor, limit=limit)


def get_ticket(uow: UnitOfWork, *, ticket_id: Any, for_update: bool = False) -> Ticket:
    """A ticket the actor may see; any other (another party's, a JV not addressed) is 404, as missing."""
    require(uow.actor, rules.READ)
    try:
        key = ticket_id if isinstance(ticket_id, uuid.UUID) else uuid.UUID(str(ticket_id))
    except ValueError:
        raise NotFound(f"ticket {ticket_id} not found") from None
    row = repo.ticket(uow.session, uow.actor, key, for_update=for_update)
    if row is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return row


def _event(uow: UnitOfWork, ticket: Ticket, kind: str, *, at: datetime | None = None, note: str | None = None,
           **data: Any) -> TicketEvent:
    ev = TicketEvent(ticket_id=ticket.id, at=at or utcnow(), kind=kind, actor=uow.actor.name[:200], note=note,
                     state=data.get("state"), priority=data.get("priority"), ticket_type=data.get("type"),
                     reason=data.get("reason"))
    repo.add_event(uow.session, ev)
    return ev


def raise_ticket(uow: UnitOfWork, *, equipment_unit_id: uuid.UUID, supplier_org_id: uuid.UUID, type: str,
                 title: str, description: str | None = None, priority: str | None = None,
                 essentiality: int | None = None) -> Ticket:
    """Raise a ticket as the actor's organisation. Refused (422 naming the field, nothing stored):
    a unit the actor may not see (as a missing one), an organisation that is not an OEM, JV or export
    agency, an unknown type or priority, an empty title."""
    actor = require(uow.actor, rules.CREATE)
    if actor.organisation_id is None or actor.party_id is None:
        raise _invalid("supplier_org_id", "only a member of an organisation raises tickets")
    errors: list[FieldError] = []
    try:
        unit = fleet.get_equipment_unit(uow, unit_id=equipment_unit_id)
    except NotFound:
        unit = None
        errors.append(FieldError("equipment_unit_id", f"no equipment unit {equipment_unit_id} that you may see"))
    try:
        supplier = identity.get_organisation(uow, organisation_id=supplier_org_id)
    except NotFound:
        supplier = None
        errors.append(FieldError("supplier_org_id", f"no organisation {supplier_org_id}"))
    if supplier is not None and supplier.kind not in SUPPLIER_KINDS:
        errors.append(FieldError("supplier_org_id", f"{supplier.code} is a {supplier.kind}; a ticket is addressed "
                                 f"to one of: {', '.join(SUPPLIER_KINDS)}"))
    if supplier is not None and supplier.id == actor.organisation_id:
        errors.append(FieldError("supplier_org_id", "a ticket is addressed to another organisation than your own"))
    if type not in rules.TYPES:
        errors.append(FieldError("type", f"must be one of: {', '.join(rules.TYPES)}"))
    if priority is not None and priority not in rules.PRIORITIES:
        errors.append(FieldError("priority", f"must be one of: {', '.join(rules.PRIORITIES)}"))
    title = (title or "").strip()
    if not title:
        errors.append(FieldError("title", "must not be empty"))
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    assert unit is not None and supplier is not None
    status = "down" if (unit.status or "").startswith("down") else unit.status
    prio = priority or rules.default_priority(status, essentiality)
    t = Ticket(equipment_unit_id=unit.id, unit_serial=unit.serial, supplier_org_id=supplier.id, supplier_party_id=supplier.party_id,
               raised_by_org_id=actor.organisation_id, party_id=actor.party_id, type=type, priority=prio,
               status=rules.TICKET.initial, title=title, description=(description or "").strip() or None,
               created_by=actor.name[:200])
    uow.session.add(t)
    uow.session.flush()
    # the insert is audited by the audit hook (aftersales_ticket.insert)
    _event(uow, t, "created", at=as_utc(t.created_at), type=type, priority=prio)
    notifications.notify_organisation(
        uow, supplier.id, "assignment", f"New {prio} ticket from {_org_code(uow, actor.organisation_id)}: {title} "
        f"(unit {unit.serial})", f"/tickets/{t.id}", body=t.description)
    return t


def _org_code(uow: UnitOfWork, org_id: uuid.UUID) -> str:
    try:
        return identity.get_organisation(uow, organisation_id=org_id).code
    except (NotFound, PermissionDenied):
        return "another organisation"


#: the supplier's steps the raiser is told of
_TOLD_TO_RAISER = {"acknowledged": "acknowledged", "quoted": "quoted", "in_work": "in work", "on_hold": "put on hold",
                   "resolved": "resolved"}


def transition(uow: UnitOfWork, *, ticket_id: Any, action: str, note: str | None = None,
               reason: str | None = None, version: int | None = None) -> Ticket:
    """Make ``action`` on the ticket (:data:`rules.TICKET`): a ticket not visible is 404; a wrong
    state or a stale ``version`` 409; the wrong organisation or a missing permission 403; a missing
    note or reason 422. The step is audited and recorded in the ticket's history."""
    t = get_ticket(uow, ticket_id=ticket_id, for_update=True)
    kw: dict[str, Any] = {}
    if note is not None:
        kw["note"] = note
    if reason is not None:
        kw["reason"] = reason
    made = rules.TICKET.apply(uow, t, action, version=version, **kw)
    if made.target != "on_hold" and t.hold_reason is not None:
        t.hold_reason = None
        uow.session.flush()
    _event(uow, t, "state", state=made.target, reason=reason if made.target == "on_hold" else None,
           note=(note or "").strip() or None)
    if made.target in _TOLD_TO_RAISER and uow.actor.organisation_id != t.raised_by_org_id:
        said = f": {note.strip()}" if note and note.strip() else ""
        notifications.notify_user_named(
            uow, t.created_by, "ticket_update",
            f"{_org_code(uow, t.supplier_org_id)} {_TOLD_TO_RAISER[made.target]} ticket '{t.title}'{said}"[:300],
            f"/tickets/{t.id}")
    return t


def unit_id_seen(uow: UnitOfWork, ticket: Ticket) -> uuid.UUID | None:
    """The ticket's unit id when the actor may see the unit (its site); else None (a supplier is
    told the serial, not given the operator's fleet record)."""
    try:
        return fleet.get_equipment_unit(uow, unit_id=ticket.equipment_unit_id).id
    except (NotFound, PermissionDenied):
        return None


def actions(uow: UnitOfWork, ticket: Ticket) -> list[str]:
    """The transitions the actor may make on the ticket now (the pages show only these)."""
    return [tr.name for tr in rules.TICKET.available(uow.actor, ticket)]


def _rule_events(rows: Sequence[TicketEvent]) -> list[rules.Event]:
    out = []
    for e in rows:
        data: dict[str, Any] = {}
        if e.kind == "created":
            data = {"type": e.ticket_type, "priority": e.priority}
        elif e.kind == "priority":
            data = {"priority": e.priority}
        elif e.kind == "state":
            data = {"state": e.state, "reason": e.reason}
        out.append(rules.Event(as_utc(e.at), e.kind, data))
    return out


def history(uow: UnitOfWork, ticket: Ticket) -> list[TicketEvent]:
    return repo.events(uow.session, [ticket.id])[ticket.id]


def sla(uow: UnitOfWork, ticket: Ticket, *, now: datetime | None = None) -> dict[str, rules.Clock]:
    """The ticket's clocks at ``now`` (default: the real time), from its stored history."""
    return rules.sla_clock(_rule_events(history(uow, ticket)), POLICIES, now or utcnow())


@dataclass(frozen=True)
class TicketLine:
    """One ticket as the CLI and the queue list it, with its clocks now."""

    id: str
    title: str
    type: str
    priority: str
    status: str
    supplier: str
    unit: str
    clocks: dict[str, rules.Clock]
    #: resolved as "no fault found" (the resolution note starts so)
    no_fault_found: bool = False


def ticket_lines(uow: UnitOfWork, *, now: datetime | None = None) -> list[TicketLine]:
    require(uow.actor, rules.READ)
    rows = repo.all_tickets(uow.session, uow.actor)
    evs = repo.events(uow.session, [t.id for t in rows])
    at = now or utcnow()
    orgs: dict[uuid.UUID, str] = {}
    out = []
    for t in rows:
        if t.supplier_org_id not in orgs:
            orgs[t.supplier_org_id] = identity.get_organisation(uow, organisation_id=t.supplier_org_id).code
        out.append(TicketLine(str(t.id), t.title, t.type, t.priority, t.status, orgs[t.supplier_org_id],
                              t.unit_serial,
                              rules.sla_clock(_rule_events(evs[t.id]), POLICIES, at),
                              (t.resolution or "").lower().startswith("no fault found")))
    return out


def sla_report(uow: UnitOfWork, *, now: datetime | None = None) -> dict[str, dict[str, float | int | None]]:
    """Per supplier organisation (code): compliance, breaches, mean hours to acknowledge and to
    restore, no-fault-found rate (:func:`rules.supplier_metrics`) over the tickets the actor sees."""
    lines = ticket_lines(uow, now=now)
    return rules.supplier_metrics(rules.TicketOutcome(ln.supplier, ln.clocks, ln.no_fault_found) for ln in lines)


# -- escalation -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Escalation:
    ticket_id: str
    commitment: str
    level: int
    percent: float


def escalate(uow: UnitOfWork, *, now: datetime | None = None) -> list[Escalation]:
    """Raise the escalations due at ``now`` (default: the real time): for every open ticket and
    commitment whose clock has reached 50, 75 or 100 % of its target
    (:func:`rules.sla_clock`, levels sticky), one :class:`TicketEscalation` row per level, raised
    once however often the sweep runs. 50 and 75 %: an SLA warning to the supplier's members;
    100 %: a breach, to the supplier's members and the ticket's raiser. Runs as the system actor
    (the periodic task) or anyone who sees the tickets (their own tickets only)."""
    require(uow.actor, rules.READ)
    at = now or utcnow()
    rows = [t for t in repo.all_tickets(uow.session, uow.actor) if t.status not in rules.CLOSED_STATES]
    if not rows:
        return []
    evs = repo.events(uow.session, [t.id for t in rows])
    done = repo.escalations(uow.session, [t.id for t in rows])
    out: list[Escalation] = []
    for t in rows:
        clocks = rules.sla_clock(_rule_events(evs[t.id]), POLICIES, at)
        for c in clocks.values():
            for level in c.levels:
                if (t.id, c.commitment, level) in done:
                    continue
                uow.session.add(TicketEscalation(ticket_id=t.id, commitment=c.commitment, level=level, raised_at=at,
                                                 percent=float(c.percent or 0.0)))
                done.add((t.id, c.commitment, level))
                out.append(Escalation(str(t.id), c.commitment, level, float(c.percent or 0.0)))
                link = f"/tickets/{t.id}"
                if level >= 100:
                    title = (f"SLA breached: {c.commitment} target of {c.target_hours:g} h on {t.priority} ticket "
                             f"'{t.title}' (unit {t.unit_serial})")
                    notifications.notify_organisation(uow, t.supplier_org_id, "sla_breach", title, link)
                    notifications.notify_user_named(uow, t.created_by, "sla_breach", title, link)
                else:
                    title = (f"SLA warning: {c.commitment} clock at {level} % of {c.target_hours:g} h on "
                             f"{t.priority} ticket '{t.title}' (unit {t.unit_serial})")
                    notifications.notify_organisation(uow, t.supplier_org_id, "sla_warning", title, link)
    uow.session.flush()
    return out


def escalations(uow: UnitOfWork, ticket: Ticket) -> list[TicketEscalation]:
    return repo.escalation_rows(uow.session, ticket.id)


@jobs.periodic("aftersales.sla.escalate", every_s=60)
def escalation_sweep(engine, now: datetime) -> dict:
    """The periodic task (:func:`setu.kit.jobs.tick`): one short write unit of work as the system actor."""
    with transaction(system_actor("aftersales.sla.escalate"), engine=engine) as uow:
        raised = escalate(uow, now=now)
    return {"raised": len(raised)}


# -- raise form choices, comments, attachments, order links --------------------------------------

def raise_choices(uow: UnitOfWork) -> dict[str, list]:
    """What the raise form offers: the units the actor sees and the organisations a ticket may be
    addressed to (OEMs, JVs, export agencies)."""
    require(uow.actor, rules.CREATE)
    units = fleet.list_equipment_units(uow, sort="serial", limit=500).items
    orgs = [o for kind in SUPPLIER_KINDS
            for o in identity.list_organisations(uow, kind=kind, limit=500).items
            if o.id != uow.actor.organisation_id]
    return {"units": list(units), "suppliers": sorted(orgs, key=lambda o: o.code)}


def _party_to(uow: UnitOfWork, t: Ticket) -> None:
    """Only the raising or the addressed organisation (or the system) writes on a ticket."""
    a = uow.actor
    if not (a.system or a.organisation_id in (t.raised_by_org_id, t.supplier_org_id)):
        raise PermissionDenied("only the organisation that raised the ticket or the one it is addressed to may "
                               "comment on it or link orders to it", permission=rules.UPDATE)


#: content types an attachment may have, and how its first bytes must look
ATTACHMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "text/plain": (),
    "text/csv": (),
}


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def _check_upload(up: Upload) -> list[FieldError]:
    from setu.kit.settings import get_settings

    limit = get_settings().attachment_max_bytes
    ctype = (up.content_type or "").split(";")[0].strip().lower()
    if not up.data:
        return [FieldError("file", "the file is empty")]
    if len(up.data) > limit:
        return [FieldError("file", f"{len(up.data)} bytes is more than the {limit} bytes an attachment may have")]
    if ctype not in ATTACHMENT_TYPES:
        return [FieldError("file", f"content type {ctype or 'unknown'} is not accepted; one of: "
                           f"{', '.join(ATTACHMENT_TYPES)}")]
    magic = ATTACHMENT_TYPES[ctype]
    if magic and not any(up.data.startswith(m) for m in magic):
        return [FieldError("file", f"the file's content is not {ctype}")]
    if not magic:
        try:
            up.data.decode("utf-8")
        except UnicodeDecodeError:
            return [FieldError("file", f"a {ctype} file must be UTF-8 text")]
    return []


def _attachment_dir():
    from pathlib import Path

    from setu.kit.settings import get_settings

    return Path(get_settings().data_dir) / "attachments"


def add_comment(uow: UnitOfWork, *, ticket_id: Any, body: str, upload: Upload | None = None):
    """A comment (and optionally one attached file) by the raiser or the supplier; the other side is
    notified. Refused (422, nothing stored): an empty comment, a file too large, of a content type
    not accepted, or whose content does not match its type."""
    import hashlib
    import os

    from setu.aftersales.models import TicketAttachment, TicketComment

    require(uow.actor, rules.UPDATE)
    t = get_ticket(uow, ticket_id=ticket_id, for_update=True)
    _party_to(uow, t)
    errors = []
    text = (body or "").strip()
    if not text:
        errors.append(FieldError("body", "must not be empty"))
    if upload is not None:
        errors += _check_upload(upload)
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    now = utcnow()
    c = TicketComment(ticket_id=t.id, at=now, author=uow.actor.name[:200], author_org_id=uow.actor.organisation_id,
                      body=text)
    uow.session.add(c)
    uow.session.flush()
    if upload is not None:
        digest = hashlib.sha256(upload.data).hexdigest()
        folder = _attachment_dir()
        path = folder / digest
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{digest}.{uuid.uuid4().hex}"
            tmp.write_bytes(upload.data)
            os.replace(tmp, path)  # content-addressed: a rollback leaves at most an unreferenced file
        name = os.path.basename(upload.filename or "file").strip()[:200] or "file"
        uow.session.add(TicketAttachment(ticket_id=t.id, comment_id=c.id, at=now, uploaded_by=uow.actor.name[:200],
                                         filename=name, content_type=upload.content_type.split(";")[0].strip().lower(),
                                         size_bytes=len(upload.data), sha256=digest))
        uow.session.flush()
    title = f"Comment on ticket '{t.title}' by {uow.actor.name}: {text}"[:300]
    if uow.actor.organisation_id == t.supplier_org_id:
        notifications.notify_user_named(uow, t.created_by, "ticket_update", title, f"/tickets/{t.id}")
    else:
        notifications.notify_organisation(uow, t.supplier_org_id, "ticket_update", title, f"/tickets/{t.id}",
                                          except_user=uow.actor.user_id)
    return c


def comments(uow: UnitOfWork, ticket: Ticket) -> list[dict]:
    files: dict[Any, list] = {}
    for a in repo.attachments(uow.session, ticket.id):
        files.setdefault(a.comment_id, []).append(a)
    return [{"comment": c, "files": files.get(c.id, [])} for c in repo.comments(uow.session, ticket.id)]


def attachment(uow: UnitOfWork, *, ticket_id: Any, attachment_id: Any) -> tuple[Any, bytes]:
    """An attachment of a ticket the actor sees, with its bytes (another ticket's: 404)."""
    from setu.aftersales.models import TicketAttachment

    t = get_ticket(uow, ticket_id=ticket_id)
    try:
        key = uuid.UUID(str(attachment_id))
    except ValueError:
        raise NotFound(f"attachment {attachment_id} not found") from None
    a = uow.session.get(TicketAttachment, key)
    if a is None or a.ticket_id != t.id:
        raise NotFound(f"attachment {attachment_id} not found")
    path = _attachment_dir() / a.sha256
    if not path.is_file():
        raise NotFound(f"the file of attachment {a.filename} is missing from the data folder")
    return a, path.read_bytes()


ORDER_REF = __import__("re").compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")


def link_order(uow: UnitOfWork, *, ticket_id: Any, order_ref: str, part_number: str | None = None):
    """Record that the ticket waits on the spares order ``order_ref`` (for the part awaited)."""
    from setu.aftersales.models import TicketOrderLink

    require(uow.actor, rules.UPDATE)
    t = get_ticket(uow, ticket_id=ticket_id, for_update=True)
    _party_to(uow, t)
    ref = (order_ref or "").strip()
    if not ORDER_REF.match(ref):
        raise _invalid("order_ref", "an order reference of letters, digits and / _ . - (at most 64)")
    if any(o.order_ref == ref for o in repo.order_links(uow.session, t.id)):
        raise _invalid("order_ref", f"order {ref} is already linked to this ticket")
    link = TicketOrderLink(ticket_id=t.id, order_ref=ref, part_number=(part_number or "").strip()[:64] or None,
                           at=utcnow(), added_by=uow.actor.name[:200])
    uow.session.add(link)
    uow.session.flush()
    return link


def order_links(uow: UnitOfWork, ticket: Ticket) -> list:
    return repo.order_links(uow.session, ticket.id)
