"""Benchmark: the web orders list at 100,000 orders beside the parts list at 50,000 parts, one run,
SQLite (the budget is the parts list's: every page well under 1 s).

Run: ``python bench/bench_orders.py [--orders N] [--parts N] [--repeat R]``. Builds a migrated
SQLite file, bulk-inserts the parts and the orders (all of the signed-in planner's party, 14 states,
a third overdue), then reports p50 and p95 over R requests of each list page: /parts, /orders, its
filters (state, supplier, overdue) and the next page (keyset cursor).
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from setu.app.main import create_app  # noqa: E402
from setu.catalog.models import Part  # noqa: E402
from setu.fleet import service as fleet  # noqa: E402
from setu.fleet.schemas import SiteCreate  # noqa: E402
from setu.kit.access import system_actor  # noqa: E402
from setu.kit.db import make_engine, upgrade_database  # noqa: E402
from setu.kit.uow import UnitOfWork  # noqa: E402
from setu.orders.models import Order  # noqa: E402
from setu.orders.rules import STATES  # noqa: E402
from tests.catalog.test_web_scale import part_rows  # noqa: E402
from tests.support.auth import SignedInClient, ensure_org  # noqa: E402

BUDGET_S = 1.0


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = fn()
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, r.status_code
    return out


def order_rows(n: int, buyer_org, buyer_party, suppliers, site_id):
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    for i in range(n):
        org, party = suppliers[i % len(suppliers)]
        created = now - timedelta(minutes=n - i)
        status = STATES[i % len(STATES)]
        yield {"id": uuid.uuid4(), "number": f"SO-2026-{i + 1:06d}", "status": status, "buyer_org_id": buyer_org,
               "buyer_party_id": buyer_party, "supplier_org_id": org, "supplier_party_id": party, "site_id": site_id,
               "currency": "USD", "title": f"Bench order {i}", "created_by": "bench", "rfq_valid_until": date.today(),
               "promised_date": date.today() + timedelta(days=rng.randint(-90, 180)), "amendment": 0,
               "dispatches": 0, "created_at": created, "updated_at": created, "version": 1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--parts", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench_orders.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        with engine.begin() as c:
            c.execute(insert(Part), part_rows(args.parts))
        with SignedInClient(create_app(engine), engine) as client:
            client.sign_in_as("ind.planner")
            with UnitOfWork(system_actor("bench"), write=True, engine=engine) as uow:
                depot = ensure_org(uow, "DEP-ORG", party="IND", kind="depot")
                sups = [ensure_org(uow, f"OEM-{k}", party="RUS", kind="oem") for k in range(6)]
                site = fleet.create_site(uow, data=SiteCreate(code="DEP1", name="Depot 1", kind="depot",
                                                              organisation_id=depot.id, echelon=1))
                ids = (depot.id, depot.party_id, [(s.id, s.party_id) for s in sups], site.id)
                uow.commit()
            rows = list(order_rows(args.orders, *ids))
            with engine.begin() as c:
                for k in range(0, len(rows), 10_000):
                    c.execute(insert(Order.__table__), rows[k:k + 10_000])
            sup = str(ids[2][0][0])
            cases = [("/parts", {}), ("/orders", {}), ("/orders", {"status": "acknowledged"}),
                     ("/orders", {"supplier": sup}), ("/orders", {"overdue": "yes"}),
                     ("/orders", {"status": "dispatched", "supplier": sup})]
            print(f"{args.orders:,} orders, {args.parts:,} parts, SQLite, {args.repeat} requests each "
                  f"(budget {BUDGET_S:.1f} s)")
            print(f"{'page':48s} {'p50 ms':>8s} {'p95 ms':>8s} {'next p95':>9s}")
            worst = 0.0
            report = []
            for path, params in cases:
                client.get(path, params=params)
                t = timed(lambda: client.get(path, params=params), args.repeat)
                m = re.search(r'rel="next" href="([^"]+)"', client.get(path, params=params).text)
                nxt = timed(lambda: client.get(m.group(1).replace("&amp;", "&")), args.repeat) if m else [float("nan")]
                worst = max(worst, pct(t, 0.95), 0 if nxt[0] != nxt[0] else pct(nxt, 0.95))
                label = path + ("?" + "&".join(f"{k}={v[:8]}" for k, v in params.items()) if params else "")
                line = f"{label:48s} {statistics.median(t) * 1e3:8.1f} {pct(t, 0.95) * 1e3:8.1f} {pct(nxt, 0.95) * 1e3:9.1f}"
                print(line)
                report.append(line)
        engine.dispose()
    print(f"slowest p95 {worst * 1e3:.1f} ms ({'met' if worst < BUDGET_S else 'MISSED'} the 1 s budget)")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "orders_list.txt").write_text("\n".join(report) + f"\nslowest_p95_ms {worst * 1e3:.1f}\n")
    return 0 if worst < BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
