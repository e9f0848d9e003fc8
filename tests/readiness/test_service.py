"""Readiness over the database: case building, today's availability, plans, saved plans, scoping."""
from __future__ import annotations

import io
import itertools
import json

import numpy as np
import pytest
from sqlalchemy import func, select

from setu.engine.readiness import Case, Demand, Item, Site, evaluate
from setu.kit.access import system_actor
from setu.kit.errors import NotFound, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.readiness import service
from setu.readiness.models import ReadinessPlan, ReadinessPlanLine
from setu.forecasting.models import ForecastRun
from tests.support.world import make_world, operator_user, origin_user

SYS = system_actor("test")


def test_build_case_from_a_small_world_is_hand_computable(engine):
    rw = make_world(engine)
    with UnitOfWork(SYS, engine=engine) as uow:
        built = service.build_case(uow, equipment_type_id=rw.w.type_id)
        case, stock = built
    assert [(s.id, s.echelon, s.parent, dict(s.units)) for s in case.sites] == [
        ("DEP1", "depot", None, {}), ("BAS1", "base", "DEP1", {"FTR": 4})]
    assert case.site("BAS1").order_ship_time == pytest.approx(7 / 365)
    lru, sru = case.items
    assert (lru.id, lru.parent, dict(lru.qpa), lru.unit_cost) == ("RSK01:PN-0000", None, {"FTR": 1}, 100.5)
    # 12 units over the 24 months ending Dec 2025: 0.5 a month, 6 a year; monthly values 1,2,0 x4 + 12 zeros
    d = lru.demand["BAS1"]
    assert d.rate == pytest.approx(6.0) and d.repair_fraction == 0.0
    assert lru.variance_to_mean == pytest.approx((20 - 24 * 0.25) / 23 / 0.5)
    # depot turn-round: 0.9 x 30 days repair + 0.1 x 90 days procurement
    assert lru.depot_repair_time == pytest.approx(36 / 365)
    assert (sru.id, sru.parent, sru.failure_share, sru.unit_cost) == ("RSK01:PN-0001", "RSK01:PN-0000", 0.4, 201.0)
    assert sru.depot_repair_time == pytest.approx(90 / 365)  # consumable: re-procured
    assert stock == {"RSK01:PN-0000": {"BAS1": 5}, "RSK01:PN-0001": {"BAS1": 5}}
    assert built.demand_source == "history | history 1"
    # the engine derives the SRU's depot demand: 0.4 x the LRU's depot demand (all 6 go to the depot)
    ca = case.arrays()
    assert ca.depot_rate.tolist() == pytest.approx([6.0, 2.4])


def test_reliability_fallback_and_moves_between_bases(engine):
    rw = make_world(engine, second_base=True)
    with UnitOfWork(SYS, engine=engine) as uow:
        built = service.build_case(uow, equipment_type_id=rw.w.type_id)
        lru = built.case.items[0]
        assert lru.demand["BAS2"].rate == pytest.approx(2 * 1 * 240 / 480)  # units x qpa x hours / MTBF
        assert built.demand_counts == {"forecast": 0, "history": 1, "reliability": 1, "none": 0}
        result = service.plan(uow, equipment_type_id=rw.w.type_id, budget=0)
    # nothing may be bought with budget 0; surplus at BAS1 may move to BAS2
    assert result.cost == 0 and all(ln["buy"] == 0 for ln in result.lines)
    for ln in result.lines:
        assert ln["change"] == ln["move_in"] - ln["move_out"]
    assert result.availability_planned >= result.availability_now - 1e-12


def test_evaluate_today_matches_the_engine(engine):
    rw = make_world(engine, second_base=True)
    with UnitOfWork(SYS, engine=engine) as uow:
        out = service.evaluate_today(uow, equipment_type_id=rw.w.type_id)
        case, stock = service.build_case(uow, equipment_type_id=rw.w.type_id)
    ev = evaluate(case, stock, model="vari-metric")
    assert out["fleet_availability"] == pytest.approx(float(ev.fleet_availability[0]))
    by_site = {s["site_code"]: s["availability"] for s in out["sites"]}
    d = ev.to_dict()["availability"]
    assert by_site == pytest.approx({k: v["FTR"] for k, v in d.items()})
    assert out["total_base_ebo"] == pytest.approx(ev.total_base_ebo)
    worst = out["worst_items"]
    assert worst and worst[0]["part_number"] == "PN-0000"  # the only LRU
    # without the LRU's backorders availability would be 1: the loss is 1 - A
    assert worst[0]["availability_loss"] == pytest.approx(1 - out["fleet_availability"], rel=1e-9)


