"""Catalog queries."""
from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.catalog.models import BomLine, EquipmentType, Interchange, Part
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


def part_ids_by_identity(session: Session) -> dict[tuple[str, str], uuid.UUID]:
    """(manufacturer code, normalised part number) -> id of every part (one query)."""
    return {(m, p): i for i, m, p in session.execute(select(Part.id, Part.manufacturer_code, Part.part_number))}


def count_parts(session: Session) -> int:
    """How many parts there are (every party's)."""
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(Part)) or 0)


def part_by_nsn(session: Session, nsn: str) -> Part | None:
    return session.scalar(select(Part).where(Part.nsn == nsn))


TYPE_SORT = {"code": EquipmentType.code, "name": EquipmentType.name, "category": EquipmentType.category}


def equipment_types(q: str | None = None, category: str | None = None) -> Select:
    stmt = select(EquipmentType)
    if (c := search_clause(q, EquipmentType.code, EquipmentType.name)) is not None:
        stmt = stmt.where(c)
    if category:
        stmt = stmt.where(EquipmentType.category == category)
    return stmt


BOM_SORT = {"level": BomLine.level, "quantity_per_assembly": BomLine.quantity_per_assembly,
            "updated_at": BomLine.updated_at}
INTERCHANGE_SORT = {"code": Interchange.code, "updated_at": Interchange.updated_at}


def _parts_matching(q: str | None) -> Select | None:
    """Ids of the parts whose part number, name, NSN or origin designation match ``q`` (None: no search)."""
    clause = search_clause(q, Part.part_number, Part.name, Part.nsn, Part.origin_designation)
    return None if clause is None else select(Part.id).where(clause)


def bom_lines(equipment_type_id: uuid.UUID | None = None, parent_part_id: uuid.UUID | None = None,
              child_part_id: uuid.UUID | None = None, level: int | None = None, q: str | None = None) -> Select:
    """Bill of material lines; ``q`` searches the child part."""
    stmt = select(BomLine)
    if equipment_type_id:
        stmt = stmt.where(BomLine.equipment_type_id == equipment_type_id)
    if parent_part_id:
        stmt = stmt.where(BomLine.parent_part_id == parent_part_id)
    if child_part_id:
        stmt = stmt.where(BomLine.child_part_id == child_part_id)
    if level:
        stmt = stmt.where(BomLine.level == level)
    if (matching := _parts_matching(q)) is not None:
        stmt = stmt.where(BomLine.child_part_id.in_(matching))
    return stmt


def interchange_list(part_id: uuid.UUID | None = None, code: str | None = None, q: str | None = None) -> Select:
    """Interchangeability links; ``part_id`` and ``q`` match either the replaced or the replacing part."""
    stmt = select(Interchange)
    if part_id:
        stmt = stmt.where(or_(Interchange.replaced_part_id == part_id, Interchange.replacing_part_id == part_id))
    if code:
        stmt = stmt.where(Interchange.code == code)
    if (matching := _parts_matching(q)) is not None:
        stmt = stmt.where(or_(Interchange.replaced_part_id.in_(matching), Interchange.replacing_part_id.in_(matching),
                              search_clause(q, Interchange.set_code, Interchange.remarks)))
    return stmt


def bom_lines_of_type(session: Session, equipment_type_id: uuid.UUID) -> list[BomLine]:
    return list(session.scalars(select(BomLine).where(BomLine.equipment_type_id == equipment_type_id)))


def bom_children(session: Session, equipment_type_id: uuid.UUID, parent_part_id: uuid.UUID | None) -> list[BomLine]:
    parent = BomLine.parent_part_id.is_(None) if parent_part_id is None else BomLine.parent_part_id == parent_part_id
    return list(session.scalars(select(BomLine).where(BomLine.equipment_type_id == equipment_type_id, parent)))


def bom_child_counts(session: Session, equipment_type_id: uuid.UUID, part_ids: list[uuid.UUID]) -> dict:
    """part id -> how many lines of the type sit directly under it."""
    out: dict = {}
    ids = list(part_ids)
    for i in range(0, len(ids), 500):
        stmt = (select(BomLine.parent_part_id, func.count()).where(BomLine.equipment_type_id == equipment_type_id,
                                                                   BomLine.parent_part_id.in_(ids[i:i + 500]))
                .group_by(BomLine.parent_part_id))
        out.update(dict(session.execute(stmt).all()))
    return out


def bom_line_count(session: Session, equipment_type_id: uuid.UUID) -> int:
    return session.scalar(select(func.count()).select_from(BomLine)
                          .where(BomLine.equipment_type_id == equipment_type_id)) or 0


def where_used(session: Session, part_id: uuid.UUID) -> list[BomLine]:
    return list(session.scalars(select(BomLine).where(BomLine.child_part_id == part_id)))


def components_of(session: Session, part_id: uuid.UUID) -> list[BomLine]:
    return list(session.scalars(select(BomLine).where(BomLine.parent_part_id == part_id)))


def interchanges(session: Session, part_ids: set[uuid.UUID] | None = None) -> list[Interchange]:
    stmt = select(Interchange)
    if part_ids is not None:
        stmt = stmt.where(or_(Interchange.replaced_part_id.in_(part_ids), Interchange.replacing_part_id.in_(part_ids)))
    return list(session.scalars(stmt))


# -- reads for other capabilities (through catalog.service) ---------------------------------------

