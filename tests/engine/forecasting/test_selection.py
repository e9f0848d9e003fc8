"""Automatic method selection by rolling-origin evaluation."""

import numpy as np
import pytest

from setu.engine.forecasting.evaluation import rolling_origin_forecasts
from setu.engine.forecasting.selection import (
    DEFAULT_CANDIDATES,
    Selection,
    auto_select,
    candidate_forecasters,
    choose,
    score_candidates,
)


def _panel(n=120, T=48, seed=0):
    rng = np.random.default_rng(seed)
    occ = rng.random((n, T)) < rng.uniform(0.1, 0.7, n)[:, None]
    return (occ * (1 + rng.poisson(3.0, (n, T)))).astype(float)


def test_choose_per_series_class_global_and_ties():
    scores = np.array([[1.0, 5.0, 2.0, 0.0],
                       [3.0, 1.0, 2.0, 0.0],
                       [2.0, 2.0, np.nan, 0.0]])
    tie = np.array([[0.5, 0.5, 0.9, 0.7],
                    [0.5, 0.5, 0.1, 0.2],
                    [0.5, 0.5, 0.5, 0.9]])
    np.testing.assert_array_equal(choose(scores, tie, pool="series"), [0, 1, 1, 1])
    # groups {0, 1} and {2, 3}: means (3, 2, 2) and (1, 1, 0) -> candidates 1 and 2
    np.testing.assert_array_equal(choose(scores, tie, pool="class", groups=np.array([7, 7, 9, 9])), [1, 1, 2, 2])
    assert np.unique(choose(scores, tie, pool="global")).size == 1
    # no evidence at all -> the first candidate
    assert choose(np.full((3, 1), np.nan), np.full((3, 1), np.nan), pool="series")[0] == 0


def test_inventory_criterion_prefers_the_right_level():
    rng = np.random.default_rng(3)
    n, T = 200, 40
    Y = rng.poisson(4.0, (n, T)).astype(float)
    origins = list(range(28, 40))
    truth = np.full((len(origins), n), 4.0)
    forecasts = {"too_high": truth * 3, "right": truth, "too_low": truth / 4}
    for criterion in ("inventory", "rmsse"):
        crit, rm = score_candidates(Y, None, forecasts, origins, 3, target=0.9, criterion=criterion)
        assert crit.shape == (3, n)
        assert np.mean(np.argmin(crit, axis=0) == 1) > 0.8


def test_auto_select_with_precomputed_forecasts():
    rng = np.random.default_rng(4)
    n, T = 60, 36
    Y = rng.poisson(2.0, (n, T)).astype(float)
    k = 10
    fc = {"a": np.full((k, n), 2.0), "b": np.full((k, n), 9.0)}
    final = {"a": np.full(n, 2.1), "b": np.full(n, 9.1)}
    sel = auto_select(Y, None, 2, n_origins=k, forecasts=fc, final=final, top_k=1)
    assert isinstance(sel, Selection)
    method, mean = sel
    assert np.all(method == "a") and np.all(mean == 2.1)
    assert sel.scores.shape == (2, n) and sel.candidates == ("a", "b")
    # combination of the two best: their mean, names joined best first
    fc["c"], final["c"] = np.full((k, n), 30.0), np.full(n, 30.0)
    combo = auto_select(Y, None, 2, n_origins=k, forecasts=fc, final=final, top_k=2)
    assert np.all(combo.method == "a+b")
    np.testing.assert_allclose(combo.mean, (2.1 + 9.1) / 2)


def test_auto_select_real_methods_on_synthetic_panel():
    Y = _panel()
    start = np.zeros(Y.shape[0], np.int64)
    start[:5] = 30  # ragged: series that start late
    sel = auto_select(Y, start, horizon=np.full(Y.shape[0], 3), n_origins=6, candidates=("sba", "ses", "tsb", "adida"),
                      top_k=1)
    assert sel.method.shape == (Y.shape[0],) and set(sel.method) <= {"sba", "ses", "tsb", "adida"}
    fns = candidate_forecasters(("sba", "ses", "tsb", "adida"))
    for name in set(sel.method):
        rows = sel.method == name
        np.testing.assert_allclose(sel.mean[rows], fns[name](Y, start)[rows])
    # deterministic
    again = auto_select(Y, start, horizon=np.full(Y.shape[0], 3), n_origins=6, candidates=("sba", "ses", "tsb", "adida"),
                        top_k=1)
    np.testing.assert_array_equal(sel.method, again.method)
    # default: mean of the three best, the best first in the name
    top3 = auto_select(Y, start, horizon=np.full(Y.shape[0], 3), n_origins=6, candidates=("sba", "ses", "tsb", "adida"))
    F = {nm: fns[nm](Y, start) for nm in ("sba", "ses", "tsb", "adida")}
    for i in range(0, Y.shape[0], 17):
        parts = top3.method[i].split("+")
        assert len(parts) == 3 and parts[0] == sel.method[i]
        assert top3.mean[i] == pytest.approx(np.mean([F[p][i] for p in parts]))


def test_auto_select_defaults_and_short_history():
    Y = _panel(n=30, T=20)
    sel = auto_select(Y, None)
    assert all(set(m.split("+")) <= set(DEFAULT_CANDIDATES) for m in sel.method)
    short = auto_select(Y[:, :2], None, n_origins=12, candidates=("sba", "ses"))
    assert short.method.shape == (30,)
    with pytest.raises(ValueError):
        candidate_forecasters(("no_such_method",))


def test_pooled_selection_beats_or_matches_each_candidate_in_sample():
    """Selection by the mean criterion over a class never scores worse, on the evaluation
    windows, than any single candidate applied to the whole class."""
    Y = _panel(n=150, T=40, seed=9)
    origins = list(range(30, 40))
    fns = candidate_forecasters(("sba", "ses", "tsb"))
    fc = rolling_origin_forecasts(Y, None, fns, origins)
    crit, rm = score_candidates(Y, None, fc, origins, 2, criterion="rmsse")
    idx = choose(crit, rm, pool="global")
    chosen = crit[idx, np.arange(Y.shape[0])]
    assert np.nanmean(chosen) <= np.nanmin(np.nanmean(crit, axis=1)) + 1e-12
