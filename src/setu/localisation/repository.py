"""Localisation queries."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.catalog.models import BomLine, EquipmentType, Part
from setu.fleet.models import Site
from setu.localisation.models import Characteristic, Qualification


def qualifications(s: Session) -> list[Qualification]:
    return list(s.scalars(select(Qualification).order_by(Qualification.created_at)).all())


def characteristics(s: Session, qualification_id: uuid.UUID, cycle: int) -> list[Characteristic]:
    return list(s.scalars(select(Characteristic).where(
        Characteristic.qualification_id == qualification_id, Characteristic.cycle == cycle)
        .order_by(Characteristic.name)).all())


def first_depot(s: Session) -> Site | None:
    return s.scalars(select(Site).where(Site.kind == "depot").order_by(Site.code)).first()


def first_part_of(s: Session, equipment_code: str, exclude: set) -> Part | None:
    """The first part (by part number) directly in an equipment type's bill of material."""
    et = s.scalars(select(EquipmentType).where(EquipmentType.code == equipment_code)).first()
    if et is None:
        return None
    q = select(Part).join(BomLine, BomLine.child_part_id == Part.id).where(BomLine.equipment_type_id == et.id)
    if exclude:
        q = q.where(Part.id.notin_(exclude))
    return s.scalars(q.order_by(Part.part_number)).first()


def names(s: Session, q: Qualification) -> dict:
    from setu.identity.models import Organisation

    part = s.get(Part, q.part_id)
    org = s.get(Organisation, q.maker_organisation_id)
    return {"part_number": part.part_number if part else "", "part_name": part.name if part else "",
            "maker": org.name if org else ""}


def lots(s: Session, qualification_id: uuid.UUID) -> list:
    from setu.localisation.models import Lot

    return list(s.scalars(select(Lot).where(Lot.qualification_id == qualification_id).order_by(Lot.lot_number)).all())


def comments(s: Session, qualification_id: uuid.UUID) -> list:
    from setu.localisation.models import Comment

    return list(s.scalars(select(Comment).where(Comment.qualification_id == qualification_id)
                          .order_by(Comment.created_at)).all())