def bom_line_rows(session: Session, equipment_type_ids: list[uuid.UUID] | None) -> list[tuple]:
    """``(id, equipment_type_id, parent_part_id, child_part_id, quantity_per_assembly,
    failure_share, level)`` of the lines of some equipment types (every type: None)."""
    stmt = select(BomLine.id, BomLine.equipment_type_id, BomLine.parent_part_id, BomLine.child_part_id,
                  BomLine.quantity_per_assembly, BomLine.failure_share, BomLine.level)
    if equipment_type_ids is not None:
        stmt = stmt.where(BomLine.equipment_type_id.in_(equipment_type_ids))
    return [tuple(r) for r in session.execute(stmt)]


def parts_by_ids(session: Session, part_ids: list[uuid.UUID], chunk: int = 500) -> list[Part]:
    out: list[Part] = []
    for i in range(0, len(part_ids), chunk):
        out.extend(session.scalars(select(Part).where(Part.id.in_(part_ids[i:i + chunk]))))
    return out


def existing_part_ids(session: Session, part_ids: list[uuid.UUID], chunk: int = 900) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for i in range(0, len(part_ids), chunk):
        found |= set(session.scalars(select(Part.id).where(Part.id.in_(part_ids[i:i + chunk]))))
    return found


def equipment_types_by_ids(session: Session, equipment_type_ids: list[uuid.UUID]) -> list:
    from setu.catalog.models import EquipmentType

    return list(session.scalars(select(EquipmentType).where(EquipmentType.id.in_(equipment_type_ids))))


def equipment_type_by_code(session: Session, code: str):
    from setu.catalog.models import EquipmentType

    return session.scalar(select(EquipmentType).where(EquipmentType.code == code))


def parts_with_ids(session: Session, part_ids) -> list[Part]:
    """The parts whose ids are in ``part_ids`` (one query)."""
    return list(session.scalars(select(Part).where(Part.id.in_(part_ids))))


# -- imports and exports (catalog.tables) ---------------------------------------------------------

def part_rows_by_identity(session: Session, fields) -> dict[tuple[str, str], dict]:
    """(manufacturer code, part number) -> the row of every part: its id, version, identity, owner
    party and ``fields`` (column names), as a dict (one query, no ORM objects)."""
    t = Part.__table__
    cols = [t.c[f] for f in ("id", "version", "manufacturer_code", "part_number", "owner_party_id", *fields)]
    out: dict[tuple[str, str], dict] = {}
    for r in session.execute(select(*cols)):
        d = dict(r._mapping)
        out[(d["manufacturer_code"], d["part_number"])] = d
    return out


def equipment_type_keys(session: Session) -> list[tuple]:
    """``(id, code, origin_party_id)`` of every equipment type."""
    return [tuple(r) for r in session.execute(select(EquipmentType.id, EquipmentType.code,
                                                     EquipmentType.origin_party_id))]


def bom_line_rows_by_key(session: Session, equipment_type_ids) -> dict[tuple, dict]:
    """(equipment type, parent part, child part) -> the line's id, version, keys, quantity, failure
    share and level, for the lines of some equipment types (one query, no ORM objects)."""
    out: dict[tuple, dict] = {}
    for r in session.execute(select(BomLine.id, BomLine.version, BomLine.equipment_type_id, BomLine.parent_part_id,
                                    BomLine.child_part_id, BomLine.quantity_per_assembly, BomLine.failure_share,
                                    BomLine.level).where(BomLine.equipment_type_id.in_(equipment_type_ids))):
        d = dict(r._mapping)
        out[(d["equipment_type_id"], d["parent_part_id"], d["child_part_id"])] = d
    return out


def bom_export(*, equipment_type_code: str | None = None) -> Select:
    """Bill of material lines as export rows: equipment type code, parent and child identity,
    quantity per assembly, failure share; by type, level, parent and child part number. A filter
    given (not None) applies as given, even empty."""
    from sqlalchemy.orm import aliased

    child, parent = aliased(Part), aliased(Part)
    stmt = (select(EquipmentType.code, parent.manufacturer_code, parent.part_number, child.manufacturer_code,
                   child.part_number, BomLine.quantity_per_assembly, BomLine.failure_share)
            .join(EquipmentType, EquipmentType.id == BomLine.equipment_type_id)
            .join(child, child.id == BomLine.child_part_id)
            .outerjoin(parent, parent.id == BomLine.parent_part_id)
            .order_by(EquipmentType.code, BomLine.level, parent.part_number, child.part_number))
    if equipment_type_code is not None:
        stmt = stmt.where(EquipmentType.code == equipment_type_code)
    return stmt


def interchange_export(*, code: str | None = None, part_number: str | None = None) -> Select:
    """Interchangeability links as export rows: the replaced and the replacing part's identity, code,
    set code, effective date, remarks; by the replacing then the replaced part. A filter given (not
    None) applies as given, even empty; ``part_number`` matches either part."""
    from sqlalchemy.orm import aliased

    old, new = aliased(Part), aliased(Part)
    stmt = (select(old.manufacturer_code, old.part_number, new.manufacturer_code, new.part_number, Interchange.code,
                   Interchange.set_code, Interchange.effective_date, Interchange.remarks)
            .join(old, old.id == Interchange.replaced_part_id).join(new, new.id == Interchange.replacing_part_id)
            .order_by(new.manufacturer_code, new.part_number, old.manufacturer_code, old.part_number))
    if code is not None:
        stmt = stmt.where(Interchange.code == code)
    if part_number is not None:
        stmt = stmt.where((old.part_number == part_number) | (new.part_number == part_number))
    return stmt
