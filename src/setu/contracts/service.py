"""Contracts use cases: draft a contract with its milestones, take it through its life (the
workflow of rules.py: audited, each step by an approver of a party to it, not its author), record
milestones and deliveries reached, and the portfolio in a chosen currency.

Portfolio arithmetic (setu.finance.service.convert_total): each contract's value is converted at
the rate of its own date (the signature date, else the date the value was stated on), each
delivery reached at the rate of its actual date; every conversion is rounded once, to the target
currency's minor unit, and every total is the exact sum of its converted lines. The total covers
every contract except terminated ones; ``by_status`` shows the terminated ones beside it.
Services never commit.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from setu.contracts import repository as repo
from setu.contracts.models import Contract, ContractEquipment, Milestone
from setu.contracts.policies import CREATE, DECIDE, READ, RECORD
from setu.contracts.rules import CONTRACT, KINDS, STATE_LABELS
from setu.contracts.schemas import ContractCreate, MilestoneIn, MilestoneRecord
from setu.finance import service as finance
from setu.kit.access import OBJECT_RULES, Actor, require
from setu.kit.crud import flush, get_or_404
from setu.kit.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork

#: States whose milestones count as overdue when their planned date has passed unreached.
RUNNING = ("signed", "in_force")


def visible(actor: Actor, c: Contract) -> bool:
    return actor.sees_all_parties or (actor.party_id is not None
                                      and actor.party_id in (c.operator_party_id, c.origin_party_id))


def get_contract(uow: UnitOfWork, *, contract_id: uuid.UUID) -> Contract:
    require(uow.actor, READ)
    c = get_or_404(uow.session, Contract, contract_id, "contract")
    if not visible(uow.actor, c):
        raise NotFound("contract not found")
    return c


def list_contracts(uow: UnitOfWork, *, kind: str | None = None, status: str | None = None) -> list[Contract]:
    require(uow.actor, READ)
    if kind and kind not in KINDS:
        raise ValidationFailed(f"{kind!r} is not a contract kind", [FieldError("kind", f"one of {', '.join(KINDS)}")])
    if status and status not in STATE_LABELS:
        raise ValidationFailed(f"{status!r} is not a contract state",
                               [FieldError("status", f"one of {', '.join(STATE_LABELS)}")])
    return repo.contracts(uow.session, uow.actor, kind=kind, status=status)


def _milestone(contract_id: uuid.UUID, m: MilestoneIn) -> Milestone:
    return Milestone(contract_id=contract_id, kind=m.kind, name=m.name, quantity=m.quantity,
                     planned_on=m.planned_on, planned_value=m.planned_value)


def create_contract(uow: UnitOfWork, *, data: ContractCreate) -> Contract:
    """Draft a contract; the actor's party must be one of its two parties."""
    actor = require(uow.actor, CREATE)
    s = uow.session
    from setu.identity.models import Organisation, Party

    errors = []
    if data.operator_party_id == data.origin_party_id:
        errors.append(FieldError("origin_party_id", "the origin party must differ from the operator party"))
    for f in ("operator_party_id", "origin_party_id"):
        if s.get(Party, getattr(data, f)) is None:
            errors.append(FieldError(f, "no such party"))
    if data.supplier_organisation_id is not None:
        org = s.get(Organisation, data.supplier_organisation_id)
        if org is None or org.party_id not in (data.operator_party_id, data.origin_party_id):
            errors.append(FieldError("supplier_organisation_id", "no such organisation of either party"))
    from setu.catalog.models import EquipmentType

    for k, et in enumerate(data.equipment_type_ids):
        if s.get(EquipmentType, et) is None:
            errors.append(FieldError(f"equipment_type_ids[{k}]", "no such equipment type"))
    if errors:
        raise ValidationFailed("contract", errors)
    if not actor.system and actor.party_id not in (data.operator_party_id, data.origin_party_id):
        raise PermissionDenied(f"{actor.name} is not of a party to this contract", permission=CREATE)
    if repo.by_number(s, data.number) is not None:
        raise Conflict(f"a contract numbered {data.number} exists", [FieldError("number", "is taken")])
    c = Contract(number=data.number, title=data.title, kind=data.kind, operator_party_id=data.operator_party_id,
                 origin_party_id=data.origin_party_id, supplier_organisation_id=data.supplier_organisation_id,
                 value=data.value, currency=data.currency, value_date=data.value_date, status=CONTRACT.initial,
                 tot_packages=list(data.tot_packages), created_by=actor.name[:200])
    s.add(c)
    flush(s, "contract", {"number": "number"})
    for et in dict.fromkeys(data.equipment_type_ids):
        s.add(ContractEquipment(contract_id=c.id, equipment_type_id=et))
    for m in data.milestones:
        s.add(_milestone(c.id, m))
    flush(s, "milestone")
    return c


