"""The queue and ticket pages: each organisation sees its tickets and only the buttons it may press."""
from __future__ import annotations

from tests.aftersales.test_api import OEM, OFFICER, _raise
from tests.support.world import build_world


def test_queue_and_ticket_pages(client, engine):
    w = build_world(engine)
    client.sign_in_as("ind.officer", **OFFICER)
    tid = _raise(client, w, w.oem_org_id, priority="critical").json()["id"]
    page = client.get("/tickets").text
    assert "Main rotor gearbox chip light" in page and "OEM-1" in page and "in progress" in page
    page = client.get(f"/tickets/{tid}").text
    assert 'value="cancel"' in page and 'value="acknowledge"' not in page
    assert "0.0 h of 2 h" in page                       # critical: acknowledge within 2 hours
    client.sign_in_as("rus.oem", **OEM)
    page = client.get(f"/tickets/{tid}").text
    assert 'value="acknowledge"' in page and 'value="cancel"' not in page
    assert str(w.unit_ids[0]) not in page and "SN-0" in page
    r = client.post(f"/tickets/{tid}/transitions", data={"action": "resolve", "note": ""}, follow_redirects=False)
    assert r.status_code == 409 and "cannot resolve" in r.text
    r = client.post(f"/tickets/{tid}/transitions", data={"action": "acknowledge"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/tickets/{tid}").text
    assert "acknowledged" in page and "completed" in page and 'value="start_work"' in page


def test_supplier_performance_page(client, engine):
    w = build_world(engine)
    client.sign_in_as("ind.officer", **OFFICER)
    _raise(client, w, w.oem_org_id, priority="critical")
    page = client.get("/tickets/suppliers")
    assert page.status_code == 200 and "OEM-1" in page.text and "SLA compliance (%)" in page.text
    assert "Supplier performance" in client.get("/tickets").text
