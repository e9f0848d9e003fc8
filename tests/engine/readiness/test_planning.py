"""Plan selection from today's stock: rebalancing, moves, budget and target choice."""
import numpy as np

from setu.engine.readiness import Case, Demand, Item, Site, evaluate, rebalance, recommend
from setu.engine.readiness.planning import moves_of


def test_rebalance_moves_surplus_depot_first_and_buys_the_rest():
    plan = np.array([[1, 2, 2]])
    today = np.array([[3, 0, 1]])  # depot (col 0) holds 2 more than planned; bases short 2 and 1
    after, buy, inn, out = rebalance(plan, today, depot_col=0)
    np.testing.assert_array_equal(out, [[2, 0, 0]])
    np.testing.assert_array_equal(inn, [[0, 2, 0]])
    np.testing.assert_array_equal(buy, [[0, 0, 1]])
    np.testing.assert_array_equal(after, plan)
    assert moves_of(out, inn) == [(0, 0, 1, 2)]


def _case():
    sites = (Site(id="D", echelon="depot"),
             Site(id="B1", echelon="base", parent="D", order_ship_time=0.02, units={"T": 10}),
             Site(id="B2", echelon="base", parent="D", order_ship_time=0.02, units={"T": 10}))
    items = tuple(Item(id=f"I{k}", unit_cost=c, depot_repair_time=0.1, qpa={"T": 1},
                       demand={"B1": Demand(rate=r, repair_fraction=0.0, repair_time=0.0),
                               "B2": Demand(rate=r, repair_fraction=0.0, repair_time=0.0)})
                  for k, (c, r) in enumerate([(1.0, 20.0), (3.0, 8.0), (2.0, 12.0)]))
    return Case(sites=sites, items=items)


def test_budget_is_respected_and_target_is_met_cheapest():
    case = _case()
    stock = {"I0": {"B1": 2}}
    rec, _ = recommend(case, stock, budget=10.0)
    assert rec.buy_cost <= 10.0 + 1e-9
    rec_t, curve = recommend(case, stock, target=0.8)
    assert rec_t.target_met and rec_t.availability >= 0.8
    ev = evaluate(case.arrays(), rec_t.after)
    assert abs(float(ev.fleet_availability[0]) - rec_t.availability) < 1e-12
