"""Parts, equipment types, multi-level bills of material, interchangeability and supersession."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from setu.identity.models import Organisation, Party
from setu.kit.db import Base, Entity

PART_KINDS = ("repairable", "consumable")
UNITS_OF_ISSUE = ("EA", "SE", "KT", "PR", "M", "L", "KG", "RO", "BX", "PG")
EQUIPMENT_CATEGORIES = (
    "air_defence_long_range",
    "frigate",
    "fighter_aircraft",
    "main_battle_tank",
    "air_defence_portable",
    "helicopter",
)
#: ATA Spec 2000 interchangeability codes (SAP IS-A&D ADSPCIP_INC): 1..6.
INTERCHANGE_CODES = ("one_way", "two_way", "not_interchangeable", "as_set", "qualified", "re_identified")


class Part(Entity, Base):
    __tablename__ = "catalog_part"
    __table_args__ = (
        UniqueConstraint("manufacturer_code", "part_number"),
        CheckConstraint("condemnation_rate >= 0 and condemnation_rate <= 1", name="condemnation_rate"),
        Index("ix_catalog_part_name", "name"),
    )

    #: CAGE / NCAGE code, or the origin manufacturer's code when it has none.
    manufacturer_code: Mapped[str] = mapped_column(String(16))
    #: Manufacturer part number, normalised (trimmed, upper case, inner spaces removed; dashes kept).
    part_number: Mapped[str] = mapped_column(String(64))
    nsn: Mapped[str | None] = mapped_column(String(16), unique=True)
    origin_designation: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_of_issue: Mapped[str] = mapped_column(String(4), default="EA")
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    kind: Mapped[str] = mapped_column(String(16), default="consumable")
    condemnation_rate: Mapped[float] = mapped_column(Float, default=1.0)
    repair_turnaround_days: Mapped[int | None] = mapped_column(Integer)
    procurement_lead_time_days: Mapped[int] = mapped_column(Integer, default=90)
    shelf_life_months: Mapped[int | None] = mapped_column(Integer)
    #: Mean time between failures in operating hours (reliability-based demand), when known.
    mtbf_hours: Mapped[float | None] = mapped_column(Float)
    #: The party that maintains this shared record (both parties read the catalog); None for
    #: reference data maintained by the installation.
    owner_party_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_party.id"), index=True)


class EquipmentType(Entity, Base):
    """A kind of equipment (a shared record, maintained by its origin party), whose bill of material
    the catalog holds; fleet's units are of a type."""

    # the table keeps its first name: table names are identities in the audit chain
    __tablename__ = "fleet_equipment_type"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    origin_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    oem_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisation.id"))
    #: Planned operating hours per unit and year (reliability-based demand).
    operating_hours_per_year: Mapped[float] = mapped_column(Float, default=0.0)

    origin_party: Mapped[Party] = relationship()
    oem_organisation: Mapped[Organisation | None] = relationship()


class BomLine(Entity, Base):
    """One line of a multi-level bill of material.

    ``parent_part_id`` None puts the child directly under the equipment type (an aggregate);
    otherwise the child is a component of the parent assembly. ``failure_share`` is the share of
    the parent's failures caused by this child (multi-indenture models).
    """

    __tablename__ = "catalog_bom_line"
    __table_args__ = (
        UniqueConstraint("equipment_type_id", "parent_part_id", "child_part_id"),
        CheckConstraint("quantity_per_assembly > 0", name="qpa_positive"),
        CheckConstraint("failure_share is null or (failure_share >= 0 and failure_share <= 1)", name="share"),
    )

    equipment_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_equipment_type.id"), index=True)
    parent_part_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    child_part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    quantity_per_assembly: Mapped[float] = mapped_column(Float, default=1.0)
    failure_share: Mapped[float | None] = mapped_column(Float)
    #: Indenture level: 1 aggregate (directly under the equipment), 2 component, 3 part, ...
    level: Mapped[int] = mapped_column(Integer, default=1)

    child: Mapped[Part] = relationship(foreign_keys=[child_part_id])
    parent: Mapped[Part | None] = relationship(foreign_keys=[parent_part_id])


class Interchange(Entity, Base):
    """Interchangeability / supersession between a replaced (old) and a replacing (new) part."""

    __tablename__ = "catalog_interchange"
    __table_args__ = (
        UniqueConstraint("replaced_part_id", "replacing_part_id"),
        CheckConstraint("replaced_part_id <> replacing_part_id", name="distinct_parts"),
    )

    replaced_part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    replacing_part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    code: Mapped[str] = mapped_column(String(24))
    #: Groups the parts that are interchangeable only together (code ``as_set``).
    set_code: Mapped[str | None] = mapped_column(String(32))
    effective_date: Mapped[date | None] = mapped_column(Date)
    remarks: Mapped[str | None] = mapped_column(String(500))

    replaced: Mapped[Part] = relationship(foreign_keys=[replaced_part_id])
    replacing: Mapped[Part] = relationship(foreign_keys=[replacing_part_id])
