"""Batches of demand series: the :class:`Panel` and its construction from long-format data.

A panel holds ``n`` series on one regular grid of ``T`` periods (see the package docstring for the
layout). :func:`panel_from_long` builds one from three parallel arrays ``unique_id, ds, y``:

* ``ds`` is either integer periods (``1, 2, ...``) or ISO dates: ``YYYY-MM-DD`` (daily, weekly,
  monthly anchored on a day of the month or on month ends, quarterly, yearly, ... any regular step)
  or ``YYYY-MM`` (monthly). The step is inferred as the greatest common step between the distinct
  periods, or given with ``freq``.
* A series starts at its first row (``start``) and runs to the last period of the whole panel;
  periods without a row (inside the series or after its last row) are zero demand.
* Every malformed row is reported, not only the first: :class:`PanelError` carries
  ``(index, column, message)`` for each, with ``index`` the 0-based position in the input.

Pure numpy; no I/O.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Frequency", "Panel", "PanelError", "panel_from_long", "parse_frequency"]



@dataclass(frozen=True)
class Frequency:
    """A regular step between periods.

    ``unit``: ``"int"`` (integer periods), ``"month"`` or ``"day"``; ``step``: number of units.
    Monthly dates with day precision keep their anchor: ``month_end`` (last day of each month)
    or ``day`` (the same day of every month, 1..28).
    """

    unit: str
    step: int = 1
    month_end: bool = False
    day: int = 1

    def label(self) -> str:
        if self.unit == "int":
            return f"every {self.step} period(s)"
        if self.unit == "month":
            anchor = "month end" if self.month_end else f"day {self.day}"
            return f"every {self.step} month(s), {anchor}"
        return f"every {self.step} day(s)"


@dataclass(frozen=True)
class Panel:
    """A batch of demand series on one grid of periods.

    ``ids``: (n,) series identifiers (object array of str); ``Y``: (n, T) float64 demand;
    ``start``: (n,) int64 index of each series' first observed period; ``periods``: (T,) the
    period labels (int64, or datetime64[D] / datetime64[M]); ``freq``: the grid's step.
    """

    ids: np.ndarray
    Y: np.ndarray
    start: np.ndarray
    periods: np.ndarray
    freq: Frequency | None = None

    @property
    def n_series(self) -> int:
        return int(self.Y.shape[0])

    @property
    def n_periods(self) -> int:
        return int(self.Y.shape[1])

    def take(self, index: Any) -> Panel:
        """The panel restricted to some series (an index array or a slice)."""
        return Panel(self.ids[index], self.Y[index], self.start[index], self.periods, self.freq)

    def future_periods(self, horizon: int) -> np.ndarray:
        """The ``horizon`` period labels that follow the panel's last period."""
        return future_periods(self.periods[-1], self.freq or Frequency("int"), horizon)


class PanelError(ValueError):
    """Malformed long-format input; ``problems`` lists ``(index, column, message)`` for every bad row."""

    def __init__(self, problems: Sequence[tuple[int, str, str]]):
        self.problems = sorted(problems, key=lambda p: (p[0], p[1]))
        head = "; ".join(f"index {i}, column {c}: {m}" for i, c, m in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} malformed row(s): {head}{more}")


def parse_frequency(text: str) -> Frequency:
    """``"int"``, ``"D"``, ``"W"`` (7 days), ``"MS"``/``"M"`` (month start), ``"ME"`` (month end),
    ``"Q"`` (3 months), ``"Y"`` (12 months), optionally prefixed by a multiple: ``"2W"``, ``"3MS"``."""
    m = re.fullmatch(r"\s*(\d*)\s*(int|D|W|MS|M|ME|Q|QS|Y|YS|A)\s*", text)
    if not m:
        raise ValueError(f"unknown frequency {text!r}")
    k = int(m.group(1) or 1)
    code = m.group(2)
    if code == "int":
        return Frequency("int", k)
    if code == "D":
        return Frequency("day", k)
    if code == "W":
        return Frequency("day", 7 * k)
    months = {"MS": 1, "M": 1, "ME": 1, "Q": 3, "QS": 3, "Y": 12, "YS": 12, "A": 12}[code]
    return Frequency("month", months * k, month_end=code == "ME")


# --------------------------------------------------------------------------------------------
# date helpers (numpy datetime64 only)


