"""An orders world: the small world (tests.support.world) with a depot planner, a base clerk, the
OEM's engineer, another OEM and a JV, as actors of real organisations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from setu.kit.access import Actor, system_actor
from setu.kit.db import utcnow
from setu.kit.uow import UnitOfWork
from setu.orders import service
from tests.support.auth import ensure_org
from tests.support.world import World as Small, build_world


@dataclass
class World:
    engine: object
    small: Small
    planner: Actor
    base: Actor
    oem: Actor
    other_oem: Actor
    jv: Actor


def make_world(engine, n_parts: int = 3) -> World:
    small = build_world(engine, n_parts=n_parts)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        depot = ensure_org(uow, "DEP-ORG", party="IND", kind="depot")
        base = ensure_org(uow, "BASE-ORG", party="IND", kind="base")
        oem = ensure_org(uow, "OEM-1", party="RUS", kind="oem")
        other = ensure_org(uow, "OEM-2", party="RUS", kind="oem")
        jv = ensure_org(uow, "JV-1", party="IND", kind="joint_venture")
        actors = dict(
            planner=Actor(name="ind.planner", party_id=depot.party_id, organisation_id=depot.id,
                          organisation_kind="depot", role="approver"),
            base=Actor(name="ind.base", party_id=base.party_id, organisation_id=base.id, organisation_kind="base",
                       role="clerk"),
            oem=Actor(name="rus.engineer", party_id=oem.party_id, organisation_id=oem.id, organisation_kind="oem",
                      role="clerk"),
            other_oem=Actor(name="rus.other", party_id=other.party_id, organisation_id=other.id,
                            organisation_kind="oem", role="approver"),
            jv=Actor(name="ind.jv", party_id=jv.party_id, organisation_id=jv.id, organisation_kind="joint_venture",
                     role="approver"))
        uow.commit()
    return World(engine, small, **actors)


def act(w: World, actor: Actor, fn, **kw):
    with UnitOfWork(actor, write=True, engine=w.engine) as uow:
        out = fn(uow, **kw)
        uow.commit()
        return out


def read(w: World, actor: Actor, fn, **kw):
    with UnitOfWork(actor, engine=w.engine) as uow:
        return fn(uow, **kw)


def rfq(w: World, quantities=(10,), site=None):
    lines = [{"part_id": w.small.part_ids[i].id if hasattr(w.small.part_ids[i], "id") else w.small.part_ids[i],
              "quantity": q} for i, q in enumerate(quantities)]
    o = act(w, w.planner, service.request_quotation, supplier_org_id=w.small.oem_org_id,
            site_id=site or w.small.base_id, currency="USD", rfq_valid_until=(utcnow() + timedelta(days=10)).date(),
            lines=lines)
    return o.id


def line_ids(w: World, order_id):
    with UnitOfWork(w.planner, engine=w.engine) as uow:
        return [str(ln.id) for ln in service.lines(uow, service.get_order(uow, order_id=order_id))]


def to_acknowledged(w: World, order_id, prices=("120.00",)):
    ids = line_ids(w, order_id)
    act(w, w.oem, service.advance, order_id=order_id, action="quote", promised_days=60,
        prices={i: p for i, p in zip(ids, prices)})
    act(w, w.planner, service.advance, order_id=order_id, action="place")
    act(w, w.oem, service.advance, order_id=order_id, action="acknowledge")
    return ids
