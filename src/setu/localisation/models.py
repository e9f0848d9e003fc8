"""Qualification of locally made parts: the qualification, its first-article characteristics,
its lots (held until release), and the origin OEM's comments."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, Entity, utcnow


class Qualification(Entity, Base):
    """One locally made part at one JV or licensed manufacturer, through
    drawing -> fai -> submitted -> certified (setu.localisation.rules.QUALIFICATION)."""

    __tablename__ = "localisation_qualification"

    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    #: the JV or licensed manufacturer that makes the part
    maker_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_organisation.id"), index=True)
    drawing_revision: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(200))
    material: Mapped[str] = mapped_column(String(200))
    process: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="drawing", server_default="drawing")
    #: "full" or "partial" first-article inspection (AS9102)
    fai_kind: Mapped[str | None] = mapped_column(String(8))
    #: how many times qualification has been (re)opened; characteristics belong to a cycle
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    certified_once: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Characteristic(Base):
    """One characteristic of the first-article inspection, measured against the drawing."""

    __tablename__ = "localisation_characteristic"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    qualification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("localisation_qualification.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    requirement: Mapped[str] = mapped_column(String(200))
    measured: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(4))   # "pass" | "fail"


class Lot(Entity, Base):
    """A production lot: held by localisation (not serviceable) until the quality authority
    releases it; release puts its quantity into the fleet's serviceable stock at the site."""

    __tablename__ = "localisation_lot"

    qualification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("localisation_qualification.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fleet_site.id"), index=True)
    lot_number: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="held", server_default="held")
    created_by: Mapped[str] = mapped_column(String(200))
    released_by: Mapped[str | None] = mapped_column(String(200))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Comment(Base):
    """The origin OEM's comment on a qualification (it may comment, not decide)."""

    __tablename__ = "localisation_comment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    qualification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("localisation_qualification.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisation.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
