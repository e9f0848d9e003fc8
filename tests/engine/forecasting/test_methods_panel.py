"""Panel construction from long format, and SBC classification (with the published counts)."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from setu.engine.forecasting.classify import (ERRATIC, INTERMITTENT, LUMPY, NO_DEMAND, SMOOTH,
                                              classify)
from setu.engine.forecasting.panel import Frequency, PanelError, panel_from_long

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def test_monthly_dates_ragged_and_missing_periods_are_zero():
    p = panel_from_long(
        ["a", "a", "b", "b", "a"],
        ["1996-01-01", "1996-03-01", "1996-02-01", "1996-04-01", "1996-02-01"],
        [1, 2, 3, 0, 5],
    )
    assert list(p.ids) == ["a", "b"]  # order of first appearance
    np.testing.assert_array_equal(p.Y, [[1, 5, 2, 0], [0, 3, 0, 0]])
    np.testing.assert_array_equal(p.start, [0, 1])
    assert [str(x) for x in p.periods] == ["1996-01-01", "1996-02-01", "1996-03-01", "1996-04-01"]
    assert p.freq == Frequency("month", 1, day=1)
    assert [str(x) for x in p.future_periods(3)] == ["1996-05-01", "1996-06-01", "1996-07-01"]


def test_month_end_weekly_month_strings_and_integer_periods():
    p = panel_from_long(["a", "a", "b"], ["2000-01-31", "2000-02-29", "2000-03-31"], [1, 2, 3])
    assert p.freq.month_end
    assert [str(x) for x in p.future_periods(2)] == ["2000-04-30", "2000-05-31"]
    w = panel_from_long(["a", "a", "b"], ["2020-01-06", "2020-01-20", "2020-01-13"], [1, 2, 3])
    assert w.freq == Frequency("day", 7)
    np.testing.assert_array_equal(w.Y, [[1, 0, 2], [0, 3, 0]])
    assert [str(x) for x in w.future_periods(1)] == ["2020-01-27"]
    m = panel_from_long(["a", "a", "b"], ["2020-11", "2021-01", "2020-12"], [1, 2, 4])
    assert [str(x) for x in m.periods] == ["2020-11", "2020-12", "2021-01"]
    assert [str(x) for x in m.future_periods(1)] == ["2021-02"]
    m2 = panel_from_long(["a", "a"], ["2020-11", "2021-01"], [1, 2])  # greatest common step: 2 months
    assert m2.freq.step == 2 and [str(x) for x in m2.future_periods(1)] == ["2021-03"]
    q = panel_from_long(["a", "a"], ["2020-01-01", "2020-07-01"], [1, 2])
    assert q.freq.step == 6 and q.n_periods == 2
    i = panel_from_long(np.array(["x", "x", "y"]), np.array([1, 2, 5]), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(i.periods, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(i.start, [0, 4])
    np.testing.assert_array_equal(i.future_periods(2), [6, 7])
    s = panel_from_long(["x", "x"], ["3", "4"], ["1", "2.5"])  # strings as read from a CSV
    np.testing.assert_array_equal(s.Y, [[1.0, 2.5]])
    np.testing.assert_array_equal(s.periods, [3, 4])


def test_all_malformed_rows_are_reported():
    with pytest.raises(PanelError) as exc:
        panel_from_long(
            ["a", "", "b", "a", "a", "b"],
            ["2020-01-01", "2020-02-01", "bad", "2020-01-01", "2020-03-01", "2020-02-01"],
            [1, "x", -3, 2, float("nan"), 1],
        )
    got = {(i, c) for i, c, _ in exc.value.problems}
    assert got == {(1, "unique_id"), (1, "y"), (2, "ds"), (2, "y"), (3, "ds"), (4, "y")}
    msgs = {(i, c): m for i, c, m in exc.value.problems}
    assert "duplicate" in msgs[(3, "ds")] and "index 0" in msgs[(3, "ds")]
    assert "negative" in msgs[(2, "y")]
    with pytest.raises(PanelError) as exc:
        panel_from_long(["a", "a", "a"], ["2020-01-01", "2020-02-01", "2020-02-15"], [1, 2, 3], freq="MS")
    assert [(i, c) for i, c, _ in exc.value.problems] == [(2, "ds")]
    with pytest.raises(PanelError) as exc:
        panel_from_long(["a", "a", "b"], ["1", "2", "2020-01-01"], [1, 2, 3])
    assert [(i, c) for i, c, _ in exc.value.problems] == [(2, "ds")]


def test_panel_take_and_roundtrip_of_a_random_long_table():
    rng = np.random.default_rng(0)
    n, T = 50, 30
    Y = ((rng.random((n, T)) < 0.3) * rng.integers(1, 9, (n, T))).astype(float)
    start = rng.integers(0, T, n)
    rows = [(f"s{i}", t, Y[i, t]) for i in range(n) for t in range(start[i], T)
            if Y[i, t] > 0 or t == start[i]]
    perm = rng.permutation(len(rows))
    ids, ds, y = zip(*[rows[k] for k in perm])
    p = panel_from_long(list(ids), np.array(ds) + 1, list(y))
    order = [int(s[1:]) for s in p.ids]
    # the grid starts at the earliest period of any series
    T0 = int(start.min())
    Ytrue = np.where(np.arange(T)[None, :] >= start[:, None], Y, 0.0)[:, T0:]
    np.testing.assert_array_equal(p.Y, Ytrue[order])
    np.testing.assert_array_equal(p.start, (start - T0)[order])
    sub = p.take(slice(2, 5))
    assert sub.n_series == 3 and sub.periods is p.periods


def test_classification_cutoffs():
    Y = np.array([
        [5, 5, 5, 5, 5, 5],  # every period, constant: smooth
        [1, 9, 1, 9, 1, 12],  # every period, variable sizes: erratic
        [0, 3, 0, 0, 3, 0],  # sparse constant: intermittent
        [0, 1, 0, 0, 20, 0],  # sparse variable: lumpy
        [0, 0, 0, 0, 0, 0],
    ], dtype=float)
    c = classify(Y)
    np.testing.assert_array_equal(c.code, [SMOOTH, ERRATIC, INTERMITTENT, LUMPY, NO_DEMAND])
    assert c.adi[2] == pytest.approx(3.0)
    assert c.cv2[3] == pytest.approx(np.var([1, 20]) / np.mean([1, 20]) ** 2)
    assert list(c.names()) == ["smooth", "erratic", "intermittent", "lumpy", "no demand"]
    # start shortens the observed span: ADI of [3, 0, 0, 3, 0] from start 1 is 5 / 2
    assert classify(Y[2:3], start=[1]).adi[0] == pytest.approx(2.5)


def _wide(name):
    path = DATA / name
    if not path.exists():
        pytest.skip("shared data not available")
    with gzip.open(path, "rt") as fh:
        header = fh.readline().strip().split(",")
        cols = {h: i for i, h in enumerate(header)}
        recs = [line.rstrip("\n").split(",") for line in fh]
    p = panel_from_long([r[cols["unique_id"]] for r in recs], [r[cols["ds"]] for r in recs],
                        [r[cols["y"]] for r in recs])
    return p


def test_published_sbc_counts_raf_and_auto():
    """Reference note, section 3: RAF 2,905 intermittent / 2,095 lumpy; AUTO (Syntetos & Boylan
    2005) 1,241 smooth, 378 erratic, 1,074 intermittent, 307 lumpy."""
    raf = _wide("raf_demand.csv.gz")
    assert raf.Y.shape == (5000, 84)
    assert classify(raf.Y, raf.start).counts() == {
        "smooth": 0, "erratic": 0, "intermittent": 2905, "lumpy": 2095, "no demand": 0}
    auto = _wide("auto_demand.csv.gz")
    assert auto.Y.shape == (3000, 24)
    assert classify(auto.Y, auto.start).counts() == {
        "smooth": 1241, "erratic": 378, "intermittent": 1074, "lumpy": 307, "no demand": 0}
