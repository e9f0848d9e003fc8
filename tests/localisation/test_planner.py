"""The localisation planner: optimal against brute force, never over budget or capacity, greedy
never better than the MILP; and the indigenous-content arithmetic on a hand-worked example."""
from __future__ import annotations

import random
from decimal import Decimal as D

import pytest

from setu.engine.localisation import (
    Candidate, ContentLine, Disruption, JV, Problem, brute_force, greedy, indigenous_content, plan, solve_milp,
)
from setu.engine.localisation.planner import build_options, feasible

PROCS = ["machining", "casting", "electronics", "composites"]


def instance(seed: int, n: int, jvs: int, years: int, kind: str = "stop") -> Problem:
    r = random.Random(seed)
    cands = [Candidate(f"P{i}", fleet_units=r.randint(10, 40), qpa=r.randint(1, 4), rate=r.uniform(2, 25), stock=r.randint(1, 8),
                       import_lead_months=r.uniform(3, 9), local_lead_months=r.uniform(1, 3),
                       qualification_months=r.randint(2, 14), cost=D(r.randint(5, 60)) * D(100_000),
                       processes=frozenset(r.sample(PROCS, r.randint(1, 2)))) for i in range(n)]
    js = [JV(f"JV{j}", frozenset(r.sample(PROCS, 3)), capacity=r.uniform(15, 60), setup_months=r.randint(0, 4),
             cost_factor=D(str(round(r.uniform(0.8, 1.3), 2)))) for j in range(jvs)]
    budget = [D(r.randint(30, 120)) * D(100_000) for _ in range(years)]
    dis = Disruption(kind, start_month=r.randint(0, 6), months=12, factor=3.0)
    return Problem(cands, js, years, budget, disruption=dis)


CASES = [(s, n, j, y, k) for s, (n, j, y) in enumerate([(12, 1, 1), (10, 1, 1), (8, 2, 1), (6, 2, 2), (5, 3, 2),
                                                         (7, 2, 2), (12, 1, 1), (9, 2, 1)])
         for k in ("stop", "slow")]


@pytest.mark.parametrize("seed,n,jvs,years,kind", CASES)
def test_milp_is_optimal_against_brute_force_and_greedy_never_better(seed, n, jvs, years, kind):
    p = instance(seed, n, jvs, years, kind)
    o = build_options(p)
    bf = brute_force(p, o)
    m = solve_milp(p, o, gap=0.0)
    g = greedy(p, o)
    assert m.objective == pytest.approx(bf.objective, rel=1e-7, abs=1e-12)
    assert g.objective <= m.objective + 1e-12
    for pl in (bf, m, g):
        assert feasible(p, o, pl.chosen) is None


@pytest.mark.parametrize("seed", range(6))
def test_plans_never_exceed_budget_or_capacity(seed):
    p = instance(100 + seed, 40, 3, 3)
    o = build_options(p)
    for pl in (solve_milp(p, o), greedy(p, o)):
        assert feasible(p, o, pl.chosen) is None
        for y in range(p.years):
            assert sum((o.cost[k] for k in pl.chosen if o.year[k] == y), D(0)) <= p.budget[y]
        for j, jv in enumerate(p.jvs):
            for yk in range(p.years):
                assert sum(o.volume[k] for k in pl.chosen if o.jv[k] == j and o.ready_month[k] // 12 <= yk) \
                    <= jv.capacity + 1e-9
        # capability: each chosen part's processes are the JV's
        for k in pl.chosen:
            assert p.candidates[o.part[k]].processes <= p.jvs[o.jv[k]].processes


def test_zero_budget_chooses_nothing_and_the_plan_reports_both_methods():
    p = instance(7, 10, 2, 2)
    p0 = Problem(p.candidates, p.jvs, 2, [D(0), D(0)], disruption=p.disruption)
    res = plan(p0)
    assert res["choices"] == [] and res["total_cost"] == "0"
    assert res["availability_with"] == res["availability_without"]
    full = plan(p)
    assert {"budget", "total_cost", "availability_without", "availability_with", "choices"} <= set(full)
    assert full["availability_with"] >= full["availability_without"]
    assert full["milp"]["objective"] >= full["greedy"]["objective"] - 1e-12
    assert len(full["milp"]["monthly"]["with"]) == 24
    for c in full["choices"]:
        assert {"part", "jv", "year", "cost", "availability_gain"} <= set(c)


def test_localising_helps_only_from_its_ready_month():
    c = Candidate("X", fleet_units=20, qpa=1, rate=12, stock=1, import_lead_months=6, local_lead_months=1,
                  qualification_months=18, cost=D(1_000_000), processes=frozenset({"machining"}))
    p = Problem([c], [JV("J", frozenset({"machining"}), 100)], 3, [D(2_000_000)] * 3, disruption=Disruption("stop", 0, 12))
    res = plan(p)
    (ch,) = res["choices"]
    assert ch["year"] == 1 and ch["ready_month"] == 18
    w, wo = res["milp"]["monthly"]["with"], res["milp"]["monthly"]["without"]
    assert w[:18] == wo[:18] and all(a > b for a, b in zip(w[18:], wo[18:]))


def test_bad_problems_are_refused_with_a_reason():
    c = Candidate("X", 20, 1, 12, 1, 6, 1, 3, D(1))
    with pytest.raises(ValueError, match="one amount per year"):
        Problem([c], [], 2, [D(1)])
    with pytest.raises(ValueError, match="negative"):
        Problem([c], [], 1, [D(-1)])
    with pytest.raises(ValueError, match="unique"):
        Problem([c, c], [], 1, [D(1)])
    with pytest.raises(ValueError, match="stop"):
        Disruption("pause")


def test_indigenous_content_hand_worked():
    # an assembly of 10 lines: 7 local cheap items (count 7 x qty), 3 imported expensive ones
    lines = [
        ContentLine("bracket", D(4), D("1000"), True),      # 4 000 local
        ContentLine("housing", D(2), D("25000"), True),     # 50 000 local
        ContentLine("seal kit", D(10), D("100"), True),     # 1 000 local
        ContentLine("bearing", D(2), D("60000"), False),    # 120 000 imported
        ContentLine("seeker", D(1), D("325000"), False),    # 325 000 imported
    ]
    ic = indigenous_content(lines)
    assert ic.value_total == D("500000") and ic.value_local == D("55000")
    assert ic.by_value == D("0.11")
    assert ic.count_total == D(19) and ic.count_local == D(16)
    assert ic.by_count == D(16) / D(19)
    assert ic.by_count > ic.by_value  # many cheap local items, few costly imports
    assert indigenous_content([]).by_value == 0
    with pytest.raises(ValueError, match="bracket"):
        indigenous_content([ContentLine("bracket", D(-1), D(1), True)])
