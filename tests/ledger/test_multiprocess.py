"""4 writer processes on hot accounts and a reader: every snapshot of the stored balances sums to
zero per commodity, and at the end the stored balances equal the replay of postings."""
from __future__ import annotations

import multiprocessing as mp
import random
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from setu.ledger import service

ACCOUNTS = ("due:RUS:IND", "provided:RUS", "settled:RUS", "offset:RUS")


def _writer(url: str, seed: int, n: int, out) -> None:
    from setu.kit.db import make_engine

    engine, rng, done = make_engine(url), random.Random(seed), 0
    for _ in range(n):
        a, b = rng.sample(ACCOUNTS, 2)
        amt = Decimal(rng.randint(1, 10**6)) / 100
        for _attempt in range(20):
            try:
                with UnitOfWork(system_actor(f"w{seed}"), write=True, engine=engine) as uow:
                    service.post(uow, [service.Leg(a, "money", "RUB", amt), service.Leg(b, "money", "RUB", -amt),
                                       service.Leg("received:IND", "quantity", "kL", Decimal(1)),
                                       service.Leg("issued:RUS", "quantity", "kL", Decimal(-1))],
                                 memo="hot", on=date(2025, 1, 1))
                    uow.commit()
                done += 1
                break
            except Exception:  # a busy write (503) is retried, as a client would
                continue
    out.put(done)


def _reader(url: str, stop, out) -> None:
    from collections import defaultdict

    from sqlalchemy import select

    from setu.kit.db import make_engine
    from setu.ledger.models import LedgerBalance

    engine, snapshots, bad = make_engine(url), 0, []
    while not stop.is_set():
        with engine.connect() as c:  # one statement: one snapshot; summed exactly (Decimal), not by SQLite's float SUM
            rows = c.execute(select(LedgerBalance.commodity, LedgerBalance.balance)).all()
        sums = defaultdict(Decimal)
        for k, v in rows:
            sums[k] += Decimal(v)
        snapshots += 1
        bad += [(k, str(v)) for k, v in sums.items() if v != 0]
    out.put((snapshots, bad[:5]))


def test_four_writers_and_a_reader(engine, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("SETU_LEDGER_KEY_DIR", str(tmp_path / "keys"))
    ctx = mp.get_context("spawn")
    out, rout, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    reader = ctx.Process(target=_reader, args=(db_url, stop, rout))
    reader.start()
    writers = [ctx.Process(target=_writer, args=(db_url, s, 40, out)) for s in range(4)]
    [p.start() for p in writers]
    done = sum(out.get(timeout=300) for _ in writers)
    [p.join() for p in writers]
    stop.set()
    snapshots, bad = rout.get(timeout=60)
    reader.join()
    assert done == 160 and snapshots > 0 and bad == [], (done, snapshots, bad)
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        assert service.verify(uow) == []
