"""Forecast pages through the real app: runs list, start form, run page, accuracy page, fan chart."""
from __future__ import annotations

import json
import re
import uuid

from sqlalchemy import func, select

from setu.forecasting.models import ForecastRun
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.forecasting.test_forecast_service import add_history
from tests.support.world import build_world
from tests.support.jobs import WAIT, follow_job_page

HTML = {"accept": "text/html"}


def _figure(html: str, chart_id: str) -> dict:
    m = re.search(rf'id="{chart_id}"[^>]*>\s*<script type="application/json" class="setu-figure">(.*?)</script>',
                  html, re.S)
    assert m, f"chart {chart_id} not found"
    return json.loads(m.group(1).replace("<\\/", "</"))


def test_start_a_run_from_the_form_and_browse_it(client, engine):
    w = build_world(engine)
    add_history(engine, w)
    r = client.get("/forecast-runs", headers=HTML)
    assert r.status_code == 200 and "No forecast runs yet" in r.text
    form = client.get("/forecast-runs/new", headers=HTML)
    assert form.status_code == 200 and 'name="method"' in form.text and "BAS1" in form.text
    r = client.post("/forecast-runs/new", data={"method": "auto", "horizon": "6", "holdout_months": "3", "seed": "1",
                                                "alpha": "", "site_id": ""}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/jobs/")  # a background job: its page follows it
    url = follow_job_page(client, r.headers["location"])
    assert url.startswith("/forecast-runs/")
    page = client.get(url, headers=HTML)
    assert page.status_code == 200
    assert 'id="run-params"' in page.text and "PN-0000" in page.text and "Automatic" in page.text
    assert page.text.count("/parts/") >= 3
    filtered = client.get(url, params={"demand_class": "no demand"}, headers=HTML)
    assert "No results at the sites you may see" in filtered.text
    acc = client.get(url + "/accuracy", headers=HTML)
    assert acc.status_code == 200 and 'id="accuracy-by-class"' in acc.text
    fig = _figure(acc.text, "rmsse-by-class")
    assert sum(len(t["y"]) for t in fig["data"]) == 3
    lst = client.get("/forecast-runs", headers=HTML)
    assert url in lst.text


def test_the_form_reports_bad_values_by_field_and_writes_nothing(client, engine):
    build_world(engine)
    r = client.post("/forecast-runs/new", data={"method": "adida", "horizon": "0", "holdout_months": "3",
                                                "alpha": "0.3", "seed": "0", "site_id": ""})
    assert r.status_code == 422
    assert 'id="f-horizon-error"' in r.text and 'id="f-alpha-error"' in r.text
    r = client.post("/forecast-runs/new", data={"method": "sba", "horizon": "soon", "holdout_months": ""})
    assert r.status_code == 422 and 'id="f-horizon-error"' in r.text and 'id="f-holdout_months-error"' in r.text
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ForecastRun)) == 0


def test_part_page_shows_the_fan_chart(client, engine):
    w = build_world(engine)
    add_history(engine, w)
    empty = client.get(f"/parts/{w.part_ids[0]}/forecast-chart", headers=HTML)
    assert empty.status_code == 200 and 'id="no-forecast"' in empty.text
    assert client.post("/api/v1/forecast-runs", json={"method": "sba", "horizon": 9}, headers=WAIT).status_code == 201
    page = client.get(f"/parts/{w.part_ids[0]}", headers=HTML)
    assert page.status_code == 200 and f"/parts/{w.part_ids[0]}/forecast-chart" in page.text
    frag = client.get(f"/parts/{w.part_ids[0]}/forecast-chart", headers=HTML)
    assert frag.status_code == 200 and 'id="forecast-sites"' in frag.text and "BAS1" in frag.text
    fig = _figure(frag.text, f"forecast-{w.part_ids[0]}")
    names = [t["name"] for t in fig["data"]]
    assert names == ["demand", "q99", "q90–q99", "q50–q90", "mean"]
    q99, q90, q50 = (fig["data"][i]["y"] for i in (1, 2, 3))
    assert len(q99) == 9 and all(a <= b <= c for a, b, c in zip(q50, q90, q99))
    assert fig["data"][0]["x"][-1] == "2025-12-01" and fig["data"][1]["x"][0] == "2026-01-01"


def test_unknown_run_is_a_404_page(client):
    r = client.get(f"/forecast-runs/{uuid.uuid4()}", headers=HTML)
    assert r.status_code == 404 and "<html" in r.text
    assert client.get("/forecast-runs/not-an-id/accuracy", headers=HTML).status_code == 404
