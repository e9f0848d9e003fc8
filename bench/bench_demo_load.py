"""Benchmark: `setu demo load --scale N` into a fresh SQLite file (target: 50,000 parts < 60 s).

Run: ``python bench/bench_demo_load.py [--scale 25] [--seed S] [--keep PATH]``. Prints the time to
generate and to write, rows per table, and the ratio to the 60-second target. The database is
migrated before the clock starts (schema creation is not part of loading).
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from setu.demo.load import load_demo
from setu.demo.data import BASE_PARTS, DEFAULT_SEED
from setu.kit.db import upgrade_database

TARGET_S = 60.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=50_000 // BASE_PARTS, help="scale (25 = 50,000 parts)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--keep", type=Path, help="write the database here and keep it")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench_demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        upgrade_database(url)
        t0 = time.perf_counter()
        res = load_demo(url=url, scale=args.scale, seed=args.seed, migrate=False)
        total = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"demo load, scale {args.scale} ({args.scale * BASE_PARTS:,} parts), SQLite")
    for name, n in res.counts.items():
        print(f"  {name:<24}{n:>10,}")
    print(f"  generate {res.generate_s:6.1f} s   write {res.write_s:6.1f} s   total {total:6.1f} s")
    print(f"  database {size_mb:,.0f} MB, peak memory {rss_mb:,.0f} MB")
    print(f"  time / target ({TARGET_S:.0f} s): {total / TARGET_S:.2f}  {'OK' if total < TARGET_S else 'SLOW'}")
    return 0 if total < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
