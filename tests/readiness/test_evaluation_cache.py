"""Today's fleet evaluation is computed once per change of its inputs and kept: a second view
reuses it, a stock change (audited, so the audit head moves) makes the next view recompute, and
the kept result always equals a fresh evaluation. SQLite and PostgreSQL (the ``engine`` fixture)."""
from __future__ import annotations

import pytest

from setu.fleet import service as fleet
from setu.fleet.schemas import StockAdjust
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from setu.readiness import service
from tests.support.world import make_world, operator_user

SYS = system_actor("test")


def _today(engine, actor=SYS):
    with UnitOfWork(actor, engine=engine) as uow:
        return service.evaluate_today(uow, equipment_type_id=service_type(engine))


def service_type(engine):
    return _TYPE[id(engine)]


_TYPE: dict = {}


def test_evaluation_is_kept_until_stock_changes(engine):
    rw = make_world(engine)
    _TYPE[id(engine)] = rw.w.type_id
    first = _today(engine)
    again = _today(engine)
    assert again["built"] is first["built"] and again["evaluation"] is first["evaluation"]  # kept
    # another viewer's scope is a separate entry (a party sees only its own fleet)
    other = _today(engine, operator_user(rw))
    assert other["built"] is not first["built"]
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        fleet.adjust_stock(uow, part_id=rw.w.part_ids[0], site_id=rw.w.base_id, data=StockAdjust(serviceable=-4))
        uow.commit()
    after = _today(engine)
    assert after["built"] is not first["built"]  # the change invalidated the kept result
    assert after["built"].stock["RSK01:PN-0000"]["BAS1"] == 1
    assert after["fleet_availability"] < first["fleet_availability"]
    # the kept result equals a fresh, uncached evaluation
    service._EVAL_CACHE.clear()
    fresh = _today(engine)
    assert fresh["fleet_availability"] == pytest.approx(after["fleet_availability"])
    assert fresh["built"] is not after["built"]
