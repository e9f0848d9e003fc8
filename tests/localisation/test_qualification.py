"""Qualification of a locally made part: the state machine including reopening, each step by each
organisation kind (allowed and refused), every step audited, and lot release feeding readiness."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from setu.fleet import service as fleet
from setu.fleet.schemas import StockPositionSet
from setu.catalog.models import Part
from setu.identity.models import Organisation
from setu.kit.access import Actor, system_actor
from setu.kit.audit import AuditEntry
from setu.kit.errors import Conflict, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.localisation import service as svc
from setu.localisation.models import Lot, Qualification
from setu.readiness import service as readiness
from tests.support.world import make_world

PASS = [{"name": "bore diameter", "requirement": "12.00 +0.02/-0 mm", "measured": "12.01 mm", "result": "pass"},
        {"name": "surface finish", "requirement": "Ra <= 0.8 um", "measured": "Ra 0.6 um", "result": "pass"}]
FAIL = [PASS[0], {**PASS[1], "measured": "Ra 1.1 um", "result": "fail"}]


@pytest.fixture
def world(engine):
    rw = make_world(engine)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        s = uow.session
        jv = Organisation(party_id=rw.w.operator_id, code="JV-1", name="JV (test)", kind="joint_venture", is_demo=True)
        jv2 = Organisation(party_id=rw.w.operator_id, code="JV-2", name="Other JV (test)", kind="joint_venture", is_demo=True)
        qa = Organisation(party_id=rw.w.operator_id, code="QA-1", name="Quality authority (test)",
                          kind="quality_authority", is_demo=True)
        s.add_all([jv, jv2, qa])
        s.flush()
        ids = {"jv": jv.id, "jv2": jv2.id, "qa": qa.id}
        # the part is the origin's design: its OEM sees the qualification (origin-party scoping)
        s.get(Part, rw.w.part_ids[0]).owner_party_id = rw.w.origin_id
        for org in (jv, jv2):
            svc.create_venture(uow, organisation_id=org.id, kind="joint_venture")
        uow.commit()
    w = rw.w
    people = {
        "jv": Actor(name="jv.clerk", party_id=w.operator_id, organisation_id=ids["jv"], organisation_kind="joint_venture", role="clerk"),
        "jv2": Actor(name="jv2.clerk", party_id=w.operator_id, organisation_id=ids["jv2"], organisation_kind="joint_venture", role="clerk"),
        "qa": Actor(name="qa.approver", party_id=w.operator_id, organisation_id=ids["qa"], organisation_kind="quality_authority", role="approver"),
        "qa_clerk": Actor(name="qa.clerk", party_id=w.operator_id, organisation_id=ids["qa"], organisation_kind="quality_authority", role="clerk"),
        "oem": Actor(name="oem.engineer", party_id=w.origin_id, organisation_id=w.oem_org_id, organisation_kind="oem", role="clerk"),
        "depot": Actor(name="depot.approver", party_id=w.operator_id, organisation_id=w.depot_org_id, organisation_kind="depot", role="approver"),
    }
    return rw, people


def _do(engine, actor, fn, **kw):
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        out = fn(uow, **kw)
        uow.commit()
        return out


def _status(engine, qid):
    with engine.connect() as c:
        return c.execute(select(Qualification.status, Qualification.cycle).where(Qualification.id == qid)).one()


def _new(engine, world):
    rw, p = world
    q = _do(engine, p["jv"], svc.create_qualification, part_id=rw.w.part_ids[0], drawing_revision="C",
            source="Bharat Forge", material="EN24 steel", process="CNC turning")
    return q.id


def test_the_whole_life_including_reopening(engine, world):
    rw, p = world
    qid = _new(engine, world)
    assert tuple(_status(engine, qid)) == ("drawing", 1)
    _do(engine, p["qa"], svc.decide, qualification_id=qid, transition="approve_drawing", note="rev C approved")
    _do(engine, p["jv"], svc.submit_fai, qualification_id=qid, fai_kind="full", rows=FAIL)
    with UnitOfWork(p["qa"], write=True, engine=engine) as uow, pytest.raises(ValidationFailed, match="failed"):
        svc.decide(uow, qualification_id=qid, transition="certify")
    _do(engine, p["qa"], svc.decide, qualification_id=qid, transition="return_fai", note="surface finish out")
    assert _status(engine, qid).status == "fai"
    _do(engine, p["jv"], svc.submit_fai, qualification_id=qid, fai_kind="full", rows=PASS)
    _do(engine, p["qa"], svc.decide, qualification_id=qid, transition="certify")
    assert tuple(_status(engine, qid)) == ("certified", 1)
    # a change of material reopens it: a new cycle from the drawing; a partial FAI is now accepted
    _do(engine, p["jv"], svc.reopen, qualification_id=qid, change="material", new_value="EN19 steel",
        note="second source of bar stock")
    assert tuple(_status(engine, qid)) == ("drawing", 2)
    with engine.connect() as c:
        assert c.execute(select(Qualification.material).where(Qualification.id == qid)).scalar() == "EN19 steel"
    _do(engine, p["qa"], svc.decide, qualification_id=qid, transition="approve_drawing")
    _do(engine, p["jv"], svc.submit_fai, qualification_id=qid, fai_kind="partial", rows=PASS[:1])
    _do(engine, p["qa"], svc.decide, qualification_id=qid, transition="certify")
    assert tuple(_status(engine, qid)) == ("certified", 2)
    with engine.connect() as c:
        actions = c.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
    for a in ("approve_drawing", "submit_fai", "return_fai", "certify", "reopen"):
        assert f"localisation.qualification.{a}" in actions


def test_state_and_guard_refusals(engine, world):
    rw, p = world
    qid = _new(engine, world)
    with UnitOfWork(p["qa"], write=True, engine=engine) as uow, pytest.raises(Conflict, match="drawing"):
        svc.decide(uow, qualification_id=qid, transition="certify")
    with UnitOfWork(p["jv"], write=True, engine=engine) as uow, pytest.raises(Conflict):
        svc.submit_fai(uow, qualification_id=qid, fai_kind="full", rows=PASS)  # the drawing is not approved yet
    _do(engine, p["qa"], svc.decide, qualification_id=qid, transition="approve_drawing")
    with UnitOfWork(p["jv"], write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as e:
            svc.submit_fai(uow, qualification_id=qid, fai_kind="partial", rows=PASS)
        assert e.value.errors[0].field == "fai_kind"  # a first qualification needs a full FAI
        with pytest.raises(ValidationFailed) as e:
            svc.submit_fai(uow, qualification_id=qid, fai_kind="full", rows=[])
        assert e.value.errors[0].field == "characteristics"
        with pytest.raises(ValidationFailed) as e:
            svc.submit_fai(uow, qualification_id=qid, fai_kind="full", rows=[{"name": "x", "result": "ok"}])
        assert e.value.errors[0].field == "characteristics[0].result"
        with pytest.raises(ValidationFailed) as e:
            svc.reopen(uow, qualification_id=qid, change="colour", new_value=None, note="x")
        assert e.value.errors[0].field == "change"
    with UnitOfWork(p["qa"], write=True, engine=engine) as uow, pytest.raises(Conflict):
        svc.decide(uow, qualification_id=qid, transition="return_fai")  # nothing submitted
    assert tuple(_status(engine, qid)) == ("fai", 1)


@pytest.mark.parametrize("who,step,allowed", [
    ("jv", "create", True), ("qa", "create", False), ("oem", "create", False), ("depot", "create", False),
    ("qa", "approve_drawing", True), ("qa_clerk", "approve_drawing", False), ("jv", "approve_drawing", False),
    ("oem", "approve_drawing", False), ("depot", "approve_drawing", False),
    ("jv", "submit_fai", True), ("jv2", "submit_fai", False), ("qa", "submit_fai", False), ("oem", "submit_fai", False),
    ("qa", "certify", True), ("jv", "certify", False), ("oem", "certify", False), ("depot", "certify", False),
    ("jv", "reopen", True), ("jv2", "reopen", False), ("qa", "reopen", False), ("oem", "reopen", False),
    ("oem", "comment", True), ("jv", "comment", False), ("qa", "comment", False), ("depot", "comment", False),
    ("qa", "release", True), ("jv", "release", False), ("oem", "release", False), ("depot", "release", False),
])
def test_each_step_only_by_the_organisation_kind_entitled(engine, world, who, step, allowed):
    rw, p = world
    actor = p[who]
    if step == "create":
        fn = lambda uow: svc.create_qualification(uow, part_id=rw.w.part_ids[0], drawing_revision="A", source="s",  # noqa: E731
                                                   material="m", process="p")
    else:
        qid = _new(engine, world)
        before = {"approve_drawing": [], "submit_fai": ["approve_drawing"], "certify": ["approve_drawing", "submit_fai"],
                  "reopen": ["approve_drawing"], "comment": [], "release": ["approve_drawing", "submit_fai", "certify"]}[step]
        for s in before:
            if s == "submit_fai":
                _do(engine, p["jv"], svc.submit_fai, qualification_id=qid, fai_kind="full", rows=PASS)
            else:
                _do(engine, p["qa"], svc.decide, qualification_id=qid, transition=s)
        lot_id = None
        if step == "release":
            lot_id = _do(engine, p["jv"], svc.create_lot, qualification_id=qid, site_id=rw.w.base_id,
                         lot_number="L-1", quantity=3).id
        fn = {
            "approve_drawing": lambda uow: svc.decide(uow, qualification_id=qid, transition="approve_drawing"),
            "submit_fai": lambda uow: svc.submit_fai(uow, qualification_id=qid, fai_kind="full", rows=PASS),
            "certify": lambda uow: svc.decide(uow, qualification_id=qid, transition="certify"),
            "reopen": lambda uow: svc.reopen(uow, qualification_id=qid, change="source", new_value="New Forge", note="n"),
            "comment": lambda uow: svc.comment(uow, qualification_id=qid, text="check the heat treatment record"),
            "release": lambda uow: svc.release_lot(uow, lot_id=lot_id),
        }[step]
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        if allowed:
            fn(uow)
            uow.commit()
        else:
            with pytest.raises(PermissionDenied):
                fn(uow)


def _availability(engine, rw):
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        return readiness.evaluate_today(uow, equipment_type_id=rw.w.type_id)["fleet_availability"]


def _serviceable(engine, rw):
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        return {s.site_id: s.serviceable for s in fleet.list_stock(uow, part_id=rw.w.part_ids[0]).items}.get(rw.w.base_id)


def test_stock_counts_and_readiness_changes_only_after_release(engine, world):
    rw, p = world
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        fleet.set_stock(uow, data=StockPositionSet(part_id=rw.w.part_ids[0], site_id=rw.w.base_id, serviceable=0))
        uow.commit()
    a0 = _availability(engine, rw)
    qid = _new(engine, world)
    _do(engine, p["qa"], svc.decide, qualification_id=qid, transition="approve_drawing")
    lot = _do(engine, p["jv"], svc.create_lot, qualification_id=qid, site_id=rw.w.base_id, lot_number="L-7", quantity=4)
    # not certified: the authority cannot release, and the held lot is not stock
    with UnitOfWork(p["qa"], write=True, engine=engine) as uow, pytest.raises(ValidationFailed, match="not certified"):
        svc.release_lot(uow, lot_id=lot.id)
    _do(engine, p["jv"], svc.submit_fai, qualification_id=qid, fai_kind="full", rows=PASS)
    _do(engine, p["qa"], svc.decide, qualification_id=qid, transition="certify")
    assert _serviceable(engine, rw) == 0 and _availability(engine, rw) == pytest.approx(a0)
    _do(engine, p["qa"], svc.release_lot, lot_id=lot.id)
    assert _serviceable(engine, rw) == 4
    assert _availability(engine, rw) > a0 + 1e-6
    with engine.connect() as c:
        assert c.execute(select(Lot.status, Lot.released_by).where(Lot.id == lot.id)).one() == ("released", "qa.approver")
        assert c.execute(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.action == "localisation.lot.release")).scalar() == 1
    with UnitOfWork(p["qa"], write=True, engine=engine) as uow, pytest.raises(Conflict):
        svc.release_lot(uow, lot_id=lot.id)  # released once only
