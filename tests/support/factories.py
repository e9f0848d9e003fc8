"""Builds small, real data sets through the services (no mocks) for tests."""
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
from setu.kit.access import system_actor
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