def add_milestone(uow: UnitOfWork, *, contract_id: uuid.UUID, data: MilestoneIn) -> Milestone:
    """Add a milestone or delivery to a contract not yet completed or terminated."""
    require(uow.actor, CREATE)
    c = get_contract(uow, contract_id=contract_id)
    if c.status in ("completed", "terminated"):
        raise Conflict(f"the contract is {c.status}: its milestones are closed", [FieldError("status", c.status)])
    m = _milestone(c.id, data)
    uow.session.add(m)
    flush(uow.session, "milestone")
    return m


def record_milestone(uow: UnitOfWork, *, milestone_id: uuid.UUID, data: MilestoneRecord) -> Milestone:
    """Record a milestone or delivery reached: its actual date and value (audited through the row's
    update), for a contract signed or in force."""
    require(uow.actor, RECORD)
    m = get_or_404(uow.session, Milestone, milestone_id, "milestone")
    c = get_contract(uow, contract_id=m.contract_id)
    if c.status not in RUNNING:
        raise Conflict(f"the contract is {STATE_LABELS[c.status].lower()}: milestones are recorded while it is "
                       "signed or in force", [FieldError("status", c.status)])
    if data.actual_on > date.today():
        raise ValidationFailed("milestone", [FieldError("actual_on", "may not be in the future")])
    m.actual_on, m.actual_value, m.recorded_by = data.actual_on, data.actual_value, uow.actor.name[:200]
    flush(uow.session, "milestone")
    return m


def step(uow: UnitOfWork, *, contract_id: uuid.UUID, transition: str, signed_on: date | None = None,
         note: str | None = None, version: int | None = None) -> Contract:
    """Take one step of the contract's life (sign, bring_into_force, complete, terminate)."""
    c = get_contract(uow, contract_id=contract_id)
    open_ = sum(1 for m in repo.milestones(uow.session, [c.id]) if m.actual_on is None)
    CONTRACT.apply(uow, c, transition, version=version, signed_on=signed_on, note=note, open_milestones=open_)
    return c


def available_steps(actor: Actor, c: Contract) -> list:
    return CONTRACT.available(actor, c)


def may_record(actor: Actor, c: Contract) -> bool:
    return actor.can(RECORD) and c.status in RUNNING and OBJECT_RULES["party_to"](
        actor, parties=(c.operator_party_id, c.origin_party_id))


# -- the portfolio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int
    total: Decimal


