"""Point-forecast accuracy of every Setu method and of automatic selection, RAF and AUTO data.

Protocol (rolling origin, Tashman 2000; metrics as in M5, see setu.engine.forecasting.evaluation):

* RAF (5,000 items x 84 months): 12 origins, the forecasts made at the ends of months 60..71
  (origin o sees months 0..o-1); each origin is scored on the next h_i months, h_i = the item's
  lead time (at least 1 month), truncated at the end of the data.
* AUTO (3,000 items x 24 months, no lead times): 6 origins at months 13..18, h = 6.
* Metrics per series and origin, averaged over origins, then over series: RMSSE (headline),
  scaled mean error sME (> 0 = under-forecast), sAPIS, and MASE (zero-forecast-sensitive: the
  all-zero forecast wins it on RAF, so never rank on it).
* ``auto`` = ``selection.auto_select`` at each origin, using only data before that origin
  (its own 12 inner rolling origins; 6 on AUTO), per series. Default: the inventory criterion
  (pinball loss of the NB lead-time-demand quantile at 95 %) and the mean of the three
  best-ranked methods; second row: RMSSE criterion, pure selection (top 1).
* Reference rows: the all-zero forecast and the historic average (not candidates).
* A single-origin check (RAF h = 12, AUTO h = 6) reproduces the reference note's table 4.2.

Data are read from ../shared/data at run time (never copied); without it the benchmark says so
and exits 0. Usage: python bench/bench_forecasting_accuracy.py [--quick]
Tables: bench/out/forecasting_accuracy.md; plot: bench/out/forecasting_accuracy.png.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from setu.engine.forecasting import evaluation as ev
from setu.engine.forecasting.selection import DEFAULT_CANDIDATES, auto_select, candidate_forecasters

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
OUT = HERE / "out"


#: (row label, criterion, top_k); the first is ``auto_select``'s default
AUTO_VARIANTS = (("auto (default: inventory criterion, mean of top 3)", "inventory", 3),
                 ("auto (rmsse criterion, pure selection)", "rmsse", 1))


def load(name: str):
    """Wide panel (n, T) float64, series ids, and (RAF) lead times and prices."""
    import pandas as pd

    df = pd.read_csv(DATA / name)
    W = df.pivot(index="unique_id", columns="ds", values="y").sort_index()
    Y = np.clip(np.nan_to_num(W.to_numpy(float)), 0, None)
    return W.index.to_numpy(), Y


def raf():
    import pandas as pd

    ids, Y = load("raf_demand.csv.gz")
    items = pd.read_csv(DATA / "raf_items.csv.gz").set_index("unique_id").loc[ids]
    return ids, Y, items["lead_time_months"].to_numpy(float), items["price_gbp"].to_numpy(float)


def cached_forecasts(Y, origins, names):
    fns = candidate_forecasters(names)
    out, secs = {}, {}
    for name in names:
        t = time.perf_counter()
        out[name] = ev.rolling_origin_forecasts(Y, None, {name: fns[name]}, origins)[name]
        secs[name] = time.perf_counter() - t
    return out, secs


def auto_rows(Y, fc, all_origins, outer, H, k_inner, criterion, target=0.95, top_k=3):
    names = list(fc)
    F = np.zeros((len(outer), Y.shape[0]))
    chosen = []
    for j, o in enumerate(outer):
        inner = {nm: fc[nm][[all_origins.index(x) for x in range(o - k_inner, o)]] for nm in names}
        final = {nm: fc[nm][all_origins.index(o)] for nm in names}
        s = auto_select(Y[:, :o], None, H, n_origins=k_inner, forecasts=inner, final=final,
                        criterion=criterion, target=target, top_k=top_k)
        F[j] = s.mean
        chosen.append(s.method)
    return F, np.concatenate(chosen)


def evaluate(label, Y, H, outer, k_inner, names, lines, results):
    T = Y.shape[1]
    all_origins = list(range(outer[0] - k_inner, outer[-1] + 1))
    t = time.perf_counter()
    fc, secs = cached_forecasts(Y, all_origins, names)
    rows, per_series = {}, {}
    pick = [all_origins.index(o) for o in outer]
    for nm in names:
        m = ev.rolling_origin_metrics(Y, None, fc[nm][pick], outer, H)
        rows[nm], per_series[nm] = ev.summarize(m), m["rmsse"]
    n = Y.shape[0]
    rows["(zero forecast)"] = ev.summarize(ev.rolling_origin_metrics(Y, None, np.zeros((len(outer), n)), outer, H))
    ha = np.stack([Y[:, :o].mean(axis=1) for o in outer])
    rows["(historic average)"] = ev.summarize(ev.rolling_origin_metrics(Y, None, ha, outer, H))
    mix = {}
    for label_a, crit, top_k in AUTO_VARIANTS:
        ta = time.perf_counter()
        F, chosen = auto_rows(Y, fc, all_origins, outer, H, k_inner, crit, top_k=top_k)
        m = ev.rolling_origin_metrics(Y, None, F, outer, H)
        rows[label_a], per_series[label_a] = ev.summarize(m), m["rmsse"]
        secs[label_a] = time.perf_counter() - ta
        first = np.array([c.split("+")[0] for c in chosen])
        u, c = np.unique(first, return_counts=True)
        mix[label_a] = ", ".join(f"{a} {b / c.sum():.0%}" for a, b in sorted(zip(u, c), key=lambda x: -x[1]))
    best_single = min(names, key=lambda nm: rows[nm]["rmsse"])
    lines += [f"\n## {label}: {n} series x {T} periods, {len(outer)} origins "
              f"({outer[0]}..{outer[-1]}), horizon {'lead time (>= 1)' if np.ndim(H) else H}\n",
              "| method | RMSSE | sME | sAPIS | MASE (zero-sensitive) | seconds (all origins) |",
              "|---|---|---|---|---|---|"]
    for nm, r in sorted(rows.items(), key=lambda kv: kv[1]["rmsse"]):
        s = f"{secs[nm]:.1f}" if nm in secs else ""
        mark = " **best single**" if nm == best_single else ""
        lines.append(f"| {nm}{mark} | {r['rmsse']:.4f} | {r['sme']:+.3f} | {r['sapis']:.1f} | {r['mase']:.3f} | {s} |")
    for label_a, _, _ in AUTO_VARIANTS:
        a = rows[label_a]["rmsse"]
        b = rows[best_single]["rmsse"]
        verdict = "at least as good as" if a <= b + 1e-12 else "WORSE than"
        lines.append(f"\n{label_a}: RMSSE {a:.4f} vs best single {best_single} {b:.4f} "
                     f"(ratio {a / b:.4f}): {verdict} the best single method. Best-ranked methods: {mix[label_a]}.")
    # RMSSE by Syntetos-Boylan-Croston class of the history before the first origin
    from setu.engine.forecasting.classify import CLASS_NAMES, classify

    code = classify(Y[:, :outer[0]]).code
    present = [(c, nm) for c, nm in enumerate(CLASS_NAMES) if (code == c).any()]
    lines += ["\nRMSSE by SBC class (classes of the history before the first origin; series count):\n",
              "| method | " + " | ".join(f"{nm} ({int((code == c).sum())})" for c, nm in present) + " |",
              "|---|" + "---|" * len(present)]
    for nm, v in sorted(per_series.items(), key=lambda kv: rows[kv[0]]["rmsse"]):
        with np.errstate(invalid="ignore"):
            cells = [f"{np.nanmean(v[code == c]):.4f}" for c, _ in present]
        lines.append(f"| {nm} | " + " | ".join(cells) + " |")
    lines.append(f"\n(total {time.perf_counter() - t:.0f} s)")
    results[label] = rows


def single_origin_check(lines, Yr, Ya):
    lines += ["\n## Check against the reference note (table 4.2, single origin)\n",
              "| data | forecast | RMSSE | sME | reference RMSSE / sME |", "|---|---|---|---|---|"]
    from setu.engine.forecasting import methods as M

    for label, Y, h, ref in (("RAF h=12", Yr, 12, {"zero": (0.544, 1.002), "historic average": (0.604, 0.002),
                                                  "sba": (0.628, -0.232), "adida": (0.601, 0.065)}),
                             ("AUTO h=6", Ya, 6, {"zero": (1.127, 0.975), "historic average": (0.819, -0.025),
                                                 "sba": (0.823, -0.003)})):
        if Y is None:
            continue
        T = Y.shape[1]
        fcs = {"zero": np.zeros(Y.shape[0]), "historic average": Y[:, :T - h].mean(axis=1),
               "sba": M.sba(Y[:, :T - h]).mean, "adida": M.adida(Y[:, :T - h]).mean}
        for nm, (r_ref, s_ref) in ref.items():
            r = ev.summarize(ev.rolling_origin_metrics(Y, None, fcs[nm][None], [T - h], h))
            lines.append(f"| {label} | {nm} | {r['rmsse']:.4f} | {r['sme']:+.4f} | {r_ref:.3f} / {s_ref:+.3f} |")


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 1, figsize=(9, 4.2 * len(results)), squeeze=False)
    for ax, (label, rows) in zip(axes[:, 0], results.items()):
        items = sorted(rows.items(), key=lambda kv: kv[1]["rmsse"])
        names = [k for k, _ in items]
        vals = [v["rmsse"] for _, v in items]
        colors = ["tab:red" if k.startswith("auto") else "tab:gray" if k.startswith("(") else "tab:blue" for k in names]
        ax.barh(names, vals, color=colors)
        ax.set_xlim(min(vals) * 0.95, max(vals) * 1.02)
        ax.invert_yaxis()
        ax.set_title(f"{label}: RMSSE, rolling origin (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 RAF / 1,000 AUTO series only")
    args = ap.parse_args(argv)
    if not (DATA / "raf_demand.csv.gz").exists():
        print(f"data not found under {DATA}: forecasting accuracy benchmark skipped")
        return 0
    OUT.mkdir(exist_ok=True)
    names = list(DEFAULT_CANDIDATES)
    lines = ["# Forecast accuracy: Setu methods and automatic selection (rolling origin)\n",
             __doc__.split("\n\n", 1)[1].split("Data are read")[0].strip()]
    results = {}
    _, Yr, Lr, _ = raf()
    _, Ya = load("auto_demand.csv.gz")
    if args.quick:
        Yr, Lr, Ya = Yr[:1000], Lr[:1000], Ya[:1000]
    Tr = Yr.shape[1]
    evaluate("RAF", Yr, np.maximum(Lr, 1.0), list(range(Tr - 24, Tr - 12)), 12, names, lines, results)
    Ta = Ya.shape[1]
    evaluate("AUTO", Ya, 6, list(range(Ta - 11, Ta - 5)), 6, names, lines, results)
    single_origin_check(lines, Yr, Ya)
    text = "\n".join(lines) + "\n"
    print(text)
    (OUT / "forecasting_accuracy.md").write_text(text)
    plot(results, OUT / "forecasting_accuracy.png")
    print(f"saved {OUT / 'forecasting_accuracy.md'} and {OUT / 'forecasting_accuracy.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
