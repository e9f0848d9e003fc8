"""Unit tests of the spares simulator: Palm's theorem, Little's law, determinism, CI coverage."""
from __future__ import annotations

import math

import numpy as np
import pytest

from setu.engine.simulation import compile_case, simulate
from setu.engine.simulation.des import _assign_holes, _down_time, fifo_fill, interval_moments
from setu.engine.simulation.stats import mean_half_width, student_t_quantile


def poisson_ebo_vbo(mu: float, s: int) -> tuple[float, float]:
    """E[(X-s)^+] and Var[(X-s)^+] for X ~ Poisson(mu) (Sherbrooke 2004 eq. 2.7, 2.11)."""
    x = np.arange(0, int(mu + 40 * math.sqrt(mu + 1) + 60))
    logp = -mu + x * math.log(mu) - np.array([math.lgamma(k + 1) for k in x])
    p = np.exp(logp)
    bo = np.maximum(x - s, 0)
    e = float((bo * p).sum())
    return e, float((bo * bo * p).sum()) - e * e


def nb_ebo(mean: float, var: float, s: int) -> float:
    """E[(X-s)^+] for the negative binomial with the given mean and variance (Sherbrooke 2.19)."""
    b = (var - mean) / var
    a = mean * mean / (var - mean)
    p = [(1 - b) ** a]
    for x in range(0, 400):
        p.append(p[-1] * b * (a + x) / (x + 1))
    p = np.array(p)
    x = np.arange(p.size)
    return float((np.maximum(x - s, 0) * p).sum())


def single_site(rate: float, repair_time: float, vtm: float = 1.0, units: int = 10) -> dict:
    """One stand-alone base repairing everything (r = 1): Palm's M/G/inf pipeline."""
    return {
        "sites": [{"id": "B1", "echelon": "base", "parent": None, "units": {"TANK": units}}],
        "items": [{
            "id": "L1", "unit_cost": 1.0, "variance_to_mean": vtm, "qpa": {"TANK": 1},
            "demand": {"B1": {"rate": rate, "repair_fraction": 1.0, "repair_time": repair_time}},
        }],
    }


TWO_ECHELON = {
    "sites": [
        {"id": "DEPOT", "echelon": "depot"},
        {"id": "B1", "echelon": "base", "parent": "DEPOT", "order_ship_time": 0.01,
         "units": {"FIGHTER": 12}},
        {"id": "B2", "echelon": "base", "parent": "DEPOT", "order_ship_time": 0.02,
         "units": {"FIGHTER": 12}},
    ],
    "items": [
        {"id": "U1", "unit_cost": 5, "depot_repair_time": 0.02531, "qpa": {"FIGHTER": 1},
         "demand": {"B1": {"rate": 23.2, "repair_fraction": 0.5, "repair_time": 0.01},
                    "B2": {"rate": 20.1, "repair_fraction": 0.6, "repair_time": 0.015}}},
        {"id": "U2", "unit_cost": 3, "depot_repair_time": 0.01782, "qpa": {"FIGHTER": 1},
         "demand": {"B1": {"rate": 35.2, "repair_fraction": 0.7, "repair_time": 0.02},
                    "B2": {"rate": 30.2, "repair_fraction": 0.6, "repair_time": 0.02}}},
    ],
}


# ---- kernels -------------------------------------------------------------------------------

def test_fifo_fill_matches_hand_worked_example():
    t = np.array([1.0, 1.5, 3.0, 3.1])
    repl = np.array([2.0, 2.5, 5.0, 4.0])  # replenishment of each demand, arriving out of order
    # s = 1: demand 0 from stock; demand n >= 1 takes the (n-1)-th earliest replenishment
    assert fifo_fill(t, repl, 1).tolist() == [1.0, 2.0, 3.0, 4.0]
    assert fifo_fill(t, repl, 0).tolist() == [2.0, 2.5, 4.0, 5.0]
    assert fifo_fill(t, repl, 4).tolist() == t.tolist()


def test_interval_moments_of_overlapping_intervals():
    # N(t) = 1 on [0,1), 2 on [1,2), 1 on [2,3), 0 on [3,4)
    first, second = interval_moments(np.array([0.0, 1.0]), np.array([2.0, 3.0]), 0.0, 4.0)
    assert first == pytest.approx((1 + 2 + 1) / 4)
    assert second == pytest.approx((1 + 4 + 1) / 4)
    # window clipping
    first, _ = interval_moments(np.array([0.0, 1.0]), np.array([2.0, 3.0]), 1.5, 2.5)
    assert first == pytest.approx((0.5 * 2 + 0.5 * 1) / 1.0)


