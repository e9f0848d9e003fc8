"""A saved plan is approved or rejected by another approver of its party, never by its author."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from setu.kit.access import Actor
from setu.kit.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.readiness import service
from setu.readiness.approval import decide_plan
from setu.readiness.models import ReadinessPlan
from tests.support.world import make_world, operator_user, origin_user
from tests.support.jobs import WAIT


def _status(engine, pid):
    with engine.connect() as c:
        return c.execute(select(ReadinessPlan.status, ReadinessPlan.decided_by).where(ReadinessPlan.id == pid)).one()


def test_the_author_may_not_approve_their_own_plan(engine):
    rw = make_world(engine)
    author = operator_user(rw, "approver")
    with UnitOfWork(author, write=True, engine=engine) as uow:
        pid = service.save_plan(uow, service.plan(uow, equipment_type_id=rw.w.type_id, budget=300)).id
        uow.commit()
    with UnitOfWork(author, write=True, engine=engine) as uow, pytest.raises(PermissionDenied, match="may not decide"):
        decide_plan(uow, plan_id=pid, decision="approve")
    assert tuple(_status(engine, pid)) == ("proposed", None)
    other = Actor(name="ind-depot-approver-2", party_id=rw.w.operator_id, organisation_id=rw.w.depot_org_id,
                  organisation_kind="depot", role="approver")
    with UnitOfWork(other, write=True, engine=engine) as uow:
        decide_plan(uow, plan_id=pid, decision="approve", note="within this year's budget")
        uow.commit()
    assert tuple(_status(engine, pid)) == ("approved", "ind-depot-approver-2")
    with UnitOfWork(other, write=True, engine=engine) as uow, pytest.raises(Conflict, match="it is approved"):
        decide_plan(uow, plan_id=pid, decision="reject", note="changed my mind")


def test_who_may_decide(engine):
    rw = make_world(engine, rus_base=True)
    author = operator_user(rw, "clerk")
    with UnitOfWork(author, write=True, engine=engine) as uow:
        pid = service.save_plan(uow, service.plan(uow, equipment_type_id=rw.w.type_id, budget=300)).id
        uow.commit()
    clerk = Actor(name="ind-clerk-2", party_id=rw.w.operator_id, organisation_id=rw.w.depot_org_id,
                  organisation_kind="depot", role="clerk")
    with UnitOfWork(clerk, write=True, engine=engine) as uow, pytest.raises(PermissionDenied):
        decide_plan(uow, plan_id=pid, decision="approve")  # a clerk proposes, an approver decides
    with UnitOfWork(origin_user(rw, "approver"), write=True, engine=engine) as uow, pytest.raises(NotFound):
        decide_plan(uow, plan_id=pid, decision="approve")  # the other party's plan is not there
    approver = operator_user(rw, "approver")
    with UnitOfWork(approver, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as e:
            decide_plan(uow, plan_id=pid, decision="reject")
        assert e.value.errors[0].field == "note"
        with pytest.raises(ValidationFailed):
            decide_plan(uow, plan_id=pid, decision="maybe")
        with pytest.raises(Conflict):
            decide_plan(uow, plan_id=pid, decision="approve", version=99)
    assert tuple(_status(engine, pid)) == ("proposed", None)
    with UnitOfWork(approver, write=True, engine=engine) as uow:
        decide_plan(uow, plan_id=pid, decision="reject", note="the depot split is wrong")
        uow.commit()
    assert tuple(_status(engine, pid)) == ("rejected", approver.name)
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(ReadinessPlan)).scalar() == 1


def test_decisions_over_the_api_and_the_web(client, engine):
    rw = make_world(engine)
    client.sign_in_as("ind.author", org="DEP-ORG", role="approver")
    r = client.post("/api/v1/readiness/plans", json={"equipment_type_id": str(rw.w.type_id), "budget": 300}, headers=WAIT)
    assert r.status_code == 201 and r.json()["status"] == "proposed"
    pid, version = r.json()["id"], r.json()["version"]
    r = client.post(f"/api/v1/readiness/plans/{pid}/decision", json={"decision": "approve"})
    assert r.status_code == 403 and "may not decide" in r.json()["detail"]
    page = client.get(f"/readiness/plans/{pid}").text
    assert "another approver of your party decides it" in page and 'value="approve"' not in page
    client.sign_in_as("ind.approver2", org="DEP-ORG", role="approver")
    r = client.post(f"/api/v1/readiness/plans/{pid}/decision", json={"decision": "reject"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    r = client.post(f"/api/v1/readiness/plans/{pid}/decision", json={"decision": "approve", "version": version + 5})
    assert r.status_code == 409
    r = client.post(f"/readiness/plans/{pid}/decision", data={"decision": "reject", "version": str(version)})
    assert r.status_code == 422 and "say why" in r.text.lower()
    r = client.post(f"/readiness/plans/{pid}/decision", data={"decision": "approve", "version": str(version),
                                                               "note": "fits the budget"}, follow_redirects=False)
    assert r.status_code == 303
    r = client.get(f"/api/v1/readiness/plans/{pid}").json()
    assert (r["status"], r["decided_by"], r["decision_note"]) == ("approved", "ind.approver2", "fits the budget")
    assert 'id="plan-status">approved<' in client.get(f"/readiness/plans/{pid}").text
    r = client.post(f"/api/v1/readiness/plans/{pid}/decision", json={"decision": "reject", "note": "no"})
    assert r.status_code == 409 and "it is approved" in r.json()["detail"] and "reject" in r.json()["detail"]


def test_plan_decisions_run_on_the_declared_workflow(engine):
    """A refused decision is 409 naming the state and the transition (decided plan) or 403 naming
    the transition and the permission (the author); a decision is audited under the workflow's action."""
    from setu.kit.audit import AuditEntry
    from setu.readiness.rules import PLAN

    rw = make_world(engine)
    author = operator_user(rw, "approver")
    with UnitOfWork(author, write=True, engine=engine) as uow:
        plan = service.save_plan(uow, service.plan(uow, equipment_type_id=rw.w.type_id, budget=300))
        assert [t.name for t in PLAN.available(author, plan)] == []  # no buttons for the author
        pid = plan.id
        uow.commit()
    with UnitOfWork(author, write=True, engine=engine) as uow, \
            pytest.raises(PermissionDenied, match=r"cannot approve the plan.*readiness\.plan\.approve"):
        decide_plan(uow, plan_id=pid, decision="approve")
    other = Actor(name="ind-approver-3", party_id=rw.w.operator_id, organisation_id=rw.w.depot_org_id,
                  organisation_kind="depot", role="approver")
    with UnitOfWork(other, write=True, engine=engine) as uow:
        assert [t.name for t in PLAN.available(other, service.get_plan(uow, plan_id=pid))] == ["approve", "reject"]
        decide_plan(uow, plan_id=pid, decision="reject", note="over the year's budget")
        uow.commit()
    with UnitOfWork(other, write=True, engine=engine) as uow, \
            pytest.raises(Conflict, match=r"cannot approve the plan: it is rejected \(approve is allowed from proposed\)"):
        decide_plan(uow, plan_id=pid, decision="approve")
    with engine.connect() as c:
        actions = c.execute(select(AuditEntry.action).where(AuditEntry.object_id == str(pid))).scalars().all()
    assert "readiness.plan.reject" in actions
    assert tuple(_status(engine, pid)) == ("rejected", "ind-approver-3")


