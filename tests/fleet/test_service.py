"""Fleet services: sites, units, stock; scoping by party and organisation kind."""
from __future__ import annotations

import uuid

import pytest

from setu.catalog import service as catalog
from setu.catalog.schemas import InterchangeCreate, PartCreate, PartUpdate
from setu.fleet import service
from setu.fleet.schemas import EquipmentUnitUpdate, SiteCreate, StockPositionSet
from setu.identity.models import Organisation
from setu.kit.access import Actor, system_actor
from setu.kit.errors import NotFound, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from tests.support.world import build_world

SYS = system_actor("t")


def _actors(engine, w):
    """A depot clerk of the operator, an OEM clerk of the origin party, a programme office viewer."""
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        po = Organisation(party_id=w.operator_id, code="PO", name="Programme office", kind="programme_office")
        uow.session.add(po)
        uow.commit()
    ind = Actor(name="ind", party_id=w.operator_id, organisation_id=w.depot_org_id, organisation_kind="depot",
                role="clerk")
    rus = Actor(name="rus", party_id=w.origin_id, organisation_id=w.oem_org_id, organisation_kind="oem", role="clerk")
    prog = Actor(name="prog", party_id=w.operator_id, organisation_id=po.id, organisation_kind="programme_office",
                 role="admin")
    return ind, rus, prog


def test_stock_by_family_pools_two_way_interchangeable_parts(engine):
    w = build_world(engine, n_parts=3)
    with UnitOfWork(SYS, write=True, engine=engine) as uow:
        catalog.add_interchange(uow, data=InterchangeCreate(replaced_part_id=w.part_ids[1],
                                                            replacing_part_id=w.part_ids[2], code="two_way"))
        catalog.add_interchange(uow, data=InterchangeCreate(replaced_part_id=w.part_ids[0],
                                                            replacing_part_id=w.part_ids[2], code="one_way"))
        uow.commit()
    with UnitOfWork(SYS, engine=engine) as uow:
        own = service.stock_by_site(uow, part_id=w.part_ids[2])
        fam = service.stock_by_site(uow, part_id=w.part_ids[2], by_family=True)
    assert own[0]["serviceable"] == 5
    assert fam[0]["serviceable"] == 10  # the one-way predecessor's stock cannot fill the successor's demand


def test_other_partys_sites_and_stock_are_invisible(engine):
    w = build_world(engine)
    ind, rus, prog = _actors(engine, w)
    with UnitOfWork(rus, engine=engine) as uow:
        assert service.list_sites(uow).total == 0
        assert service.list_stock(uow).items == []  # (an unfiltered stock list is not counted)
        assert service.list_equipment_units(uow).total == 0
        assert service.stock_totals(uow)["serviceable"] == 0
        with pytest.raises(NotFound) as missing_other:
            service.get_site(uow, site_id=w.base_id)
        with pytest.raises(NotFound) as missing_none:
            service.get_site(uow, site_id=uuid.uuid4())
        assert type(missing_other.value) is type(missing_none.value)
        with pytest.raises(NotFound):
            service.get_equipment_unit(uow, unit_id=w.unit_ids[0])
        # the shared catalog stays visible to both parties
        assert catalog.list_parts(uow).total == 3
    with UnitOfWork(ind, engine=engine) as uow:
        assert service.list_sites(uow).total == 2 and len(service.list_stock(uow).items) == 3
    with UnitOfWork(prog, engine=engine) as uow:
        assert service.list_sites(uow).total == 2
        assert service.stock_totals(uow)["serviceable"] == 15


def test_denied_writes_change_nothing(engine):
    w = build_world(engine)
    ind, rus, prog = _actors(engine, w)
    with UnitOfWork(rus, write=True, engine=engine) as uow:
        with pytest.raises(NotFound):
            service.set_stock(uow, data=StockPositionSet(part_id=w.part_ids[0], site_id=w.base_id, serviceable=99))
        with pytest.raises(NotFound):
            service.update_equipment_unit(uow, unit_id=w.unit_ids[0], data=EquipmentUnitUpdate(status="operational", version=1))
        with pytest.raises(ValidationFailed) as exc:
            service.create_site(uow, data=SiteCreate(code="X1", name="x", kind="base",
                                                     organisation_id=w.depot_org_id, echelon=2))
        assert exc.value.errors[0].field == "organisation_id"
    with UnitOfWork(prog, write=True, engine=engine) as uow:
        with pytest.raises(PermissionDenied):
            service.set_stock(uow, data=StockPositionSet(part_id=w.part_ids[0], site_id=w.base_id, serviceable=99))
    with UnitOfWork(SYS, engine=engine) as uow:
        assert service.stock_by_site(uow, part_id=w.part_ids[0])[0]["serviceable"] == 5
        assert service.get_equipment_unit(uow, unit_id=w.unit_ids[0]).status == "down_parts"


def test_shared_records_changed_only_by_their_maintainer(engine):
    w = build_world(engine)
    ind, rus, _ = _actors(engine, w)
    with UnitOfWork(rus, write=True, engine=engine) as uow:
        p = catalog.create_part(uow, data=PartCreate(manufacturer_code="RSK02", part_number="NEW-1", name="n"))
        assert p.owner_party_id == w.origin_id
        uow.commit()
    with UnitOfWork(ind, write=True, engine=engine) as uow:
        with pytest.raises(PermissionDenied):
            catalog.update_part(uow, part_id=p.id, data=PartUpdate(name="hijacked", version=1))
    with UnitOfWork(rus, write=True, engine=engine) as uow:
        catalog.update_part(uow, part_id=p.id, data=PartUpdate(name="renamed", version=1))
        uow.commit()
