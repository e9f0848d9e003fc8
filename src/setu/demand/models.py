"""Demand history per part, site and month."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity


class DemandRecord(Entity, Base):
    __tablename__ = "demand_record"
    __table_args__ = (
        UniqueConstraint("part_id", "site_id", "period"),
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        # the list's sort keys with the id tie-break: a keyset page reads the index, not the table
        Index("ix_demand_record_period_id", "period", "id"),
        Index("ix_demand_record_quantity_id", "quantity", "id"),
        Index("ix_demand_record_updated_at_id", "updated_at", "id"),
    )

    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_site.id"), index=True)
    #: First day of the month the demand fell in.
    period: Mapped[date] = mapped_column(Date, index=True)
    quantity: Mapped[float] = mapped_column(Float)
