"""JSON API for the catalog: parts, equipment types, bills of material, interchangeability (thin adapter:
parse, call one service function, render)."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from setu.adapters.http import needs, problem_responses, read_uow, write_uow
from setu.catalog import service
from setu.catalog.schemas import (
    BomLineCreate, BomLineRead, BomLineUpdate, Category, EquipmentTypeCreate, EquipmentTypeRead, EquipmentTypeUpdate,
    InterchangeCode, InterchangeCreate, InterchangeRead, InterchangeUpdate, PartCreate, PartFilter, PartKind, PartRead,
    PartUpdate,
)
from setu.kit.listing import PageOut, page_out
from setu.kit.uow import UnitOfWork

router = APIRouter(tags=["catalog"], responses=problem_responses(403))
Limit = Query(50, ge=1, le=500)


@router.get("/parts", response_model=PageOut[PartRead], dependencies=[Depends(needs("catalog.part.read"))])
def list_parts(
    q: str | None = Query(None, description="search part number, name, NSN, origin designation"),
    kind: PartKind | None = None,
    manufacturer_code: str | None = None,
    has_nsn: bool | None = None,
    sort: str | None = Query(None, description="field, or -field for descending"),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    uow: UnitOfWork = Depends(read_uow),
):
    page = service.list_parts(uow, filters=PartFilter(q=q, kind=kind, manufacturer_code=manufacturer_code,
                                                       has_nsn=has_nsn), sort=sort, cursor=cursor, limit=limit)
    return page_out(page, PartRead)


@router.post("/parts", response_model=PartRead, status_code=201,
             responses=problem_responses(409), dependencies=[Depends(needs("catalog.part.create"))])
def create_part(data: PartCreate, uow: UnitOfWork = write_uow):
    part = service.create_part(uow, data=data)
    return PartRead.model_validate(part)


@router.get("/parts/{part_id}", response_model=PartRead,
            responses=problem_responses(404), dependencies=[Depends(needs("catalog.part.read"))])
def get_part(part_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return PartRead.model_validate(service.get_part(uow, part_id=part_id))


@router.patch("/parts/{part_id}", response_model=PartRead,
              responses=problem_responses(404, 409), dependencies=[Depends(needs("catalog.part.update"))])
def update_part(part_id: uuid.UUID, data: PartUpdate, uow: UnitOfWork = write_uow):
    part = service.update_part(uow, part_id=part_id, data=data)
    return PartRead.model_validate(part)


@router.get("/parts/{part_id}/where-used", response_model=list[BomLineRead], responses=problem_responses(404),
            dependencies=[Depends(needs("catalog.bom.read"))])
def where_used(part_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return [BomLineRead.model_validate(x["line"]) for x in service.where_used(uow, part_id=part_id)]


@router.get("/parts/{part_id}/interchanges", response_model=list[InterchangeRead], responses=problem_responses(404),
            dependencies=[Depends(needs("catalog.interchange.read"))])
def part_interchanges(part_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    service.get_part(uow, part_id=part_id)
    return [InterchangeRead.model_validate(x) for x in service.list_interchanges(uow, part_id=part_id)]


@router.post("/bom-lines", response_model=BomLineRead, status_code=201, responses=problem_responses(404, 409),
             dependencies=[Depends(needs("catalog.bom.create"))])
def add_bom_line(data: BomLineCreate, uow: UnitOfWork = write_uow):
    line = service.add_bom_line(uow, data=data)
    return BomLineRead.model_validate(line)


@router.get("/equipment-types", response_model=PageOut[EquipmentTypeRead],
            dependencies=[Depends(needs("catalog.equipment_type.read"))])
def list_equipment_types(q: str | None = None, category: Category | None = None, sort: str | None = None,
                         cursor: str | None = None, limit: int = Limit, uow: UnitOfWork = Depends(read_uow)):
    return page_out(service.list_equipment_types(uow, q=q, category=category, sort=sort, cursor=cursor, limit=limit),
                    EquipmentTypeRead)


@router.post("/equipment-types", response_model=EquipmentTypeRead, status_code=201,
             responses=problem_responses(404, 409),
             dependencies=[Depends(needs("catalog.equipment_type.create"))])
def create_equipment_type(data: EquipmentTypeCreate, uow: UnitOfWork = write_uow):
    et = service.create_equipment_type(uow, data=data)
    return EquipmentTypeRead.model_validate(et)


@router.get("/equipment-types/{equipment_type_id}", response_model=EquipmentTypeRead, responses=problem_responses(404),
            dependencies=[Depends(needs("catalog.equipment_type.read"))])
def get_equipment_type(equipment_type_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return EquipmentTypeRead.model_validate(service.get_equipment_type(uow, equipment_type_id=equipment_type_id))


@router.patch("/equipment-types/{equipment_type_id}", response_model=EquipmentTypeRead,
              responses=problem_responses(404, 409),
              dependencies=[Depends(needs("catalog.equipment_type.update"))])
def update_equipment_type(equipment_type_id: uuid.UUID, data: EquipmentTypeUpdate,
                          uow: UnitOfWork = write_uow):
    et = service.update_equipment_type(uow, equipment_type_id=equipment_type_id, data=data)
    return EquipmentTypeRead.model_validate(et)


@router.get("/equipment-types/{equipment_type_id}/bom",
            responses=problem_responses(404), dependencies=[Depends(needs("catalog.bom.read"))])
def bom(equipment_type_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    """The equipment type's bill of material as a tree."""
    service.get_equipment_type(uow, equipment_type_id=equipment_type_id)

    def render(nodes):
        return [{**BomLineRead.model_validate(n["line"]).model_dump(mode="json"),
                 "part_number": n["part"].part_number, "name": n["part"].name, "children": render(n["children"])}
                for n in nodes]

    return render(service.bom_tree(uow, equipment_type_id=equipment_type_id))


