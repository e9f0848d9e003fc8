"""Every transition of the order workflow, allowed and refused, by state and by actor: the supplier
the order is addressed to quotes, acknowledges, dispatches and invoices; an organisation of the
buyer's party (its HQ, depots, bases) places, amends, receives, accepts, pays and closes; nobody else
(another supplier, a JV that is not the supplier, a viewer, a programme office, the wrong role)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

import pytest

import setu.orders.policies  # noqa: F401  (declares the permissions)
from setu.kit.access import Actor
from setu.kit.errors import Conflict, PermissionDenied, ValidationFailed
from setu.orders.rules import BUYER_STEPS, ORDER, STATES, SUPPLIER_STEPS

IND, RUS = uuid.uuid4(), uuid.uuid4()
DEPOT, BASE, HQ, OEM, OTHER_OEM, JV, EXPORT, SPO = (uuid.uuid4() for _ in range(8))

planner = Actor(name="ind.planner", party_id=IND, organisation_id=DEPOT, organisation_kind="depot", role="approver")
base_clerk = Actor(name="ind.base", party_id=IND, organisation_id=BASE, organisation_kind="base", role="clerk")
hq_viewer = Actor(name="ind.hq", party_id=IND, organisation_id=HQ, organisation_kind="armed_service_hq", role="viewer")
oem = Actor(name="rus.engineer", party_id=RUS, organisation_id=OEM, organisation_kind="oem", role="clerk")
other_oem = Actor(name="rus.other", party_id=RUS, organisation_id=OTHER_OEM, organisation_kind="oem", role="approver")
jv = Actor(name="ind.jv", party_id=IND, organisation_id=JV, organisation_kind="joint_venture", role="approver")
export = Actor(name="rus.export", party_id=RUS, organisation_id=EXPORT, organisation_kind="export_agency",
               role="approver")
spo = Actor(name="ind.leadership", party_id=IND, organisation_id=SPO, organisation_kind="programme_office",
            role="admin")
rus_hq = Actor(name="rus.support", party_id=RUS, organisation_id=uuid.uuid4(), organisation_kind="armed_service_hq",
               role="approver")


@dataclass
class Order:
    status: str
    supplier_org_id: uuid.UUID = OEM
    buyer_party_id: uuid.UUID = IND
    quote_valid_until: date | None = None
    version: int = 1
    extra: dict = field(default_factory=dict)


@dataclass
class InMemory:
    actor: Actor


ARGS = {"quote": {"promised_days": 90}, "decline": {"note": "not in production"},
        "reject": {"note": "price list changed"}, "amend": {"note": "quantity 4 instead of 5"},
        "cancel": {"note": "no longer needed"}, "invoice": {"invoice_number": "INV-1"},
        "pay": {"payment_reference": "PAY-1"}}
#: who may make each step, and who may not (besides everyone of the other side)
RIGHT = {n: oem for n in SUPPLIER_STEPS} | {n: planner for n in BUYER_STEPS}
#: steps a clerk of a base (clerk role) may make on the buyer's side: the receipt
CLERK_BUYER = {"receive", "receive_part"}

CASES = [(t.name, s) for t in ORDER.transitions.values() for s in STATES]


@pytest.mark.parametrize("name,state", CASES)
def test_each_transition_from_each_state(name, state):
    t = ORDER.transitions[name]
    order = Order(state)
    if state in t.source:
        ORDER.apply(InMemory(RIGHT[name]), order, name, **ARGS.get(name, {}))
        assert order.status == t.target
    else:
        with pytest.raises(Conflict, match=f"cannot {name} the order: it is {state}"):
            ORDER.check(RIGHT[name], order, name, **ARGS.get(name, {}))
        assert order.status == state


@pytest.mark.parametrize("name", sorted(SUPPLIER_STEPS | BUYER_STEPS))
def test_only_the_entitled_organisation_kind_party_and_role_may_make_each_step(name):
    t = ORDER.transitions[name]
    order = Order(t.source[0])
    assert ORDER.can(RIGHT[name], order, name)
    if name in SUPPLIER_STEPS:
        wrong = [other_oem, jv, export, planner, base_clerk, hq_viewer, spo, rus_hq]
    else:
        wrong = [oem, other_oem, jv, export, hq_viewer, spo, rus_hq] + ([] if name in CLERK_BUYER else [base_clerk])
    for actor in wrong:
        assert not ORDER.can(actor, order, name), actor.name
        with pytest.raises(PermissionDenied):
            ORDER.check(actor, order, name, **ARGS.get(name, {}))
    if name in CLERK_BUYER:
        assert ORDER.can(base_clerk, order, name)
    assert order.status == t.source[0]


def test_an_order_addressed_to_a_jv_or_the_export_agency_is_answered_by_it_alone():
    for supplier, actor in ((JV, jv), (EXPORT, export)):
        order = Order("rfq", supplier_org_id=supplier)
        assert ORDER.can(actor, order, "quote")
        assert not ORDER.can(oem, order, "quote")
        with pytest.raises(PermissionDenied, match="the organisation the order is addressed to"):
            ORDER.check(oem, order, "quote", promised_days=30)


def test_the_other_partys_forces_may_not_buy_on_an_order_of_this_party():
    order = Order("quoted")
    with pytest.raises(PermissionDenied, match="of the buyer's party"):
        ORDER.check(rus_hq, order, "place")


@pytest.mark.parametrize("name,args,field", [
    ("quote", {}, "promised_days"), ("quote", {"promised_days": 0}, "promised_days"),
    ("decline", {}, "note"), ("reject", {"note": "  "}, "note"), ("amend", {}, "note"),
    ("cancel", {}, "note"), ("invoice", {}, "invoice_number"), ("pay", {}, "payment_reference")])
def test_a_step_without_what_it_needs_is_refused_and_changes_nothing(name, args, field):
    t = ORDER.transitions[name]
    order = Order(t.source[0])
    with pytest.raises(ValidationFailed) as exc:
        ORDER.apply(InMemory(RIGHT[name]), order, name, **args)
    assert exc.value.errors[0].field == field
    assert order.status == t.source[0]


def test_an_expired_quotation_cannot_be_ordered():
    order = Order("quoted", quote_valid_until=date(2026, 1, 31))
    with pytest.raises(ValidationFailed, match="expired on 2026-01-31"):
        ORDER.check(planner, order, "place", today=date(2026, 2, 1))
    ORDER.check(planner, order, "place", today=date(2026, 1, 31))


def test_a_stale_version_is_refused():
    order = Order("ordered", version=3)
    with pytest.raises(Conflict, match="changed by someone else"):
        ORDER.check(oem, order, "acknowledge", version=2)


def test_terminal_states_lead_nowhere():
    for s in ("declined", "closed", "cancelled"):
        assert ORDER.terminal(s)
