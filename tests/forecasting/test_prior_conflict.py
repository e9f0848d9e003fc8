"""The reliability prior: weighted by its equivalent counts, discounted on prior-data conflict
(Box 1980; Evans & Moshonov 2006; power prior, Ibrahim & Chen 2000), variance of the blended mean."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from setu.engine.forecasting.reliability import (
    CONFLICT_LEVEL,
    blend_power_prior,
    conflict_discount,
    prior_predictive_tail,
)
from setu.engine.forecasting.runs import forecast_block, reliability_only


def test_tail_is_the_negative_binomial_prior_predictive():
    # prior 2 a month with 12 equivalent months (24 equivalent demands); 30 seen over 12 months
    p = prior_predictive_tail([2.0], 12.0, [30.0], [12.0])[0]
    nb = stats.nbinom(24.0, 12.0 / 24.0)
    assert p == pytest.approx(min(1.0, 2 * min(nb.cdf(30), nb.sf(29))))
    assert np.isnan(prior_predictive_tail([np.nan], 12.0, [3.0], [12.0])[0])


def test_seven_years_of_history_outweigh_a_contradicting_mtbf():
    # the case: 0.5 a year recorded over 74 months, 37.9 a year from the MTBF
    hist, prior = 0.5 / 12, 37.9 / 12
    bl = blend_power_prior([hist], [hist], [prior], 12.0, [hist * 74], [74.0])
    assert bl.conflict[0] and bl.discount[0] == pytest.approx(0.0, abs=1e-12)
    assert bl.mean[0] == pytest.approx(hist)          # not the old 5.68 a year
    assert 12 * bl.mean[0] < 1.0


def test_an_agreeing_prior_gets_its_full_equivalent_months():
    hist, prior = 1.0, 1.05
    bl = blend_power_prior([hist], [1.5], [prior], 12.0, [hist * 36], [36.0])
    assert not bl.conflict[0] and bl.discount[0] == 1.0
    w = 12.0 / (12.0 + 36.0)
    assert bl.weight[0] == pytest.approx(w)
    assert bl.mean[0] == pytest.approx(w * prior + (1 - w) * hist)
    # the variance belongs to the blended mean: the weights on both predictive variances
    var = w * prior * (1 + 1 / 48.0) + (1 - w) * 1.5
    assert bl.vmr[0] == pytest.approx(var / bl.mean[0])


def test_discount_falls_linearly_below_the_level():
    assert conflict_discount(np.array([1.0, CONFLICT_LEVEL, CONFLICT_LEVEL / 2, 0.0, np.nan])).tolist() == \
        [1.0, 1.0, 0.5, 0.0, 0.0]


def test_forecast_block_keeps_history_against_a_conflicting_prior_and_vmr_follows_the_mean():
    T = 74
    Y = np.zeros((2, T))
    Y[:, [10, 40, 70]] = 1.0                     # three demands in 74 months
    start = np.zeros(2, dtype=np.int64)
    lead = np.full(2, 3.0)
    prior = np.array([37.9 / 12, np.nan])        # series 0 has a (wrong) MTBF rate, series 1 none
    out = forecast_block((Y, start, lead, prior), method="sba", alpha=None, holdout_months=6, prior_months=12.0)
    plain = forecast_block((Y, start, lead, np.full(2, np.nan)), method="sba", alpha=None, holdout_months=6,
                           prior_months=12.0)
    assert out["mean"][0] == pytest.approx(plain["mean"][0])
    assert out["vmr"][0] == pytest.approx(plain["vmr"][0])
    assert bool(out["prior_conflict"][0]) and not bool(out["prior_conflict"][1])
    assert out["method"][0] == "sba"             # no weight: not labelled as blended


def test_prior_months_zero_is_a_poisson_rate_for_reliability_only_series():
    out = reliability_only(np.array([0.5, 2.0]), np.array([3.0, 6.0]), 0.0)
    assert out["vmr"].tolist() == [1.0, 1.0]
    assert out["lead_time_var"] == pytest.approx(out["lead_time_mean"])
    some = reliability_only(np.array([0.5]), np.array([3.0]), 12.0)
    assert some["vmr"][0] == pytest.approx(1 + 1 / 12)