def test_hole_assignment_never_puts_two_holes_on_one_position():
    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(0, 10, 600))
    fill = fifo_fill(t, t + rng.exponential(0.05, 600), 1)  # FIFO: fills are non-decreasing
    hole = fill > t
    start, end = t[hole], fill[hole]
    pos = _assign_holes(start, end, 6, rng.random(start.size))
    assert (pos < 0).any() and (pos >= 0).any()
    for p in range(6):
        k = np.flatnonzero(pos == p)
        assert np.all(start[k][1:] >= end[k][:-1])  # intervals on one position are disjoint
    # a position is refused only when all six are busy
    for k in np.flatnonzero(pos < 0):
        assert ((start < start[k]) & (end > start[k]) & (pos >= 0)).sum() == 6


def test_down_time_is_union_of_a_units_holes():
    unit = np.array([0, 0, 1])
    start = np.array([0.0, 0.5, 2.0])
    end = np.array([1.0, 1.5, 3.0])
    assert _down_time(unit, start, end, 0.0, 4.0, 2).tolist() == [1.5, 1.0]


def test_student_t_quantiles():
    assert student_t_quantile(0.95, 1) == pytest.approx(12.7062047, rel=1e-7)
    assert student_t_quantile(0.95, 9) == pytest.approx(2.2621572, rel=1e-7)
    assert student_t_quantile(0.99, 4) == pytest.approx(4.6040949, rel=1e-7)
    m, h = mean_half_width(np.array([1.0, 2.0, 3.0]))
    assert m == 2.0 and h == pytest.approx(4.3026527 / math.sqrt(3))


# ---- Palm's theorem and Little's law --------------------------------------------------------

@pytest.mark.parametrize("dist", ["deterministic", "exponential"])
def test_palm_single_site_pipeline_is_poisson_lambda_t(dist):
    rate, t_rep = 40.0, 0.05  # mu = 2
    res = simulate(single_site(rate, t_rep), {"L1": {"B1": 2}}, horizon_years=400,
                   warmup_years=0.5, replications=8, seed=11, repair_distribution=dist)
    pipe = res.pipeline("L1", "B1")
    assert pipe.covers(rate * t_rep)
    assert pipe.half_width < 0.02 * rate * t_rep
    ebo, vbo = poisson_ebo_vbo(2.0, 2)  # 0.541341, 0.894938 (readiness_cases T7)
    assert ebo == pytest.approx(0.541341, abs=1e-6)
    assert res.ebo("L1", "B1").covers(ebo, rel_tol=0.01)
    assert res.vbo[0, 0] == pytest.approx(vbo, rel=0.03)


def test_compound_demand_gives_negative_binomial_pipeline():
    rate, t_rep, v = 40.0, 0.05, 1.5  # pipeline NB(mean 2, variance 3): EBO(2) = 0.658436 (T7)
    res = simulate(single_site(rate, t_rep, vtm=v), {"L1": {"B1": 2}}, horizon_years=400,
                   warmup_years=0.5, replications=8, seed=5)
    assert nb_ebo(2.0, 3.0, 2) == pytest.approx(0.658436, abs=1e-6)
    assert res.ebo("L1", "B1").covers(0.658436, rel_tol=0.01)
    assert res.demand_rate[0, 0] == pytest.approx(rate, rel=0.01)


def test_littles_law_holds_at_every_stock_point():
    stock = {"U1": {"DEPOT": 1, "B1": 1, "B2": 1}, "U2": {"B1": 2, "B2": 1}}
    res = simulate(TWO_ECHELON, stock, horizon_years=300, warmup_years=0.5, replications=5,
                   seed=2, track_units=False)
    # L = lambda W, each side measured independently from the same sample paths
    np.testing.assert_allclose(res.pipeline_mean, res.demand_rate * res.mean_resupply_time,
                               rtol=0.01)


