"""The localisation pages, as the personas they serve: the package page shows the deliver button
to the origin side only and accept / reject to the operator side only, a step through the page's
form changes the deliverable (audited by the workflow), a refused step changes nothing; the
qualification's step forms appear only for whoever may take them; the ventures page and the
indigenous-content table state their units."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from setu.app.main import create_app
from setu.localisation.models import TotDeliverable
from tests.localisation.test_programme import _do, _package, prog  # noqa: F401
from tests.support.auth import auth_headers
from setu.localisation import service as svc


def _client(engine, actor):
    c = TestClient(create_app(engine), follow_redirects=False)
    c.headers.update({**auth_headers(engine, actor), "Accept": "text/html"})
    return c


def _status(engine, ref):
    with engine.connect() as conn:
        return conn.execute(select(TotDeliverable.status).where(TotDeliverable.reference == ref)).scalar()


def test_package_page_buttons_and_steps(engine, prog):  # noqa: F811
    rw, p = prog
    pkg = _package(engine, prog)
    oem, qa, depot = _client(engine, p["oem"]), _client(engine, p["qa"]), _client(engine, p["depot"])
    page = oem.get(f"/localisation/packages/{pkg.id}")
    assert page.status_code == 200 and "125,000,000.50 RUB" in page.text
    assert page.text.count(">Mark delivered<") == 3 and ">Accept<" not in page.text
    assert ">Mark delivered<" not in qa.get(f"/localisation/packages/{pkg.id}").text
    with engine.connect() as conn:
        did = conn.execute(select(TotDeliverable.id).where(TotDeliverable.reference == "DRG-100")).scalar()
    # the operator cannot deliver (403, nothing changes); the origin can
    r = qa.post(f"/localisation/deliverables/{did}/step", data={"action": "deliver"})
    assert r.status_code == 403 and _status(engine, "DRG-100") == "due"
    r = oem.post(f"/localisation/deliverables/{did}/step", data={"action": "deliver", "revision": "D"})
    assert r.status_code == 303, r.text
    assert _status(engine, "DRG-100") == "delivered"
    page = qa.get(f"/localisation/packages/{pkg.id}").text
    assert page.count(">Accept<") == 1 and page.count(">Reject<") == 1
    assert ">Accept<" not in depot.get(f"/localisation/packages/{pkg.id}").text
    r = qa.post(f"/localisation/deliverables/{did}/step", data={"action": "reject", "reason": ""})
    assert r.status_code == 422 and "reason" in r.text and _status(engine, "DRG-100") == "delivered"
    r = qa.post(f"/localisation/deliverables/{did}/step", data={"action": "accept"})
    assert r.status_code == 303 and _status(engine, "DRG-100") == "accepted"
    lst = oem.get("/localisation/packages").text
    assert "TOT-1" in lst and "In delivery" in lst


def test_qualification_forms_only_for_who_may_take_them(engine, prog):  # noqa: F811
    rw, p = prog
    q = _do(engine, p["jv"], svc.create_qualification, part_id=rw.w.part_ids[0], drawing_revision="B", source="s",
            material="m", process="p")
    url = f"/localisation?q={q.id}"
    jv, qa, oem = _client(engine, p["jv"]), _client(engine, p["qa"]), _client(engine, p["oem"])
    assert 'id="form-approve_drawing"' in qa.get(url).text
    assert 'id="form-approve_drawing"' not in jv.get(url).text
    assert 'id="form-comment"' in oem.get(url).text and 'id="form-approve_drawing"' not in oem.get(url).text
    r = qa.post(f"/localisation/qualifications/{q.id}/step", data={"action": "approve_drawing", "note": "rev B"})
    assert r.status_code == 303
    page = jv.get(url).text
    assert 'id="form-submit_fai"' in page and "Drawing revision to approve" in page
    r = jv.post(f"/localisation/qualifications/{q.id}/step",
                data={"action": "submit_fai", "fai_kind": "full", "name_0": "bore", "requirement_0": "12.00 mm",
                      "measured_0": "12.01 mm", "result_0": "pass"})
    assert r.status_code == 303, r.text
    page = qa.get(url).text
    assert "bore" in page and 'id="form-certify"' in page
    r = oem.post(f"/localisation/qualifications/{q.id}/step", data={"action": "certify"})
    assert r.status_code == 403
    dash = qa.get("/localisation").text
    assert "Indigenous content" in dash and "By value (%)" in dash and "INR" in dash
    v = qa.get("/localisation/ventures").text
    assert "JV-1 (test)" in v and "machining: 400" in v and "parts per year" in v and "3.50 %" in v
