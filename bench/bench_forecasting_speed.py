"""Speed of Setu's point-forecast methods against statsforecast 2.x, side by side, on one core.

For each method both libraries implement, series per second of

* Setu: ``setu.engine.forecasting.methods`` on the whole batch at once;
* statsforecast, two ways, both timed: ``StatsForecast(models=[m], freq=1, n_jobs=1).forecast``
  (its public API) and a plain loop of ``model.forecast(y, h)`` over numpy arrays (no pandas:
  its fastest path). The ratio is taken against the faster of the two.

on a synthetic panel (occurrence Bernoulli(p), p ~ U(0.05, 0.5); sizes 1 + Poisson(3); 60 periods;
seed 0) and on the RAF data (5,000 x 84, read from ../shared/data when present), plus the full
Setu suite (all methods, one after the other) on the synthetic panel. Timings are medians of
``--repeats`` runs after a warm-up; the process is pinned to one CPU. statsforecast is timed on a
subsample (``--sf-series``) and reported per series; both produce the same numbers (checked here on
the subsample, max |diff| printed).

The golden-section search of the optimised methods runs in Setu's optional compiled kernel when it
is built (``pip install -e .``); ``--no-kernel`` times the pure-numpy path instead. The table says
which one ran.

Usage: python bench/bench_forecasting_speed.py [--series N] [--sf-series M] [--repeats R] [--quick] [--no-kernel]
The table is printed and saved to bench/out/forecasting_speed.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
H = 12


def _methods():
    from statsforecast import models as sf

    from setu.engine.forecasting import methods as M

    return [
        ("SES (alpha 0.1)", lambda: sf.SimpleExponentialSmoothing(alpha=0.1), lambda Y: M.ses(Y, alpha=0.1)),
        ("SES optimised", sf.SimpleExponentialSmoothingOptimized, M.ses_optimized),
        ("Croston", sf.CrostonClassic, M.croston),
        ("SBA", sf.CrostonSBA, M.sba),
        ("TSB (0.1, 0.1)", lambda: sf.TSB(alpha_d=0.1, alpha_p=0.1), lambda Y: M.tsb(Y, alpha_d=0.1, alpha_p=0.1)),
        ("Croston optimised", sf.CrostonOptimized, M.croston_optimized),
        ("ADIDA", sf.ADIDA, M.adida),
        ("IMAPA", sf.IMAPA, M.imapa),
    ]


def synthetic(n: int, T: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.5, n)
    return ((rng.random((n, T)) < p[:, None]) * (1 + rng.poisson(3, (n, T)))).astype(np.float64)


def raf() -> np.ndarray | None:
    path = DATA / "raf_demand.csv.gz"
    if not path.exists():
        return None
    sys.path.insert(0, str(HERE.parent / "src"))
    from setu.kit.series_file import load_panel

    return load_panel(path).Y


# The machine is shared: wall-clock time includes time spent waiting for the CPU behind other
# processes. Both libraries run single-threaded, so their CPU time (time.process_time) is the fair
# measure; the suite is reported in both.
CLOCK = time.process_time


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return statistics.median(times)


def _sf_frame(Y: np.ndarray):
    import pandas as pd

    n, T = Y.shape
    return pd.DataFrame({
        "unique_id": np.repeat(np.arange(n), T),
        "ds": np.tile(np.arange(1, T + 1), n),
        "y": Y.reshape(-1),
    })


def time_statsforecast(make_model, Y: np.ndarray, repeats: int) -> tuple[float, float, np.ndarray]:
    """Seconds per series of (StatsForecast.forecast, raw model loop) and the loop's forecasts."""
    from statsforecast import StatsForecast

    n = Y.shape[0]
    df = _sf_frame(Y)
    model = make_model()
    warm = Y[: min(50, n)]
    for y in warm:  # warm-up of the compiled kernels and of the Python paths
        model.forecast(y=y, h=H)
    StatsForecast(models=[make_model()], freq=1, n_jobs=1).forecast(df=_sf_frame(warm), h=H)

    def api():
        StatsForecast(models=[make_model()], freq=1, n_jobs=1).forecast(df=df, h=H)

    out = np.empty(n)

    def loop():
        for i in range(n):
            out[i] = model.forecast(y=Y[i], h=H)["mean"][0]

    t_api = _median_time(api, repeats)
    t_loop = _median_time(loop, repeats)
    return t_api / n, t_loop / n, out.copy()