def test_the_approval_queue_status_and_hidden_actions_in_the_browser(client, engine):
    rw = make_world(engine)
    client.sign_in_as("ind.author", org="DEP-ORG", role="clerk")
    r = client.post("/api/v1/readiness/plans", json={"equipment_type_id": str(rw.w.type_id), "budget": 300}, headers=WAIT)
    pid = r.json()["id"]
    page = client.get(f"/readiness/{rw.w.type_id}").text
    assert "Compute and save plan" in page and 'data-status="proposed"' in page
    assert 'id="awaiting-decision"' not in client.get("/readiness").text      # a clerk decides nothing
    plan_page = client.get(f"/readiness/plans/{pid}").text
    assert "Proposed: nothing is bought or moved yet" in plan_page and "Demand source: history" in plan_page
    client.sign_in_as("ind.viewer", org="DEP-ORG", role="viewer")
    page = client.get(f"/readiness/{rw.w.type_id}").text
    assert "Compute and save plan" not in page and 'id="plan-form"' not in page
    assert "Demand from <strong>demand history" in page and "(the default)" in page
    client.sign_in_as("ind.approver2", org="DEP-ORG", role="approver")
    index = client.get("/readiness").text
    queue = index.split('id="awaiting-decision"')[1].split("</table>")[0]
    assert f"/readiness/plans/{pid}" in queue and 'data-status="proposed"' in queue
    client.post(f"/api/v1/readiness/plans/{pid}/decision", json={"decision": "approve"})
    index = client.get("/readiness").text
    queue = index.split('id="awaiting-decision"')[1].split("</table>")[0]
    assert f"/readiness/plans/{pid}" not in queue and "No saved plans yet." in queue
    assert 'data-status="approved"' in index
    assert "Approved: this is the plan" in client.get(f"/readiness/plans/{pid}").text
