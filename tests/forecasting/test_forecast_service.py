"""Forecast runs over the database (real database on SQLite and PostgreSQL, real engine, no mocks)."""
from __future__ import annotations

import math
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import func, select

from setu.catalog.models import Part
from setu.forecasting import service as fs
from setu.demand import service as demand
from setu.demand.models import DemandRecord
from setu.forecasting.models import ForecastResult, ForecastRun
from setu.demand.schemas import DemandRecordCreate
from setu.engine.forecasting.distributions import NegBinLeadTimeDemand
from setu.engine.forecasting.panel import panel_from_long
from setu.engine.forecasting.pipeline import forecast_batch
from setu.identity.models import Organisation
from setu.kit.access import Actor, system_actor
from setu.kit.db import make_engine
from setu.kit.errors import NotFound, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world

SYS = system_actor("test")


def add_history(engine, w):
    """More series: part 1 at the depot (24 months) and part 2 at the base (18 months)."""
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        for m in range(24):
            q = float((m * 7) % 5 == 0) * (1 + m % 3)
            demand.record_demand(uow, data=DemandRecordCreate(
                part_id=w.part_ids[1], site_id=w.depot_id, period=date(2024 + m // 12, m % 12 + 1, 1), quantity=q))
        for m in range(6, 24):
            q = float(m % 4 == 1) * 3
            demand.record_demand(uow, data=DemandRecordCreate(
                part_id=w.part_ids[2], site_id=w.base_id, period=date(2024 + m // 12, m % 12 + 1, 1), quantity=q))
        uow.commit()


def run(engine, actor=SYS, **kw):
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        r = fs.start_forecast_run(uow, **kw)
        uow.commit()
        return r.id


def detach(r):
    return SimpleNamespace(**{c.key: getattr(r, c.key) for c in ForecastResult.__table__.columns})


def results(engine, run_id, actor=SYS):
    with UnitOfWork(actor, engine=engine) as uow:
        return [detach(r) for r in fs.run_results(uow, run_id=run_id, limit=500).items]


def history_panel(engine):
    with UnitOfWork(SYS, engine=engine) as uow:
        rows = uow.session.execute(select(DemandRecord.part_id, DemandRecord.site_id, DemandRecord.period,
                                          DemandRecord.quantity)).all()
    return panel_from_long([f"{p}|{s}" for p, s, _, _ in rows], [d.isoformat()[:7] for _, _, d, _ in rows],
                           [q for *_, q in rows])


def test_a_run_stores_one_distribution_per_part_and_site_equal_to_the_engine(engine):
    w = build_world(engine)
    add_history(engine, w)
    rid = run(engine, method="sba", horizon=6, holdout_months=4)
    got = {(r.part_id, r.site_id): r for r in results(engine, rid)}
    assert set(got) == {(w.part_ids[0], w.base_id), (w.part_ids[1], w.depot_id), (w.part_ids[2], w.base_id)}
    # the same series through the engine directly
    panel = history_panel(engine)
    L = 90 / (365.25 / 12)
    ref = forecast_batch(panel.Y, panel.start, model="sba", variance=True, quantiles=(0.5, 0.9, 0.99),
                         lead_time=np.full(panel.n_series, L))
    for i, key in enumerate(panel.ids):
        p, s = key.split("|")
        r = next(v for k, v in got.items() if str(k[0]) == p and str(k[1]) == s)
        assert r.method == "sba"
        assert r.mean == pytest.approx(ref.mean[i], rel=1e-12, abs=1e-15)
        assert r.lead_time_months == pytest.approx(L)
        assert r.lead_time_mean == pytest.approx(ref.ltd_mean[i], rel=1e-12)
        assert r.lead_time_var == pytest.approx(ref.ltd_var[i], rel=1e-12)
        # demand variance over L plus the lead-time forecast's own error (Prak et al. 2017, alpha 0.1)
        assert r.lead_time_var == pytest.approx(r.variance_to_mean * r.mean * L * (1 + L * 0.1 / 1.9), rel=1e-9)
        assert (r.q50, r.q90, r.q99) == tuple(float(x) for x in ref.ltd_quantiles[i])
        assert r.q50 <= r.q90 <= r.q99
        assert r.variance_to_mean >= 1.0
        assert r.lead_time_var >= r.lead_time_mean
        assert r.demand_class in ("smooth", "erratic", "intermittent", "lumpy")
        assert r.rmsse is not None and r.rmsse >= 0 and r.mase is not None and r.scaled_bias is not None
    with UnitOfWork(SYS, engine=engine) as uow:
        the_run = fs.get_run(uow, run_id=rid)
        assert the_run.status == "done" and the_run.n_series == 3 and the_run.horizon == 6
        acc = fs.accuracy_summary(uow, run_id=rid)
        assert acc["overall"]["series"] == 3 and acc["overall"]["rmsse_n"] == 3
        assert set(acc["by_method"]) == {"sba"}
        # audit: every result row is in the hash-chained log
        from setu.kit.audit import AuditEntry, verify_database
        n = uow.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "demand_forecast_result.insert"))
        assert n == 3
        assert verify_database(uow.session).ok


def test_auto_chooses_per_series_and_records_the_method(engine):
    w = build_world(engine)
    add_history(engine, w)
    rid = run(engine, method="auto", horizon=3, holdout_months=3)
    rs = results(engine, rid)
    assert len(rs) == 3
    known = {"ses", "ses_opt", "croston", "sba", "tsb", "croston_opt", "adida", "imapa"}
    assert all(set(r.method.split("+")) <= known for r in rs)  # the best-ranked methods, combined
    with UnitOfWork(SYS, engine=engine) as uow:
        acc = fs.accuracy_summary(uow, run_id=rid)
    assert sum(v["series"] for v in acc["by_method"].values()) == 3
    assert set(acc["by_method"]) == {fs.method_group(r.method) for r in rs}
    with UnitOfWork(SYS, engine=engine) as uow:  # filtering by a method finds the combinations it leads
        lead = fs.method_group(rs[0].method)
        found = fs.run_results(uow, run_id=rid, method=lead).items
        assert rs[0].id in {r.id for r in found} and all(fs.method_group(r.method) == lead for r in found)


def test_same_parameters_give_the_same_results(engine):
    w = build_world(engine)
    add_history(engine, w)
    a = run(engine, method="tsb", horizon=4, seed=7)
    b = run(engine, method="tsb", horizon=4, seed=7)
    cols = ("part_id", "site_id", "method", "mean", "variance_to_mean", "lead_time_mean", "lead_time_var",
            "q50", "q90", "q99", "rmsse", "scaled_bias", "mase")
    key = lambda r: (str(r.part_id), str(r.site_id))  # noqa: E731
    ra = [tuple(getattr(r, c) for c in cols) for r in sorted(results(engine, a), key=key)]
    rb = [tuple(getattr(r, c) for c in cols) for r in sorted(results(engine, b), key=key)]
    assert ra == rb and len(ra) == 3


def test_dask_blocks_give_the_serial_results(sqlite_url):
    engine = make_engine(sqlite_url)
    w = build_world(engine)
    add_history(engine, w)
    with UnitOfWork(SYS, engine=engine) as uow:
        spec = fs.validate_spec(method="auto", horizon=6, holdout_months=3)
        inp = fs.load_forecast_input(uow, spec)
    serial = fs.compute_forecasts(inp, spec, block_series=1)  # one series per block
    one = fs.compute_forecasts(inp, spec, block_series=10_000)  # one block
    dask = fs.compute_forecasts(inp, spec, workers=2)
    for name in ("method", "demand_class"):
        assert list(serial.__dict__[name]) == list(one.__dict__[name]) == list(dask.__dict__[name])
    for name in ("mean", "vmr", "lead_time_mean", "lead_time_var", "quantiles", "rmsse", "scaled_bias", "mase"):
        np.testing.assert_array_equal(serial.__dict__[name], one.__dict__[name])
        np.testing.assert_array_equal(serial.__dict__[name], dask.__dict__[name])
    engine.dispose()


def _actors(engine, w):
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        po = Organisation(party_id=w.operator_id, code="PO", name="Programme office", kind="programme_office")
        uow.session.add(po)
        uow.commit()
    ind = Actor(name="ind", party_id=w.operator_id, organisation_id=w.depot_org_id, organisation_kind="depot",
                role="clerk")
    rus = Actor(name="rus", party_id=w.origin_id, organisation_id=w.oem_org_id, organisation_kind="oem", role="clerk")
    return ind, rus


def test_runs_and_results_are_scoped_to_what_the_actor_may_see(engine):
    w = build_world(engine)
    add_history(engine, w)
    ind, rus = _actors(engine, w)
    mine = run(engine, ind, method="sba", horizon=3)
    assert len(results(engine, mine, ind)) == 3
    # another party's run answers 404, exactly like a missing one
    with UnitOfWork(rus, engine=engine) as uow:
        with pytest.raises(NotFound):
            fs.get_run(uow, run_id=mine)
        with pytest.raises(NotFound):
            fs.run_results(uow, run_id=mine)
        assert fs.list_runs(uow).total == 0
        assert fs.latest_run_rates(uow, w.part_ids, [w.base_id, w.depot_id]) == {}
    # an installation run is listed for both, but its results only at sites each may see
    inst = run(engine, SYS, method="sba", horizon=3)
    assert results(engine, inst, rus) == []
    assert len(results(engine, inst, ind)) == 3
    with UnitOfWork(rus, engine=engine) as uow:
        assert [r.id for r in fs.list_runs(uow).items] == [inst]
        assert fs.accuracy_summary(uow, run_id=inst)["overall"]["series"] == 0
        assert fs.part_forecast(uow, part_id=w.part_ids[0])["sites"] == []
    # the OEM's own run reads no military site: it has nothing to forecast and is refused
    with pytest.raises(ValidationFailed) as refused:
        run(engine, rus, method="sba", horizon=3)
    assert "nothing to forecast" in refused.value.errors[0].message
    with UnitOfWork(rus, write=True, engine=engine) as uow:
        with pytest.raises(NotFound):  # a site it may not see is "not found"
            fs.start_forecast_run(uow, method="sba", site_ids=[w.base_id])
    viewer = Actor(name="v", party_id=w.operator_id, organisation_id=w.depot_org_id, organisation_kind="depot",
                   role="viewer")
    with UnitOfWork(viewer, write=True, engine=engine) as uow:
        with pytest.raises(PermissionDenied):
            fs.start_forecast_run(uow, method="sba")


@pytest.mark.parametrize("kw, field", [
    ({"method": "prophet"}, "method"),
    ({"horizon": 0}, "horizon"),
    ({"horizon": -3}, "horizon"),
    ({"method": "adida", "alpha": 0.2}, "alpha"),
    ({"method": "sba", "alpha": 1.5}, "alpha"),
    ({"holdout_months": -1}, "holdout_months"),
    ({"part_ids": ["not-an-id"]}, "part_ids"),
])
def test_bad_parameters_name_the_field_and_write_nothing(engine, kw, field):
    build_world(engine)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            fs.start_forecast_run(uow, **kw)
        uow.commit()
    assert field in [e.field for e in exc.value.errors]
    with UnitOfWork(SYS, engine=engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ForecastRun)) == 0
        assert uow.session.scalar(select(func.count()).select_from(ForecastResult)) == 0


def test_several_bad_parameters_are_reported_together(engine):
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            fs.start_forecast_run(uow, method="x", horizon=0)
    assert [e.field for e in exc.value.errors] == ["method", "horizon"]


def test_parts_without_history_get_reliability_based_forecasts(engine):
    w = build_world(engine)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        p0, p1 = uow.session.get(Part, w.part_ids[0]), uow.session.get(Part, w.part_ids[1])
        p0.mtbf_hours, p1.mtbf_hours = 500.0, 2000.0
        uow.commit()
    rid = run(engine, method="sba", horizon=6, holdout_months=3, prior_months=12)
    got = {(r.part_id, r.site_id): r for r in results(engine, rid)}
    # part 1: no history; 2 per part 0, part 0 once per aircraft; 4 aircraft at the base, 240 h a year
    rel = got[(w.part_ids[1], w.base_id)]
    rate = 1 / 2000 * 240 / 12 * 2 * 4
    assert rel.method == "reliability" and rel.demand_class == "no demand"
    assert rel.mean == pytest.approx(rate)
    assert rel.variance_to_mean == pytest.approx(1 + 1 / 12)
    assert rel.lead_time_mean == pytest.approx(rate * rel.lead_time_months)
    assert rel.lead_time_var == pytest.approx(rel.lead_time_mean * (1 + rel.lead_time_months / 12))
    assert rel.q50 <= rel.q90 <= rel.q99 and rel.rmsse is None
    # part 0: 12 months of history blended with its engineering rate (weight 12 / (12 + 12))
    blended = got[(w.part_ids[0], w.base_id)]
    assert blended.method == "sba|rel" and blended.rmsse is not None
    only = run(engine, method="sba", horizon=6, holdout_months=3, prior_months=0)
    plain = {(r.part_id, r.site_id): r for r in results(engine, only)}
    assert (w.part_ids[1], w.base_id) in plain  # the prior alone still forecasts a part without history
    m = plain[(w.part_ids[0], w.base_id)].mean
    assert plain[(w.part_ids[0], w.base_id)].method == "sba"
    prior = 1 / 500 * 240 / 12 * 1 * 4
    # the history (about one a month) contradicts the engineering rate (0.16 a month): the prior
    # is discounted by the conflict test and weighs less than its 12 / (12 + 12) months
    assert prior < blended.mean < m
    assert blended.mean > 0.5 * prior + 0.5 * m
    # without blending, the reliability-only series is a Poisson rate (no prior spread to carry)
    assert plain[(w.part_ids[1], w.base_id)].variance_to_mean == pytest.approx(1.0)
    assert plain[(w.part_ids[1], w.base_id)].mean == pytest.approx(rate)


def test_filters_limit_the_run(engine):
    w = build_world(engine)
    add_history(engine, w)
    rid = run(engine, method="ses", horizon=2, part_ids=[w.part_ids[1], w.part_ids[2]], site_ids=[w.base_id])
    assert [(r.part_id, r.site_id) for r in results(engine, rid)] == [(w.part_ids[2], w.base_id)]
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            fs.start_forecast_run(uow, method="ses", max_series=2)
    assert exc.value.errors[0].field == "part_ids"


def test_latest_run_rates_feed_the_readiness_engine(engine):
    w = build_world(engine)
    add_history(engine, w)
    first = run(engine, method="ses", horizon=3)
    last = run(engine, method="sba", horizon=3)
    with UnitOfWork(SYS, engine=engine) as uow:
        rates = fs.latest_run_rates(uow, w.part_ids, [w.base_id, w.depot_id])
        assert set(rates) == {(w.part_ids[0], w.base_id), (w.part_ids[1], w.depot_id), (w.part_ids[2], w.base_id)}
        by_key = {(r.part_id, r.site_id): r for r in fs.run_results(uow, run_id=last, limit=500).items}
        for k, rate in rates.items():
            assert rate.run_id == last and rate.method == "sba"
            assert rate.mean_per_month == by_key[k].mean
            assert rate.variance_to_mean == by_key[k].variance_to_mean >= 1
        assert first != last
        assert fs.latest_run_rates(uow, [], [w.base_id]) == {}


def test_part_forecast_has_history_and_a_fan(engine):
    w = build_world(engine)
    add_history(engine, w)
    run(engine, method="sba", horizon=5)
    with UnitOfWork(SYS, engine=engine) as uow:
        f = fs.part_forecast(uow, part_id=w.part_ids[0])
        f["sites"] = [{**x, "result": detach(x["result"])} for x in f["sites"]]
    assert len(f["fan"]) == 5 and len(f["sites"]) == 1
    assert f["history"][-1][0] == date(2025, 12, 1)
    assert f["fan"][0]["month"] == "2026-01-01"
    r = f["sites"][0]["result"]
    for k, pt in enumerate(f["fan"]):
        assert pt["mean"] == pytest.approx(r.mean)
        assert pt["q50"] <= pt["q90"] <= pt["q99"]
        assert pt["cumulative_mean"] == pytest.approx(r.mean * (k + 1))
        assert pt["cumulative_q50"] <= pt["cumulative_q90"] <= pt["cumulative_q99"]
        # the cumulative fan widens with the forecast's own error over k + 1 months
        h = k + 1
        var = r.mean * r.variance_to_mean * h * (1 + h * 0.1 / 1.9)
        ref = NegBinLeadTimeDemand(np.array([r.mean * h]), np.array([var]), np.array([h])).quantile(
            np.array([0.5, 0.9, 0.99]))[0]
        assert (pt["cumulative_q50"], pt["cumulative_q90"], pt["cumulative_q99"]) == tuple(float(x) for x in ref)
    assert [p["cumulative_q99"] for p in f["fan"]] == sorted(p["cumulative_q99"] for p in f["fan"])
    assert not math.isnan(f["mean_per_month"])


def test_a_run_with_no_series_is_refused_not_done(engine):
    with pytest.raises(ValidationFailed) as refused:
        run(engine, method="sba", horizon=3)
    assert refused.value.errors[0].field == "part_ids" and "nothing to forecast" in refused.value.errors[0].message
    with UnitOfWork(SYS, engine=engine) as uow:
        assert fs.latest_run(uow) is None and fs.list_runs(uow).total == 0  # nothing stored


def test_a_forecast_that_is_not_finite_is_refused_and_nothing_is_stored(engine):
    """Demand written below the API's limits (a direct database write) that overflows the forecast
    makes the run fail with a message naming the series; no run and no result is stored."""
    from sqlalchemy import update

    from setu.demand.models import DemandRecord
    from setu.forecasting.models import ForecastResult, ForecastRun
    from setu.kit.errors import ValidationFailed

    w = build_world(engine)
    with engine.begin() as c:
        c.execute(update(DemandRecord).where(DemandRecord.part_id == w.part_ids[0]).values(quantity=1.5e308))
    with pytest.raises(ValidationFailed) as e:
        run(engine, method="ses", horizon=3)
    assert e.value.errors[0].field == "demand" and str(w.part_ids[0]) in e.value.errors[0].message
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(ForecastRun)) == 0
        assert c.scalar(select(func.count()).select_from(ForecastResult)) == 0


def _link(engine, old, new, code):
    from setu.catalog import service as catalog
    from setu.catalog.schemas import InterchangeCreate

    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        catalog.add_interchange(uow, data=InterchangeCreate(replaced_part_id=old, replacing_part_id=new, code=code))
        uow.commit()


def test_a_superseded_parts_demand_is_its_successors_history(engine):
    """One-way supersession: part 2's demand at the base rolls up into part 0's series there; a
    qualified link (interchangeable only under conditions) rolls nothing up."""
    w = build_world(engine)
    add_history(engine, w)
    before = history_panel(engine)
    _link(engine, w.part_ids[2], w.part_ids[0], "one_way")
    _link(engine, w.part_ids[1], w.part_ids[0], "qualified")
    rid = run(engine, method="sba", horizon=3, holdout_months=0)
    got = {(r.part_id, r.site_id): r for r in results(engine, rid)}
    assert set(got) == {(w.part_ids[0], w.base_id), (w.part_ids[1], w.depot_id)}
    # the family series = part 0's and part 2's monthly demand at the base added up
    rows = {k: i for i, k in enumerate(before.ids)}
    fam = [rows[f"{w.part_ids[0]}|{w.base_id}"], rows[f"{w.part_ids[2]}|{w.base_id}"]]
    Y = before.Y[fam].sum(axis=0, keepdims=True)
    ref = forecast_batch(Y, np.array([before.start[fam].min()]), model="sba")
    assert got[(w.part_ids[0], w.base_id)].mean == pytest.approx(ref.mean[0], rel=1e-12)
    one = forecast_batch(before.Y[fam[:1]], before.start[fam[:1]], model="sba")
    assert got[(w.part_ids[0], w.base_id)].mean != pytest.approx(one.mean[0], rel=1e-6)
    # filtering on the superseded part selects its family
    only = run(engine, method="sba", horizon=3, holdout_months=0, part_ids=[w.part_ids[2]])
    assert {(r.part_id, r.site_id) for r in results(engine, only)} == {(w.part_ids[0], w.base_id)}
    # the superseded part's page points at its successor's forecast, with the family's history
    with UnitOfWork(SYS, engine=engine) as uow:
        f = fs.part_forecast(uow, part_id=w.part_ids[2], run_id=rid)
        g = fs.part_forecast(uow, part_id=w.part_ids[0], run_id=rid)
    assert f["forecast_part_id"] == w.part_ids[0] and f["part_id"] == w.part_ids[2]
    assert len(f["sites"]) == 1 and f["history"] == g["history"]
    assert sum(q for _, q in g["history"]) == pytest.approx(Y[0, -36:].sum())