def test_budget_is_never_exceeded_and_availability_rises_along_the_curve(engine):
    rw = make_world(engine, second_base=True)
    with UnitOfWork(SYS, engine=engine) as uow:
        for budget in (0, 150, 1000, 5000):
            r = service.plan(uow, equipment_type_id=rw.w.type_id, budget=budget)
            assert float(r.cost) <= budget + 1e-9
            assert r.availability_planned >= r.availability_now - 1e-12
            costs = [p["cost"] for p in r.curve]
            avail = [p["availability"] for p in r.curve]
            assert costs == sorted(costs) and all(b > a for a, b in zip(avail, avail[1:]))
            rec = [p for p in r.curve if p["recommended"]]
            assert len(rec) == 1 and rec[0]["cost"] <= budget + 1e-9
            assert rec[0]["availability"] == pytest.approx(r.availability_planned)


def _single_base_case(costs=(1.0, 1.0, 1.0), rates=(3.0, 1.5, 0.8)):
    items = tuple(Item(id=f"I{k}", unit_cost=c, qpa={"T": 1},
                       demand={"B": Demand(rate=m, repair_fraction=1.0, repair_time=0.5)})
                  for k, (c, m) in enumerate(zip(costs, rates)))
    return Case(sites=(Site(id="B", units={"T": 5}),), items=items)


def test_target_is_reached_at_least_cost_by_brute_force():
    case = _single_base_case()
    for target in (0.5, 0.8, 0.95):
        rec, _ = service.recommend(case, {}, target=target)
        assert rec.target_met and rec.availability >= target
        best = None
        for levels in itertools.product(range(8), repeat=3):
            a = evaluate(case, {f"I{k}": {"B": s} for k, s in enumerate(levels)}).fleet_availability[0]
            if a >= target and (best is None or sum(levels) < best):
                best = sum(levels)
        assert rec.buy_cost == pytest.approx(best)


def test_todays_stock_is_free_and_surplus_moves_before_buying():
    case = Case(sites=(Site(id="D", echelon="depot"),
                       Site(id="B1", parent="D", order_ship_time=0.02, units={"T": 4}),
                       Site(id="B2", parent="D", order_ship_time=0.02, units={"T": 4})),
                items=(Item(id="I", unit_cost=10.0, depot_repair_time=0.1, qpa={"T": 1},
                            demand={"B1": Demand(rate=20.0, repair_fraction=0.0),
                                    "B2": Demand(rate=20.0, repair_fraction=0.0)}),))
    rec, _ = service.recommend(case, {"I": {"B1": 9}}, budget=0)
    assert rec.buy_cost == 0 and rec.buy.sum() == 0
    assert rec.after.sum() == 9 and rec.after[0, 2] > 0  # some of B1's surplus went to B2
    assert sum(q for *_, q in rec.moves) == rec.moved_in.sum() == rec.moved_out.sum()
    zero, _ = service.recommend(case, {}, budget=0)
    assert rec.availability > zero.availability


def test_saved_plan_round_trips_and_exports_to_xlsx(engine):
    import openpyxl

    rw = make_world(engine, second_base=True)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        r = service.plan(uow, equipment_type_id=rw.w.type_id, budget=2000)
        row = service.save_plan(uow, r, name="two bases")
        uow.commit()
        plan_id = row.id
    with UnitOfWork(SYS, engine=engine) as uow:
        got = service.get_plan(uow, plan_id=plan_id)
        assert (got.name, got.model, float(got.budget), got.currency) == ("two bases", "vari-metric", 2000.0, "USD")
        assert got.cost == r.cost and got.availability_planned == pytest.approx(r.availability_planned)
        assert json.loads(got.case_json)["sites"][0]["id"] == "DEP1"
        assert json.loads(got.stock_json) == r.built.stock
        assert service.plan_summary(got)["points"] == json.loads(json.dumps(r.curve))
        lines = service.plan_lines(uow, plan_id=plan_id)
        assert len(lines) == len(r.lines) > 0
        assert sum(ln["cost"] for ln in lines) == r.cost
        for ln in lines:
            assert ln["stock_planned"] - ln["stock_now"] == ln["change"] == ln["buy"] + ln["move_in"] - ln["move_out"]
        name, media, body = service.export_plan(uow, plan_id=plan_id, fmt="xlsx")
        assert name.endswith(".xlsx") and "spreadsheetml" in media
        ws = openpyxl.load_workbook(io.BytesIO(body)).active
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0]) == list(service.PLAN_COLUMNS)
        assert len(rows) == len(lines) + 1
        assert {(r_[0], r_[3]) for r_ in rows[1:]} == {(ln["part_number"], ln["site"]) for ln in lines}
        _, _, csv_body = service.export_plan(uow, plan_id=plan_id, fmt="csv")
        assert csv_body.decode("utf-8-sig").splitlines()[0].startswith("part_number,")
        assert service.list_plans(uow).total == 1