@router.post("/interchanges", response_model=InterchangeRead, status_code=201, responses=problem_responses(404, 409),
             dependencies=[Depends(needs("catalog.interchange.create"))])
def add_interchange(data: InterchangeCreate, uow: UnitOfWork = write_uow):
    link = service.add_interchange(uow, data=data)
    return InterchangeRead.model_validate(link)


@router.get("/interchanges", response_model=PageOut[InterchangeRead],
            dependencies=[Depends(needs("catalog.interchange.read"))])
def list_interchanges(
    part_id: uuid.UUID | None = Query(None, description="links where this part is the replaced or the replacing one"),
    code: InterchangeCode | None = None,
    q: str | None = Query(None, description="search either part's number, name, NSN or origin designation, "
                                            "the set code and the remarks"),
    sort: str | None = Query(None, description="code or updated_at, or -field for descending"),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    uow: UnitOfWork = Depends(read_uow),
):
    page = service.page_interchanges(uow, part_id=part_id, code=code, q=q, sort=sort, cursor=cursor, limit=limit)
    return page_out(page, InterchangeRead)


@router.get("/bom-lines", response_model=PageOut[BomLineRead], dependencies=[Depends(needs("catalog.bom.read"))])
def list_bom_lines(
    equipment_type_id: uuid.UUID | None = None,
    parent_part_id: uuid.UUID | None = None,
    child_part_id: uuid.UUID | None = None,
    level: int | None = Query(None, ge=1, le=100, description="indenture level: 1 aggregate, 2 component, ..."),
    q: str | None = Query(None, description="search the child part's number, name, NSN or origin designation"),
    sort: str | None = Query(None, description="level, quantity_per_assembly or updated_at, or -field for descending"),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    uow: UnitOfWork = Depends(read_uow),
):
    page = service.list_bom_lines(uow, equipment_type_id=equipment_type_id, parent_part_id=parent_part_id,
                                  child_part_id=child_part_id, level=level, q=q, sort=sort, cursor=cursor, limit=limit)
    return page_out(page, BomLineRead)


@router.get("/bom-lines/{line_id}", response_model=BomLineRead, dependencies=[Depends(needs("catalog.bom.read"))],
            responses=problem_responses(404))
def get_bom_line(line_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return BomLineRead.model_validate(service.get_bom_line(uow, line_id=line_id))


@router.patch("/bom-lines/{line_id}", response_model=BomLineRead, dependencies=[Depends(needs("catalog.bom.update"))],
              responses=problem_responses(404, 409))
def update_bom_line(line_id: uuid.UUID, data: BomLineUpdate, uow: UnitOfWork = write_uow):
    line = service.update_bom_line(uow, line_id=line_id, data=data)
    return BomLineRead.model_validate(line)


@router.get("/interchanges/{interchange_id}", response_model=InterchangeRead,
            dependencies=[Depends(needs("catalog.interchange.read"))], responses=problem_responses(404))
def get_interchange(interchange_id: uuid.UUID, uow: UnitOfWork = Depends(read_uow)):
    return InterchangeRead.model_validate(service.get_interchange(uow, interchange_id=interchange_id))


@router.patch("/interchanges/{interchange_id}", response_model=InterchangeRead,
              dependencies=[Depends(needs("catalog.interchange.update"))], responses=problem_responses(404, 409))
def update_interchange(interchange_id: uuid.UUID, data: InterchangeUpdate, uow: UnitOfWork = write_uow):
    link = service.update_interchange(uow, interchange_id=interchange_id, data=data)
    return InterchangeRead.model_validate(link)