def test_depot_with_ample_stock_gives_metric_base_pipeline():
    stock = {"U1": {"DEPOT": 30}, "U2": {"DEPOT": 30}}
    res = simulate(TWO_ECHELON, stock, horizon_years=300, warmup_years=0.5, replications=6,
                   seed=9, track_units=False)
    # no depot delay: mu_j = m (r T + (1 - r) O) (Sherbrooke 1968)
    expected = 23.2 * (0.5 * 0.01 + 0.5 * 0.01)
    assert res.pipeline("U1", "B1").covers(expected, rel_tol=0.01)
    assert res.ebo("U1", "DEPOT").mean == 0.0


def test_multi_indenture_lru_pipeline_carries_sru_backorders():
    """T8 structure at one site: E[X_A] = m T + sum_k EBO_k exactly (Little's law)."""
    case = {
        "sites": [{"id": "S", "echelon": "base", "units": {"JET": 12}}],
        "items": [
            {"id": "A", "unit_cost": 1, "qpa": {"JET": 1},
             "demand": {"S": {"rate": 20, "repair_fraction": 1, "repair_time": 0.05}}},
            {"id": "A1", "unit_cost": 1, "parent": "A", "failure_share": 0.6,
             "demand": {"S": {"repair_fraction": 1, "repair_time": 0.08}}},
            {"id": "A2", "unit_cost": 1, "parent": "A", "failure_share": 0.4,
             "demand": {"S": {"repair_fraction": 1, "repair_time": 0.10}}},
        ],
    }
    stock = {"A": {"S": 1}, "A1": {"S": 1}, "A2": {"S": 1}}
    res = simulate(case, stock, horizon_years=2000, warmup_years=0.5, replications=8, seed=21)
    # SRU pipelines are Poisson (mu 0.96 and 0.80); their EBO at s = 1 is in readiness_cases T8
    assert res.ebo("A1", "S").covers(0.34289, rel_tol=0.01)
    assert res.ebo("A2", "S").covers(0.24933, rel_tol=0.01)
    assert res.pipeline("A", "S").covers(1.59222, rel_tol=0.01)  # 1 + 0.34289 + 0.24933
    np.testing.assert_allclose(res.demand_rate[:, 0], [20, 12, 8], rtol=0.02)


# ---- availability --------------------------------------------------------------------------

def test_single_lru_availability_counts_each_backorder_as_one_unit_down():
    res = simulate(single_site(40.0, 0.05, units=30), {"L1": {"B1": 1}}, horizon_years=100,
                   warmup_years=0.5, replications=5, seed=3)
    # with Z = 1 and BO < N every hole is on its own unit: units down = BO exactly
    np.testing.assert_allclose(res.availability_replicates[:, 0],
                               1 - res.ebo_replicates[:, 0, 0] / 30, rtol=0, atol=1e-9)
    assert res.availability_mean[0] == pytest.approx(res.availability_formula_mean[0], abs=1e-9)


def test_qpa_two_holes_can_share_a_unit():
    case = single_site(40.0, 0.05, units=4)
    case["items"][0]["qpa"] = {"TANK": 2}
    res = simulate(case, {"L1": {"B1": 1}}, horizon_years=100, warmup_years=0.5,
                   replications=5, seed=3)
    # two holes on the same unit leave fewer units down than holes: A >= 1 - EBO/N
    assert res.availability_mean[0] > 1 - res.ebo_mean[0, 0] / 4
    assert 0 < res.availability_mean[0] < 1


# ---- determinism, validation, CI coverage ---------------------------------------------------

def test_seeded_runs_are_identical_and_seeds_matter():
    kw = dict(horizon_years=50, warmup_years=0.5, replications=3)
    a = simulate(TWO_ECHELON, {"U1": {"DEPOT": 1}}, seed=42, **kw)
    b = simulate(TWO_ECHELON, {"U1": {"DEPOT": 1}}, seed=42, **kw)
    c = simulate(TWO_ECHELON, {"U1": {"DEPOT": 1}}, seed=43, **kw)
    np.testing.assert_array_equal(a.ebo_replicates, b.ebo_replicates)
    np.testing.assert_array_equal(a.availability_replicates, b.availability_replicates)
    assert not np.array_equal(a.ebo_replicates, c.ebo_replicates)


