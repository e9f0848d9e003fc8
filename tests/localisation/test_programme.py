"""Transfer-of-technology packages (the origin delivers, the operator accepts or rejects with a
reason), joint ventures and licensed manufacturers (only a registered venture records; a licensed
manufacturer, an operator-side organisation of kind ``oem``, records like a JV; an origin OEM
holding the same permission does not), origin-party scoping of qualifications, and the
qualification steps over the API with real tokens, each allowed and refused."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from setu.catalog.models import Part
from setu.identity.models import Organisation
from setu.kit.access import Actor, system_actor
from setu.kit.audit import AuditEntry
from setu.kit.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.localisation import service as svc
from setu.localisation.models import TotDeliverable
from tests.support.auth import auth_headers
from tests.support.world import make_world

PASS = [{"name": "bore diameter", "requirement": "12.00 +0.02/-0 mm", "measured": "12.01 mm", "result": "pass"}]
DELIVERABLES = [
    {"kind": "drawing", "title": "Launch tube assembly drawing", "reference": "DRG-100", "revision": "C",
     "phase": "kit_assembly"},
    {"kind": "process_sheet", "title": "Filament winding process sheet", "reference": "PS-12", "phase": "skd"},
    {"kind": "mandated_source", "title": "Seeker detector cell (origin source)", "reference": "MS-3",
     "phase": "raw_material"},
]


@pytest.fixture
def prog(engine):
    rw = make_world(engine)
    w = rw.w
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        s = uow.session
        mk = lambda party, code, kind: Organisation(party_id=party, code=code, name=f"{code} (test)", kind=kind,  # noqa: E731
                                                    is_demo=True)
        orgs = {"jv": mk(w.operator_id, "JV-1", "joint_venture"), "lm": mk(w.operator_id, "LM-1", "oem"),
                "qa": mk(w.operator_id, "QA-1", "quality_authority"), "exp": mk(w.origin_id, "EXP-1", "export_agency")}
        s.add_all(orgs.values())
        s.flush()
        ids = {k: o.id for k, o in orgs.items()}
        s.get(Part, w.part_ids[0]).owner_party_id = w.origin_id      # an origin design
        svc.create_venture(uow, organisation_id=ids["jv"], kind="joint_venture",
                           partners=[{"name": "Operator industry", "share_percent": "50.5"},
                                     {"name": "Origin OEM", "organisation_id": w.oem_org_id, "share_percent": "49.5"}],
                           capabilities=[{"process": "machining", "capacity_per_year": 400}],
                           licences=[{"number": "LIC-1", "licensor_organisation_id": w.oem_org_id, "scope": "launch tubes",
                                      "territory": "operator country", "valid_from": date(2025, 1, 1),
                                      "valid_to": date(2034, 12, 31), "export_rights": "with_consent",
                                      "royalty_percent": "3.5", "royalty_per_unit": "1200.00",
                                      "royalty_currency": "RUB"}])
        svc.create_venture(uow, organisation_id=ids["lm"], kind="licensed_manufacturer")
        uow.commit()
    a = lambda name, party, org, kind, role: Actor(name=name, party_id=party, organisation_id=org,  # noqa: E731
                                                   organisation_kind=kind, role=role)
    people = {
        "jv": a("jv.approver", w.operator_id, ids["jv"], "joint_venture", "approver"),
        "lm": a("lm.approver", w.operator_id, ids["lm"], "oem", "approver"),
        "qa": a("qa.approver", w.operator_id, ids["qa"], "quality_authority", "approver"),
        "oem": a("oem.approver", w.origin_id, w.oem_org_id, "oem", "approver"),
        "exp": a("exp.clerk", w.origin_id, ids["exp"], "export_agency", "clerk"),
        "depot": a("depot.approver", w.operator_id, w.depot_org_id, "depot", "approver"),
    }
    return rw, people


def _do(engine, actor, fn, **kw):
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        out = fn(uow, **kw)
        uow.commit()
        return out


def _package(engine, prog, code="TOT-1"):
    rw, p = prog
    return _do(engine, p["jv"], svc.create_package, code=code, title="Launch tube licensed production",
               origin_party_id=rw.w.origin_id, licensor_organisation_id=rw.w.oem_org_id, fee_amount="125000000.50",
               fee_currency="RUB", parts=[{"part_id": rw.w.part_ids[0], "phase": "kit_assembly"}],
               deliverables=DELIVERABLES)


def _deliverables(engine, package_id):
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        from types import SimpleNamespace

        return {d.reference: SimpleNamespace(id=d.id, status=d.status, revision=d.revision, delivered_by=d.delivered_by,
                                             decided_by=d.decided_by)
                for d in svc.package_detail(uow, package_id=package_id)["deliverables"]}


def test_a_package_is_delivered_by_the_origin_and_accepted_or_rejected_by_the_operator(engine, prog):
    rw, p = prog
    pkg = _package(engine, prog)
    with UnitOfWork(p["oem"], engine=engine) as uow:
        d = svc.package_detail(uow, package_id=pkg.id)
        assert d["status"] == "open" and d["phase"] == "kit_assembly"
        assert d["package"].fee_amount == Decimal("125000000.50") and d["package"].fee_currency == "RUB"
        assert [r["part"].id for r in d["parts"]] == [rw.w.part_ids[0]]
    ds = _deliverables(engine, pkg.id)
    drg = ds["DRG-100"].id
    # the operator cannot deliver; the origin OEM and export agency can
    for who in ("jv", "qa", "depot"):
        with UnitOfWork(p[who], write=True, engine=engine) as uow, pytest.raises(PermissionDenied):
            svc.deliver(uow, deliverable_id=drg)
    _do(engine, p["oem"], svc.deliver, deliverable_id=drg, revision="D")
    # the origin may not decide on what it delivered, even holding the accept permission (party rule)
    with UnitOfWork(p["oem"], write=True, engine=engine) as uow, pytest.raises(PermissionDenied, match="operator party"):
        svc.decide_deliverable(uow, deliverable_id=drg, decision="accept")
    with UnitOfWork(p["exp"], write=True, engine=engine) as uow, pytest.raises(PermissionDenied):
        svc.decide_deliverable(uow, deliverable_id=drg, decision="accept")
    with UnitOfWork(p["depot"], write=True, engine=engine) as uow, pytest.raises(PermissionDenied):
        svc.decide_deliverable(uow, deliverable_id=drg, decision="accept")
    # a rejection needs a reason
    with UnitOfWork(p["qa"], write=True, engine=engine) as uow, pytest.raises(ValidationFailed) as e:
        svc.decide_deliverable(uow, deliverable_id=drg, decision="reject", reason="  ")
    assert e.value.errors[0].field == "reason"
    _do(engine, p["qa"], svc.decide_deliverable, deliverable_id=drg, decision="reject",
        reason="tolerances missing on sheet 3")
    assert _deliverables(engine, pkg.id)["DRG-100"].status == "rejected"
    with UnitOfWork(p["oem"], engine=engine) as uow:
        assert svc.package_detail(uow, package_id=pkg.id)["status"] == "disputed"
    _do(engine, p["exp"], svc.deliver, deliverable_id=drg, revision="E")
    _do(engine, p["jv"], svc.decide_deliverable, deliverable_id=drg, decision="accept")
    with UnitOfWork(p["qa"], write=True, engine=engine) as uow, pytest.raises(Conflict):
        svc.decide_deliverable(uow, deliverable_id=drg, decision="accept")  # accepted once
    d = _deliverables(engine, pkg.id)["DRG-100"]
    assert (d.status, d.revision, d.delivered_by, d.decided_by) == ("accepted", "E", "exp.clerk", "jv.approver")
    for ref in ("PS-12", "MS-3"):
        _do(engine, p["oem"], svc.deliver, deliverable_id=_deliverables(engine, pkg.id)[ref].id)
        _do(engine, p["qa"], svc.decide_deliverable, deliverable_id=_deliverables(engine, pkg.id)[ref].id,
            decision="accept")
    with UnitOfWork(p["oem"], engine=engine) as uow:
        d = svc.package_detail(uow, package_id=pkg.id)
        assert d["status"] == "complete" and d["phase"] is None
    with engine.connect() as c:
        actions = c.execute(select(AuditEntry.action).where(AuditEntry.object_type == TotDeliverable.__tablename__)
                            ).scalars().all()
    assert actions.count("localisation.deliverable.deliver") == 4
    assert {"localisation.deliverable.reject", "localisation.deliverable.accept"} <= set(actions)


def test_bad_packages_are_refused_naming_the_field_and_change_nothing(engine, prog):
    rw, p = prog
    bad = dict(code="TOT-X", title="x", origin_party_id=rw.w.origin_id, licensor_organisation_id=None,
               fee_amount="12.5", fee_currency="XYZ")
    with UnitOfWork(p["jv"], write=True, engine=engine) as uow, pytest.raises(ValidationFailed) as e:
        svc.create_package(uow, **bad)
    assert [x.field for x in e.value.errors] == ["fee_currency"]
    with UnitOfWork(p["jv"], write=True, engine=engine) as uow, pytest.raises(ValidationFailed) as e:
        svc.create_package(uow, **{**bad, "fee_currency": "INR", "fee_amount": "-1",
                                   "origin_party_id": rw.w.operator_id},
                           deliverables=[{"kind": "manual", "title": "", "reference": "R", "phase": "later"}])
    assert {x.field for x in e.value.errors} == {"fee_amount", "origin_party_id", "deliverables[0].kind",
                                                 "deliverables[0].phase", "deliverables[0].title"}
    # only a registered venture receives packages: the depot and the origin OEM cannot register one
    for who in ("depot", "oem"):
        with UnitOfWork(p[who], write=True, engine=engine) as uow, pytest.raises(PermissionDenied):
            svc.create_package(uow, **{**bad, "fee_currency": "INR"})
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        assert svc.list_packages(uow) == []


def test_the_licensed_manufacturer_records_like_a_jv_and_the_origin_oem_does_not(engine, prog):
    rw, p = prog
    kw = dict(part_id=rw.w.part_ids[0], drawing_revision="B", source="s", material="m", process="p")
    q = _do(engine, p["lm"], svc.create_qualification, **kw)
    _do(engine, p["qa"], svc.decide, qualification_id=q.id, transition="approve_drawing")
    _do(engine, p["lm"], svc.submit_fai, qualification_id=q.id, fai_kind="full", rows=PASS)
    _do(engine, p["qa"], svc.decide, qualification_id=q.id, transition="certify")
    lot = _do(engine, p["lm"], svc.create_lot, qualification_id=q.id, site_id=rw.w.base_id, lot_number="L-1", quantity=2)
    _do(engine, p["qa"], svc.release_lot, lot_id=lot.id)
    # the origin OEM holds the record permission (kind oem) but is no venture of the operator party
    with UnitOfWork(p["oem"], write=True, engine=engine) as uow, pytest.raises(PermissionDenied, match="venture"):
        svc.create_qualification(uow, **kw)
    with UnitOfWork(p["oem"], write=True, engine=engine) as uow, pytest.raises(PermissionDenied):
        svc.reopen(uow, qualification_id=q.id, change="source", new_value="x", note="n")
    # the JV is a venture, but not the maker of this part
    with UnitOfWork(p["jv"], write=True, engine=engine) as uow, pytest.raises(PermissionDenied):
        svc.reopen(uow, qualification_id=q.id, change="source", new_value="x", note="n")
    # a lot's destination must be a site of the qualification's party
    with UnitOfWork(p["lm"], write=True, engine=engine) as uow, pytest.raises(NotFound):
        svc.create_lot(uow, qualification_id=q.id, site_id=rw.w.part_ids[1], lot_number="L-2", quantity=1)


def test_the_origin_oem_sees_only_the_qualifications_of_its_partys_parts(engine, prog):
    rw, p = prog
    mine = _do(engine, p["jv"], svc.create_qualification, part_id=rw.w.part_ids[0], drawing_revision="A",
               source="s", material="m", process="p")
    local = _do(engine, p["jv"], svc.create_qualification, part_id=rw.w.part_ids[1], drawing_revision="A",
                source="s", material="m", process="p")   # an operator-maintained part
    with UnitOfWork(p["oem"], engine=engine) as uow:
        assert [q.id for q in svc.list_qualifications(uow)] == [mine.id]
        with pytest.raises(NotFound):
            svc.get_qualification(uow, qualification_id=local.id)
    with UnitOfWork(p["exp"], engine=engine) as uow:
        assert svc.list_qualifications(uow) == []   # the export agency: not an OEM
    _do(engine, p["oem"], svc.comment, qualification_id=mine.id, text="check the heat treatment record")
    with UnitOfWork(p["oem"], write=True, engine=engine) as uow, pytest.raises(NotFound):
        svc.comment(uow, qualification_id=local.id, text="x")


def test_ventures_partners_licences_and_capabilities(engine, prog):
    rw, p = prog
    with UnitOfWork(p["oem"], engine=engine) as uow:
        vs = svc.list_ventures(uow)   # the origin sees the venture its OEM licenses, not the other
        assert [v["code"] for v in vs] == ["JV-1"]
        v = vs[0]
        assert [(x.name, x.share_percent) for x in v["partners"]] == [("Operator industry", Decimal("50.500")),
                                                                      ("Origin OEM", Decimal("49.500"))]
        lic = v["licences"][0]["licence"]
        assert (lic.export_rights, lic.royalty_percent, lic.royalty_per_unit, lic.royalty_currency) == \
            ("with_consent", Decimal("3.500"), Decimal("1200.00"), "RUB")
        assert [(c.process, c.capacity_per_year) for c in v["capabilities"]] == [("machining", 400)]
    with UnitOfWork(p["qa"], engine=engine) as uow:
        assert {v["code"] for v in svc.list_ventures(uow)} == {"JV-1", "LM-1"}
    with UnitOfWork(p["qa"], write=True, engine=engine) as uow, pytest.raises(ValidationFailed) as e:
        svc.create_venture(uow, organisation_id=rw.w.depot_org_id, kind="joint_venture",
                           partners=[{"name": "a", "share_percent": "60"}, {"name": "b", "share_percent": "30"}],
                           licences=[{"valid_from": date(2026, 1, 1), "valid_to": date(2025, 1, 1),
                                      "export_rights": "some"}])
    assert {x.field for x in e.value.errors} == {"partners", "licences[0].export_rights", "licences[0].valid_to"}
    for who in ("jv", "depot", "oem"):
        with UnitOfWork(p[who], write=True, engine=engine) as uow, pytest.raises(PermissionDenied):
            svc.create_venture(uow, organisation_id=rw.w.depot_org_id, kind="joint_venture")


def test_qualification_and_package_steps_over_the_api(engine, prog):
    from fastapi.testclient import TestClient

    from setu.app.main import create_app

    rw, p = prog
    h = {k: auth_headers(engine, a) for k, a in p.items()}
    c = TestClient(create_app(engine))
    r = c.post("/api/v1/localisation/qualifications", headers=h["jv"],
               json={"part_id": str(rw.w.part_ids[0]), "drawing_revision": "C", "source": "Forge", "material": "EN24",
                     "process": "turning"})
    assert r.status_code == 201, r.text
    qid = r.json()["id"]
    assert r.json()["steps"] == []   # approving the drawing is not the JV's step
    assert c.get(f"/api/v1/localisation/qualifications/{qid}", headers=h["qa"]).json()["steps"] == ["approve_drawing"]
    assert c.post("/api/v1/localisation/qualifications", headers=h["depot"], json={}).status_code == 403
    base = f"/api/v1/localisation/qualifications/{qid}"
    assert c.post(f"{base}/decision", headers=h["jv"], json={"transition": "approve_drawing"}).status_code == 403
    r = c.post(f"{base}/decision", headers=h["qa"], json={"transition": "approve_drawing", "note": "rev C"})
    assert r.status_code == 200 and r.json()["status"] == "fai"
    r = c.post(f"{base}/fai", headers=h["jv"], json={"fai_kind": "full", "characteristics": []})
    assert r.status_code == 422 and "characteristic" in r.text
    assert c.post(f"{base}/fai", headers=h["lm"], json={"fai_kind": "full", "characteristics": PASS}).status_code == 403
    r = c.post(f"{base}/fai", headers=h["jv"], json={"fai_kind": "full", "characteristics": PASS})
    assert r.status_code == 200 and r.json()["characteristics"][0]["result"] == "pass"
    assert c.post(f"{base}/comments", headers=h["qa"], json={"text": "x"}).status_code == 403
    assert c.post(f"{base}/comments", headers=h["oem"], json={"text": "bore looks fine"}).status_code == 201
    r = c.post(f"{base}/decision", headers=h["qa"], json={"transition": "certify"})
    assert r.status_code == 200 and r.json()["status"] == "certified"
    r = c.post(f"{base}/lots", headers=h["jv"], json={"site_id": str(rw.w.base_id), "lot_number": "L-9", "quantity": 5})
    assert r.status_code == 201, r.text
    lot = r.json()["id"]
    assert c.post(f"/api/v1/localisation/lots/{lot}/release", headers=h["jv"], json={}).status_code == 403
    r = c.post(f"/api/v1/localisation/lots/{lot}/release", headers=h["qa"], json={})
    assert r.status_code == 200 and r.json()["status"] == "released"
    r = c.post(f"{base}/reopen", headers=h["jv"], json={"change": "material", "new_value": "EN19", "note": "new bar"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["cycle"]) == ("drawing", 2)
    got = c.get(base, headers=h["oem"]).json()
    assert got["comments"][0]["text"] == "bore looks fine" and got["material"] == "EN19"
    # packages
    pkg = _package(engine, prog)
    r = c.get(f"/api/v1/localisation/packages/{pkg.id}", headers=h["oem"])
    assert r.status_code == 200 and r.json()["fee_amount"] == "125000000.50" and r.json()["fee_currency"] == "RUB"
    did = next(d["id"] for d in r.json()["deliverables"] if d["reference"] == "DRG-100")
    assert c.post(f"/api/v1/localisation/deliverables/{did}/deliver", headers=h["jv"], json={}).status_code == 403
    assert c.post(f"/api/v1/localisation/deliverables/{did}/deliver", headers=h["oem"], json={"revision": "D"}).status_code == 200
    assert c.post(f"/api/v1/localisation/deliverables/{did}/decision", headers=h["oem"],
                  json={"decision": "accept"}).status_code == 403
    r = c.post(f"/api/v1/localisation/deliverables/{did}/decision", headers=h["qa"], json={"decision": "reject"})
    assert r.status_code == 422 and "reason" in r.text
    r = c.post(f"/api/v1/localisation/deliverables/{did}/decision", headers=h["qa"],
               json={"decision": "reject", "reason": "sheet 3 illegible"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert [v["organisation"] for v in c.get("/api/v1/localisation/ventures", headers=h["oem"]).json()] == ["JV-1 (test)"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "localisation.deliverable.reject")).scalar() == 1


def test_cli_lists_packages(engine, prog, monkeypatch):
    from typer.testing import CliRunner

    from setu.app.cli import app

    _package(engine, prog)
    from setu.kit.settings import get_settings

    monkeypatch.setenv("SETU_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    get_settings.cache_clear()   # the command reads this database, not one an earlier test configured
    try:
        r = CliRunner().invoke(app, ["localisation", "packages", "--json"])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    import json

    rows = json.loads(r.output)
    assert rows[0]["code"] == "TOT-1" and rows[0]["fee_currency"] == "RUB" and rows[0]["deliverables"]["due"] == 3
