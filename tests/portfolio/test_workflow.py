"""The contract's life: every allowed and refused step per actor (role, party, author), audited,
and what a refused step changes (nothing)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from setu.contracts import service
from setu.contracts.models import Contract, Milestone
from setu.contracts.rules import CONTRACT
from setu.contracts.schemas import MilestoneRecord
from setu.kit.audit import AuditEntry
from setu.kit.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.portfolio.conftest import do


def _state(engine, cid):
    with engine.connect() as c:
        return c.execute(select(Contract.status, Contract.version).where(Contract.id == cid)).one()


def _step(engine, actor, cid, transition, **kw):
    return do(engine, actor, service.step, contract_id=cid, transition=transition, **kw)


@pytest.mark.parametrize("who, error", [("ind_clerk", PermissionDenied), ("ind_viewer", PermissionDenied),
                                        ("office", PermissionDenied), ("ind_author", PermissionDenied),
                                        ("xyz_approver", NotFound)])
def test_sign_is_refused_for_whoever_may_not_and_changes_nothing(engine, cworld, who, error):
    cid = cworld.ids["sup"]
    before = _state(engine, cid)
    with pytest.raises(error):
        _step(engine, cworld.people[who], cid, "sign", signed_on=date(2021, 2, 1))
    assert _state(engine, cid) == before


@pytest.mark.parametrize("who", ["ind_approver", "rus_approver"])
def test_an_approver_of_either_party_not_the_author_signs(engine, cworld, who):
    cid = cworld.ids["sup"]
    _step(engine, cworld.people[who], cid, "sign", signed_on=date(2021, 2, 1))
    with engine.connect() as c:
        row = c.execute(select(Contract.status, Contract.signed_on, Contract.decided_by)
                        .where(Contract.id == cid)).one()
        audit = c.execute(select(AuditEntry.action).where(AuditEntry.object_id == str(cid))).scalars().all()
    assert row == ("signed", date(2021, 2, 1), cworld.people[who].name)
    assert "contracts.contract.sign" in audit


def test_the_whole_life_with_its_guards(engine, cworld):
    p, cid = cworld.people, cworld.ids["sup"]
    with pytest.raises(ValidationFailed, match="signature date"):
        _step(engine, p["rus_approver"], cid, "sign")
    with pytest.raises(Conflict, match="draft"):
        _step(engine, p["rus_approver"], cid, "bring_into_force")
    _step(engine, p["rus_approver"], cid, "sign", signed_on=date(2021, 2, 1))
    with pytest.raises(Conflict, match="changed by someone else"):
        _step(engine, p["ind_approver"], cid, "bring_into_force", version=1)
    _step(engine, p["ind_approver"], cid, "bring_into_force")
    with pytest.raises(ValidationFailed, match="2 milestone"):
        _step(engine, p["ind_approver"], cid, "complete")
    with engine.connect() as c:
        mids = c.execute(select(Milestone.id).where(Milestone.contract_id == cid)).scalars().all()
    with pytest.raises(PermissionDenied):  # a viewer records nothing
        do(engine, p["ind_viewer"], service.record_milestone, milestone_id=mids[0],
           data=MilestoneRecord(actual_on=date(2021, 7, 1), actual_value=Decimal("400000")))
    with pytest.raises(NotFound):  # a third party does not see the contract
        do(engine, p["xyz_approver"], service.record_milestone, milestone_id=mids[0],
           data=MilestoneRecord(actual_on=date(2021, 7, 1), actual_value=Decimal("400000")))
    for m in mids:
        do(engine, p["ind_clerk"], service.record_milestone, milestone_id=m,
           data=MilestoneRecord(actual_on=date(2022, 7, 1), actual_value=Decimal("500000")))
    _step(engine, p["rus_approver"], cid, "complete")
    assert _state(engine, cid)[0] == "completed"
    with pytest.raises(Conflict):
        _step(engine, p["rus_approver"], cid, "terminate", note="late")
    with pytest.raises(Conflict, match="completed"):
        do(engine, p["ind_clerk"], service.record_milestone, milestone_id=mids[0],
           data=MilestoneRecord(actual_on=date(2022, 7, 1), actual_value=Decimal("1")))


def test_terminate_needs_a_reason_from_each_open_state(engine, cworld):
    p, cid = cworld.people, cworld.ids["mro"]
    with pytest.raises(ValidationFailed, match="why"):
        _step(engine, p["rus_approver"], cid, "terminate")
    _step(engine, p["rus_approver"], cid, "terminate", note="requirement withdrawn")
    assert _state(engine, cid)[0] == "terminated"
    assert CONTRACT.terminal("terminated") and CONTRACT.terminal("completed")


def test_the_buttons_are_the_steps_the_actor_may_take(engine, cworld):
    from setu.kit.uow import UnitOfWork

    with UnitOfWork(cworld.people["ind_approver"], engine=engine) as uow:
        c = service.get_contract(uow, contract_id=cworld.ids["sup"])
        assert [t.name for t in service.available_steps(uow.actor, c)] == ["sign", "terminate"]
        assert service.available_steps(cworld.people["ind_author"], c) == []
        assert service.available_steps(cworld.people["ind_clerk"], c) == []
        assert service.available_steps(cworld.people["office"], c) == []


def test_a_party_drafts_only_contracts_it_is_a_party_to(engine, cworld):
    from tests.portfolio.conftest import contract

    w = cworld.rw.w
    bad = contract("C-NEW", "supply", Decimal("10"), "USD", date(2024, 1, 2), cworld.third_id, w.origin_id)
    with pytest.raises(PermissionDenied):
        do(engine, cworld.people["ind_clerk"], service.create_contract, data=bad)
    same = contract("C-NEW", "supply", Decimal("10"), "USD", date(2024, 1, 2), w.operator_id, w.operator_id)
    with pytest.raises(ValidationFailed, match="contract") as exc:
        do(engine, cworld.people["ind_clerk"], service.create_contract, data=same)
    assert exc.value.errors[0].field == "origin_party_id"
    dup = contract("C-SUP", "supply", Decimal("10"), "USD", date(2024, 1, 2), w.operator_id, w.origin_id)
    with pytest.raises(Conflict, match="C-SUP"):
        do(engine, cworld.people["ind_clerk"], service.create_contract, data=dup)
