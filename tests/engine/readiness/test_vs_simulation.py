"""VARI-METRIC (setu.engine.readiness.evaluate) against the discrete-event simulator.

Acceptance (readiness_models.md sec. 5.3): a plan's analytic EBO and availability lie within the
simulator's 95 % confidence interval, or within 1 %. Applied as:

- total base EBO over LRUs: the 95 % t-interval over replications, or 1 %;
- availability per base and equipment type (analytic vs the product formula on simulated EBO):
  the 95 % interval, or 2 % of the unavailability 1 - A (1 % of A itself would be a meaningless
  0.01 at A = 0.98; VARI-METRIC's base EBO is up to ~1 % low at single bases, so 1 % of 1 - A
  sits on the edge of its accuracy and fails on some seeds, e.g. fleet_case(6, 11) deep depot);
- every stock point (item x site, depot included, LRUs and SRUs): the simulator's simultaneous
  95 % interval (Bonferroni, level 1 - 0.05/K over the K points; K separate 95 % intervals would
  fail ~5 % of points by chance alone) widened by 3 % of the value plus 5e-5 (the printed
  resolution of the published cases). The 3 % is VARI-METRIC's own per-point error: its
  negative-binomial fit is off by up to ~3 % at single stock points with small EBO even where
  the system total is within 0.5 %. Checked against the exact Graves (1985) decomposition:
  fleet_case(20, 2026), L17 at B3: exact 0.008603, VARI-METRIC 0.008841 (+2.8 %), simulated
  0.008753 +/- 0.000212; fleet_case(6, 11), L05 at B1: exact 0.09680, VARI-METRIC 0.09487
  (-2.0 %), simulated 0.09742 +/- 0.00107. So |VM - sim| <= hw + 3 % + 5e-5.

Horizons are long enough that the 95 % half-width of the total is ~0.3 % or less, so that
"within 1 %" is decided by the model, not by luck: VARI-METRIC's total base EBO is itself biased
by up to -0.65 % on the multi-indenture cases (10 x 10,000-year runs: -0.65 % with SRU returns,
-0.39 % without; -0.4 % on the deep-depot fleet case, confirmed there by the exact Graves
decomposition). Cases are seeded and deterministic. Known limits of VARI-METRIC that the simulator exposes are
kept as explicit tests: long depot pipelines
(high depot utilisation) where the negative-binomial fit understates base backorders; compound
demand, whose depot backorders arrive in batches from one base, not binomially. Run this file as
a script to print the agreement table.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from setu.engine.readiness import Case, Demand, Item, Site, evaluate
from setu.engine.simulation import SimulationResult, simulate
from setu.engine.simulation.stats import mean_half_width

# ---- cases ------------------------------------------------------------------------------------


def borges_case(depot_time_factor: float = 1.0) -> Case:
    """de Sousa Borges METRIC example (readiness_cases T5): 2 LRUs, depot + 2 bases."""
    sites = (
        Site("DEPOT", "depot"),
        Site("B1", "base", "DEPOT", 0.01, {"FIGHTER": 12}),
        Site("B2", "base", "DEPOT", 0.02, {"FIGHTER": 12}),
    )
    items = (
        Item("U1", 5, 0.02531 * depot_time_factor, qpa={"FIGHTER": 1},
             demand={"B1": Demand(23.2, 0.5, 0.01), "B2": Demand(20.1, 0.6, 0.015)}),
        Item("U2", 3, 0.01782 * depot_time_factor, qpa={"FIGHTER": 1},
             demand={"B1": Demand(35.2, 0.7, 0.02), "B2": Demand(30.2, 0.6, 0.02)}),
    )
    return Case(sites, items)


def fleet_case(n_items: int, seed: int, vtm: float = 1.0) -> Case:
    """Synthetic depot + 3 bases, two equipment types, QPA 1-2, seeded."""
    rng = np.random.default_rng(seed)
    types = ("FIGHTER", "TRAINER")
    bases = tuple(
        Site(f"B{j + 1}", "base", "DEPOT", float(rng.uniform(0.005, 0.03)),
             {t: int(rng.integers(6, 19)) for t in types[: 1 + j % 2]})
        for j in range(3)
    )
    items = []
    for i in range(n_items):
        qpa = {"FIGHTER": int(rng.integers(1, 3))}
        if rng.random() < 0.5:
            qpa["TRAINER"] = 1
        demand = {b.id: Demand(float(rng.gamma(2.0, 6.0)), float(rng.uniform(0.2, 0.8)),
                               float(rng.uniform(0.005, 0.03))) for b in bases}
        items.append(Item(f"L{i + 1:02d}", float(rng.uniform(1, 50)),
                          float(rng.uniform(0.02, 0.08)), vtm, qpa=qpa, demand=demand))
    return Case((Site("DEPOT", "depot"), *bases), tuple(items))


def rule_of_thumb_plan(case: Case, depot_factor: float = 1.0, base_extra: int = 0) -> dict:
    """Depot stock floor(depot_factor m0 T0); base stock ceil(local pipeline) + base_extra."""
    ca = case.arrays()
    plan = {}
    for i, item_id in enumerate(ca.item_ids):
        levels = {"DEPOT": int(np.floor(depot_factor * ca.depot_rate[i] * ca.depot_repair_time[i]))}
        for j, k in enumerate(ca.base_index):
            m, r = ca.rate[i, j], ca.repair_fraction[i, j]
            mu = m * (r * ca.repair_time[i, j] + (1 - r) * ca.order_ship_time[i, j])
            levels[ca.site_ids[k]] = int(np.ceil(mu)) + base_extra
        plan[item_id] = levels
    return plan


def multi_indenture_case(sru_returns: bool) -> Case:
    """Depot + 2 helicopter bases, 3 LRUs with 5 SRUs (Sherbrooke 2004 ch. 5 structure).

    With ``sru_returns=False`` every SRU removed at a base is repaired there (r = 1), so the
    depot's SRU demand comes only from depot LRU repairs. With True, 30-50 % of base-removed
    SRUs go to the depot as well.
    """
    bases = (Site("B1", "base", "DEPOT", 0.01, {"HELO": 8}),
             Site("B2", "base", "DEPOT", 0.02, {"HELO": 12}))
    r_sru = (0.7, 0.5) if sru_returns else (1.0, 1.0)
    spec = [
        ("R1", 30.0, 0.6, 0.02, 0.05, [("R1a", 0.5, r_sru[0], 0.03, 0.06),
                                        ("R1b", 0.3, r_sru[1], 0.02, 0.08)]),
        ("R2", 18.0, 0.4, 0.03, 0.04, [("R2a", 0.6, r_sru[0], 0.02, 0.05)]),
        ("R3", 12.0, 0.0, 0.0, 0.06, [("R3a", 0.45, 0.0, 0.0, 0.07),
                                       ("R3b", 0.45, 0.0, 0.0, 0.05)]),
    ]
    items = []
    for lru, m, r, t, t0, srus in spec:
        items.append(Item(lru, 20.0, t0, qpa={"HELO": 1},
                          demand={b.id: Demand(m * (1 + 0.2 * j), r, t) for j, b in enumerate(bases)}))
        for sru, q, rs, ts, t0s in srus:
            items.append(Item(sru, 5.0, t0s, parent=lru, failure_share=q,
                              demand={b.id: Demand(None, rs, ts) for b in bases}))
    return Case((Site("DEPOT", "depot"), *bases), tuple(items))


MI_PLAN = {
    "R1": {"DEPOT": 1, "B1": 1, "B2": 1}, "R1a": {"DEPOT": 1, "B1": 1, "B2": 1},
    "R1b": {"DEPOT": 1}, "R2": {"DEPOT": 1, "B1": 1, "B2": 1}, "R2a": {"DEPOT": 1, "B1": 1},
    "R3": {"DEPOT": 1, "B1": 1, "B2": 1}, "R3a": {"DEPOT": 1}, "R3b": {"DEPOT": 0},
}

BORGES_PLANS = {
    "borges S=(1,1,1)/(1,2,2)": {"U1": {"DEPOT": 1, "B1": 1, "B2": 1},
                                 "U2": {"DEPOT": 1, "B1": 2, "B2": 2}},
    "borges S=(1,2,3)/(1,3,3)": {"U1": {"DEPOT": 1, "B1": 2, "B2": 3},
                                 "U2": {"DEPOT": 1, "B1": 3, "B2": 3}},
    "borges S=(2,0,1)/(3,1,0)": {"U1": {"DEPOT": 2, "B2": 1}, "U2": {"DEPOT": 3, "B1": 1}},
}

POINT_REL_TOL = 0.03  # per stock point, added to the simultaneous interval (module docstring)
AVAIL_REL_TOL = 0.02  # of unavailability (module docstring)

# ---- comparison --------------------------------------------------------------------------------


def _close(analytic, sim, half_width, rel, floor=5e-5):
    return np.abs(analytic - sim) <= np.maximum.reduce([half_width, rel * np.abs(sim),
                                                        np.full_like(sim, floor)])


def compare(case: Case, stock: dict, res: SimulationResult, model: str = "vari-metric") -> dict:
    """Analytic vs simulated figures and the acceptance checks (see module docstring)."""
    ev = evaluate(case, stock, model)
    ca = case.arrays()
    assert ev.item_ids == res.item_ids and ev.site_ids == res.site_ids
    seen = res.demand_rate > 0
    k = int(seen.sum())
    _, hw_sim = mean_half_width(res.ebo_replicates, 1 - 0.05 / max(k, 1))
    point_ok = (np.abs(ev.ebo - res.ebo_mean)
                <= hw_sim + POINT_REL_TOL * np.abs(res.ebo_mean) + 5e-5) | ~seen
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(seen & (res.ebo_mean > 1e-3), np.abs(ev.ebo / res.ebo_mean - 1), 0.0)
    tot = res.base_ebo_total()
    tot_ok = bool(_close(np.array(ev.total_base_ebo), np.array(tot.mean),
                         np.array(tot.half_width), 0.01))
    avail = []
    for (site, ty), fm, fh, um, uh in zip(res.availability_keys, res.availability_formula_mean,
                                          res.availability_formula_half_width,
                                          res.availability_mean, res.availability_half_width):
        a = float(ev.availability[ca.site_ids.index(site), ca.equipment_types.index(ty)])
        ok = abs(a - fm) <= max(fh, AVAIL_REL_TOL * (1 - fm), 5e-5)
        avail.append(dict(site=site, type=ty, analytic=a, sim_formula=fm, sim_formula_hw=fh,
                          sim_units=um, sim_units_hw=uh, ok=ok))
    bad = [dict(item=res.item_ids[i], site=res.site_ids[j], stock=int(ev.stock[i, j]),
                analytic=float(ev.ebo[i, j]), sim=float(res.ebo_mean[i, j]),
                sim_hw=float(hw_sim[i, j]))
           for i, j in zip(*np.nonzero(~point_ok))]
    worst = np.unravel_index(int(np.argmax(rel)), rel.shape)
    return dict(points=k, bad_points=bad, max_rel_dev=float(rel[worst]),
                worst=(res.item_ids[worst[0]], res.site_ids[worst[1]], float(ev.ebo[worst]),
                       float(res.ebo_mean[worst]), float(res.ebo_half_width[worst])), total_analytic=ev.total_base_ebo,
                total_sim=tot.mean, total_hw=tot.half_width, total_ok=tot_ok,
                availability=avail, evaluation=ev)


def assert_agrees(case: Case, stock: dict, res: SimulationResult) -> dict:
    out = compare(case, stock, res)
    assert not out["bad_points"], f"stock points outside the simultaneous CI + 3 %: {out['bad_points']}"
    assert out["total_ok"], (f"total base EBO {out['total_analytic']:.5f} vs simulated "
                             f"{out['total_sim']:.5f} +/- {out['total_hw']:.5f}")
    for a in out["availability"]:
        assert a["ok"], f"availability {a}"
        # the direct count of units down differs from the product formula only through the
        # random-spread approximation (hypergeometric vs binomial, joint vs product)
        assert abs(a["sim_units"] - a["analytic"]) < 0.01, f"units-down availability {a}"
    return out


# ---- two-echelon, single indenture -------------------------------------------------------------


@pytest.mark.parametrize("name", list(BORGES_PLANS))
def test_vari_metric_matches_simulation_on_borges_case(name):
    case, stock = borges_case(), BORGES_PLANS[name]
    res = simulate(case, stock, horizon_years=1000, warmup_years=1, replications=10, seed=101)
    assert_agrees(case, stock, res)


@pytest.mark.slow
def test_vari_metric_matches_simulation_on_three_base_six_item_case():
    case = fleet_case(6, seed=7)
    stock = rule_of_thumb_plan(case)
    res = simulate(case, stock, horizon_years=3000, warmup_years=1, replications=10, seed=102)
    assert_agrees(case, stock, res)


@pytest.mark.slow
def test_vari_metric_matches_simulation_with_deep_depot_stock():
    case = fleet_case(6, seed=11)
    stock = rule_of_thumb_plan(case, depot_factor=1.5)
    res = simulate(case, stock, horizon_years=3000, warmup_years=1, replications=10, seed=103)
    assert_agrees(case, stock, res)


@pytest.mark.slow
def test_vari_metric_matches_simulation_on_twenty_item_three_base_case():
    case = fleet_case(20, seed=2026)
    stock = rule_of_thumb_plan(case, base_extra=1)
    res = simulate(case, stock, horizon_years=2000, warmup_years=1, replications=10, seed=104)
    assert_agrees(case, stock, res)


# ---- multi-indenture -----------------------------------------------------------------------------


@pytest.mark.slow
def test_vari_metric_matches_simulation_on_multi_indenture_case():
    case = multi_indenture_case(sru_returns=False)
    res = simulate(case, MI_PLAN, horizon_years=3000, warmup_years=1, replications=10, seed=105)
    assert_agrees(case, MI_PLAN, res)


def test_depot_lru_pipeline_carries_only_its_share_of_depot_sru_backorders():
    """Little's law in the simulator: E[X_0i] = m_0i T_0i + sum_k h_ik EBO_0k, h = q m_0i / m_0k.

    When bases also return SRUs to the depot, only the fraction h of the depot's SRU demand
    (and, under FIFO, of its SRU backorders) comes from depot repairs of the LRU.
    """
    case = multi_indenture_case(sru_returns=True)
    res = simulate(case, MI_PLAN, horizon_years=1000, warmup_years=1, replications=10, seed=106,
                   track_units=False)
    ca = case.arrays()
    d = ca.depot_index
    for i in np.flatnonzero(ca.level == 0):
        kids = np.flatnonzero(ca.parent == i)
        h = ca.failure_share[kids] * ca.depot_rate[i] / ca.depot_rate[kids]
        expected = ca.depot_rate[i] * ca.depot_repair_time[i] + (h * res.ebo_mean[kids, d]).sum()
        pipe = res.pipeline(ca.item_ids[i], "DEPOT")
        assert pipe.covers(expected, rel_tol=0.01), (ca.item_ids[i], pipe, expected)


@pytest.mark.slow
def test_vari_metric_matches_simulation_when_bases_return_srus_to_the_depot():
    """Only the depot-repair share h of depot SRU backorders delays depot LRU repairs.

    (The first readiness evaluate added all of them: R1 at the depot 1.350 against a simulated
    1.05; fixed in engine.readiness by the h = q m_0i / m_0k share, Sherbrooke 2004 ch. 5.)
    """
    case = multi_indenture_case(sru_returns=True)
    res = simulate(case, MI_PLAN, horizon_years=3000, warmup_years=1, replications=10, seed=107)
    assert_agrees(case, MI_PLAN, res)


# ---- known limits of the approximation ---------------------------------------------------------


def test_high_depot_utilisation_vari_metric_understates_base_backorders_less_than_metric():
    """Depot repair 8x longer (depot pipeline ~4 units per item): VARI-METRIC's negative
    binomial understates the tail of the base pipeline (Graves 1985 gives the exact value, see
    tests/engine/simulation), but stays far closer than METRIC."""
    case = borges_case(depot_time_factor=8.0)
    stock = {"U1": {"DEPOT": 6, "B1": 2, "B2": 2}, "U2": {"DEPOT": 6, "B1": 2, "B2": 2}}
    res = simulate(case, stock, horizon_years=2000, warmup_years=2, replications=10, seed=108)
    vm = compare(case, stock, res, "vari-metric")
    me = compare(case, stock, res, "metric")
    tot = res.base_ebo_total()
    err_vm = vm["total_analytic"] - tot.mean
    err_me = me["total_analytic"] - tot.mean
    assert err_me < err_vm < 0  # both low, VARI-METRIC less so
    assert abs(err_vm) < 0.05 * tot.mean  # ~1 % in total, 6 % at U1@B1
    assert abs(err_me) > 0.15 * tot.mean  # ~23 % here


@pytest.mark.slow
# Compound demand: depot backorders arrive in whole batches from one base. The engine shares
# them out by batch, f(1-f) v EBO0 (v = variance-to-mean), instead of unit by unit (which left
# simulated base EBO 10-15 % above VARI-METRIC); with it the model agrees with the simulator.
def test_vari_metric_matches_simulation_with_compound_demand():
    case = fleet_case(6, seed=7, vtm=2.0)
    stock = rule_of_thumb_plan(case)
    res = simulate(case, stock, horizon_years=1000, warmup_years=1, replications=10, seed=109)
    assert_agrees(case, stock, res)


# ---- report -----------------------------------------------------------------------------------


def agreement_table() -> list[dict]:  # pragma: no cover - used by the __main__ report
    runs = [(name, borges_case(), plan, 101) for name, plan in BORGES_PLANS.items()]
    runs += [
        ("fleet 6x3 rule of thumb", fleet_case(6, seed=7), None, 102),
        ("fleet 6x3 deep depot", fleet_case(6, seed=11), "deep", 103),
        ("fleet 20x3 (+1 base)", fleet_case(20, seed=2026), "plus1", 104),
        ("multi-indenture, SRUs repaired in place", multi_indenture_case(False), MI_PLAN, 105),
        ("multi-indenture, SRU returns to depot", multi_indenture_case(True), MI_PLAN, 107),
        ("borges depot x8 (high utilisation)", borges_case(8.0),
         {"U1": {"DEPOT": 6, "B1": 2, "B2": 2}, "U2": {"DEPOT": 6, "B1": 2, "B2": 2}}, 108),
        ("fleet 6x3 v=2", fleet_case(6, seed=7, vtm=2.0), None, 109),
    ]
    rows = []
    for name, case, plan, seed in runs:
        if plan is None:
            plan = rule_of_thumb_plan(case)
        elif plan == "deep":
            plan = rule_of_thumb_plan(case, depot_factor=1.5)
        elif plan == "plus1":
            plan = rule_of_thumb_plan(case, base_extra=1)
        horizon = {101: 1000, 102: 3000, 103: 3000, 104: 2000, 105: 3000, 107: 3000}.get(seed, 1000)
        horizon = 2000 if "x8" in name else horizon
        t0 = time.perf_counter()
        res = simulate(case, plan, horizon_years=horizon, warmup_years=2 if "x8" in name else 1,
                       replications=10, seed=seed)
        secs = time.perf_counter() - t0
        out = compare(case, plan, res)
        met = compare(case, plan, res, "metric")
        rows.append(dict(name=name, seconds=secs, metric_total=met["total_analytic"], **out))
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in agreement_table():
        print(f"\n== {row['name']}  ({row['seconds']:.1f} s, {row['points']} stock points)")
        print(f"   total base EBO: VARI-METRIC {row['total_analytic']:.5f}  METRIC "
              f"{row['metric_total']:.5f}  simulated {row['total_sim']:.5f} +/- "
              f"{row['total_hw']:.5f}  {'ok' if row['total_ok'] else 'OUTSIDE'}")
        for a in row["availability"]:
            print(f"   A {a['site']}/{a['type']}: VARI-METRIC {a['analytic']:.5f}  formula on sim "
                  f"EBO {a['sim_formula']:.5f} +/- {a['sim_formula_hw']:.5f}  units counted "
                  f"{a['sim_units']:.5f} +/- {a['sim_units_hw']:.5f}  {'ok' if a['ok'] else 'OUTSIDE'}")
        w = row["worst"]
        print(f"   largest point deviation {100 * row['max_rel_dev']:.2f} % at {w[0]}@{w[1]}: "
              f"VARI-METRIC {w[2]:.5f} sim {w[3]:.5f} +/- {w[4]:.5f}")
        for b in row["bad_points"]:
            print(f"   outside: {b['item']}@{b['site']} s={b['stock']} VARI-METRIC "
                  f"{b['analytic']:.5f} sim {b['sim']:.5f} +/- {b['sim_hw']:.5f}")