def run(args) -> str:
    import statsforecast

    from setu.engine.forecasting import _ses

    if args.no_kernel:
        _ses.USE_KERNEL = False
    search = ("compiled kernel (setu.engine.forecasting._kernel)" if _ses.USE_KERNEL and _ses._kernel is not None
              else "pure numpy")
    rows = []
    lines = []
    Ysyn = synthetic(args.series)
    Ysub = Ysyn[: args.sf_series]
    Yraf = None if args.no_raf else raf()
    methods = _methods()
    # warm-up of Setu (imports, first allocations)
    for _, _, ours in methods:
        ours(Ysyn[:200])

    suite_times, suite_wall = [], []
    per_method = {name: [] for name, _, _ in methods}
    for _ in range(args.repeats):
        t_suite = 0.0
        w0 = time.perf_counter()
        for name, _, ours in methods:
            t0 = CLOCK()
            ours(Ysyn)
            dt = CLOCK() - t0
            per_method[name].append(dt)
            t_suite += dt
        suite_wall.append(time.perf_counter() - w0)
        suite_times.append(t_suite)

    for name, make_model, ours in methods:
        t_setu = statistics.median(per_method[name]) / args.series
        sf_api, sf_loop, sf_vals = time_statsforecast(make_model, Ysub, args.repeats)
        diff = float(np.max(np.abs(ours(Ysub).mean - sf_vals)))
        row = {"method": name, "setu": 1 / t_setu, "sf_api": 1 / sf_api, "sf_loop": 1 / sf_loop,
               "diff": diff}
        if Yraf is not None:
            n_raf = Yraf.shape[0]
            # Setu on RAF takes milliseconds: more repeats for a stable median
            t_setu_raf = _median_time(lambda: ours(Yraf), max(args.repeats, 9)) / n_raf
            r_api, r_loop, r_vals = time_statsforecast(make_model, Yraf, args.repeats)
            row.update(raf_setu=1 / t_setu_raf, raf_sf_api=1 / r_api, raf_sf_loop=1 / r_loop,
                       raf_diff=float(np.max(np.abs(ours(Yraf).mean - r_vals))))
        rows.append(row)
        print(f"  {name}: done", file=sys.stderr, flush=True)

    def k(x: float) -> str:
        return f"{x / 1000:,.1f}k" if x < 1e6 else f"{x / 1e6:,.2f}M"

    lines.append(f"# Forecasting speed: Setu vs statsforecast {statsforecast.__version__}")
    lines.append("")
    lines.append(f"Python {platform.python_version()}, numpy {np.__version__}, one CPU "
                 f"(affinity {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}), "
                 f"median of {args.repeats} runs, h = {H}, CPU time of this process (the machine is "
                 f"shared; load average at start {os.getloadavg()[0]:.1f}). Series per second; ratio = Setu / the faster "
                 f"statsforecast path. statsforecast timed on the first {Ysub.shape[0]:,} synthetic series "
                 f"(per-series rate), Setu on all {args.series:,}. |diff| = max absolute difference of the "
                 f"forecasts on the same series. Golden-section search of the optimised methods: {search}.")
    lines.append("")
    hdr = "| method | Setu (synthetic) | sf forecast() | sf model loop | ratio | max \\|diff\\| |"
    sep = "|---|---:|---:|---:|---:|---:|"
    if Yraf is not None:
        hdr += " Setu (RAF) | sf best (RAF) | ratio RAF | \\|diff\\| RAF |"
        sep += "---:|---:|---:|---:|"
    lines += [hdr, sep]
    for r in rows:
        best = max(r["sf_api"], r["sf_loop"])
        line = (f"| {r['method']} | {k(r['setu'])} | {k(r['sf_api'])} | {k(r['sf_loop'])} | "
                f"**{r['setu'] / best:.1f}x** | {r['diff']:.1e} |")
        if Yraf is not None:
            rb = max(r["raf_sf_api"], r["raf_sf_loop"])
            line += f" {k(r['raf_setu'])} | {k(rb)} | **{r['raf_setu'] / rb:.1f}x** | {r['raf_diff']:.1e} |"
        lines.append(line)
    lines.append("")
    suite = statistics.median(suite_times)
    lines.append(f"Full Setu suite ({len(methods)} methods, one after the other) on {args.series:,} synthetic "
                 f"series x 60 periods, one core: **{suite:.2f} s CPU** ({statistics.median(suite_wall):.2f} s "
                 f"wall-clock on the shared machine; medians of {args.repeats}; target <= 15 s for 100,000 "
                 f"series).")
    sf_suite = sum(args.series / max(r["sf_api"], r["sf_loop"]) for r in rows)
    lines.append(f"statsforecast, same {len(methods)} methods at its faster per-series rates, extrapolated to "
                 f"{args.series:,} series: {sf_suite:.1f} s.")
    if Yraf is None:
        lines.append("")
        lines.append("RAF data not found under ../shared/data: RAF columns skipped.")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=100_000, help="synthetic series for Setu (default 100,000)")
    ap.add_argument("--sf-series", type=int, default=10_000,
                    help="synthetic series on which statsforecast is timed (default 10,000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-raf", action="store_true", help="skip the RAF data")
    ap.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    ap.add_argument("--no-kernel", action="store_true", help="time the pure-numpy path of the optimised methods")
    args = ap.parse_args()
    if args.quick:
        args.series, args.sf_series, args.repeats = 5_000, 1_000, 1
    args.sf_series = min(args.sf_series, args.series)
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        except OSError:
            pass
    text = run(args)
    print(text)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "forecasting_speed.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
