"""Concurrent writers lose nothing; a crash mid-transaction leaves the database as before.

Real processes against a real database (SQLite file in WAL mode with BEGIN IMMEDIATE, and
PostgreSQL with SELECT ... FOR UPDATE)."""
from __future__ import annotations

import multiprocessing as mp
import os

from setu.fleet import service
from setu.fleet.schemas import StockAdjust
from setu.kit.access import system_actor
from setu.kit.db import make_engine
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world

N = 40


def _adjust_many(url: str, part_id: str, site_id: str, n: int, barrier) -> None:
    import uuid

    engine = make_engine(url)
    barrier.wait()
    for _ in range(n):
        with UnitOfWork(system_actor("worker"), write=True, engine=engine) as uow:
            service.adjust_stock(uow, part_id=uuid.UUID(part_id), site_id=uuid.UUID(site_id),
                                 data=StockAdjust(serviceable=1))
            uow.commit()
    engine.dispose()


def _crash_mid_write(url: str, part_id: str, site_id: str) -> None:
    import uuid

    engine = make_engine(url)
    with UnitOfWork(system_actor("crash"), write=True, engine=engine) as uow:
        service.adjust_stock(uow, part_id=uuid.UUID(part_id), site_id=uuid.UUID(site_id),
                             data=StockAdjust(serviceable=1000))
        uow.session.flush()
        os._exit(3)  # the process dies holding an uncommitted transaction


def _serviceable(engine, w) -> int:
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        page = service.list_stock(uow, part_id=w.part_ids[0], site_id=w.base_id)
        return page.items[0].serviceable


def test_two_processes_lose_no_stock_update(db_url, engine):
    w = build_world(engine)
    start = _serviceable(engine, w)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_adjust_many, args=(db_url, str(w.part_ids[0]), str(w.base_id), N, barrier))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert _serviceable(engine, w) == start + 2 * N


def test_crash_mid_transaction_changes_nothing(db_url, engine):
    w = build_world(engine)
    start = _serviceable(engine, w)
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=_crash_mid_write, args=(db_url, str(w.part_ids[0]), str(w.base_id)))
    p.start()
    p.join(60)
    assert p.exitcode == 3
    engine.dispose()
    assert _serviceable(engine, w) == start
    # and the database still takes writes
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        service.adjust_stock(uow, part_id=w.part_ids[0], site_id=w.base_id, data=StockAdjust(serviceable=1))
        uow.commit()
    assert _serviceable(engine, w) == start + 1
