"""Declared workflows: state first (409 naming the state and the transition), then the actor (403
naming the transition and the permission), then guards; the change is audited with the declared
action; the buttons an actor may press."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import DateTime, String, Text, Uuid, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from setu.kit import audit, events
from setu.kit.access import Actor, declare, system_actor
from setu.kit.db import Entity
from setu.kit.errors import Conflict, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.kit.workflow import Transition, Workflow, not_author, not_party_of, party_of, requires, rule

declare("test.plan.approve")
declare("test.plan.update")
declare("t.ticket.update")
PA, PB = uuid.uuid4(), uuid.uuid4()
ALICE = Actor("alice", user_id=uuid.uuid4(), party_id=PA, role="approver")  # the author
BOB = Actor("bob", user_id=uuid.uuid4(), party_id=PA, role="approver")
CAROL = Actor("carol", user_id=uuid.uuid4(), party_id=PA, role="clerk")  # may not approve
DAVE = Actor("dave", user_id=uuid.uuid4(), party_id=PB, role="approver")  # the other party

PLAN = Workflow(
    "test.plan", states=("proposed", "approved", "rejected", "closed"), initial="proposed",
    record_by="decided_by", record_at="decided_at",
    transitions=[
        Transition("approve", "proposed", "approved", "test.plan.approve", who=[not_author("created_by")],
                   assign={"note": "note"}, event="test.plan.approved"),
        Transition("reject", "proposed", "rejected", "test.plan.approve", who=[not_author("created_by")],
                   guard=requires("note", "say why the plan is rejected"), assign={"note": "note"},
                   audit_action="test.plan.turned_down"),
        Transition("confirm", "approved", "closed", "test.plan.approve", who=[not_party_of("party_id")]),
        Transition("reopen", ("approved", "rejected"), "proposed", "test.plan.update",
                   who=[party_of("party_id")]),
    ])


@dataclass
class PurePlan:
    status: str = "proposed"
    created_by: str = "alice"
    party_id: uuid.UUID = PA
    version: int = 3
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None


@dataclass
class _Uow:  # a stand-in unit of work for objects that are not mapped: changed in memory only
    actor: Actor
    session: None = None


def test_declaration_is_checked():
    with pytest.raises(ValueError, match="unknown state"):
        Workflow("t.x", states=("a",), initial="a", transitions=[Transition("go", "a", "b", "t.x.update")])
    with pytest.raises(ValueError, match="initial state"):
        Workflow("t.x", states=("a",), initial="z", transitions=[])
    with pytest.raises(ValueError, match="declared twice"):
        Workflow("t.x", states=("a", "b"), initial="a",
                 transitions=[Transition("go", "a", "b", "t.x.update"), Transition("go", "b", "a", "t.x.update")])
    with pytest.raises(ValueError, match="<domain>.<resource>.<action>"):
        Transition("go", "a", "b", "approve")


def test_wrong_state_is_409_naming_state_and_transition():
    p = PurePlan(status="approved")
    with pytest.raises(Conflict) as e:
        PLAN.apply(_Uow(BOB), p, "approve")
    assert e.value.status == 409
    assert "approve" in e.value.detail and "it is approved" in e.value.detail and "from proposed" in e.value.detail
    assert p.status == "approved" and p.decided_by is None


def test_state_is_checked_before_the_actor():
    # carol may not approve at all, but the plan is already decided: the 409 comes first
    with pytest.raises(Conflict, match="it is rejected"):
        PLAN.apply(_Uow(CAROL), PurePlan(status="rejected"), "approve")


def test_missing_permission_is_403_naming_transition_and_permission():
    with pytest.raises(PermissionDenied) as e:
        PLAN.apply(_Uow(CAROL), PurePlan(), "approve")
    assert e.value.status == 403 and e.value.permission == "test.plan.approve"
    assert "cannot approve" in e.value.detail and "test.plan.approve" in e.value.detail and "carol" in e.value.detail


def test_author_may_not_decide_own_record():
    with pytest.raises(PermissionDenied) as e:
        PLAN.apply(_Uow(ALICE), PurePlan(), "approve")
    assert "cannot approve" in e.value.detail and "test.plan.approve" in e.value.detail
    assert "alice made this request" in e.value.detail and "not the author" in e.value.detail


def test_party_rules():
    approved = PurePlan(status="approved")
    with pytest.raises(PermissionDenied, match="other party must"):
        PLAN.check(BOB, approved, "confirm")  # bob is of the plan's party
    assert PLAN.check(DAVE, approved, "confirm").target == "closed"  # the counterparty confirms
    with pytest.raises(PermissionDenied, match="cannot reopen"):
        PLAN.check(DAVE, approved, "reopen")
    assert PLAN.check(system_actor("t"), approved, "reopen").name == "reopen"


def test_guard_is_422_and_checked_after_the_actor():
    with pytest.raises(ValidationFailed) as e:
        PLAN.apply(_Uow(BOB), PurePlan(), "reject", note="  ")
    assert e.value.status == 422 and "say why" in e.value.detail and e.value.errors[0].field == "note"
    with pytest.raises(PermissionDenied):
        PLAN.apply(_Uow(ALICE), PurePlan(), "reject")  # the author: 403 before the missing reason


def test_stale_version_is_409():
    with pytest.raises(Conflict, match="version 3, you read 2"):
        PLAN.apply(_Uow(BOB), PurePlan(), "approve", version=2)


def test_unknown_transition_is_422_listing_the_known():
    with pytest.raises(ValidationFailed, match="approve, reject, confirm, reopen"):
        PLAN.apply(_Uow(BOB), PurePlan(), "bless")


def test_apply_records_who_and_when_and_assigns():
    p = PurePlan()
    t = PLAN.apply(_Uow(BOB), p, "approve", version=3, note=" fine ")
    assert t.name == "approve" and p.status == "approved" and p.decided_by == "bob" and p.note == "fine"
    assert isinstance(p.decided_at, datetime)


def test_available_transitions_are_the_buttons():
    p = PurePlan()
    assert [t.name for t in PLAN.available(BOB, p)] == ["approve", "reject"]
    assert PLAN.available(ALICE, p) == [] and PLAN.available(CAROL, p) == [] and PLAN.available(None, p) == []
    assert [t.title for t in PLAN.available(DAVE, PurePlan(status="approved"))] == ["Confirm"]
    assert PLAN.can(BOB, p, "approve") and not PLAN.can(BOB, p, "confirm")
    assert PLAN.terminal("closed") and not PLAN.terminal("proposed")


def test_custom_rule():
    wf = Workflow("t.ticket", states=("open", "done"), initial="open", transitions=[
        Transition("close", "open", "done", "t.ticket.update",
                   who=[rule("the assignee", lambda a, o: a.name == o.assignee)])])

    @dataclass
    class Ticket:
        status: str = "open"
        assignee: str = "bob"

    assert wf.check(BOB, Ticket(), "close")
    with pytest.raises(PermissionDenied, match="carol is not the assignee"):
        wf.check(Actor("carol", party_id=PA, role="clerk"), Ticket(), "close")


# -- on a mapped model: flush, audit, event ----------------------------------------------------


class _TestBase(DeclarativeBase):
    pass


class Doc(_TestBase, Entity):
    __tablename__ = "test_kit_doc"
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    created_by: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


@pytest.fixture
def doc(engine):
    _TestBase.metadata.create_all(engine)
    with UnitOfWork(ALICE, write=True, engine=engine) as uow:
        d = Doc(created_by="alice", party_id=PA)
        uow.session.add(d)
        uow.commit()
    return engine, d.id


def test_apply_on_a_model_is_audited_with_the_declared_action(doc):
    engine, doc_id = doc
    got = []
    events.subscribe("test.plan.approved", got.append)
    try:
        with UnitOfWork(BOB, write=True, engine=engine) as uow:
            d = uow.session.get(Doc, doc_id)
            PLAN.apply(uow, d, "approve", version=d.version, note="ok")
            assert got == []
            uow.commit()
    finally:
        events.unsubscribe("test.plan.approved", got.append)
    with UnitOfWork(BOB, engine=engine) as uow:
        d = uow.session.get(Doc, doc_id)
        assert (d.status, d.decided_by, d.note, d.version) == ("approved", "bob", "ok", 2)
        es = [e for e in audit.iter_entries(uow.session) if e["object_id"] == str(doc_id)]
        assert audit.verify_database(uow.session).ok
    assert [e["action"] for e in es] == ["test_kit_doc.insert", "test_kit_doc.update", "test.plan.approve"]
    last = es[-1]
    assert last["actor"] == "bob" and json.loads(last["before"]) == {"status": "proposed"}
    after = json.loads(last["after"])
    assert after["status"] == "approved" and after["transition"] == "approve" and after["decided_by"] == "bob"
    assert [(e.name, e["object_id"], e["from_state"], e["to_state"]) for e in got] == \
        [("test.plan.approved", str(doc_id), "proposed", "approved")]


def test_refused_transition_on_a_model_changes_and_audits_nothing(doc):
    engine, doc_id = doc
    with UnitOfWork(BOB, write=True, engine=engine) as uow:
        PLAN.apply(uow, uow.session.get(Doc, doc_id), "reject", note="too dear")
        uow.commit()
    with UnitOfWork(BOB, engine=engine) as uow:
        n = len(list(audit.iter_entries(uow.session)))
    with UnitOfWork(BOB, write=True, engine=engine) as uow:
        with pytest.raises(Conflict, match="cannot approve the plan: it is rejected"):
            PLAN.apply(uow, uow.session.get(Doc, doc_id), "approve")
        uow.commit()
    with UnitOfWork(BOB, engine=engine) as uow:
        assert len(list(audit.iter_entries(uow.session))) == n
        assert uow.session.scalar(select(Doc.status)) == "rejected"
        assert [e["action"] for e in audit.iter_entries(uow.session)][-1] == "test.plan.turned_down"
