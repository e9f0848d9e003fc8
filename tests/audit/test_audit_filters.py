"""The audit page: filters (actor, party, object type, action, date), human labels, one row per
saved plan rather than one per plan line."""
from __future__ import annotations

import re

from setu.audit.service import action_label, type_label
from tests.support.jobs import follow_job_page
from tests.support.world import make_world


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", html.split('id="audit-table"')[1].split("<tbody>")[1], re.S)


def test_labels_filters_and_one_row_per_saved_plan(engine, client):
    rw = make_world(engine, second_base=True)
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data={"budget": "50000", "name": "audited plan"},
                    follow_redirects=False)
    follow_job_page(client, r.headers["location"])
    client.sign_in_as("ind.admin", role="admin")
    html = client.get("/audit").text
    rows = _rows(html)
    line_rows = [x for x in rows if "Plan line" in x]
    assert len(line_rows) == 1 and "× " in line_rows[0]  # the plan's lines: one row with their count
    plan_rows = [x for x in rows if "Readiness plan" in x]
    assert plan_rows and "audited plan" in plan_rows[0]  # named, not a bare id
    assert "readiness_plan_line" not in re.sub(r'title="[^"]*"', "", html.split('id="audit-table"')[1])
    only = client.get("/audit", params={"object_type": "readiness_plan"}).text
    assert all("Readiness plan" in x for x in _rows(only)) and _rows(only)
    assert not [x for x in _rows(client.get("/audit", params={"actor": "nobody.here"}).text) if "<td" in x
                and "No entries" not in x]
    assert _rows(client.get("/audit", params={"action": "insert", "date_from": "2000-01-01"}).text)
    future = client.get("/audit", params={"date_from": "2999-01-01"}).text
    assert "No entries." in future
    bad = client.get("/audit", params={"date_to": "yesterday"})
    assert bad.status_code == 422 and "To must be a date as YYYY-MM-DD" in bad.text
    assert client.get("/audit", params={"party": "no-such-party"}).status_code == 422


def test_labels():
    assert type_label("fleet_stock_position") == "Stock position"
    assert type_label("readiness_plan") == "Readiness plan"
    assert action_label("catalog_part.update", "catalog_part") == "changed"
    assert action_label("ledger.support.accept", "ledger_transaction") == "accept"
