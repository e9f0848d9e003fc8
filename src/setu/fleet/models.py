"""Sites, equipment units, and stock positions per part and site (equipment types are the catalog's)."""
from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from setu.catalog.models import EquipmentType
from setu.identity.models import Organisation
from setu.kit.db import Base, Entity

SITE_KINDS = ("base", "depot", "plant", "port")
#: 1 = depot (wholesale) echelon, 2 = base (retail) echelon.
ECHELONS = (1, 2)
UNIT_STATUSES = ("operational", "down_maintenance", "down_parts")


class Site(Entity, Base):
    __tablename__ = "fleet_site"
    __table_args__ = (CheckConstraint("echelon in (1, 2)", name="echelon"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_organisation.id"), index=True)
    echelon: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fleet_site.id"), index=True)

    organisation: Mapped[Organisation] = relationship()
    parent: Mapped["Site | None"] = relationship(remote_side="Site.id")


class EquipmentUnit(Entity, Base):
    __tablename__ = "fleet_equipment_unit"
    __table_args__ = (UniqueConstraint("equipment_type_id", "serial"),)

    serial: Mapped[str] = mapped_column(String(64))
    equipment_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_equipment_type.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_site.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="operational", index=True)

    equipment_type: Mapped[EquipmentType] = relationship()
    site: Mapped[Site] = relationship()


class StockPosition(Entity, Base):
    __tablename__ = "fleet_stock_position"
    __table_args__ = (
        UniqueConstraint("part_id", "site_id"),
        CheckConstraint(
            "serviceable >= 0 and unserviceable >= 0 and in_repair >= 0 and on_order >= 0", name="non_negative"
        ),
        # the list's sort keys with the id tie-break: a keyset page reads the index, not the table
        Index("ix_fleet_stock_position_serviceable_id", "serviceable", "id"),
        Index("ix_fleet_stock_position_updated_at_id", "updated_at", "id"),
    )

    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_site.id"), index=True)
    serviceable: Mapped[int] = mapped_column(Integer, default=0)
    unserviceable: Mapped[int] = mapped_column(Integer, default=0)
    in_repair: Mapped[int] = mapped_column(Integer, default=0)
    on_order: Mapped[int] = mapped_column(Integer, default=0)

    site: Mapped[Site] = relationship()
