"""Benchmark of the readiness engine (setu.engine.readiness) against an item-by-item reference.

Run: ``python bench/bench_readiness.py [--quick]``. Prints a table and writes
bench/out/readiness.md.

For every task the same model is computed by the vectorised engine and by a straightforward
item-by-item implementation with scalar loops (bench/readiness_reference.py). The reference is
run in the same process on the same synthetic case; where it would take minutes it runs on a
random sample of items and its time is scaled by (items / sampled items), which is fair because
it is linear in items (marked "scaled"). Engine times are medians of repeated runs; peak memory
is the tracemalloc peak of one extra run of the task (numpy buffers included) and the process
peak RSS at the end.

Targets (2 cores): plan evaluation 5,000 x 20 < 0.2 s and 50,000 x 40 < 3 s; full efficient curve
single indenture 5,000 x 20 < 2 s and 50,000 x 40 < 30 s; three indenture levels 5,000 x 20
< 10 s; peak memory < 4 GB.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from readiness_reference import curve_ref, evaluate_ref, synthetic_arrays  # noqa: E402

from setu.engine.readiness import evaluate_arrays, optimize  # noqa: E402
from setu.engine.readiness.case import CaseArrays  # noqa: E402


def subset(ca: CaseArrays, rows: np.ndarray) -> CaseArrays:
    """The same case restricted to some LRUs (single indenture: items are independent)."""
    pick = lambda a: a[rows]  # noqa: E731
    return CaseArrays(
        item_ids=tuple(ca.item_ids[i] for i in rows), site_ids=ca.site_ids,
        equipment_types=ca.equipment_types, depot_index=ca.depot_index, base_index=ca.base_index,
        unit_cost=pick(ca.unit_cost), depot_repair_time=pick(ca.depot_repair_time),
        variance_to_mean=pick(ca.variance_to_mean), parent=np.full(rows.size, -1), failure_share=np.zeros(rows.size),
        level=np.zeros(rows.size, dtype=np.int64), qpa=pick(ca.qpa), units=ca.units, rate=pick(ca.rate),
        repair_fraction=pick(ca.repair_fraction), repair_time=pick(ca.repair_time),
        order_ship_time=pick(ca.order_ship_time), depot_rate=pick(ca.depot_rate), depot_share=pick(ca.depot_share),
    )


CPU: dict = {}
RUNS: dict = {}  # wall times of every run and the 1-minute load average after them


def timed(fn, reps: int) -> tuple[float, object]:
    """Median wall time (and, in CPU[id(result)], median process CPU time) of ``reps`` runs."""
    times, cpus, out = [], [], None
    for _ in range(reps):
        out = None  # free the previous result before the next run
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    CPU[id(out)] = CPU["last"] = statistics.median(cpus)
    RUNS[id(out)] = RUNS["last"] = (times, os.getloadavg()[0])
    return statistics.median(times), out


def peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def plan(ca: CaseArrays, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, size=(ca.n_items, ca.n_sites))


def run(quick: bool) -> list[dict]:
    reps = 1 if quick else 3
    rows: list[dict] = []
    tiers = [("M", 5000, 20)] if quick else [("M", 5000, 20), ("L", 50000, 40)]
    eval_target = {"M": 0.2, "L": 3.0}
    curve_target = {"M": 2.0, "L": 30.0}
    for tier, n, j in tiers:
        ca = synthetic_arrays(n, j, levels=1, seed=1)
        stock = plan(ca)
        # ---- evaluation of a plan
        t_eng, ev = timed(lambda: evaluate_arrays(ca, stock, "vari-metric"), reps + 2)
        n_ref = n if tier == "M" else 2000
        sel = np.sort(np.random.default_rng(0).choice(n, n_ref, replace=False))
        sub = subset(ca, sel)
        t0 = time.perf_counter()
        ref = evaluate_ref(sub, stock[sel].tolist(), "vari-metric")
        t_ref = (time.perf_counter() - t0) * n / n_ref
        check = float(np.max(np.abs(np.array(ref["ebo"]) - ev.ebo[sel])))
        rows.append(dict(runs=RUNS["last"], task="evaluate plan (VARI-METRIC)", size=f"{n:,} x {j}", engine=t_eng, cpu=CPU[id(ev)], ref=t_ref,
                         ref_note="" if n_ref == n else f"scaled from {n_ref:,} items", target=eval_target[tier],
                         peak=peak_mb(lambda: evaluate_arrays(ca, stock, "vari-metric")), check=check, points=None))
        # ---- full efficient curve, single indenture
        t_eng, curve = timed(lambda: optimize(ca, model="vari-metric", objective="ebo"), reps)
        if tier == "L":  # the traced run is the extra one (tracemalloc adds little to numpy-heavy code)
            del curve
            tracemalloc.start()
            curve = optimize(ca, model="vari-metric", objective="ebo")
            curve_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        else:
            curve_peak = None
        n_ref = 100 if tier == "M" else 60
        sel = np.sort(np.random.default_rng(0).choice(n, n_ref, replace=False))
        sub = subset(ca, sel)
        sub_curve = optimize(sub, model="vari-metric", objective="ebo")
        n_d, n_b = sub_curve.item_levels()
        t0 = time.perf_counter()
        cost, ebo = curve_ref(sub, "vari-metric", n_d, n_b)
        t_ref = (time.perf_counter() - t0) * n / n_ref
        k = min(len(cost), sub_curve.n_points) // 2
        check = float(np.max(np.abs(np.array(ebo[:k]) - sub_curve.total_base_ebo[:k])))
        rows.append(dict(runs=RUNS["last"], task="full efficient curve, 1 indenture", size=f"{n:,} x {j}", engine=t_eng, cpu=CPU["last"], ref=t_ref,
                         ref_note=f"scaled from {n_ref} items", target=curve_target[tier],
                         peak=curve_peak if curve_peak is not None else peak_mb(
                             lambda: optimize(ca, model="vari-metric", objective="ebo")),
                         check=check, points=curve.n_points))
        del curve
        t_eng, curve = timed(lambda: optimize(ca, model="vari-metric", objective="ebo", threads=2), reps)
        rows.append(dict(runs=RUNS["last"], task="full efficient curve, 1 indenture, 2 threads", size=f"{n:,} x {j}", engine=t_eng,
                         cpu=CPU[id(curve)], ref=None, ref_note="", target=curve_target[tier], peak=None, check=None,
                         points=curve.n_points))
        del curve
        if tier == "M":
            t_eng, curve = timed(lambda: optimize(ca, model="vari-metric"), reps)
            rows.append(dict(runs=RUNS["last"], task="full curve, availability objective", size=f"{n:,} x {j}", engine=t_eng,
                             cpu=CPU[id(curve)], ref=None,
                             ref_note="", target=curve_target[tier], peak=None, check=None, points=curve.n_points))
        del ca, stock
    # ---- three indenture levels
    n, j = 5000, 20
    ca = synthetic_arrays(n, j, levels=3, seed=2)
    stock = plan(ca)
    t_eng, ev = timed(lambda: evaluate_arrays(ca, stock, "vari-metric"), reps + 2)
    t0 = time.perf_counter()
    ref = evaluate_ref(ca, stock.tolist(), "vari-metric")
    t_ref = time.perf_counter() - t0
    check = float(np.max(np.abs(np.array(ref["ebo"]) - ev.ebo)))
    rows.append(dict(runs=RUNS["last"], task="evaluate plan, 3 indenture levels", size=f"{n:,} x {j}", engine=t_eng, cpu=CPU[id(ev)], ref=t_ref,
                     ref_note="", target=None, peak=None, check=check, points=None))
    t_eng, curve = timed(lambda: optimize(ca, model="vari-metric"), reps)
    rows.append(dict(runs=RUNS["last"], task="full curve, 3 indenture levels (3 passes)", size=f"{n:,} x {j}", engine=t_eng,
                     cpu=CPU[id(curve)], ref=None,
                     ref_note="no item-by-item multi-indenture optimiser", target=10.0,
                     peak=peak_mb(lambda: optimize(ca, model="vari-metric")), check=None, points=curve.n_points))
    t_eng, curve = timed(lambda: optimize(ca, model="vari-metric", target=0.9), reps)
    cpu = CPU[id(curve)]
    ev = evaluate_arrays(ca, curve.stock_at(curve.n_points - 1))
    rows.append(dict(runs=RUNS["last"], task="3 levels, stop at A >= 0.90 (exact check)", size=f"{n:,} x {j}", engine=t_eng, cpu=cpu, ref=None,
                     ref_note=f"evaluated A = {ev.fleet_availability[0]:.4f}", target=10.0, peak=None, check=None,
                     points=curve.n_points))
    return rows


def render(rows: list[dict], quick: bool, total: float) -> str:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "# Readiness engine benchmark",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M:%S')} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · numpy {np.__version__} · "
        f"{'quick' if quick else 'full'} run · load average {os.getloadavg()[0]:.1f}",
        "",
        "Engine: vectorised numpy (medians). Reference: item-by-item scalar loops of the same model "
        "(bench/readiness_reference.py), same run and data. ratio = reference time / engine wall time. "
        "CPU s is this process's CPU time (median): on a loaded machine (see the load average, "
        "1 minute, after each task's runs) wall time is inflated by other processes.",
        "",
        "| task | items x bases | engine s (wall) | engine CPU s | wall s of each run | load avg | reference s | ratio | target s | within (wall) | peak MB | curve points | max abs(engine - ref) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r['ref'] / r['engine']:.0f}x" if r["ref"] else "–"
        ref = f"{r['ref']:.2f}" + (f" ({r['ref_note']})" if r["ref_note"] else "") if r["ref"] else (r["ref_note"] or "–")
        within = "–" if r["target"] is None else ("yes" if r["engine"] < r["target"] else "NO")
        walls, load = r["runs"]
        each = ", ".join(f"{w:.2f}" for w in walls)
        lines.append(
            f"| {r['task']} | {r['size']} | {r['engine']:.3f} | {r['cpu']:.3f} | {each} | {load:.1f} | {ref} | {ratio} | "
            f"{r['target'] if r['target'] is not None else '–'} | {within} | "
            + (f"{r['peak']:.0f} | " if r["peak"] is not None else "– | ")
        )
        lines[-1] += f"{r['points'] if r['points'] is not None else '–'} | "
        lines[-1] += f"{r['check']:.1e} |" if r["check"] is not None else "– |"
    lines += ["", f"Process peak RSS {rss:.0f} MB (target < 4096 MB). Total bench time {total:.0f} s.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="M tier only, one repetition")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = run(args.quick)
    text = render(rows, args.quick, time.perf_counter() - t0)
    print(text)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "readiness.md").write_text(text)


if __name__ == "__main__":
    main()