@pytest.mark.parametrize("kwargs, field", [
    ({"budget": -1}, "budget"),
    ({"target": 0}, "target"),
    ({"target": 1.0}, "target"),
    ({"target": 1.5}, "target"),
    ({}, "budget"),
    ({"budget": 10, "model": "nope"}, "model"),
])
def test_bad_input_names_the_field_and_saves_nothing(engine, kwargs, field):
    rw = make_world(engine)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            service.plan(uow, equipment_type_id=rw.w.type_id, **kwargs)
        assert field in [e.field for e in exc.value.errors]
    with UnitOfWork(SYS, engine=engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ReadinessPlan)) == 0


def test_unknown_equipment_type(engine):
    import uuid

    make_world(engine)
    with UnitOfWork(SYS, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            service.plan(uow, equipment_type_id=uuid.uuid4(), budget=10)
        assert exc.value.errors[0].field == "equipment_type_id"
        with pytest.raises(NotFound):
            service.evaluate_today(uow, equipment_type_id=uuid.uuid4())


def test_scoping_of_sites_and_plans(engine):
    rw = make_world(engine, rus_base=True)
    ind, rus = operator_user(rw), origin_user(rw)
    with UnitOfWork(SYS, engine=engine) as uow:
        assert {s.id for s in service.build_case(uow, equipment_type_id=rw.w.type_id).case.sites} == \
            {"DEP1", "BAS1", "RUS-B"}
    with UnitOfWork(ind, engine=engine) as uow:  # the operator's depot user: its party's sites only
        built = service.build_case(uow, equipment_type_id=rw.w.type_id)
        assert [s.id for s in built.case.sites] == ["DEP1", "BAS1"]
        assert [s["site_code"] for s in service.evaluate_today(uow, equipment_type_id=rw.w.type_id)["sites"]] == ["BAS1"]
    with UnitOfWork(ind, write=True, engine=engine) as uow:
        row = service.save_plan(uow, service.plan(uow, equipment_type_id=rw.w.type_id, budget=500))
        uow.commit()
        plan_id = row.id
    with UnitOfWork(rus, engine=engine) as uow:
        with pytest.raises(NotFound):
            service.get_plan(uow, plan_id=plan_id)
        with pytest.raises(NotFound):
            service.export_plan(uow, plan_id=plan_id)
        assert service.list_plans(uow).items == []
        assert [s.id for s in service.build_case(uow, equipment_type_id=rw.w.type_id).case.sites] == ["RUS-B"]
    with UnitOfWork(ind, engine=engine) as uow:
        assert service.get_plan(uow, plan_id=plan_id).party_id == rw.w.operator_id
        assert [p.id for p in service.list_plans(uow).items] == [plan_id]


def test_lines_are_stored_through_the_session(engine):
    rw = make_world(engine, second_base=True)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        now = service.evaluate_today(uow, equipment_type_id=rw.w.type_id)["fleet_availability"]
        target = round((1 + now) / 2, 6)
        plan_id = service.save_plan(uow, service.plan(uow, equipment_type_id=rw.w.type_id, target=target)).id
        uow.commit()
    with UnitOfWork(SYS, engine=engine) as uow:
        n = uow.session.scalar(select(func.count()).select_from(ReadinessPlanLine)
                               .where(ReadinessPlanLine.plan_id == plan_id))
        got = service.get_plan(uow, plan_id=plan_id)
        assert now < target and n > 0 and got.availability_planned >= target and got.target_availability == target


def test_rates_from_the_latest_forecast_run(engine):
    from datetime import datetime, timezone

    from setu.forecasting.models import ForecastResult, ForecastRun

    rw = make_world(engine)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        for k, (mean, vmr) in enumerate(((9.0, 4.0), (0.75, 1.6))):  # the second run is newer
            t = datetime(2026, 1, 1 + k, tzinfo=timezone.utc)
            run = ForecastRun(party_id=None, started_by="test", method="croston", horizon=12, params="{}",
                              status="done", started_at=t, finished_at=t, n_series=1)
            uow.session.add(run)
            uow.session.flush()
            uow.session.add(ForecastResult(
                run_id=run.id, part_id=rw.w.part_ids[0], site_id=rw.w.base_id, method="croston",
                demand_class="intermittent", mean=mean, variance_to_mean=vmr, lead_time_months=3,
                lead_time_mean=3 * mean, lead_time_var=3 * mean * vmr, q50=0, q90=1, q99=2))
        uow.commit()
        newest = run.id
    first = None
    with UnitOfWork(SYS, engine=engine) as uow:
        # a forecast run counts only when chosen: the default is the demand history
        default = service.build_case(uow, equipment_type_id=rw.w.type_id)
        assert default.basis.kind == "history" and default.demand_counts["forecast"] == 0
        assert default.case.items[0].demand["BAS1"].rate == pytest.approx(6.0)
        built = service.build_case(uow, equipment_type_id=rw.w.type_id, demand_source="forecast")
        first = [r for r in uow.session.scalars(select(ForecastRun)) if r.id != newest][0].id
        named = service.build_case(uow, equipment_type_id=rw.w.type_id, demand_source=f"forecast:{first}")
        out = service.evaluate_today(uow, equipment_type_id=rw.w.type_id, demand_source=f"forecast:{first}")
    lru = built.case.items[0]
    assert lru.demand["BAS1"].rate == pytest.approx(12 * 0.75) and lru.variance_to_mean == pytest.approx(1.6)
    assert built.demand_source.startswith(f"forecast:{newest} |") and built.demand_counts["forecast"] == 1
    assert "forecast run " + str(newest)[:8] in built.basis.describe() and "croston" in built.basis.describe()
    assert named.case.items[0].demand["BAS1"].rate == pytest.approx(12 * 9.0)
    # the page's figures: the other source beside it, a warning for the 18x rate (108 against 6 a year)
    assert out["demand_basis"] == f"forecast:{first}" and out["other_source"]["demand_source"] == "history"
    assert any("differ more than 3x from their own demand history" in w for w in out["warnings"])
    assert any("points apart" in w for w in out["warnings"])


@pytest.mark.parametrize("source", ["forecast", "forecast:00000000-0000-0000-0000-000000000000", "monthly",
                                    "history:1"])
def test_a_demand_source_that_cannot_be_used_names_the_field(engine, source):
    rw = make_world(engine)
    with UnitOfWork(SYS, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            service.evaluate_today(uow, equipment_type_id=rw.w.type_id, demand_source=source)
    assert exc.value.errors[0].field == "demand_source"


def test_records_before_the_window_fall_back_to_reliability(engine):
    from datetime import date

    from setu.demand.models import DemandRecord

    rw = make_world(engine, second_base=True)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:  # BAS2: one record, years before the window
        uow.session.add(DemandRecord(part_id=rw.w.part_ids[0], site_id=rw.base2_id, period=date(2019, 1, 1),
                                     quantity=1))
        uow.commit()
    with UnitOfWork(SYS, engine=engine) as uow:
        built = service.build_case(uow, equipment_type_id=rw.w.type_id)
        rel = service.build_case(uow, equipment_type_id=rw.w.type_id, demand_source="reliability")
    assert built.case.items[0].demand["BAS2"].rate == pytest.approx(2 * 1 * 240 / 480)  # not 0
    assert built.demand_counts["reliability"] == 1
    assert rel.demand_counts["reliability"] == 2 and rel.basis.kind == "reliability"


def test_bases_under_several_depots_and_stand_alone_bases(engine):
    from setu.fleet import service as fleet
    from setu.fleet.schemas import EquipmentUnitCreate, SiteCreate, StockPositionSet

    rw = make_world(engine)
    w = rw.w
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        d2 = fleet.create_site(uow, data=SiteCreate(code="DEP2", name="Depot 2", kind="depot",
                                                    organisation_id=w.depot_org_id, echelon=1))
        b3 = fleet.create_site(uow, data=SiteCreate(code="BAS3", name="Base 3", kind="base",
                                                    organisation_id=w.depot_org_id, echelon=2, parent_id=d2.id))
        b4 = fleet.create_site(uow, data=SiteCreate(code="BAS4", name="Base 4", kind="base",
                                                    organisation_id=w.depot_org_id, echelon=2))
        for site, n in ((b3, 2), (b4, 1)):
            for i in range(n):
                fleet.create_equipment_unit(uow, data=EquipmentUnitCreate(
                    serial=f"SN-{site.code}-{i}", equipment_type_id=w.type_id, site_id=site.id))
        fleet.set_stock(uow, data=StockPositionSet(part_id=w.part_ids[0], site_id=d2.id, serviceable=3,
                                                   in_repair=1, unserviceable=1))
        fleet.set_stock(uow, data=StockPositionSet(part_id=w.part_ids[1], site_id=d2.id, serviceable=2,
                                                   unserviceable=4, on_order=1))
        uow.commit()
        d2_id, b3_id = d2.id, b3.id
    with UnitOfWork(SYS, engine=engine) as uow:
        built = service.build_case(uow, equipment_type_id=w.type_id)
        case, stock = built
        assert [(s.id, s.parent) for s in case.sites] == [
            ("DEPOTS", None), ("BAS1", "DEPOTS"), ("BAS3", "DEPOTS"), ("BAS4", None)]
        ids = [it.id for it in case.items]
        assert ids == ["RSK01:PN-0000@DEP1", "RSK01:PN-0001@DEP1", "RSK01:PN-0000@DEP2", "RSK01:PN-0001@DEP2",
                       "RSK01:PN-0000@-", "RSK01:PN-0001@-"]
        assert set(case.item("RSK01:PN-0000@DEP2").demand) == {"BAS3"}
        alone = case.item("RSK01:PN-0000@-").demand["BAS4"]
        assert alone.repair_fraction == 1.0 and alone.repair_time == pytest.approx(36 / 365)
        assert case.item("RSK01:PN-0001@-").demand["BAS4"].repair_fraction == 1.0
        # repairable: serviceable + unserviceable + in repair + on order; consumable: serviceable + on order
        assert stock["RSK01:PN-0000@DEP2"] == {"DEPOTS": 5}
        assert stock["RSK01:PN-0001@DEP2"] == {"DEPOTS": 3}
        assert built.db_site("RSK01:PN-0000@DEP2", "DEPOTS") == d2_id
        assert built.db_site("RSK01:PN-0000@DEP1", "DEPOTS") == w.depot_id
        ev = evaluate(case, stock)
        assert np.isfinite(ev.fleet_availability).all()
        r = service.plan(uow, equipment_type_id=w.type_id, budget=3000)
    sites = {(ln["part_number"], ln["site_code"]) for ln in r.lines}
    assert all(code in {"DEP1", "DEP2", "BAS1", "BAS3", "BAS4"} for _, code in sites)
    assert {s["site_id"] for s in r.sites} >= {b3_id}


def test_saving_is_audited(engine):
    from setu.kit.audit import AuditEntry

    rw = make_world(engine, second_base=True)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        r = service.plan(uow, equipment_type_id=rw.w.type_id, budget=2000)
        service.save_plan(uow, r)
        uow.commit()
    with UnitOfWork(SYS, engine=engine) as uow:
        kinds = dict(uow.session.execute(select(AuditEntry.object_type, func.count()).group_by(AuditEntry.object_type)
                                         .where(AuditEntry.object_type.in_(["readiness_plan", "readiness_plan_line"]))).all())
    assert kinds.get("readiness_plan") == 1 and kinds.get("readiness_plan_line") == len(r.lines) > 0


def test_budget_plan_is_optimal_by_brute_force_and_fills_the_budget():
    case = _single_base_case()
    grid = {levels: evaluate(case, {f"I{k}": {"B": s} for k, s in enumerate(levels)}).fleet_availability[0]
            for levels in itertools.product(range(9), repeat=3)}
    for budget in (2, 5, 9):
        rec, _ = service.recommend(case, {}, budget=budget)
        best = max(a for levels, a in grid.items() if sum(levels) <= budget)
        assert rec.buy_cost <= budget and rec.availability == pytest.approx(best)
    # unequal costs: an item too dear for what is left is skipped and cheaper steps still taken
    dear = _single_base_case(costs=(10.0, 1.0, 1.0))
    rec, curve = service.recommend(dear, {}, budget=12)
    assert rec.buy_cost <= 12
    assert rec.buy_cost > float(curve.cost[np.searchsorted(curve.cost, 12, side="right") - 1]) - 1e-9


def test_one_base_is_read_from_the_whole_fleet(engine):
    rw = make_world(engine, second_base=True)
    with UnitOfWork(SYS, engine=engine) as uow:
        whole = service.evaluate_today(uow, equipment_type_id=rw.w.type_id)
        one = service.evaluate_today(uow, equipment_type_id=rw.w.type_id, site_ids=[rw.base2_id])
        with pytest.raises(NotFound):
            service.evaluate_today(uow, equipment_type_id=rw.w.type_id, site_ids=[rw.w.depot_id])
    b2 = [s for s in whole["sites"] if s["site_code"] == "BAS2"]
    assert one["sites"] == b2 and one["fleet_availability"] == pytest.approx(b2[0]["availability"])
    assert [w["worst_site"] for w in one["worst_items"]] == ["BAS2"]
