"""Every transition of the ticket workflow, allowed and refused, by state and by actor: the supplier
the ticket is addressed to answers it, the raising organisation approves, closes and cancels, and
nobody else (not another supplier, not a viewer) may do either."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

import setu.aftersales.policies  # noqa: F401  (declares the permissions)
from setu.aftersales.rules import STATES, TICKET
from setu.kit.access import Actor
from setu.kit.errors import Conflict, PermissionDenied, ValidationFailed

IND, RUS = uuid.uuid4(), uuid.uuid4()
MAINT, OEM, JV, OTHER_JV = (uuid.uuid4() for _ in range(4))

officer = Actor(name="ind.maintenance", party_id=IND, organisation_id=MAINT, organisation_kind="unit", role="approver")
oem = Actor(name="rus.engineer", party_id=RUS, organisation_id=OEM, organisation_kind="oem", role="approver")
jv = Actor(name="ind.jv", party_id=IND, organisation_id=JV, organisation_kind="jv", role="approver")
other_jv = Actor(name="other.jv", party_id=IND, organisation_id=OTHER_JV, organisation_kind="jv", role="approver")
viewer = Actor(name="ind.leadership", party_id=IND, organisation_id=MAINT, organisation_kind="unit", role="viewer")


@dataclass
class Ticket:
    status: str
    supplier_org_id: uuid.UUID = OEM
    raised_by_org_id: uuid.UUID = MAINT
    version: int = 1


@dataclass
class InMemory:
    actor: Actor


ARGS = {"quote": {"note": "exchange unit, 14 days"}, "hold": {"reason": "awaiting_export_licence"},
        "resolve": {"note": "replaced the pump"}, "reopen": {"note": "fault came back"},
        "close_incomplete": {"note": "spare not delivered"}, "cancel": {"note": "raised twice"}}
SUPPLIER_STEPS = {"acknowledge", "quote", "start_work", "hold", "resume", "resolve"}
RAISER_STEPS = {"approve", "reopen", "close_complete", "close_incomplete", "cancel"}

CASES = [(t.name, s) for t in TICKET.transitions.values() for s in STATES]


@pytest.mark.parametrize("name,state", CASES)
def test_each_transition_from_each_state(name, state):
    t = TICKET.transitions[name]
    actor = oem if name in SUPPLIER_STEPS else officer
    ticket = Ticket(state)
    if state in t.source:
        TICKET.apply(InMemory(actor), ticket, name, **ARGS.get(name, {}))
        assert ticket.status == t.target
    else:
        with pytest.raises(Conflict, match=f"cannot {name} the ticket: it is {state}"):
            TICKET.check(actor, ticket, name, **ARGS.get(name, {}))
        assert ticket.status == state


@pytest.mark.parametrize("name", sorted(SUPPLIER_STEPS | RAISER_STEPS))
def test_only_the_right_organisation_may_make_each_step(name):
    t = TICKET.transitions[name]
    ticket = Ticket(t.source[0])
    right = oem if name in SUPPLIER_STEPS else officer
    wrong = [jv, other_jv, viewer] + ([officer] if name in SUPPLIER_STEPS else [oem])
    assert TICKET.can(right, ticket, name)
    for actor in wrong:
        assert not TICKET.can(actor, ticket, name), actor.name
        with pytest.raises(PermissionDenied):
            TICKET.check(actor, ticket, name, **ARGS.get(name, {}))
    assert ticket.status == t.source[0]


def test_a_ticket_addressed_to_a_jv_is_answered_by_that_jv_only():
    ticket = Ticket("new", supplier_org_id=JV)
    assert TICKET.can(jv, ticket, "acknowledge")
    assert not TICKET.can(other_jv, ticket, "acknowledge") and not TICKET.can(oem, ticket, "acknowledge")
    with pytest.raises(PermissionDenied, match="the organisation the ticket is addressed to"):
        TICKET.check(oem, ticket, "acknowledge")


@pytest.mark.parametrize("name,arg", [("quote", "note"), ("resolve", "note"), ("reopen", "note"),
                                      ("close_incomplete", "note"), ("cancel", "note"), ("hold", "reason")])
def test_steps_that_need_a_reason_refuse_without_one(name, arg):
    t = TICKET.transitions[name]
    actor = oem if name in SUPPLIER_STEPS else officer
    ticket = Ticket(t.source[0])
    with pytest.raises(ValidationFailed) as e:
        TICKET.apply(InMemory(actor), ticket, name)
    assert e.value.errors[0].field == arg
    assert ticket.status == t.source[0]


def test_a_hold_reason_must_be_a_listed_one():
    ticket = Ticket("in_work")
    with pytest.raises(ValidationFailed, match="must be one of"):
        TICKET.apply(InMemory(oem), ticket, "hold", reason="lunch")
    TICKET.apply(InMemory(oem), ticket, "hold", reason="awaiting_payment")
    assert ticket.status == "on_hold" and ticket.hold_reason == "awaiting_payment"


def test_terminal_states_have_no_way_out():
    for s in ("closed_complete", "closed_incomplete", "cancelled"):
        assert TICKET.terminal(s)
        assert TICKET.available(officer, Ticket(s)) == [] and TICKET.available(oem, Ticket(s)) == []


def test_the_full_path_new_to_closed():
    ticket = Ticket("new")
    for actor, step in [(oem, "acknowledge"), (oem, "quote"), (officer, "approve"), (oem, "start_work"),
                        (oem, "hold"), (oem, "resume"), (oem, "resolve"), (officer, "close_complete")]:
        TICKET.apply(InMemory(actor), ticket, step, **ARGS.get(step, {}))
    assert ticket.status == "closed_complete" and ticket.resolution == "replaced the pump"