def test_case_and_stock_validation():
    with pytest.raises(KeyError):
        simulate(TWO_ECHELON, {"NOPE": {"B1": 1}}, horizon_years=1, replications=1)
    with pytest.raises(KeyError):
        simulate(TWO_ECHELON, {"U1": {"NOPE": 1}}, horizon_years=1, replications=1)
    with pytest.raises(ValueError):
        simulate(TWO_ECHELON, {}, horizon_years=1, replications=1, repair_distribution="weibull")
    two_depots = {"sites": [{"id": "D1", "echelon": "depot"}, {"id": "D2", "echelon": "depot"}],
                  "items": []}
    with pytest.raises(ValueError):
        compile_case(two_depots)
    arr = np.zeros((2, 3), dtype=int)
    arr[0, 0] = 1
    r1 = simulate(TWO_ECHELON, arr, horizon_years=5, replications=2, seed=1)
    r2 = simulate(TWO_ECHELON, {"U1": {"DEPOT": 1}}, horizon_years=5, replications=2, seed=1)
    np.testing.assert_array_equal(r1.ebo_replicates, r2.ebo_replicates)


@pytest.mark.slow
def test_confidence_intervals_cover_the_true_ebo_about_95_percent_of_the_time():
    """60 independent 5-replication experiments on a Palm single site with known EBO."""
    truth, _ = poisson_ebo_vbo(2.0, 2)
    case = single_site(40.0, 0.05)
    hits = 0
    n_exp = 60
    for k in range(n_exp):
        res = simulate(case, {"L1": {"B1": 2}}, horizon_years=20, warmup_years=0.5,
                       replications=5, seed=1000 + k, track_units=False)
        hits += res.ebo("L1", "B1").covers(truth)
    # Binomial(60, 0.95): P(hits <= 51) < 1 %
    assert hits >= 52, f"coverage {hits}/{n_exp}"


