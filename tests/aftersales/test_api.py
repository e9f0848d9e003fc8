"""Tickets over the API, as real signed-in users of the right and the wrong organisations."""
from __future__ import annotations

from sqlalchemy import func, select

from setu.aftersales.models import Ticket, TicketEvent
from tests.support.world import build_world

OEM = dict(party="RUS", org="OEM-1", kind="oem", role="clerk")
JV = dict(party="IND", org="IND-JV", kind="joint_venture", role="clerk")
OFFICER = dict(party="IND", org="DEP-ORG", kind="depot", role="clerk")


def _counts(engine):
    with engine.connect() as c:
        return (c.execute(select(func.count()).select_from(Ticket)).scalar(),
                c.execute(select(func.count()).select_from(TicketEvent)).scalar())


def _raise(client, w, supplier_id, **kw):
    body = {"equipment_unit_id": str(w.unit_ids[0]), "supplier_org_id": str(supplier_id), "type": "repair_exchange",
            "title": "Main rotor gearbox chip light", **kw}
    return client.post("/api/v1/tickets", json=body)


def _org_id(client, code):
    client.sign_in_as("ind.officer", **OFFICER)
    items = client.get("/api/v1/organisations", params={"q": code}).json()["items"]
    return next(o["id"] for o in items if o["code"] == code)


def test_raise_acknowledge_resolve_and_close(client, engine):
    w = build_world(engine)
    client.sign_in_as("ind.officer", **OFFICER)
    r = _raise(client, w, w.oem_org_id)
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["status"] == "new" and t["priority"] == "urgent"     # SN-0 is down for parts
    assert t["equipment_unit_id"] == str(w.unit_ids[0]) and t["unit_serial"] == "SN-0"
    assert t["actions"] == ["cancel"]                              # the raiser may not acknowledge
    ack = t["sla"]["acknowledge"]
    assert ack["stage"] == "in_progress" and ack["target_hours"] == 8 and ack["due_at"]
    tid = t["id"]
    assert client.get("/api/v1/tickets").json()["total"] == 1

    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "acknowledge"})
    assert r.status_code == 403 and "addressed" in r.json()["detail"]

    client.sign_in_as("rus.oem", **OEM)
    r = client.get(f"/api/v1/tickets/{tid}")
    assert r.status_code == 200 and "acknowledge" in r.json()["actions"]
    # the OEM is told the unit's serial, not given the operator's fleet record
    assert r.json()["unit_serial"] == "SN-0" and r.json()["equipment_unit_id"] is None
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "acknowledge"})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["status"] == "acknowledged" and t["acknowledged_by"] == "rus.oem"
    assert t["sla"]["acknowledge"]["stage"] == "completed" and t["sla"]["acknowledge"]["due_at"] is None
    assert t["sla"]["restore"]["stage"] == "in_progress"
    assert [e["state"] for e in t["history"]] == [None, "acknowledged"]

    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "resolve"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "close_complete"})
    assert r.status_code == 409  # resolved first
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "resolve", "note": "gearbox exchanged"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert r.json()["sla"]["restore"]["stage"] == "completed" and r.json()["resolution"] == "gearbox exchanged"
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "close_complete"})
    assert r.status_code == 403  # only the raiser closes

    client.sign_in_as("ind.officer", **OFFICER)
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "close_complete"})
    assert r.status_code == 200 and r.json()["status"] == "closed_complete"
    assert _counts(engine) == (1, 4)


def test_hold_for_a_listed_reason_pauses_the_clock_and_resume_clears_it(client, engine):
    w = build_world(engine)
    client.sign_in_as("ind.officer", **OFFICER)
    tid = _raise(client, w, w.oem_org_id, priority="critical").json()["id"]
    client.sign_in_as("rus.oem", **OEM)
    client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "acknowledge"})
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "hold"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = client.post(f"/api/v1/tickets/{tid}/transitions",
                    json={"action": "hold", "reason": "awaiting_export_licence"})
    assert r.status_code == 200 and r.json()["hold_reason"] == "awaiting_export_licence"
    assert r.json()["sla"]["restore"]["stage"] == "paused" and r.json()["sla"]["restore"]["target_hours"] == 72
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "resume"})
    assert r.status_code == 200 and r.json()["hold_reason"] is None
    assert r.json()["status"] == "in_work" and r.json()["sla"]["restore"]["stage"] == "in_progress"