def _month_index(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[M]").astype(np.int64)


def _day_of_month(d: np.ndarray) -> np.ndarray:
    return (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def _is_month_end(d: np.ndarray) -> np.ndarray:
    return (d + np.timedelta64(1, "D")).astype("datetime64[M]") != d.astype("datetime64[M]")


def _month_date(month_index: np.ndarray, freq: Frequency, unit: str) -> np.ndarray:
    months = np.asarray(month_index, dtype=np.int64).astype("datetime64[M]")
    if unit == "M":
        return months
    if freq.month_end:
        return (months + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return months.astype("datetime64[D]") + np.timedelta64(freq.day - 1, "D")


def future_periods(last: Any, freq: Frequency, horizon: int) -> np.ndarray:
    """The ``horizon`` periods after ``last`` on the grid ``freq``."""
    k = np.arange(1, int(horizon) + 1, dtype=np.int64) * freq.step
    if freq.unit == "int":
        return np.int64(last) + k
    last = np.asarray(last)
    unit = np.datetime_data(last.dtype)[0]
    if freq.unit == "day":
        return last.astype("datetime64[D]") + k.astype("timedelta64[D]")
    m0 = int(_month_index(last.reshape(1))[0])
    return _month_date(m0 + k, freq, unit)


# --------------------------------------------------------------------------------------------
# parsing


def _parse_periods(ds: Any, n: int) -> tuple[str, np.ndarray, np.ndarray, list[tuple[int, str, str]]]:
    """Return (kind, values, ok, problems): kind "int" | "D" | "M"; values int64 or datetime64."""
    arr = np.asarray(ds).reshape(-1)
    problems: list[tuple[int, str, str]] = []
    if arr.dtype.kind in "iu":
        return "int", arr.astype(np.int64), np.ones(n, bool), problems
    if arr.dtype.kind == "M":
        unit = np.datetime_data(arr.dtype)[0]
        if unit in ("M", "D"):
            return unit, arr, ~np.isnat(arr), problems
        days = arr.astype("datetime64[D]")
        ok = days == arr
        for i in np.nonzero(~ok)[0]:
            problems.append((int(i), "ds", "has a time of day; periods must be whole days"))
        return "D", days, ok, problems
    strs = _clean_strings(arr)
    try:  # fast path: every period an integer
        return "int", strs.astype(np.int64), np.ones(n, bool), problems
    except (ValueError, OverflowError):
        pass
    is_int = np.char.isdigit(np.char.lstrip(strs, "+-")) & (np.char.str_len(strs) > 0)
    n_int = int(is_int.sum())
    if n_int and n_int >= n - n_int:
        ok = is_int
        vals = np.zeros(n, dtype=np.int64)
        vals[ok] = np.array([int(s) for s in strs[ok]], dtype=np.int64)
        for i in np.nonzero(~ok)[0]:
            problems.append((int(i), "ds", f"{strs[i]!r} is not an integer period like the other rows"))
        return "int", vals, ok, problems
    # dates
    lens = np.char.str_len(strs)
    month_only = lens == 7
    unit = "M" if month_only.sum() > (n - month_only.sum()) else "D"
    vals = np.full(n, np.datetime64("NaT"), dtype=f"datetime64[{unit}]")
    ok = np.zeros(n, dtype=bool)
    try:
        parsed = strs.astype(f"datetime64[{unit}]")
        if unit == "D":
            exact = lens == 10
        else:
            exact = month_only & (parsed.astype("datetime64[D]") == strs.astype("datetime64[D]"))
        vals[:] = parsed
        ok = exact & ~np.isnat(parsed)
    except ValueError:
        for i, s in enumerate(strs):
            try:
                v = np.datetime64(s)
            except ValueError:
                continue
            vunit = np.datetime_data(v.dtype)[0]
            if (unit == "D" and vunit == "D") or (unit == "M" and vunit == "M"):
                vals[i] = v
                ok[i] = True
    want = "an ISO date YYYY-MM-DD" if unit == "D" else "an ISO month YYYY-MM"
    for i in np.nonzero(~ok)[0]:
        problems.append((int(i), "ds", f"{strs[i]!r} is not {want} or an integer period"))
    return unit, vals, ok, problems


def _clean_strings(values: Any) -> np.ndarray:
    """A unicode array of the stripped values (None -> "")."""
    arr = np.asarray(values)
    if arr.dtype.kind != "U":
        arr = np.array(["" if v is None else str(v) for v in arr.reshape(-1)], dtype=str)
    arr = arr.reshape(-1)
    return np.char.strip(arr)


def _factorize(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 in order of first appearance, and the k distinct keys (fast for runs)."""
    n = keys.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), keys[:0]
    heads = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    table: dict[str, int] = {}
    run_codes = np.fromiter((table.setdefault(k, len(table)) for k in keys[heads].tolist()),
                            dtype=np.int64, count=heads.size)
    codes = np.repeat(run_codes, np.diff(np.r_[heads, n]))
    return codes, np.array(list(table), dtype=object)


def _parse_values(y: Any, n: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str, str]]]:
    problems: list[tuple[int, str, str]] = []
    arr = np.asarray(y)
    try:
        vals = arr.astype(np.float64).reshape(-1)
    except (ValueError, TypeError):
        vals = np.full(n, np.nan)
        for i, v in enumerate(arr.reshape(-1)):
            try:
                vals[i] = float(v)
            except (ValueError, TypeError):
                problems.append((i, "y", f"{str(v)!r} is not a number"))
    bad_num = {p[0] for p in problems}
    ok = np.isfinite(vals) & (vals >= 0)
    for i in np.nonzero(~ok)[0]:
        if int(i) in bad_num:
            continue
        v = vals[i]
        msg = "is negative; demand must be >= 0" if v < 0 else "is not a finite number"
        problems.append((int(i), "y", f"{str(arr.reshape(-1)[i])!r} {msg}"))
    return vals, ok, problems


def _gcd_step(diffs: np.ndarray) -> int:
    diffs = diffs[diffs > 0]
    if diffs.size == 0:
        return 1
    return int(np.gcd.reduce(diffs.astype(np.int64)))


def _infer_frequency(kind: str, values: np.ndarray) -> Frequency:
    u = np.unique(values)
    if kind == "int":
        return Frequency("int", _gcd_step(np.diff(u)))
    if kind == "M":
        return Frequency("month", _gcd_step(np.diff(_month_index(u))))
    dom = _day_of_month(u)
    month_step = _gcd_step(np.diff(_month_index(u)))
    if (dom == dom[0]).all() and dom[0] <= 28 and (u.size > 1 or dom[0] == 1):
        return Frequency("month", month_step, day=int(dom[0]))
    if _is_month_end(u).all() and (u.size > 1 or dom[0] >= 28):
        return Frequency("month", month_step, month_end=True)
    return Frequency("day", _gcd_step(np.diff(u).astype(np.int64)))


def _distinct_periods(kind: str, values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(distinct values in ascending order, index of each row's value) for integer or day
    periods in a compact range, by counting (linear; a long file has few distinct periods);
    None where that does not apply."""
    if kind not in ("int", "D"):
        return None
    raw = values.astype(np.int64) if kind == "int" else values.astype("datetime64[D]").astype(np.int64)
    lo, hi = int(raw.min()), int(raw.max())
    span = hi - lo + 1
    if span > 4 * raw.size + 100_000:
        return None
    present = np.bincount(raw - lo, minlength=span) > 0
    u = np.flatnonzero(present)
    lookup = np.full(span, -1, dtype=np.int64)
    lookup[u] = np.arange(u.size)
    vals = (u + lo).astype(np.int64)
    return (vals if kind == "int" else vals.astype("datetime64[D]")), lookup[raw - lo]


def _grid_position(kind: str, values: np.ndarray, freq: Frequency) -> tuple[np.ndarray, np.ndarray]:
    """Integer position of every period on the grid (up to an offset) and whether it lies on it."""
    anchor = np.ones(values.shape, dtype=bool)
    if freq.unit == "int":
        if kind != "int":
            raise ValueError("integer frequency given for date periods")
        raw = values.astype(np.int64)
    elif kind == "int":
        raise ValueError(f"frequency {freq.label()} given for integer periods")
    elif freq.unit == "month":
        raw = _month_index(values)
        if kind == "D":
            anchor = _is_month_end(values) if freq.month_end else _day_of_month(values) == freq.day
    else:
        raw = values.astype("datetime64[D]").astype(np.int64)
    if raw.size == 0:
        return raw, anchor
    base = raw.min()
    return (raw - base) // freq.step, anchor & ((raw - base) % freq.step == 0)


def panel_from_long(unique_id: Any, ds: Any, y: Any, *, freq: Frequency | str | None = None,
                    id_codes: tuple[np.ndarray, np.ndarray] | None = None) -> Panel:
    """Build a :class:`Panel` from long-format arrays (one row per series and period).

    Series keep the order of their first row. Raises :class:`PanelError` listing every malformed
    row: empty id, unparseable or off-grid period, non-numeric / non-finite / negative demand,
    duplicate (id, period). ``id_codes = (codes, labels)``, optional, gives the ids already
    factorised (``labels[codes]`` the id of each row, codes numbered in order of first
    appearance, e.g. Arrow's ``dictionary_encode``); ``unique_id`` is then ignored.
    """
    if id_codes is not None:
        codes_in, labels_in = id_codes
        codes_in = np.asarray(codes_in, dtype=np.int64).reshape(-1)
        labels_clean = np.char.strip(np.asarray(labels_in, dtype=str).reshape(-1))
        n = codes_in.size
    else:
        ids_in = np.asarray(unique_id).reshape(-1)
        n = ids_in.size
    if np.asarray(ds).reshape(-1).size != n or np.asarray(y).reshape(-1).size != n:
        raise ValueError("unique_id, ds and y must have the same length")
    problems: list[tuple[int, str, str]] = []
    if id_codes is not None:
        ok_id = (labels_clean != "")[codes_in] if n else np.zeros(0, dtype=bool)

        def id_of(i: int) -> str:
            return str(labels_clean[codes_in[i]])
    else:
        ids_str = _clean_strings(ids_in)
        ok_id = ids_str != ""

        def id_of(i: int) -> str:
            return str(ids_str[i])
    for i in np.nonzero(~ok_id)[0]:
        problems.append((int(i), "unique_id", "is empty"))
    kind, pvals, ok_ds, p_ds = _parse_periods(ds, n)
    problems += p_ds
    yvals, ok_y, p_y = _parse_values(y, n)
    problems += p_y
    if isinstance(freq, str):
        freq = parse_frequency(freq)
    distinct = _distinct_periods(kind, pvals) if n and ok_ds.all() else None
    if freq is None:
        if distinct is not None:
            freq = _infer_frequency(kind, distinct[0])
        else:
            freq = _infer_frequency(kind, pvals[ok_ds]) if ok_ds.any() else Frequency("int")
    if distinct is not None:  # the calendar work on the few distinct periods, mapped back to rows
        pos_u, on_u = _grid_position(kind, distinct[0], freq)
        pos, on = pos_u[distinct[1]], on_u[distinct[1]]
        bad = ~on
        for i in np.nonzero(bad)[0]:
            problems.append((int(i), "ds", f"{_fmt(pvals[i])} is not on the grid ({freq.label()})"))
        ok_ds &= on
    elif ok_ds.any():
        pos, on = _grid_position(kind, pvals, freq)
        bad = ok_ds & ~on
        for i in np.nonzero(bad)[0]:
            problems.append((int(i), "ds", f"{_fmt(pvals[i])} is not on the grid ({freq.label()})"))
        ok_ds &= on
    else:
        pos = np.zeros(n, dtype=np.int64)
    # duplicates among rows with a valid id and period
    good_key = ok_id & ok_ds
    if good_key.any():
        gi = np.nonzero(good_key)[0]
        id_code = (codes_in if id_codes is not None else _factorize(ids_str)[0])[gi]
        key = id_code.astype(np.int64) * (int(pos[gi].max() - pos[gi].min()) + 1) + (pos[gi] - pos[gi].min())
        # a count per cell first (linear); the sort that names each duplicate only when there is one
        span = int(key.max()) + 1
        any_dup = bool((np.bincount(key, minlength=span) > 1).any()) if span <= 64 * key.size + 1024 else True
        dup = np.zeros(0, dtype=np.int64)
        if any_dup:
            order = np.argsort(key, kind="stable")
            ks = key[order]
            dup = np.nonzero(ks[1:] == ks[:-1])[0] + 1
        if dup.size:
            # first occurrence of each run
            run_first = np.maximum.accumulate(np.where(np.r_[True, ks[1:] != ks[:-1]], np.arange(ks.size), 0))
            for j in dup:
                problems.append((int(gi[order[j]]), "ds",
                                 f"duplicate period {_fmt(pvals[gi[order[j]]])} for series "
                                 f"{id_of(int(gi[order[j]]))!r} (first at index {int(gi[order[run_first[j]]])})"))
    if problems:
        raise PanelError(problems)
    if n == 0:
        raise PanelError([(0, "unique_id", "no data rows")])
    # series in order of first appearance
    sid, ids = (codes_in, labels_clean) if id_codes is not None else _factorize(ids_str)
    p0 = pos.min()
    col = (pos - p0).astype(np.int64)
    T = int(col.max()) + 1
    Y = np.zeros((ids.size, T))
    Y[sid, col] = yvals
    start = np.full(ids.size, T, dtype=np.int64)
    np.minimum.at(start, sid, col)
    first_row = int(np.argmin(pos))
    periods = _grid_periods(kind, pvals[first_row], freq, T)
    return Panel(ids.astype(object), Y, start, periods, freq)


def _grid_periods(kind: str, first: Any, freq: Frequency, T: int) -> np.ndarray:
    if kind == "int":
        return np.int64(first) + np.arange(T, dtype=np.int64) * freq.step
    return np.concatenate([np.asarray(first).reshape(1), future_periods(first, freq, T - 1)]).astype(
        np.asarray(first).dtype)


def _fmt(v: Any) -> str:
    return str(v)


def period_strings(periods: np.ndarray) -> np.ndarray:
    """Period labels as strings (ISO dates or integers), e.g. for writing files."""
    if periods.dtype.kind == "M":
        return np.datetime_as_string(periods)
    return periods.astype(str)
