"""Benchmark: every page of the navigation at the demo scale, beside the parts list (target p95 < 300 ms).

Run: ``python bench/bench_pages.py [--scale 25] [--repeat 20] [--quick]``. Loads the demo data
(`setu demo load --scale N`; 25 = 50,000 parts) into a fresh SQLite file, signs in as the demo
planner and times each page ``--repeat`` times in process (server time: routing, queries and
rendering, no network), printing p50 / p95 / bytes per page. Pages: every entry of the navigation,
one equipment-type page, one readiness type page, and the unfiltered `/api/v1/demand` and
`/api/v1/stock` first pages. The parts list is in the same table as the reference. Exit 1 when a
page's p95 misses the target; the table is also written to bench/out/pages.txt.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from setu.adapters.pages import NAV  # noqa: E402
from setu.app.main import create_app  # noqa: E402
from setu.demo.data import BASE_PARTS  # noqa: E402
from setu.demo.load import load_demo  # noqa: E402
from setu.kit.db import make_engine, upgrade_database  # noqa: E402
from tests.support.auth import SignedInClient  # noqa: E402

TARGET_P95_S = 0.300


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def first_link(client, page: str, pattern: str) -> str | None:
    m = re.search(pattern, client.get(page).text)
    return m.group(0).strip('"') if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=50_000 // BASE_PARTS)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--persona", default="ind.planner")
    ap.add_argument("--quick", action="store_true", help="scale 1, 5 repeats")
    args = ap.parse_args(argv)
    if args.quick:
        args.scale, args.repeat = 1, 5
    rows: list[tuple[str, float, float, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench_pages.db'}"
        upgrade_database(url)
        t0 = time.perf_counter()
        load_demo(url=url, scale=args.scale, migrate=False)
        print(f"demo scale {args.scale} ({args.scale * BASE_PARTS:,} parts) loaded in "
              f"{time.perf_counter() - t0:.0f} s; {args.repeat} requests per page, as {args.persona}")
        engine = make_engine(url)
        with SignedInClient(create_app(engine), engine) as client:
            client.sign_in_as(args.persona)
            client.get("/")
            pages = ["/parts"] + [e.href for e in NAV if e.href != "/parts"]
            et = first_link(client, "/equipment-types", r'"/equipment-types/[0-9a-f-]{36}"')
            rt = first_link(client, "/readiness", r'"/readiness/[0-9a-f-]{36}"')
            pages += [p for p in (et, rt) if p] + ["/api/v1/demand", "/api/v1/stock"]
            for page in dict.fromkeys(pages):
                times, status, size = [], 0, 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    r = client.get(page)
                    times.append(time.perf_counter() - t)
                    status, size = r.status_code, len(r.content)
                rows.append((page, statistics.median(times), pct(times, 0.95), size, status))
        engine.dispose()
    ref = rows[0][1]
    lines = [f"{'page':58s} {'p50 ms':>8s} {'p95 ms':>8s} {'x parts':>8s} {'kB':>8s} status"]
    for page, p50, p95, size, status in rows:
        flag = "  (not open to this persona)" if status == 403 else "" if p95 < TARGET_P95_S else "  MISSED"
        lines.append(f"{page:58s} {p50 * 1e3:8.1f} {p95 * 1e3:8.1f} {p50 / ref:8.1f} {size / 1e3:8.1f} {status}{flag}")
    missed = [r[0] for r in rows if r[4] != 403 and (r[2] >= TARGET_P95_S or r[4] >= 400)]
    lines.append(f"target p95 < {TARGET_P95_S * 1e3:.0f} ms: "
                 + ("met by every page" if not missed else f"MISSED by {len(missed)}: {', '.join(missed)}"))
    print("\n".join(lines))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "pages.txt").write_text("\n".join(lines) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
