"""`setu forecast file` as a whole process against statsforecast as a whole process, one run.

Both read the same long-format CSV of 14,523 monthly series (the RAF items of
``../shared/data/raf_demand.csv.gz`` three times over with new ids, cut to 14,523 series, 84
months: 1.22 million rows; written to a temporary folder, never into the repository), forecast 12
months with SBA (Croston with the Syntetos-Boylan correction) and write a CSV:

* Setu: ``python -m setu forecast file IN -m sba -h 12 -o OUT``;
* statsforecast: a script that reads with pandas, runs ``StatsForecast(models=[CrostonSBA()],
  freq="MS", n_jobs=1).forecast`` and writes with pandas (its documented path).

Wall-clock time of each process (start-up, imports, reading, forecasting, writing), median of
``--repeats`` runs, and the ratio. The forecasts agree (max |difference| printed). The table is
printed and saved to bench/out/forecasting_file_cli.md.

Usage: python bench/bench_forecasting_file_cli.py [--repeats R] [--quick]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
N_SERIES = 14_523

SF_SCRIPT = """
import sys, pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import CrostonSBA
df = pd.read_csv(sys.argv[1], dtype={"unique_id": str}, parse_dates=["ds"])
fc = StatsForecast(models=[CrostonSBA()], freq="MS", n_jobs=1).forecast(df=df, h=12)
fc.to_csv(sys.argv[2], index=False)
"""


def make_file(folder: Path, n: int) -> Path:
    import gzip

    src = DATA / "raf_demand.csv.gz"
    out = folder / f"demand_{n}.csv"
    with gzip.open(src, "rt") as fh:
        header, *rows = fh.read().splitlines()
    written, ids = [header], set()
    for k in range(3):
        for line in rows:
            uid, rest = line.split(",", 1)
            key = f"{uid}-{k}"
            if key not in ids:
                if len(ids) >= n:
                    continue
                ids.add(key)
            written.append(f"{key},{rest}")
    out.write_text("\n".join(written) + "\n")
    return out


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one run each")
    args = ap.parse_args()
    if not (DATA / "raf_demand.csv.gz").exists():
        print("skipped: ../shared/data/raf_demand.csv.gz is absent")
        return 0
    repeats = 1 if args.quick else args.repeats
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "OMP_NUM_THREADS": "1",
           "NUMBA_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = make_file(folder, N_SERIES)
        sf_py = folder / "sf.py"
        sf_py.write_text(SF_SCRIPT)
        ours = [sys.executable, "-m", "setu", "forecast", "file", str(src), "-m", "sba", "-h", "12",
                "-o", str(folder / "setu.csv")]
        peer = [sys.executable, str(sf_py), str(src), str(folder / "sf.csv")]
        timed(ours, env), timed(peer, env)  # warm-up: page cache, numba cache
        t_ours = statistics.median(timed(ours, env) for _ in range(repeats))
        t_peer = statistics.median(timed(peer, env) for _ in range(repeats))
        import csv

        a = {(r["unique_id"], r["ds"]): float(r["mean"]) for r in csv.DictReader(open(folder / "setu.csv"))}
        b = {(r["unique_id"], r["ds"][:10]): float(r["CrostonSBA"]) for r in csv.DictReader(open(folder / "sf.csv"))}
        diff = max(abs(a[k] - b[k]) for k in b)
        rows = sum(1 for _ in open(src)) - 1
    table = "\n".join([
        f"# `setu forecast file` vs statsforecast, whole process ({N_SERIES:,} series, {rows:,} rows, SBA, h = 12)",
        "",
        "| process | wall-clock s (median of %d) |" % repeats,
        "|---|---:|",
        f"| setu forecast file | {t_ours:.2f} |",
        f"| statsforecast (pandas read, forecast, pandas write) | {t_peer:.2f} |",
        f"| **speed-up** | **{t_peer / t_ours:.1f}x** |",
        "",
        f"max |forecast difference| = {diff:.2e}",
    ])
    print(table)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "forecasting_file_cli.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
