"""The test worlds: small, real data sets built through the services (no mocks), by name.

- :func:`build_world` ("the small world"): operator IND with depot DEP1 and base BAS1, origin RUS
  with an OEM, equipment type FTR with 4 units at BAS1, ``n_parts`` parts in a two-level bill,
  stock and a year of demand;
- :func:`make_world` ("the readiness world"): the small world with hand-computable readiness
  inputs, optionally a second base and an origin-party base (below);
- the import tests seed their own catalog rows through the importers (tests/*/test_tables*).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import update

from setu.catalog import service as catalog
from setu.catalog.models import Part
from setu.catalog.schemas import BomLineCreate, PartCreate
from setu.demand import service as demand
from setu.demand.schemas import DemandRecordCreate
from setu.fleet import service as fleet
from setu.catalog.schemas import EquipmentTypeCreate
from setu.fleet.schemas import EquipmentUnitCreate, SiteCreate, StockPositionSet
from setu.identity.models import Organisation
from setu.kit.access import Actor, system_actor
from setu.kit.uow import UnitOfWork
from tests.support.auth import ensure_org, ensure_party


@dataclass
class World:
    operator_id: object
    origin_id: object
    depot_org_id: object
    oem_org_id: object
    depot_id: object
    base_id: object
    type_id: object
    part_ids: list
    unit_ids: list


def build_world(engine, n_parts: int = 3) -> World:
    actor = system_actor("test")
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        ind, rus = ensure_party(uow, "IND"), ensure_party(uow, "RUS")  # a signed-in test user may have made them
        depot_org = ensure_org(uow, "DEP-ORG", party="IND", kind="depot", name="Depot org (demo)")
        oem = ensure_org(uow, "OEM-1", party="RUS", kind="oem", name="OEM (demo)")
        depot = fleet.create_site(uow, data=SiteCreate(code="DEP1", name="Depot 1", kind="depot",
                                                       organisation_id=depot_org.id, echelon=1))
        base = fleet.create_site(uow, data=SiteCreate(code="BAS1", name="Base 1", kind="base",
                                                      organisation_id=depot_org.id, echelon=2, parent_id=depot.id))
        et = catalog.create_equipment_type(uow, data=EquipmentTypeCreate(
            code="FTR", name="Fighter (demo)", category="fighter_aircraft", origin_party_id=rus.id,
            oem_organisation_id=oem.id, operating_hours_per_year=240))
        parts = []
        for i in range(n_parts):
            p = catalog.create_part(uow, data=PartCreate(
                manufacturer_code="RSK01", part_number=f"PN-{i:04d}", name=f"Test part {i}",
                unit_price=Decimal("100.50") * (i + 1), currency="USD",
                kind="repairable" if i % 2 == 0 else "consumable",
                condemnation_rate=0.1 if i % 2 == 0 else 1.0, nsn=None if i % 2 else f"1560-72-{i:03d}-0001"))
            parts.append(p)
        # the operator maintains these catalog records in the tests (the system actor owns none)
        uow.session.execute(update(Part).where(Part.id.in_([p.id for p in parts])).values(owner_party_id=ind.id))
        for p in parts:
            uow.session.refresh(p)
        catalog.add_bom_line(uow, data=BomLineCreate(equipment_type_id=et.id, child_part_id=parts[0].id))
        if n_parts > 1:
            catalog.add_bom_line(uow, data=BomLineCreate(equipment_type_id=et.id, parent_part_id=parts[0].id,
                                                         child_part_id=parts[1].id, quantity_per_assembly=2,
                                                         failure_share=0.4))
        units = [fleet.create_equipment_unit(uow, data=EquipmentUnitCreate(
            serial=f"SN-{i}", equipment_type_id=et.id, site_id=base.id,
            status="operational" if i else "down_parts")) for i in range(4)]
        for p in parts:
            fleet.set_stock(uow, data=StockPositionSet(part_id=p.id, site_id=base.id, serviceable=5))
        from datetime import date
        for m in range(1, 13):
            demand.record_demand(uow, data=DemandRecordCreate(part_id=parts[0].id, site_id=base.id,
                                                              period=date(2025, m, 1), quantity=float(m % 3)))
        uow.commit()
        return World(ind.id, rus.id, depot_org.id, oem.id, depot.id, base.id, et.id, [p.id for p in parts],
                     [u.id for u in units])


# -- the readiness world ----------------------------------------------------------------------
# A small, hand-computable readiness world on top of tests.support.world.build_world.
#
# build_world: operator party IND with depot DEP1 and base BAS1 (parent DEP1), equipment type FTR
# (240 h/year) with 4 units at BAS1; PN-0000 (repairable, 100.50 USD) directly under FTR, PN-0001
# (consumable, 201.00 USD) under PN-0000 with qpa 2 and failure share 0.4; 5 serviceable of every
# part at BAS1; demand of PN-0000 at BAS1 in 2025: m % 3 for month m (12 in the year).
#
# Here: PN-0000 turns round in 30 days with condemnation 0.1 and lead time 90 days; PN-0001 has a
# lead time of 90 days. Optionally a second base BAS2 (2 units, no demand history, PN-0000 MTBF
# 480 h: reliability rate 2 x 1 x 240 / 480 = 1 a year) and an origin-party base RUS-B with units.


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