def test_a_jv_sees_only_the_tickets_addressed_to_it(client, engine):
    w = build_world(engine)
    client.sign_in_as("ind.jv", **JV)          # creates the JV organisation
    jv_id = _org_id(client, "IND-JV")
    to_oem = _raise(client, w, w.oem_org_id).json()["id"]
    to_jv = _raise(client, w, jv_id, type="spares", title="Seal kit").json()["id"]
    client.sign_in_as("ind.jv", **JV)
    listed = client.get("/api/v1/tickets").json()
    assert [t["id"] for t in listed["items"]] == [to_jv] and listed["total"] == 1
    assert client.get(f"/api/v1/tickets/{to_oem}").status_code == 404
    r = client.post(f"/api/v1/tickets/{to_oem}/transitions", json={"action": "acknowledge"})
    assert r.status_code == 404
    assert client.post(f"/api/v1/tickets/{to_jv}/transitions", json={"action": "acknowledge"}).status_code == 200
    # the OEM sees its ticket only; the other party's armed services and an export agency none
    client.sign_in_as("rus.oem", **OEM)
    assert [t["id"] for t in client.get("/api/v1/tickets").json()["items"]] == [to_oem]
    assert client.get(f"/api/v1/tickets/{to_jv}").status_code == 404
    client.sign_in_as("rus.base", party="RUS", org="RUS-BASE", kind="base", role="approver")
    assert client.get("/api/v1/tickets").json()["total"] == 0
    assert client.get(f"/api/v1/tickets/{to_oem}").status_code == 404
    client.sign_in_as("rus.export", party="RUS", org="RUS-EXP", kind="export_agency", role="approver")
    assert client.get("/api/v1/tickets").json()["total"] == 0
    # the raising party's other armed services see both
    client.sign_in_as("ind.hq", party="IND", org="IND-HQ", kind="armed_service_hq", role="viewer")
    assert client.get("/api/v1/tickets").json()["total"] == 2
    r = client.post(f"/api/v1/tickets/{to_oem}/transitions", json={"action": "cancel", "note": "x"})
    assert r.status_code == 403  # a viewer changes nothing


def test_bad_input_is_refused_and_changes_nothing(client, engine):
    w = build_world(engine)
    client.sign_in_as("ind.officer", **OFFICER)
    before = _counts(engine)
    r = _raise(client, w, w.depot_org_id)      # an armed-service organisation is no supplier
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "supplier_org_id"
    r = _raise(client, w, w.oem_org_id, type="teleport")
    assert r.status_code == 422 and "type" in r.text
    r = _raise(client, w, w.oem_org_id, title="   ")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"
    body = {"equipment_unit_id": "00000000-0000-0000-0000-000000000001", "supplier_org_id": str(w.oem_org_id),
            "type": "spares", "title": "x"}
    r = client.post("/api/v1/tickets", json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "equipment_unit_id"
    tid = _raise(client, w, w.oem_org_id).json()["id"]
    after_one = _counts(engine)
    assert after_one == (before[0] + 1, before[1] + 1)
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "fly"})
    assert r.status_code == 422
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "cancel"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"action": "cancel", "note": "dup", "version": 9})
    assert r.status_code == 409
    assert client.get(f"/api/v1/tickets/{tid}").json()["status"] == "new"
    assert _counts(engine) == after_one
    client.sign_in_as("viewer.ind", party="IND", org="DEP-ORG", kind="depot", role="viewer")
    assert _raise(client, w, w.oem_org_id).status_code == 403
    assert _counts(engine) == after_one
