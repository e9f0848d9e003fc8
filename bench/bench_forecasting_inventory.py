"""Inventory outcome of each forecasting method: achieved fill rate against average stock.

Protocol (Teunter & Duncan 2009; Syntetos, Babai & Gardner 2015; reference note section 5):

* Periodic review every month (R = 1), order-up-to level S, backorders, lead time L =
  the item's lead time (RAF; 0..33 months) or L = 1 (AUTO, which has no lead times).
* Test window: the last 24 months of RAF (the last 8 of AUTO). At the end of every month the
  level is re-set from the forecast made with the data up to that month (rolling origin).
  The policy starts in steady state (inventory position S, pipeline = the actual demand of the
  last L + 1 months), see setu.engine.forecasting.evaluation.simulate_order_up_to.
* Policies (targets 0.80..0.99 for the curves; 0.90/0.95/0.99 for the single methods):
  - ``SBA + NB (CSL quantile)``: the reference note's baseline, S = the target quantile of a
    negative binomial lead-time(+review) demand around the SBA forecast (variance from the
    series' variance-to-mean ratio);
  - ``<method> + NB (fill)``: Setu's policy on that method's forecast.  The NB around the
    forecast carries the variance of the forecast's own error over the protection interval
    (``NegBinDemand.with_forecast_error``, Prak, Teunter & Syntetos 2017, alpha 0.1), and S is
    the integer level whose expected unit fill rate *as this table measures it* - item by
    item over the test window, conditional on demand in it (``order_up_to_level(...,
    horizon=<window length>)``; Chen, Lin & Thomas 2003; Thomas 2005; Monte Carlo, 100 paths
    per item) - is nearest the target;
  - ``bootstrap (fill)``: the same window fill with the Willemain, Smart & Schwarz (2004)
    bootstrap of the history instead of the NB (100 paths; ``--no-bootstrap`` skips);
  - ``auto + NB (fill)``: Setu's recommended policy; the method per series from
    ``selection.auto_select`` (inventory criterion at 95 %, horizon L + 1), re-selected every 12
    months (RAF: at the first test month and 12 months later), forecasts rolling every month;
  - ``SBA / auto + NB (long-run fill, demand variance only)``: the textbook policy for
    comparison, S from the long-run fill rate of Silver, Pyke & Peterson eq. 7.21 and an NB
    with the demand's variance only.
* Why both changes (see the measurement check): the achieved fill is an item average of
  per-item ratios over a 24-month window, whose expectation exceeds the long-run fill (a
  ratio of expectations) by about 5 points at 0.90 even when demand follows the fitted NB
  exactly (an item with two demands in the window scores 1 unless one is short); and an NB
  with the demand's variance only is too narrow for forecast demand, which pulls the other
  way by 2-4 points.  The textbook policy lands near the target only by the two errors
  cancelling (+3 to +3.5 at 0.90 on RAF, -1 at 0.99); correcting one alone misses by 3-5
  points; correcting both centres every method on the target.
* Reported per policy and target: achieved unit fill rate averaged over items with demand in
  the window (the calibration target is |achieved - target| <= 3 points), the pooled
  (unit-weighted) fill rate, average on-hand stock scaled by each item's mean demand, and (RAF)
  average stock value in GBP per item. A curve dominates another when it gives more fill for
  the same stock (here: the baseline's fill interpolated at the policy's stock value).

Data are read from ../shared/data at run time; without it the benchmark says so and exits 0.
Usage: python bench/bench_forecasting_inventory.py [--quick] [--no-bootstrap]  (full: about 20 minutes)
Tables: bench/out/forecasting_inventory.md; curves: bench/out/forecasting_inventory_<data>.png.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_forecasting_accuracy import DATA, OUT, cached_forecasts, load, raf  # noqa: E402

from setu.engine.forecasting import distributions as dists  # noqa: E402
from setu.engine.forecasting import evaluation as ev  # noqa: E402
from setu.engine.forecasting.selection import DEFAULT_CANDIDATES, auto_select  # noqa: E402

TARGETS = (0.80, 0.90, 0.95, 0.98, 0.99)
#: the baseline's curve reaches further both ways, so that the other curves fall inside its range
BASELINE_TARGETS = (0.60, 0.70) + TARGETS + (0.995, 0.999)
CALIBRATION = (0.90, 0.95, 0.99)
BASELINE = "SBA + NB (CSL quantile)"
AUTO = "auto + NB (fill)"
SBA_LONG_RUN = "SBA + NB (long-run fill, demand variance only)"
AUTO_LONG_RUN = "auto + NB (long-run fill, demand variance only)"
#: smoothing constant of the forecast-error term (NegBinDemand.with_forecast_error)
ERROR_ALPHA = 0.1


def auto_forecasts(Y, fc, all_origins, test, H, k_inner, every):
    """Rolling forecasts (k, n) of the per-series method chosen at every ``every``-th test origin."""
    names = list(fc)
    F = np.zeros((len(test), Y.shape[0]))
    chosen = None
    mix = []
    for j, o in enumerate(test):
        if j % every == 0:
            inner = {nm: fc[nm][[all_origins.index(x) for x in range(o - k_inner, o)]] for nm in names}
            final = {nm: fc[nm][all_origins.index(o)] for nm in names}
            sel = auto_select(Y[:, :o], None, H, n_origins=k_inner, forecasts=inner, final=final, target=0.95)
            # (k, n): the methods combined for each series (auto_select's default: mean of top 3)
            chosen = np.array([[names.index(p) for p in m.split("+")] for m in sel.method]).T
            u, c = np.unique([m.split("+")[0] for m in sel.method], return_counts=True)
            mix.append(f"origin {o}: " + ", ".join(f"{a} {b / c.sum():.0%}" for a, b in
                                                    sorted(zip(u, c), key=lambda x: -x[1])))
        stack = np.stack([fc[nm][all_origins.index(o)] for nm in names])
        F[j] = np.take_along_axis(stack, chosen, axis=0).mean(axis=0)
    return F, mix


def run_dataset(label, Y, L, price, test_len, k_inner, every, names, bootstrap, lines, curves):
    t_start = time.perf_counter()
    n, T = Y.shape
    t0 = T - test_len
    test = list(range(t0, T))
    all_origins = list(range(t0 - k_inner, T))
    fc, _ = cached_forecasts(Y, all_origins, names)
    pick = [all_origins.index(o) for o in test]
    F = {nm: fc[nm][pick] for nm in names}
    ta = time.perf_counter()
    F_auto, mix = auto_forecasts(Y, fc, all_origins, test, L + 1.0, k_inner, every)
    t_auto = time.perf_counter() - ta
    # name -> (forecasts, distribution, service, targets, measurement horizon, forecast-error alpha)
    policies = {BASELINE: (F["sba"], "negbin", "csl", BASELINE_TARGETS, None, None),
                "SBA + NB (fill)": (F["sba"], "negbin", "fill", TARGETS, test_len, ERROR_ALPHA)}
    for nm in names:
        if nm != "sba":
            policies[f"{nm} + NB (fill)"] = (F[nm], "negbin", "fill", CALIBRATION, test_len, ERROR_ALPHA)
    policies[AUTO] = (F_auto, "negbin", "fill", TARGETS, test_len, ERROR_ALPHA)
    # the textbook policy for comparison: long-run fill (eq. 7.21), demand variance only
    policies[SBA_LONG_RUN] = (F["sba"], "negbin", "fill", TARGETS, None, None)
    policies[AUTO_LONG_RUN] = (F_auto, "negbin", "fill", TARGETS, None, None)
    if bootstrap:
        policies["bootstrap (fill)"] = (None, "bootstrap", "fill", CALIBRATION, test_len, None)
    res = {}
    for pol, (Fp, dist, svc, targets, h, err) in policies.items():
        S_all = ev.rolling_order_up_to_levels(Y, None, Fp, test, L, list(targets), distribution=dist, service=svc,
                                              n_samples=100 if h else 200, seed=0, horizon=h,
                                              forecast_error_alpha=err)
        for tgt, S in zip(targets, S_all):
            r = ev.simulate_order_up_to(Y, None, S, t0, L)
            res[(pol, tgt)] = r.summary(price)
    curves[label] = (res, policies)
    value_key = "avg_stock_value" if price is not None else "avg_stock_scaled"
    value_name = "stock value (GBP/item)" if price is not None else "scaled stock"

    lines += [f"\n## {label}: {n} series, test months {t0}..{T - 1}, lead time "
              f"{'item lead times' if np.ndim(L) and np.unique(L).size > 1 else int(np.max(L))}\n",
              "Achieved unit fill rate (item average) / pooled fill / average scaled stock"
              + (" / average stock value (GBP per item)" if price is not None else "") + "\n",
              "| policy | " + " | ".join(f"target {t:.2f}" for t in TARGETS) + " |",
              "|---|" + "---|" * len(TARGETS)]
    for pol, (_, _, _, targets, _, _) in policies.items():
        cells = []
        for t in TARGETS:
            if (pol, t) not in res:
                cells.append("")
                continue
            s = res[(pol, t)]
            cell = f"{s['fill_rate']:.3f} / {s['fill_rate_pooled']:.3f} / {s['avg_stock_scaled']:.1f}"
            if price is not None:
                cell += f" / {s['avg_stock_value']:,.0f}"
            cells.append(cell)
        lines.append(f"| {pol} | " + " | ".join(cells) + " |")
    extra = [t for t in BASELINE_TARGETS if t not in TARGETS]
    lines.append(f"\n{BASELINE} further along its curve: " + "; ".join(
        f"target {t:g}: {res[(BASELINE, t)]['fill_rate']:.3f} / {res[(BASELINE, t)]['avg_stock_scaled']:.1f}"
        + (f" / {res[(BASELINE, t)]['avg_stock_value']:,.0f}" if price is not None else "") for t in extra))

    lines += [f"\n**Calibration** (item-average fill rate minus target, points; goal within +-3):\n",
              "| policy | " + " | ".join(f"{t:.2f}" for t in CALIBRATION) + " | all within 3 points |",
              "|---|" + "---|" * (len(CALIBRATION) + 1)]
    for pol in policies:
        gaps = [100 * (res[(pol, t)]["fill_rate"] - t) for t in CALIBRATION if (pol, t) in res]
        if len(gaps) == len(CALIBRATION):
            ok = all(abs(g) <= 3 for g in gaps)
            lines.append(f"| {pol} | " + " | ".join(f"{g:+.1f}" for g in gaps) + f" | {'yes' if ok else 'no'} |")

    # why the low target is over-achieved: the same levels judged under the model itself
    lines += [f"\n**Measurement check** (first test origin): each NB (fill) policy's levels, with demand drawn "
              f"from the item's own fitted NB (so the model is exactly right), judged like the table: item "
              f"average of the unit fill over the {test_len}-month window, items with demand in it "
              f"(distributions.FiniteHorizonFill, 50 paths per item; Chen, Lin & Thomas 2003; Thomas 2005). "
              f"Long-run = the eq. 7.21 fill rate the levels are set to. Window minus long-run is the "
              f"finite-window (per-item ratio) effect; achieved minus window is the model's misfit to the data "
              f"(points).\n",
              "| policy | target | long-run (model) | window (model) | achieved (data, rolling) | window effect | misfit |",
              "|---|---|---|---|---|---|---|"]
    tm = time.perf_counter()
    for pol, (Fp, dist_name, svc, _, h, err) in policies.items():
        if dist_name != "negbin" or svc != "fill" or h is not None or err is not None:
            continue
        dist = dists.fit_negative_binomial(Y[:, :t0], None, np.nan_to_num(Fp[0]),
                                           vmr=dists.variance_to_mean_ratio(Y[:, :t0]))
        fh = dists.FiniteHorizonFill(dist, L, test_len, n_paths=50, seed=0)
        for tgt in CALIBRATION:
            S = dists.order_up_to_level(dist, L, tgt)
            lr = float(dists.fill_rate(dist, L, S).mean())
            win = float(fh(S).mean())
            ach = res[(pol, tgt)]["fill_rate"]
            lines.append(f"| {pol} | {tgt:.2f} | {lr:.3f} | {win:.3f} | {ach:.3f} | {100 * (win - lr):+.1f} "
                         f"| {100 * (ach - win):+.1f} |")
    lines.append(f"\n(measurement check {time.perf_counter() - tm:.0f} s)")

    # dominance over the SBA + NB curves: fill at equal stock
    for base in (BASELINE, "SBA + NB (fill)"):
        bt = policies[base][3]
        bx = np.array([res[(base, t)][value_key] for t in bt])
        by = np.array([res[(base, t)]["fill_rate"] for t in bt])
        order = np.argsort(bx)
        lines += [f"\n**Against the curve of {base}** at equal {value_name}: its fill rate interpolated "
                  "at the policy's stock (outside its range: not compared).\n",
                  "| policy | target | stock | fill | SBA curve's fill at that stock | gain (points) |",
                  "|---|---|---|---|---|---|"]
        for pol in (AUTO, AUTO_LONG_RUN, "SBA + NB (fill)", "bootstrap (fill)"):
            if pol == base:
                continue
            for t in TARGETS:
                if (pol, t) not in res:
                    continue
                x = res[(pol, t)][value_key]
                y = res[(pol, t)]["fill_rate"]
                if bx.min() <= x <= bx.max():
                    b = float(np.interp(x, bx[order], by[order]))
                    lines.append(f"| {pol} | {t:.2f} | {x:,.1f} | {y:.3f} | {b:.3f} | {100 * (y - b):+.1f} |")
                else:
                    lines.append(f"| {pol} | {t:.2f} | {x:,.1f} | {y:.3f} | outside its range "
                                 f"({bx.min():,.1f}..{bx.max():,.1f}) | |")
    lines.append("\nauto's best-ranked method per series: " + "; ".join(mix))
    lines.append(f"\n(selection {t_auto:.0f} s; total {time.perf_counter() - t_start:.0f} s)")


def plot(label, res, policies, price, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [("avg_stock_scaled", "average on-hand stock / mean demand per month")]
    if price is not None:
        keys.insert(0, ("avg_stock_value", "average stock value per item (GBP)"))
    fig, axes = plt.subplots(1, len(keys), figsize=(7 * len(keys), 5.5), squeeze=False)
    for ax, (key, xlabel) in zip(axes[0], keys):
        for pol, (_, _, _, targets, _, _) in policies.items():
            xs = [res[(pol, t)][key] for t in targets]
            ys = [res[(pol, t)]["fill_rate"] for t in targets]
            style = dict(lw=2.5, color="tab:red") if pol == AUTO else dict(lw=2.5, color="black", ls="--") \
                if pol == BASELINE else dict(lw=1, alpha=0.7)
            ax.plot(xs, ys, marker="o", ms=3, label=pol, **style)
        for t in CALIBRATION:
            ax.axhline(t, color="gray", lw=0.5, ls=":")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("achieved unit fill rate (item average)")
        ax.set_title(f"{label}: fill rate vs stock (targets {TARGETS[0]}..{TARGETS[-1]})")
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 series per data set, no bootstrap")
    ap.add_argument("--no-bootstrap", action="store_true", help="skip the (slow) bootstrap policy")
    args = ap.parse_args(argv)
    if not (DATA / "raf_demand.csv.gz").exists():
        print(f"data not found under {DATA}: forecasting inventory benchmark skipped")
        return 0
    OUT.mkdir(exist_ok=True)
    names = list(DEFAULT_CANDIDATES)
    bootstrap = not (args.quick or args.no_bootstrap)
    lines = ["# Inventory outcome of forecasts: fill rate against stock (rolling origin, (R, S) policy)\n",
             __doc__.split("\n\n", 1)[1].split("Data are read")[0].strip()]
    curves = {}
    _, Yr, Lr, pr = raf()
    _, Ya = load("auto_demand.csv.gz")
    if args.quick:
        Yr, Lr, pr, Ya = Yr[:1000], Lr[:1000], pr[:1000], Ya[:1000]
    run_dataset("RAF", Yr, Lr, pr, 24, 12, 12, names, bootstrap, lines, curves)
    run_dataset("AUTO", Ya, np.ones(Ya.shape[0]), None, 8, 6, 8, names, bootstrap, lines, curves)
    text = "\n".join(lines) + "\n"
    print(text)
    (OUT / "forecasting_inventory.md").write_text(text)
    for label, (res, policies) in curves.items():
        plot(label, res, policies, pr if label == "RAF" else None, OUT / f"forecasting_inventory_{label.lower()}.png")
    print(f"saved {OUT / 'forecasting_inventory.md'} and the curves forecasting_inventory_*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
