"""Forecast-run API over a real database (SQLite and PostgreSQL), through the real app."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from setu.forecasting import service as fs
from setu.forecasting.models import ForecastResult, ForecastRun
from setu.kit.access import Actor, system_actor
from setu.kit.uow import UnitOfWork
from tests.forecasting.test_forecast_service import add_history
from tests.support.auth import client_for
from tests.support.world import build_world
from tests.support.jobs import WAIT


def _client_as(engine, actor: Actor):
    """The app called by a real signed-in user with the organisation and role of ``actor``."""
    return client_for(engine, actor)


def _counts(engine):
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        return (uow.session.scalar(select(func.count()).select_from(ForecastRun)),
                uow.session.scalar(select(func.count()).select_from(ForecastResult)))


def test_start_a_run_and_read_it_back(client, engine):
    w = build_world(engine)
    add_history(engine, w)
    r = client.post("/api/v1/forecast-runs", json={"method": "sba", "horizon": 6, "holdout_months": 3}, headers=WAIT)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "done" and run["n_series"] == 3 and run["method"] == "sba"
    assert run["params"]["holdout_months"] == 3 and run["params"]["quantiles"] == [0.5, 0.9, 0.99]
    assert run["accuracy"]["overall"]["series"] == 3
    assert client.get(f"/api/v1/forecast-runs/{run['id']}").json()["id"] == run["id"]
    listed = client.get("/api/v1/forecast-runs").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == run["id"]

    # results, one page at a time
    seen, cursor = [], None
    while True:
        page = client.get(f"/api/v1/forecast-runs/{run['id']}/results",
                          params={"limit": 2, "sort": "-mean", **({"cursor": cursor} if cursor else {})}).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        assert page["total"] == 3
        if not cursor:
            break
    assert len(seen) == 3 and len({x["id"] for x in seen}) == 3
    assert [x["mean"] for x in seen] == sorted((x["mean"] for x in seen), reverse=True)
    for x in seen:
        assert x["q50"] <= x["q90"] <= x["q99"]
    one = client.get(f"/api/v1/forecast-runs/{run['id']}/results", params={"part_id": str(w.part_ids[1])}).json()
    assert [x["site_id"] for x in one["items"]] == [str(w.depot_id)]
    cls = client.get(f"/api/v1/forecast-runs/{run['id']}/results", params={"demand_class": "smooth"}).json()
    assert all(x["demand_class"] == "smooth" for x in cls["items"])

    acc = client.get(f"/api/v1/forecast-runs/{run['id']}/accuracy").json()
    assert acc["overall"]["rmsse_n"] == 3 and "sba" in acc["by_method"]

    f = client.get(f"/api/v1/parts/{w.part_ids[0]}/forecast").json()
    assert f["run"]["id"] == run["id"] and len(f["fan"]) == 6 and len(f["sites"]) == 1
    assert f["sites"][0]["site_code"] == "BAS1"
    assert f["history"][-1] == {"month": "2025-12-01", "quantity": 0.0}
    assert all(p["q50"] <= p["q90"] <= p["q99"] for p in f["fan"])


def test_openapi_describes_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in ("/api/v1/forecast-runs", "/api/v1/forecast-runs/{run_id}", "/api/v1/forecast-runs/{run_id}/results",
              "/api/v1/forecast-runs/{run_id}/accuracy", "/api/v1/parts/{part_id}/forecast"):
        assert p in paths


@pytest.mark.parametrize("body, field", [
    ({"method": "magic"}, "method"),
    ({"horizon": 0}, "horizon"),
    ({"horizon": "soon"}, "horizon"),
    ({"method": "imapa", "alpha": 0.3}, "alpha"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_names_the_field_and_writes_nothing(client, engine, body, field):
    build_world(engine)
    r = client.post("/api/v1/forecast-runs", json=body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert _counts(engine) == (0, 0)


def test_unknown_run_and_bad_sort_or_cursor(client, engine):
    assert client.get(f"/api/v1/forecast-runs/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/api/v1/forecast-runs/{uuid.uuid4()}/results").status_code == 404
    assert client.get("/api/v1/forecast-runs", params={"sort": "colour"}).status_code == 422
    assert client.get("/api/v1/forecast-runs", params={"cursor": "garbage"}).status_code == 422
    assert client.get(f"/api/v1/parts/{uuid.uuid4()}/forecast").status_code == 404


def test_part_without_a_run_has_an_empty_forecast(client, engine):
    w = build_world(engine)
    f = client.get(f"/api/v1/parts/{w.part_ids[0]}/forecast").json()
    assert f["run"] is None and f["fan"] == [] and f["sites"] == []


def test_another_partys_run_is_not_found_and_results_are_scoped(engine):
    w = build_world(engine)
    add_history(engine, w)
    ind = Actor(name="ind", party_id=w.operator_id, organisation_id=w.depot_org_id, organisation_kind="depot",
                role="clerk")
    rus = Actor(name="rus", party_id=w.origin_id, organisation_id=w.oem_org_id, organisation_kind="oem", role="clerk")
    with _client_as(engine, ind) as c_ind, _client_as(engine, rus) as c_rus:
        run = c_ind.post("/api/v1/forecast-runs", json={"method": "ses", "horizon": 3}, headers=WAIT).json()
        assert run["n_series"] == 3 and run["party_id"] == str(w.operator_id)
        assert c_rus.get(f"/api/v1/forecast-runs/{run['id']}").status_code == 404
        assert c_rus.get(f"/api/v1/forecast-runs/{run['id']}/results").status_code == 404
        assert c_rus.get("/api/v1/forecast-runs").json()["total"] == 0
        assert c_rus.get(f"/api/v1/parts/{w.part_ids[0]}/forecast").json()["sites"] == []
        # a site of another party is "not found" as a filter too, and nothing is written
        r = c_rus.post("/api/v1/forecast-runs", json={"method": "ses", "site_ids": [str(w.base_id)]})
        assert r.status_code == 404
        # an installation run is listed for both, counted over what each may see
        with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
            inst = fs.start_forecast_run(uow, method="ses", horizon=2)
            uow.commit()
        listed = c_rus.get("/api/v1/forecast-runs").json()
        assert [x["id"] for x in listed["items"]] == [str(inst.id)]
        assert listed["items"][0]["n_series"] == 0 and listed["items"][0]["accuracy"]["overall"]["rmsse_n"] == 0
        one = c_rus.get(f"/api/v1/forecast-runs/{inst.id}").json()
        assert one["n_series"] == 0 and one["accuracy"]["overall"]["series"] == 0
        assert c_rus.get(f"/api/v1/forecast-runs/{inst.id}/results").json()["items"] == []
        mine = {x["id"]: x for x in c_ind.get("/api/v1/forecast-runs").json()["items"]}
        assert mine[str(inst.id)]["n_series"] == 3 and mine[run["id"]]["n_series"] == 3
        viewer = Actor(name="ind.viewer", party_id=w.operator_id, organisation_id=w.depot_org_id,
                       organisation_kind="depot", role="viewer")
    with _client_as(engine, viewer) as c_view:
        assert c_view.post("/api/v1/forecast-runs", json={"method": "ses"}).status_code == 403
        assert c_view.get(f"/api/v1/forecast-runs/{run['id']}").status_code == 200
    assert _counts(engine) == (2, 6)
