"""Run every benchmark (bench/bench_*.py) in turn and print their tables.

Each benchmark measures Setu side by side with its peer in one run and prints ratios; tables are
also saved under bench/out/. Usage: python bench/run_all.py [-k NAME] [--quick]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-k", default="", help="run only benchmarks whose file name contains this")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = ap.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.k not in path.name:
            continue
        quick = args.quick and "--quick" in path.read_text(encoding="utf-8")
        cmd = [sys.executable, str(path)] + (["--quick"] if quick else [])
        print(f"\n=== {path.name} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"--- {path.name}: exit {rc} in {time.perf_counter() - t0:.1f} s", flush=True)
        if rc:
            failed.append(path.name)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
