"""Benchmark: the web parts list at 50,000 parts on SQLite (target: every page well under 1 s).

Run: ``python bench/bench_web_parts_list.py [--parts N] [--repeat R]``. Builds a migrated SQLite file
with N parts, then times (median of R) the first and the next page of /parts for each filter and
sort, and the last page of one manufacturer (page 25 at 50,000 parts) against its first page: keyset
cursors make the deep page cost what the first does (ratio near 1), where OFFSET paging grows with
the depth.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from setu.app.main import create_app  # noqa: E402
from setu.catalog.models import Part  # noqa: E402
from setu.kit.db import make_engine, upgrade_database  # noqa: E402
from tests.catalog.test_web_scale import part_rows  # noqa: E402
from tests.support.auth import SignedInClient  # noqa: E402

BUDGET_S = 1.0
CASES = [{}, {"q": "P012345"}, {"q": "valve"}, {"q": "no such thing"}, {"kind": "repairable"},
         {"manufacturer_code": "M007"}, {"has_nsn": "yes"}, {"has_nsn": "no", "kind": "consumable"},
         {"sort": "name"}, {"sort": "-updated_at"}, {"q": "234", "sort": "manufacturer_code"}]


def timed(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="10,000 parts, 3 repeats")
    args = ap.parse_args(argv)
    if args.quick:
        args.parts, args.repeat = 10_000, 3
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench_web.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        with engine.begin() as c:
            c.execute(insert(Part), part_rows(args.parts))
        worst = 0.0
        with SignedInClient(create_app(engine), engine) as client:
            client.sign_in_as("ind.planner")  # a real user with a real token, as every request needs
            client.get("/parts")
            print(f"parts list, {args.parts:,} parts, SQLite, median of {args.repeat} (budget {BUDGET_S:.1f} s)")
            print(f"{'filter':42s} {'first ms':>9s} {'next ms':>9s}")
            for params in CASES:
                first = timed(lambda: client.get("/parts", params=params), args.repeat)
                m = re.search(r'rel="next" href="([^"]+)"', client.get("/parts", params=params).text)
                nxt = timed(lambda: client.get(m.group(1).replace("&amp;", "&")), args.repeat) if m else float("nan")
                worst = max(worst, first, 0 if nxt != nxt else nxt)
                print(f"{str(params):42s} {first * 1e3:9.1f} {nxt * 1e3:9.1f}")
            # page 25 of one manufacturer: keyset seek vs LIMIT/OFFSET
            url_, pages = "/parts?manufacturer_code=M003", 0
            while pages < 24:
                m = re.search(r'rel="next" href="([^"]+)"', client.get(url_.replace("&amp;", "&")).text)
                if not m:
                    break
                url_, pages = m.group(1), pages + 1
            keyset = timed(lambda: client.get(url_.replace("&amp;", "&")), args.repeat)
            first_m = timed(lambda: client.get("/parts?manufacturer_code=M003"), args.repeat)
        engine.dispose()
    print(f"\nM003: page {pages + 1} {keyset * 1e3:.1f} ms, page 1 {first_m * 1e3:.1f} ms, "
          f"ratio {keyset / first_m:.2f}")
    print(f"slowest page {worst * 1e3:.1f} ms = {worst / BUDGET_S:.2f} x the 1 s budget "
          f"({'met' if worst < BUDGET_S else 'MISSED'})")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "web_parts_list.txt").write_text(f"slowest_ms {worst * 1e3:.1f}\nkeyset_page_ms {keyset * 1e3:.1f}\n")
    return 0 if worst < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
