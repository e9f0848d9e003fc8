"""Regression (found by the authorisation matrix): the installation's forecast runs are seen by
both parties, and their parameters may name sites of both in their filter; a party's user must
not read the other party's site ids there (API run, run list, part forecast)."""
from __future__ import annotations

import json

from setu.forecasting import service as fs
from setu.forecasting.models import ForecastRun
from setu.fleet import service as fleet
from setu.fleet.schemas import SiteCreate
from setu.identity.models import Organisation
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world


def test_a_shared_runs_filter_shows_only_visible_sites(engine, client):
    w = build_world(engine)
    sys_ = system_actor("test")
    with UnitOfWork(sys_, write=True, engine=engine) as uow:
        org = Organisation(party_id=w.origin_id, code="RUS-BASE", name="Origin base org", kind="base", is_demo=True)
        uow.session.add(org)
        uow.session.flush()
        rus = fleet.create_site(uow, data=SiteCreate(code="RUS-B", name="Origin base", kind="base",
                                                     organisation_id=org.id, echelon=2))
        uow.commit()
    with UnitOfWork(sys_, write=True, engine=engine) as uow:
        run_id = fs.start_forecast_run(uow, method="ses", horizon=3, holdout_months=2,
                                       site_ids=[w.base_id, rus.id]).id
        uow.commit()
    hidden, seen = str(rus.id), str(w.base_id)
    one = client.get(f"/api/v1/forecast-runs/{run_id}")
    assert one.status_code == 200 and one.json()["params"]["site_ids"] == [seen], one.text
    listed = client.get("/api/v1/forecast-runs")
    assert hidden not in listed.text and listed.json()["items"][0]["params"]["site_ids"] == [seen]
    forecast = client.get(f"/api/v1/parts/{w.part_ids[0]}/forecast")
    assert forecast.status_code == 200 and hidden not in forecast.text
    with UnitOfWork(sys_, engine=engine) as uow:  # the stored run is unchanged
        assert json.loads(uow.session.get(ForecastRun, run_id).params)["site_ids"] == [seen, hidden]