def graves_exact_base_ebo(m, r, t_base, o_ship, t_depot, s0, s, j):
    """Exact base EBO for Poisson demand and deterministic ship time (Graves 1985).

    Base j's outstanding orders = Poisson(m_j (r_j T_j + (1 - r_j) O_j)) plus a binomial(f_j)
    thinning of the depot backorders (X_0 - s_0)^+, X_0 ~ Poisson(m_0 T_0).
    """
    m, r = np.asarray(m, float), np.asarray(r, float)
    m0 = float(((1 - r) * m).sum())
    f = (1 - r[j]) * m[j] / m0
    mu0 = m0 * t_depot
    n = int(mu0 + 20 * math.sqrt(mu0) + 60)
    x = np.arange(n)
    lg = np.array([math.lgamma(k + 1) for k in x])
    p0 = np.exp(-mu0 + x * math.log(mu0) - lg)
    pb = np.zeros(n)
    pb[0] = p0[: s0 + 1].sum()
    pb[1: n - s0] = p0[s0 + 1:]
    # P(Y = y) = sum_k pb[k] C(k, y) f^y (1 - f)^(k - y)
    log_c = lg[:, None] - lg[None, :] - np.where(x[:, None] >= x[None, :],
                                                 lg[np.clip(x[:, None] - x[None, :], 0, None)], 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kern = np.where(x[:, None] >= x[None, :],
                        np.exp(log_c + x[None, :] * math.log(f)
                               + (x[:, None] - x[None, :]) * math.log1p(-f)), 0.0)
    py = pb @ kern
    loc = m[j] * (r[j] * t_base[j] + (1 - r[j]) * o_ship[j])
    pl = np.exp(-loc + x * math.log(loc) - lg)
    px = np.convolve(py, pl)[:n]
    return float((np.maximum(x - s, 0) * px).sum())


def test_two_echelon_simulation_matches_the_exact_graves_decomposition():
    """Borges item U1 with an 8x longer depot repair: where METRIC and VARI-METRIC both err."""
    case = {"sites": TWO_ECHELON["sites"], "items": [dict(TWO_ECHELON["items"][0])]}
    case["items"][0]["depot_repair_time"] = 0.02531 * 8
    stock = {"U1": {"DEPOT": 6, "B1": 2, "B2": 2}}
    args = ([23.2, 20.1], [0.5, 0.6], [0.01, 0.015], [0.01, 0.02], 0.02531 * 8, 6, 2)
    exact = [graves_exact_base_ebo(*args, j) for j in (0, 1)]
    assert exact == pytest.approx([0.017994, 0.016114], abs=2e-6)
    res = simulate(case, stock, horizon_years=2000, warmup_years=2, replications=10, seed=8,
                   track_units=False)
    assert res.ebo("U1", "B1").covers(exact[0])
    assert res.ebo("U1", "B2").covers(exact[1])
    # the depot itself is an M/D/inf pipeline with Poisson(m0 T0) (Palm)
    mu0 = (0.5 * 23.2 + 0.4 * 20.1) * 0.02531 * 8
    assert res.pipeline("U1", "DEPOT").covers(mu0, rel_tol=0.005)


def test_three_indenture_levels_follow_littles_law_at_each_level():
    """LRU -> SRU -> sub-SRU at one site: E[X_i] = m_i T_i + sum_k EBO_k at every level."""
    case = {
        "sites": [{"id": "S", "echelon": "base", "units": {"SHIP": 4}}],
        "items": [
            {"id": "A", "unit_cost": 1, "qpa": {"SHIP": 2},
             "demand": {"S": {"rate": 30, "repair_fraction": 1, "repair_time": 0.02}}},
            {"id": "B", "unit_cost": 1, "parent": "A", "failure_share": 0.7,
             "demand": {"S": {"repair_fraction": 1, "repair_time": 0.04}}},
            {"id": "C", "unit_cost": 1, "parent": "B", "failure_share": 0.5,
             "demand": {"S": {"repair_fraction": 1, "repair_time": 0.1}}},
        ],
    }
    res = simulate(case, {"A": {"S": 1}, "B": {"S": 1}, "C": {"S": 0}}, horizon_years=1000,
                   warmup_years=0.5, replications=8, seed=31)
    np.testing.assert_allclose(res.demand_rate[:, 0], [30, 21, 10.5], rtol=0.02)
    assert res.pipeline("C", "S").covers(10.5 * 0.1, rel_tol=0.01)  # Palm: Poisson(1.05)
    assert res.ebo("C", "S").covers(1.05, rel_tol=0.01)  # no stock: EBO = mean
    e_c = res.ebo_mean[2, 0]
    assert res.pipeline("B", "S").covers(21 * 0.04 + e_c, rel_tol=0.01)
    e_b = res.ebo_mean[1, 0]
    assert res.pipeline("A", "S").covers(30 * 0.02 + e_b, rel_tol=0.01)


def test_backorder_variance_matches_palm_with_interval():
    res = simulate(single_site(40.0, 0.05), {"L1": {"B1": 1}}, horizon_years=1000,
                   warmup_years=0.5, replications=8, seed=12, track_units=False)
    _, vbo = poisson_ebo_vbo(2.0, 1)
    assert res.vbo_estimate("L1", "B1").covers(vbo, rel_tol=0.01)


def test_result_to_dict_is_json_ready():
    import json

    res = simulate(TWO_ECHELON, {"U1": {"DEPOT": 1}}, horizon_years=5, replications=3, seed=1)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["items"]["U1"]["B1"]["ebo"]["mean"] == pytest.approx(res.ebo("U1", "B1").mean)
    assert set(d["availability"]) == {"B1", "B2"}
    assert d["fleet_availability"]["FIGHTER"]["mean"] > 0


def test_explicit_sru_rate_is_flagged():
    case = {
        "sites": [{"id": "S", "echelon": "base", "units": {"JET": 2}}],
        "items": [
            {"id": "A", "unit_cost": 1, "qpa": {"JET": 1},
             "demand": {"S": {"rate": 20, "repair_fraction": 1, "repair_time": 0.05}}},
            {"id": "A1", "unit_cost": 1, "parent": "A", "failure_share": 0.6,
             "demand": {"S": {"rate": 99, "repair_fraction": 1, "repair_time": 0.08}}},
        ],
    }
    with pytest.warns(UserWarning, match="implied by its parent") as caught:
        compile_case(case)
    assert any("A1" in str(w.message) for w in caught)


def test_parallel_replications_equal_serial():
    kw = dict(horizon_years=20, warmup_years=0.5, replications=4, seed=77)
    a = simulate(TWO_ECHELON, {"U1": {"DEPOT": 1}}, **kw)
    b = simulate(TWO_ECHELON, {"U1": {"DEPOT": 1}}, workers=2, **kw)
    np.testing.assert_array_equal(a.ebo_replicates, b.ebo_replicates)
    np.testing.assert_array_equal(a.availability_replicates, b.availability_replicates)
