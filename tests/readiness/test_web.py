"""Readiness pages: availability per type and base, worst items, the plan form, the plan with its chart."""
from __future__ import annotations

import re

from tests.readiness._world import make_world


def test_pages_render_with_the_chart(engine, client):
    rw = make_world(engine, second_base=True)
    r = client.get("/readiness")
    assert r.status_code == 200 and 'href="/readiness"' in r.text and "FTR" in r.text
    r = client.get(f"/readiness/{rw.w.type_id}")
    assert r.status_code == 200
    assert 'id="fleet-availability"' in r.text and 'id="worst-items"' in r.text and "PN-0000" in r.text
    assert "BAS1" in r.text and "BAS2" in r.text
    r = client.get(f"/readiness/{rw.w.type_id}?site_id={rw.base2_id}")
    assert r.status_code == 200 and re.search(r'id="site-availability".*BAS2', r.text, re.S)
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data={"budget": "2000", "name": "web plan"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert 'class="setu-figure"' in page.text and "efficient curve" in page.text
    assert "web plan" in page.text and 'id="plan-lines"' in page.text
    plan_id = r.headers["location"].split("/")[-1].split("?")[0]
    x = client.get(f"/readiness/plans/{plan_id}/export?format=xlsx")
    assert x.status_code == 200 and "spreadsheetml" in x.headers["content-type"]
    assert "web plan" in client.get(f"/readiness/{rw.w.type_id}").text  # listed with the type


def test_form_errors_next_to_the_fields_and_nothing_saved(engine, client):
    rw = make_world(engine)
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data={"budget": "-3", "target": "2"})
    assert r.status_code == 422
    assert re.search(r'id="f-budget-error">Must be a number &gt;= 0', r.text)
    assert re.search(r'id="f-target-error">Must be an availability between 0 and 1', r.text)
    assert 'value="-3"' in r.text  # the values typed are kept
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data={})
    assert r.status_code == 422 and 'id="f-budget-error"' in r.text
    assert "No saved plans yet." in client.get(f"/readiness/{rw.w.type_id}").text


def test_unknown_type_and_plan_are_404(engine, client):
    make_world(engine)
    assert client.get("/readiness/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/readiness/plans/00000000-0000-0000-0000-000000000000").status_code == 404
