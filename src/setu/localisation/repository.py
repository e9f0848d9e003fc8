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


def part_owners(s: Session) -> dict:
    from setu.localisation.models import Qualification as Q

    rows = s.execute(select(Part.id, Part.owner_party_id).join(Q, Q.part_id == Part.id)).all()
    return {pid: owner for pid, owner in rows}


def venture_of(s: Session, organisation_id) -> "Venture | None":
    from setu.localisation.models import Venture

    return s.scalars(select(Venture).where(Venture.organisation_id == organisation_id)).first()


def packages(s: Session) -> list:
    from setu.localisation.models import TotPackage

    return list(s.scalars(select(TotPackage).order_by(TotPackage.code)).all())


def deliverables(s: Session, package_id) -> list:
    from setu.localisation.models import TotDeliverable
    from setu.localisation.rules import DELIVERABLE_KINDS, PHASES

    rows = list(s.scalars(select(TotDeliverable).where(TotDeliverable.package_id == package_id)).all())
    return sorted(rows, key=lambda d: (PHASES.index(d.phase), DELIVERABLE_KINDS.index(d.kind), d.reference))


def package_parts(s: Session, package_id) -> list[dict]:
    from setu.localisation.models import TotPackagePart

    rows = s.execute(select(TotPackagePart, Part).join(Part, Part.id == TotPackagePart.part_id)
                     .where(TotPackagePart.package_id == package_id).order_by(Part.part_number)).all()
    return [{"link": link, "part": part} for link, part in rows]


def package_names(s: Session, p) -> dict:
    from setu.identity.models import Organisation, Party

    org = lambda i: s.get(Organisation, i).name if i and s.get(Organisation, i) else ""  # noqa: E731
    party = lambda i: s.get(Party, i).code if i and s.get(Party, i) else ""  # noqa: E731
    et = s.get(EquipmentType, p.equipment_type_id) if p.equipment_type_id else None
    return {"licensor": org(p.licensor_organisation_id), "licensee": org(p.licensee_organisation_id),
            "operator_party": party(p.party_id), "origin_party": party(p.origin_party_id),
            "equipment_type": et.name if et else ""}


def ventures(s: Session) -> list:
    from setu.localisation.models import Venture

    return list(s.scalars(select(Venture).order_by(Venture.created_at)).all())


def venture_detail(s: Session, v) -> dict:
    from setu.identity.models import Organisation
    from setu.localisation.models import Licence, VentureCapability, VenturePartner

    org = s.get(Organisation, v.organisation_id)
    lics = []
    for lic in s.scalars(select(Licence).where(Licence.venture_id == v.id).order_by(Licence.number)):
        lo = s.get(Organisation, lic.licensor_organisation_id) if lic.licensor_organisation_id else None
        lics.append({"licence": lic, "licensor": lo.name if lo else "", "licensor_party_id": lo.party_id if lo else None})
    return {"venture": v, "name": org.name if org else "", "code": org.code if org else "",
            "org_kind": org.kind if org else "",
            "partners": list(s.scalars(select(VenturePartner).where(VenturePartner.venture_id == v.id)
                                       .order_by(VenturePartner.share_percent.desc()))),
            "capabilities": list(s.scalars(select(VentureCapability).where(VentureCapability.venture_id == v.id)
                                           .order_by(VentureCapability.process))),
            "licences": lics}


def bom_lines_with_prices(s: Session) -> list[tuple]:
    """(type code, type name, part id, part number, quantity per assembly, unit price, currency) of
    every bill-of-material line."""
    return list(s.execute(
        select(EquipmentType.code, EquipmentType.name, Part.id, Part.part_number, BomLine.quantity_per_assembly,
               Part.unit_price, Part.currency)
        .join(BomLine, BomLine.equipment_type_id == EquipmentType.id).join(Part, Part.id == BomLine.child_part_id)
        .order_by(EquipmentType.code, Part.part_number)).all())


def equipment_type_by_code(s: Session, code: str) -> EquipmentType | None:
    return s.scalars(select(EquipmentType).where(EquipmentType.code == code)).first()
