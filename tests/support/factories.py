"""Builds small, real data sets through the services (no mocks) for tests."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from setu.catalog import service as catalog
from setu.catalog.schemas import BomLineCreate, PartCreate
from setu.demand import service as demand
from setu.demand.schemas import DemandRecordCreate
from setu.fleet import service as fleet
from setu.fleet.schemas import EquipmentTypeCreate, EquipmentUnitCreate, SiteCreate, StockPositionSet
from setu.identity.models import Organisation, Party
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork


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
        s = uow.session
        ind = Party(code="IND", name="Operator (demo)", role="operator", currency="INR")
        rus = Party(code="RUS", name="Origin (demo)", role="origin", currency="RUB")
        s.add_all([ind, rus])
        s.flush()
        depot_org = Organisation(party_id=ind.id, code="DEP-ORG", name="Depot org (demo)", kind="depot", is_demo=True)
        oem = Organisation(party_id=rus.id, code="OEM-1", name="OEM (demo)", kind="oem", is_demo=True)
        s.add_all([depot_org, oem])
        s.flush()
        depot = fleet.create_site(uow, data=SiteCreate(code="DEP1", name="Depot 1", kind="depot",
                                                       organisation_id=depot_org.id, echelon=1))
        base = fleet.create_site(uow, data=SiteCreate(code="BAS1", name="Base 1", kind="base",
                                                      organisation_id=depot_org.id, echelon=2, parent_id=depot.id))
        et = fleet.create_equipment_type(uow, data=EquipmentTypeCreate(
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