@dataclass
class Portfolio:
    currency: str
    total: Decimal
    contracts: int
    delivered: Decimal
    delivered_share: Decimal
    as_of: date
    by_kind: list[Bucket]
    by_status: list[Bucket]
    by_party: list[Bucket]
    by_supplier: list[Bucket]
    overdue: list[dict[str, Any]]
    rates: list[dict[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)


def value_date(c: Contract) -> date:
    """The date a contract's value is converted at: its signature date, else its value date."""
    return c.signed_on or c.value_date


def _buckets(pairs: list[tuple[str, str, Decimal]], order: list[str] | None = None) -> list[Bucket]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for key, label, amount in pairs:
        totals[key] += amount
        counts[key] += 1
        labels[key] = label
    keys = [k for k in (order or []) if k in totals] or sorted(totals, key=lambda k: -totals[k])
    return [Bucket(k, labels[k], counts[k], totals[k]) for k in keys]


def portfolio(uow: UnitOfWork, *, currency: str = "USD", as_of: date | None = None,
              contracts: list[Contract] | None = None) -> Portfolio:
    """The portfolio of the contracts the actor sees, in ``currency`` (see the module docstring)."""
    require(uow.actor, READ)
    today = as_of or date.today()
    cs = contracts if contracts is not None else repo.contracts(uow.session, uow.actor)
    conv = finance.convert_total(uow, [(c.value, c.currency, value_date(c)) for c in cs], currency)
    cur = conv.currency
    parties, orgs = repo.names(uow.session)
    ms = repo.milestones(uow.session, [c.id for c in cs])
    by_id = {c.id: c for c in cs}
    reached = [m for m in ms if m.kind == "delivery" and m.actual_on is not None and m.actual_value is not None
               and by_id[m.contract_id].status != "terminated"]
    dconv = finance.convert_total(uow, [(m.actual_value, by_id[m.contract_id].currency, m.actual_on)
                                        for m in reached], cur)
    live = [(c, line) for c, line in zip(cs, conv.lines) if c.status != "terminated"]
    total = sum((line.converted for _, line in live), Decimal(0)).quantize(finance.minor_unit(cur))
    rates: dict[tuple, dict[str, Any]] = {}
    for line in (*conv.lines, *dconv.lines):
        k = (line.currency, line.to_currency, line.rate_date, line.on) if line.rate_date else (line.currency,)
        if k in rates:
            rates[k]["lines"] += 1
        else:
            rates[k] = {"from_currency": line.currency, "to_currency": line.to_currency, "rate": line.rate,
                        "rate_date": line.rate_date, "on": line.on, "lines": 1}

    def supplier(c: Contract) -> tuple[str, str, str]:
        name, pid = orgs.get(c.supplier_organisation_id, (None, None))
        party = parties.get(pid) or parties.get(c.origin_party_id, "")
        return str(c.supplier_organisation_id or ""), name or "—", party

    overdue = []
    for m in ms:
        c = by_id[m.contract_id]
        if m.actual_on is None and m.planned_on < today and c.status in RUNNING:
            overdue.append({"contract_id": c.id, "contract_number": c.number, "kind": m.kind, "name": m.name,
                            "planned_on": m.planned_on, "planned_value": m.planned_value, "currency": c.currency,
                            "days_overdue": (today - m.planned_on).days})
    overdue.sort(key=lambda o: -o["days_overdue"])
    rows = [{"c": c, "converted": line.converted, "rate": line.rate, "rate_date": line.rate_date,
             "supplier": supplier(c)[1], "supplier_party": supplier(c)[2]} for c, line in zip(cs, conv.lines)]
    timeline = [{"contract": by_id[m.contract_id].number, "name": m.name, "planned_on": m.planned_on,
                 "actual_on": m.actual_on, "kind": m.kind} for m in ms if m.kind == "delivery"]
    delivered = dconv.total
    return Portfolio(
        currency=cur, total=total, contracts=len(live), delivered=delivered,
        delivered_share=(delivered / total).quantize(Decimal("0.0001")) if total else Decimal(0), as_of=today,
        by_kind=_buckets([(c.kind, KINDS[c.kind], line.converted) for c, line in live], list(KINDS)),
        by_status=_buckets([(c.status, STATE_LABELS[c.status], line.converted) for c, line in zip(cs, conv.lines)],
                           list(STATE_LABELS)),
        by_party=_buckets([(supplier(c)[2], f"Supplied from {supplier(c)[2]}", line.converted) for c, line in live]),
        by_supplier=_buckets([(supplier(c)[0], supplier(c)[1], line.converted) for c, line in live]),
        overdue=overdue, rates=sorted(rates.values(), key=lambda r: (r["from_currency"], r["on"])),
        rows=rows, timeline=timeline)


def contract_detail(uow: UnitOfWork, *, contract_id: uuid.UUID, currency: str | None = None) -> dict[str, Any]:
    c = get_contract(uow, contract_id=contract_id)
    ms = repo.milestones(uow.session, [c.id])
    parties, orgs = repo.names(uow.session)
    out: dict[str, Any] = {"c": c, "milestones": ms, "equipment": repo.equipment(uow.session, c.id),
                           "operator": parties.get(c.operator_party_id, ""), "origin": parties.get(c.origin_party_id, ""),
                           "supplier": orgs.get(c.supplier_organisation_id, ("—", None))[0],
                           "today": date.today(), "converted": None}
    if currency and currency.upper() != c.currency:
        out["converted"] = finance.convert(uow, c.value, c.currency, currency, value_date(c))
    return out
