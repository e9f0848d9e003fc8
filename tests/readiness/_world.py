"""A small, hand-computable readiness world on top of tests.support.factories.build_world.

build_world: operator party IND with depot DEP1 and base BAS1 (parent DEP1), equipment type FTR
(240 h/year) with 4 units at BAS1; PN-0000 (repairable, 100.50 USD) directly under FTR, PN-0001
(consumable, 201.00 USD) under PN-0000 with qpa 2 and failure share 0.4; 5 serviceable of every
part at BAS1; demand of PN-0000 at BAS1 in 2025: m % 3 for month m (12 in the year).

Here: PN-0000 turns round in 30 days with condemnation 0.1 and lead time 90 days; PN-0001 has a
lead time of 90 days. Optionally a second base BAS2 (2 units, no demand history, PN-0000 MTBF
480 h: reliability rate 2 x 1 x 240 / 480 = 1 a year) and an origin-party base RUS-B with units.
"""
from __future__ import annotations

from dataclasses import dataclass

from setu.catalog.models import Part
from setu.fleet import service as fleet
from setu.fleet.schemas import EquipmentUnitCreate, SiteCreate, StockPositionSet
from setu.identity.models import Organisation
from setu.kit.access import Actor, system_actor
from setu.kit.uow import UnitOfWork
from tests.support.factories import World, build_world


@dataclass
class RWorld:
    w: World
    base2_id: object = None
    rus_base_id: object = None
    rus_org_id: object = None


def make_world(engine, *, second_base: bool = False, rus_base: bool = False) -> RWorld:
    w = build_world(engine)
    out = RWorld(w)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        s = uow.session
        p0, p1 = s.get(Part, w.part_ids[0]), s.get(Part, w.part_ids[1])
        p0.repair_turnaround_days, p0.procurement_lead_time_days, p0.condemnation_rate = 30, 90, 0.1
        p1.procurement_lead_time_days = 90
        if second_base:
            p0.mtbf_hours = 480.0
            b2 = fleet.create_site(uow, data=SiteCreate(code="BAS2", name="Base 2", kind="base",
                                                        organisation_id=w.depot_org_id, echelon=2,
                                                        parent_id=w.depot_id))
            for i in range(2):
                fleet.create_equipment_unit(uow, data=EquipmentUnitCreate(
                    serial=f"SN-B2-{i}", equipment_type_id=w.type_id, site_id=b2.id))
            out.base2_id = b2.id
        if rus_base:
            org = Organisation(party_id=w.origin_id, code="RUS-BASE", name="Origin base org", kind="base",
                               is_demo=True)
            s.add(org)
            s.flush()
            rb = fleet.create_site(uow, data=SiteCreate(code="RUS-B", name="Origin base", kind="base",
                                                        organisation_id=org.id, echelon=2))
            for i in range(3):
                fleet.create_equipment_unit(uow, data=EquipmentUnitCreate(
                    serial=f"SN-R-{i}", equipment_type_id=w.type_id, site_id=rb.id))
            fleet.set_stock(uow, data=StockPositionSet(part_id=w.part_ids[0], site_id=rb.id, serviceable=1))
            out.rus_base_id, out.rus_org_id = rb.id, org.id
        uow.commit()
    return out


def operator_user(rw: RWorld, role: str = "clerk") -> Actor:
    return Actor(name="ind-depot" if role == "clerk" else f"ind-depot-{role}", party_id=rw.w.operator_id, organisation_id=rw.w.depot_org_id,
                 organisation_kind="depot", role=role)


def origin_user(rw: RWorld, role: str = "clerk") -> Actor:
    return Actor(name="rus-base" if role == "clerk" else f"rus-base-{role}", party_id=rw.w.origin_id, organisation_id=rw.rus_org_id,
                 organisation_kind="base", role=role)
