"""Catalog queries."""
from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.catalog.models import BomLine, Interchange, Part
from setu.kit.listing import search_clause

PART_SORT = {
    "part_number": Part.part_number,
    "name": Part.name,
    "manufacturer_code": Part.manufacturer_code,
    "unit_price": Part.unit_price,
    "procurement_lead_time_days": Part.procurement_lead_time_days,
    "updated_at": Part.updated_at,
}


def parts(q: str | None = None, kind: str | None = None, manufacturer_code: str | None = None,
          has_nsn: bool | None = None) -> Select:
    stmt = select(Part)
    if q and q.strip():
        term = q.strip()
        # exact identifiers first-class: an NSN or part number typed whole hits the unique indexes
        clause = search_clause(term, Part.part_number, Part.name, Part.origin_designation)
        stmt = stmt.where(or_(clause, Part.nsn == term, Part.part_number == term.upper().replace(" ", "")))
    if kind:
        stmt = stmt.where(Part.kind == kind)
    if manufacturer_code:
        stmt = stmt.where(Part.manufacturer_code == manufacturer_code.strip().upper())
    if has_nsn is not None:
        stmt = stmt.where(Part.nsn.is_not(None) if has_nsn else Part.nsn.is_(None))
    return stmt


def part_by_identity(session: Session, manufacturer_code: str, part_number: str) -> Part | None:
    return session.scalar(
        select(Part).where(Part.manufacturer_code == manufacturer_code, Part.part_number == part_number)
    )


def part_by_nsn(session: Session, nsn: str) -> Part | None:
    return session.scalar(select(Part).where(Part.nsn == nsn))


def bom_lines_of_type(session: Session, equipment_type_id: uuid.UUID) -> list[BomLine]:
    return list(session.scalars(select(BomLine).where(BomLine.equipment_type_id == equipment_type_id)))


def where_used(session: Session, part_id: uuid.UUID) -> list[BomLine]:
    return list(session.scalars(select(BomLine).where(BomLine.child_part_id == part_id)))


def components_of(session: Session, part_id: uuid.UUID) -> list[BomLine]:
    return list(session.scalars(select(BomLine).where(BomLine.parent_part_id == part_id)))


def interchanges(session: Session, part_ids: set[uuid.UUID] | None = None) -> list[Interchange]:
    stmt = select(Interchange)
    if part_ids is not None:
        stmt = stmt.where(or_(Interchange.replaced_part_id.in_(part_ids), Interchange.replacing_part_id.in_(part_ids)))
    return list(session.scalars(stmt))
