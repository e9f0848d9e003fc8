"""Properties of the readiness engine, and agreement with the item-by-item reference."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from setu.engine.readiness import (
    Case,
    Demand,
    Item,
    Site,
    backorder_curves,
    backorders_at,
    evaluate,
    evaluate_arrays,
    exact_frontier,
    optimize,
)
from setu.engine.readiness.marginal import descending_order
from setu.engine.readiness.objective import build_item_model, lower_hull_mask, merge_levels

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from readiness_reference import curve_ref, ebo_vbo, evaluate_ref, synthetic_arrays  # noqa: E402

RNG_SEEDS = range(6)


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_ebo_decreasing_convex_vbo_nonnegative(seed):
    rng = np.random.default_rng(seed)
    mean = rng.gamma(1.0, 3.0, 200)
    var = mean * rng.uniform(1.0, 3.0, 200)
    ebo, vbo = backorder_curves(mean, var, 40)
    d = -np.diff(ebo, axis=1)
    assert np.all(ebo >= 0) and np.all(vbo >= 0)
    assert np.all(d >= -1e-12)  # decreasing
    assert np.all(np.diff(d, axis=1) <= 1e-12)  # convex: decrements Pr{X > s} shrink
    np.testing.assert_allclose(ebo[:, 0], mean)
    np.testing.assert_allclose(vbo[:, 0], var, rtol=1e-12)


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_backorders_at_matches_curves_and_reference(seed):
    rng = np.random.default_rng(seed)
    mean = rng.gamma(1.0, 3.0, 300)
    var = mean * np.where(rng.random(300) < 0.5, 1.0, rng.uniform(1.0, 3.0, 300))
    s = rng.integers(0, 25, 300)
    e1, v1 = backorders_at(mean, var, s)
    e2, v2 = backorder_curves(mean, var, 25)
    np.testing.assert_allclose(e1, e2[np.arange(300), s], atol=1e-12)
    np.testing.assert_allclose(v1, v2[np.arange(300), s], atol=1e-10)
    for k in range(0, 300, 37):
        e, v = ebo_vbo(mean[k], var[k], int(s[k]))
        assert e1[k] == pytest.approx(e, abs=1e-10) and v1[k] == pytest.approx(v, abs=1e-9)


@pytest.mark.parametrize("mean,var,s", [(800.0, 800.0, 810), (800.0, 1600.0, 790), (3000.0, 3000.0, 3050)])
def test_large_pipelines_match_scipy(mean, var, s):
    if var == mean:
        dist = stats.poisson(mean)
    else:
        dist = stats.nbinom(mean**2 / (var - mean), mean / var)
    x = np.arange(0, int(mean * 4))
    pm = dist.pmf(x)
    ebo_true = np.sum(np.maximum(x - s, 0) * pm)
    e, v = backorders_at(np.array([mean]), np.array([var]), np.array([s]))
    assert e[0] == pytest.approx(ebo_true, rel=1e-6)
    e2, _ = backorder_curves(np.array([mean]), np.array([var]), s)
    assert e2[0, s] == pytest.approx(ebo_true, rel=1e-6)


def test_negative_binomial_matches_scipy_pmf():
    mean, var = 2.0, 3.0
    dist = stats.nbinom(mean**2 / (var - mean), mean / var)
    x = np.arange(200)
    for s in range(6):
        true = np.sum(np.maximum(x - s, 0) * dist.pmf(x))
        assert backorders_at(np.array([mean]), np.array([var]), np.array([s]))[0][0] == pytest.approx(true, abs=1e-12)


@pytest.mark.parametrize("seed", RNG_SEEDS)
@pytest.mark.parametrize("model", ["metric", "vari-metric"])
def test_evaluate_matches_item_by_item_reference(seed, model):
    ca = synthetic_arrays(40, 4, levels=3, seed=seed)
    rng = np.random.default_rng(seed)
    stock = rng.integers(0, 4, size=(ca.n_items, ca.n_sites))
    ev = evaluate_arrays(ca, stock, model)
    ref = evaluate_ref(ca, stock.tolist(), model)
    np.testing.assert_allclose(ev.ebo, ref["ebo"], atol=1e-8)
    np.testing.assert_allclose(ev.vbo, ref["vbo"], atol=1e-8)
    assert ev.total_base_ebo == pytest.approx(ref["total_base_ebo"], abs=1e-7)
    np.testing.assert_allclose(ev.fleet_availability, ref["fleet_availability"], atol=1e-9)


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_metric_equals_vari_metric_when_depot_variance_irrelevant(seed):
    ca = synthetic_arrays(30, 5, levels=1, seed=seed, vtm_share=0.0)
    rng = np.random.default_rng(seed)
    stock = rng.integers(0, 4, size=(ca.n_items, ca.n_sites))
    stock[:, ca.depot_index] = 0  # BO_0 = X_0 is Poisson: VBO_0 = EBO_0, base pipelines Poisson
    a = evaluate_arrays(ca, stock, "metric")
    b = evaluate_arrays(ca, stock, "vari-metric")
    np.testing.assert_allclose(a.ebo, b.ebo, atol=1e-12)
    np.testing.assert_allclose(a.pipeline_var, b.pipeline_var, atol=1e-12)
    stock[:, ca.depot_index] = 3  # now the depot variance matters and VARI-METRIC is larger
    a = evaluate_arrays(ca, stock, "metric")
    b = evaluate_arrays(ca, stock, "vari-metric")
    assert b.total_base_ebo >= a.total_base_ebo - 1e-12


def test_metric_equals_vari_metric_single_site():
    case = Case((Site("S"),), (Item("A", 1, demand={"S": Demand(3.0, 1.0, 0.5)}),))
    for s in range(5):
        assert evaluate(case, {"A": {"S": s}}, "metric").ebo[0, 0] == pytest.approx(
            evaluate(case, {"A": {"S": s}}, "vari-metric").ebo[0, 0], abs=1e-15)


def test_more_stock_never_more_backorders():
    ca = synthetic_arrays(50, 6, levels=3, seed=3)
    rng = np.random.default_rng(3)
    stock = rng.integers(0, 3, size=(ca.n_items, ca.n_sites))
    base = evaluate_arrays(ca, stock).total_base_ebo
    for _ in range(10):
        more = stock.copy()
        more[rng.integers(ca.n_items), rng.integers(ca.n_sites)] += 1
        assert evaluate_arrays(ca, more).total_base_ebo <= base + 1e-12


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("model", ["metric", "vari-metric"])
def test_curve_matches_item_by_item_reference(seed, model):
    ca = synthetic_arrays(12, 3, levels=1, seed=seed)
    curve = optimize(ca, model=model, objective="ebo")
    n_d, n_b = curve.item_levels()  # the level bounds of each item's block
    cost, ebo = curve_ref(ca, model, n_d, n_b)
    # compare while steps still gain more than 1e-5 (in the far tail float noise in tiny EBO
    # values can reorder near-equal ratios)
    k = int(np.argmax(-np.diff(curve.total_base_ebo) < 1e-5)) + 1
    assert k > 50
    np.testing.assert_allclose(curve.cost[:k], cost[:k])
    np.testing.assert_allclose(curve.total_base_ebo[:k], ebo[:k], atol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_curve_points_are_consistent_plans(seed):
    ca = synthetic_arrays(25, 4, levels=1, seed=seed)
    curve = optimize(ca, objective="availability")
    assert np.all(np.diff(curve.cost) > 0)
    assert np.all(np.diff(curve.objective_value) < 0)
    for k in np.linspace(0, curve.n_points - 1, 12).astype(int):
        stock = curve.stock_at(k)
        assert (stock * ca.unit_cost[:, None]).sum() == pytest.approx(curve.cost[k])
        ev = evaluate_arrays(ca, stock)
        assert ev.total_base_ebo == pytest.approx(curve.total_base_ebo[k], abs=1e-9)
        # the curve's availability is the geometric unit-weighted mean: a lower bound
        assert np.all(curve.availability[k] <= ev.fleet_availability + 1e-12)


def test_target_and_budget_stopping():
    ca = synthetic_arrays(25, 4, levels=1, seed=1)
    curve = optimize(ca, target=0.9)
    assert curve.stop_reason == "target" and curve.target_met
    assert evaluate_arrays(ca, curve.stock_at(curve.n_points - 1)).fleet_availability[0] >= 0.9
    assert evaluate_arrays(ca, curve.stock_at(curve.n_points - 2)).fleet_availability[0] < 0.9
    assert curve.availability[-1, 0] <= evaluate_arrays(ca, curve.stock_at(curve.n_points - 1)).fleet_availability[0]
    capped = optimize(ca, target=0.9, budget=float(curve.cost[-1]) / 2)
    assert capped.stop_reason == "budget" and capped.target_met is False
    assert capped.cost[-1] <= curve.cost[-1] / 2


def test_multi_indenture_curve_reaches_target_when_evaluated():
    ca = synthetic_arrays(60, 4, levels=3, seed=2)
    curve = optimize(ca, target=0.85)
    assert curve.stop_reason == "target"
    ev = evaluate_arrays(ca, curve.stock_at(curve.n_points - 1))
    assert ev.fleet_availability[0] >= 0.85  # the stop is checked with the exact model
    before = evaluate_arrays(ca, curve.stock_at(curve.n_points - 2))
    assert before.fleet_availability[0] < 0.85
    assert abs(curve.availability[-1, 0] - ev.fleet_availability[0]) < 0.03  # pass estimate close


def test_exact_frontier_never_worse_than_greedy():
    ca = synthetic_arrays(8, 2, levels=1, seed=5)
    greedy = optimize(ca, objective="ebo")
    budget = float(greedy.cost[min(25, greedy.n_points - 1)])
    ex = exact_frontier(ca, budget=budget, objective="ebo")
    assert ex.cost[-1] <= budget
    g = greedy.total_base_ebo[np.flatnonzero(greedy.cost <= budget)[-1]]
    assert ex.total_base_ebo[-1] <= g + 1e-12
    ev = evaluate_arrays(ca, ex.stock_at(ex.n_points - 1))
    assert ev.total_base_ebo == pytest.approx(ex.total_base_ebo[-1], abs=1e-9)


def test_map_fn_gives_identical_curve():
    ca = synthetic_arrays(60, 4, levels=1, seed=4)
    a = optimize(ca, max_elements=20_000)
    calls = []

    def fake_map(fn, blocks):
        calls.append(len(blocks))
        return [fn(b) for b in reversed(blocks)][::-1]

    b = optimize(ca, max_elements=20_000, map_fn=fake_map)
    assert calls and calls[0] > 1
    np.testing.assert_array_equal(a.cost, b.cost)
    np.testing.assert_array_equal(a.total_base_ebo, b.total_base_ebo)
    c = optimize(ca, max_elements=20_000, threads=2)
    np.testing.assert_array_equal(a.cost, c.cost)
    np.testing.assert_array_equal(a.availability, c.availability)


@pytest.mark.parametrize("seed", range(4))
def test_descending_order_is_the_stable_argsort(seed):
    rng = np.random.default_rng(seed)
    cases = [
        rng.random(5000),
        np.round(rng.random(5000) * 7) / 3,  # many exact ties
        1.0 + rng.integers(0, 6, 5000) * 1e-15,  # values differing only in the low bits
        rng.normal(size=5000) * (rng.random(5000) < 0.8),  # negatives and zeros
        np.where(rng.random(5000) < 0.1, -0.0, rng.random(5000)),
        np.array([]), np.array([3.0]),
    ]
    for x in cases:
        np.testing.assert_array_equal(descending_order(x), np.argsort(-x, kind="stable"))


@pytest.mark.parametrize("seed", range(4))
def test_merge_levels_is_the_stable_merge_over_bases(seed):
    rng = np.random.default_rng(seed)
    k, n_r, n_j = 7, 300, 9
    # per-base decrements, with exact ties, zeros and near-ties in the low bits
    lev = np.sort(rng.random((k, n_r, n_j)), axis=0)[::-1]
    lev[:, ::3, 2] = lev[:, ::3, 5]
    lev[3:, 1::4, :] = 0.0
    lev[:, 2::5, 1] = lev[:, 2::5, 0] * (1 + 1e-15)
    order, gidx, val = merge_levels(lev)
    rows = lev.transpose(1, 2, 0).reshape(n_r, n_j * k)  # base-major (j * K + s)
    expect = np.argsort(-rows, axis=-1, kind="stable")
    np.testing.assert_array_equal(order, expect)
    np.testing.assert_array_equal(val, np.take_along_axis(rows, expect, -1))
    np.testing.assert_array_equal(lev.reshape(-1)[gidx], val)


def test_curve_does_not_depend_on_chunking(monkeypatch):
    import importlib

    objective = importlib.import_module("setu.engine.readiness.objective")
    ca = synthetic_arrays(80, 5, levels=1, seed=3)
    a = optimize(ca)
    monkeypatch.setattr(objective, "CHUNK_ELEMENTS", 500)
    b = optimize(ca)
    for name in ("cost", "total_base_ebo", "availability", "step_item", "step_vertex", "vertex_S", "vertex_s0"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_lower_hull_mask_matches_monotone_chain():
    from readiness_reference import hull_ref

    rng = np.random.default_rng(0)
    f = np.cumsum(-np.abs(rng.normal(size=(50, 30))), axis=1)
    mask = lower_hull_mask(f)
    for r in range(50):
        assert list(np.flatnonzero(mask[r])) == hull_ref(list(f[r]))


def test_availability_formula_single_site():
    # A = prod (1 - EBO_i / (N Z_i))^Z_i (Sherbrooke 2004), N = 10, Z = (1, 2)
    case = Case(
        (Site("S", units={"T": 10}),),
        (Item("A", 1, qpa={"T": 1}, demand={"S": Demand(2.0, 1.0, 0.5)}),
         Item("B", 1, qpa={"T": 2}, demand={"S": Demand(4.0, 1.0, 0.5)})),
    )
    ev = evaluate(case, {"A": {"S": 1}, "B": {"S": 2}})
    expect = (1 - ev.ebo[0, 0] / 10) * (1 - ev.ebo[1, 0] / 20) ** 2
    assert ev.fleet_availability[0] == pytest.approx(expect, rel=1e-14)


@pytest.mark.timeout(60)  # stepping through 2^31 levels would take hours
def test_backorders_at_a_huge_stock_level_is_finished_in_closed_form():
    """A stock far past the pipeline's support (a fuzzed 2^31 - 1) is finished in closed form once
    Pr{X > x} is 0: same values as the level just past the support, without stepping to it."""
    from setu.engine.readiness.distributions import backorders_at

    mean = np.array([5.0, 5.0, 0.3, 2.0])
    var = np.array([5.0, 12.0, 0.3, 6.0])
    near = backorders_at(mean, var, np.array([200, 400, 100, 300]))
    far = backorders_at(mean, var, np.array([10**6, 10**9, 2**31 - 1, 300]))
    np.testing.assert_allclose(far[0], near[0], atol=1e-13)
    np.testing.assert_allclose(far[1], near[1], atol=1e-12)
    assert (far[0] < 1e-12).all() and (far[1] < 1e-12).all()
    small = backorders_at(mean, var, np.array([3, 4, 1, 2]))  # untouched below the support's end
    for i, s in ((0, 3), (2, 1)):  # Poisson entries: EBO(s) = sum_{k > s} (k - s) p(k)
        k = np.arange(s + 1, 400)
        assert small[0][i] == pytest.approx(((k - s) * stats.poisson.pmf(k, mean[i])).sum(), rel=1e-12)
