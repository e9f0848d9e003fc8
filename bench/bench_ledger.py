"""Ledger throughput: confirmed, audited postings per second through the service layer on
PostgreSQL with 4 concurrent clients, beside pgbench's TPC-B (built in, `pgbench -c 4`) on the
same server in the same run; then `verify` replays every posting (zero invariant violations).

Each confirmation is one step of the support workflow by the receiving side: lock the transaction,
check state and actor, write the audit entry, book the 4-leg double-entry posting (money and
quantity, balance rows locked in order), sign it with the party's Ed25519 key, commit.
Target: Setu's confirmations/s >= 30 % of pgbench's TPS.

Usage: python bench/bench_ledger.py [--quick] [--seconds S]; the server: SETU_BENCH_POSTGRES_URL,
else SETU_TEST_POSTGRES_URL, else scripts/start_postgres.sh.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent))
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
CLIENTS = 4


def server_url() -> str:
    url = os.environ.get("SETU_BENCH_POSTGRES_URL") or os.environ.get("SETU_TEST_POSTGRES_URL")
    if not url:
        url = subprocess.check_output(["bash", str(HERE.parent / "scripts/start_postgres.sh")], text=True).strip()
    return url


def _create_db(url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def _drop_db(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def setup(db: str, per_client: int) -> dict:
    from setu.kit.access import Actor, system_actor
    from setu.kit.db import make_engine, upgrade_database
    from setu.kit.uow import UnitOfWork
    from setu.ledger import service
    from tests.support.auth import ensure_org

    upgrade_database(db)
    engine = make_engine(db)
    sysa = system_actor("bench")
    with UnitOfWork(sysa, write=True, engine=engine) as uow:
        io = ensure_org(uow, "IND-SUP", party="IND", kind="depot")
        ro = ensure_org(uow, "RUS-SUP", party="RUS", kind="oem")
        a = service.create_agreement(uow, code="BENCH", title="bench", party_a="IND", party_b="RUS",
                                     starts_on=date(2025, 1, 1), ends_on=date(2030, 12, 31))
        service.set_ceiling(uow, agreement_id=a.id, provider="RUS", category="fuel and lubricants", year=2025,
                            amount="1000000000000")
        uow.commit()
    ind = dict(name="ind.support", party_id=str(io.party_id), organisation_id=str(io.id), organisation_kind="depot", role="approver")
    ids: list[list[str]] = [[] for _ in range(CLIENTS)]
    with UnitOfWork(sysa, write=True, engine=engine) as uow:
        for c in range(CLIENTS):
            for i in range(per_client):
                t = service.request_support(uow, agreement_id=a.id, provider="RUS", receiver="IND", activity="exercise",
                                            category="fuel and lubricants", description="diesel",
                                            requested_on=date(2025, 3, 1))
                service.step(uow, transaction_id=t.id, action="accept")
                service.step(uow, transaction_id=t.id, action="claim", quantity=1 + i % 7, unit="kL", unit_price="61000",
                             delivered_on=date(2025, 3, 2))
                ids[c].append(str(t.id))
        uow.commit()
    engine.dispose()
    return {"ind": ind, "ids": ids}


def client(db: str, key_dir: str, actor: dict, ids: list[str], seconds: float, start, out) -> None:
    os.environ["SETU_LEDGER_KEY_DIR"] = key_dir
    from setu.kit.access import Actor
    from setu.kit.db import make_engine
    from setu.kit.uow import UnitOfWork
    from setu.ledger import service

    engine = make_engine(db)
    a = Actor(name=actor["name"], party_id=uuid.UUID(actor["party_id"]), organisation_id=uuid.UUID(actor["organisation_id"]),
              organisation_kind=actor["organisation_kind"], role=actor["role"])
    service.public_key_pem("IND")  # load the key before the clock starts
    start.wait()
    t0 = time.perf_counter()
    n = 0
    for tid in ids:
        if time.perf_counter() - t0 >= seconds:
            break
        with UnitOfWork(a, write=True, engine=engine) as uow:
            service.step(uow, transaction_id=tid, action="confirm")
            uow.commit()
        n += 1
    out.put((n, time.perf_counter() - t0))
    engine.dispose()


def run_setu(db: str, key_dir: str, seconds: float, per_client: int) -> tuple[float, int]:
    os.environ["SETU_LEDGER_KEY_DIR"] = key_dir
    from setu.kit.settings import get_settings

    get_settings.cache_clear()
    s = setup(db, per_client)
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(CLIENTS + 1), ctx.Queue()
    procs = [ctx.Process(target=client, args=(db, key_dir, s["ind"], s["ids"][c], seconds, start, out)) for c in range(CLIENTS)]
    [p.start() for p in procs]
    start.wait()
    results = [out.get(timeout=seconds * 10 + 120) for _ in procs]
    [p.join() for p in procs]
    total = sum(n for n, _ in results)
    wall = max(t for _, t in results)
    return total / wall, total


def run_pgbench(url: str, seconds: float) -> float:
    from sqlalchemy.engine import make_url

    name = f"setu_pgbench_{uuid.uuid4().hex[:6]}"
    _create_db(url, name)
    u = make_url(url)
    env = {**os.environ, "PGPASSWORD": u.password or ""}
    base = [PGBENCH, "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "setu"]
    try:
        subprocess.run(base + ["-i", "-q", "-s", "4", name], env=env, check=True, capture_output=True)
        out = subprocess.run(base + ["-c", str(CLIENTS), "-j", "2", "-T", str(int(seconds)), name], env=env, check=True,
                             capture_output=True, text=True).stdout
    finally:
        _drop_db(url, name)
    m = re.search(r"tps = ([0-9.]+)", out)
    return float(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=None)
    args = ap.parse_args()
    seconds = args.seconds or (8.0 if args.quick else 20.0)
    url = server_url()
    name = f"setu_bench_ledger_{uuid.uuid4().hex[:6]}"
    db = _create_db(url, name)
    key_dir = tempfile.mkdtemp(prefix="setu-ledger-keys-")
    try:
        rate, n = run_setu(db, key_dir, seconds, per_client=60 if args.quick else 200)
        tps = run_pgbench(url, seconds)
        from setu.kit.access import system_actor
        from setu.kit.db import make_engine
        from setu.kit.uow import UnitOfWork
        from setu.ledger import service

        engine = make_engine(db)
        with UnitOfWork(system_actor("bench"), engine=engine) as uow:
            problems = service.verify(uow)
        engine.dispose()
    finally:
        _drop_db(url, name)
    ratio = rate / tps if tps else 0.0
    lines = [
        f"ledger on PostgreSQL, {CLIENTS} concurrent clients, {seconds:.0f} s each",
        f"{'measure':<58}{'value':>12}",
        f"{'Setu confirmations/s (audited, signed, 4-leg posting)':<58}{rate:>12.1f}",
        f"{'Setu postings (legs)/s':<58}{rate * 4:>12.1f}",
        f"{'confirmations made':<58}{n:>12d}",
        f"{'pgbench TPC-B tps (same server, same run)':<58}{tps:>12.1f}",
        f"{'Setu / pgbench':<58}{ratio:>11.1%}",
        f"{'target':<58}{'>= 30.0%':>12}",
        f"{'invariant violations (setu ledger verify)':<58}{len(problems):>12d}",
    ]
    text = "\n".join(lines)
    print(text)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "ledger.txt").write_text(text + "\n")
    for p in problems[:5]:
        print("  ", p)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
