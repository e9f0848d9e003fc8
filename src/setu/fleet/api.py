"""JSON API for sites, equipment units and stock (thin adapter)."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from setu.adapters.http import needs, problem_responses, read_uow, write_uow
from setu.fleet import service
from setu.fleet.schemas import (
    EquipmentUnitCreate, EquipmentUnitRead, EquipmentUnitUpdate, SiteCreate, SiteKind, SiteRead, SiteUpdate,
    StockAdjust, StockPositionRead, StockPositionSet, UnitStatus,
)
from setu.kit.listing import PageOut, page_out
from setu.kit.uow import UnitOfWork

router = APIRouter(tags=["fleet"], responses=problem_responses(403))
Limit = Query(50, ge=1, le=500)


@router.get("/sites", response_model=PageOut[SiteRead], dependencies=[Depends(needs("fleet.site.read"))])
def list_sites(q: str | None = None, kind: SiteKind | None = None, echelon: int | None = Query(None, ge=1, le=2),
               sort: str | None = None, cursor: str | None = None, limit: int = Limit,
               uow: UnitOfWork = Depends(read_uow)):
    return page_out(service.list_sites(uow, q=q, kind=kind, echelon=echelon, sort=sort, cursor=cursor, limit=limit),
                    SiteRead)


@router.post("/sites", response_model=SiteRead, status_code=201,
             responses=problem_responses(404, 409), dependencies=[Depends(needs("fleet.site.create"))])
def create_site(data: SiteCreate, uow: UnitOfWork = write_uow):
    site = service.create_site(uow, data=data)
    return SiteRead.model_validate(site)


@router.get("/sites/{site_id}", response_model=SiteRead,
            responses=problem_responses(404), dependencies=[Depends(needs("fleet.site.read"))])
def get_site(site_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return SiteRead.model_validate(service.get_site(uow, site_id=site_id))


@router.patch("/sites/{site_id}", response_model=SiteRead,
              responses=problem_responses(404, 409), dependencies=[Depends(needs("fleet.site.update"))])
def update_site(site_id: uuid.UUID, data: SiteUpdate, uow: UnitOfWork = write_uow):
    site = service.update_site(uow, site_id=site_id, data=data)
    return SiteRead.model_validate(site)


@router.get("/equipment-units", response_model=PageOut[EquipmentUnitRead],
            dependencies=[Depends(needs("fleet.equipment_unit.read"))])
def list_equipment_units(q: str | None = None, equipment_type_id: uuid.UUID | None = None,
                         site_id: uuid.UUID | None = None, status: UnitStatus | None = None, sort: str | None = None,
                         cursor: str | None = None, limit: int = Limit, uow: UnitOfWork = Depends(read_uow)):
    return page_out(service.list_equipment_units(uow, q=q, equipment_type_id=equipment_type_id, site_id=site_id,
                                                 status=status, sort=sort, cursor=cursor, limit=limit),
                    EquipmentUnitRead)


@router.post("/equipment-units", response_model=EquipmentUnitRead, status_code=201,
             responses=problem_responses(404, 409),
             dependencies=[Depends(needs("fleet.equipment_unit.create"))])
def create_equipment_unit(data: EquipmentUnitCreate, uow: UnitOfWork = write_uow):
    unit = service.create_equipment_unit(uow, data=data)
    return EquipmentUnitRead.model_validate(unit)


@router.get("/equipment-units/{unit_id}", response_model=EquipmentUnitRead, responses=problem_responses(404),
            dependencies=[Depends(needs("fleet.equipment_unit.read"))])
def get_equipment_unit(unit_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return EquipmentUnitRead.model_validate(service.get_equipment_unit(uow, unit_id=unit_id))


@router.patch("/equipment-units/{unit_id}", response_model=EquipmentUnitRead, responses=problem_responses(404, 409),
              dependencies=[Depends(needs("fleet.equipment_unit.update"))])
def update_equipment_unit(unit_id: uuid.UUID, data: EquipmentUnitUpdate, uow: UnitOfWork = write_uow):
    unit = service.update_equipment_unit(uow, unit_id=unit_id, data=data)
    return EquipmentUnitRead.model_validate(unit)


@router.get("/stock", response_model=PageOut[StockPositionRead], dependencies=[Depends(needs("fleet.stock.read"))])
def list_stock(part_id: uuid.UUID | None = None, site_id: uuid.UUID | None = None,
               q: str | None = Query(None, description="search the part (number, name, NSN) or the site (code, name)"),
               sort: str | None = Query(None, description="serviceable or updated_at, or -field for descending"),
               cursor: str | None = None, limit: int = Limit, uow: UnitOfWork = Depends(read_uow)):
    return page_out(service.list_stock(uow, part_id=part_id, site_id=site_id, q=q, sort=sort, cursor=cursor,
                                       limit=limit), StockPositionRead)


@router.get("/stock/{position_id}", response_model=StockPositionRead, responses=problem_responses(404),
            dependencies=[Depends(needs("fleet.stock.read"))])
def get_stock_position(position_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return StockPositionRead.model_validate(service.get_stock_position(uow, position_id=position_id))


@router.put("/stock", response_model=StockPositionRead,
            responses=problem_responses(404, 409), dependencies=[Depends(needs("fleet.stock.update"))])
def set_stock(data: StockPositionSet, uow: UnitOfWork = write_uow):
    pos = service.set_stock(uow, data=data, versioned=True)
    return StockPositionRead.model_validate(pos)


@router.post("/stock/{part_id}/{site_id}/adjust", response_model=StockPositionRead,
             responses=problem_responses(404, 409),
             dependencies=[Depends(needs("fleet.stock.update"))])
def adjust_stock(part_id: uuid.UUID, site_id: uuid.UUID, data: StockAdjust, uow: UnitOfWork = write_uow):
    pos = service.adjust_stock(uow, part_id=part_id, site_id=site_id, data=data)
    return StockPositionRead.model_validate(pos)


@router.get("/parts/{part_id}/stock",
            responses=problem_responses(404), dependencies=[Depends(needs("fleet.stock.read"))])
def part_stock(part_id: uuid.UUID, by_family: bool = False, uow: UnitOfWork = Depends(read_uow)):
    """Stock of the part per site; ``by_family`` pools the stock of interchangeable parts."""
    rows = service.stock_by_site(uow, part_id=part_id, by_family=by_family)
    return [{**r, "site_id": str(r["site_id"]), "part_ids": [str(p) for p in r["part_ids"]]} for r in rows]
