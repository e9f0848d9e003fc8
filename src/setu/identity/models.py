"""Parties (the two countries) and their organisations."""
from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from setu.kit.db import Base, Entity

PARTY_ROLES = ("operator", "origin")
ORGANISATION_KINDS = (
    "armed_service_hq",
    "depot",
    "base",
    "oem",
    "export_agency",
    "joint_venture",
    "quality_authority",
    "programme_office",
)


class Party(Entity, Base):
    __tablename__ = "identity_party"

    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))

    organisations: Mapped[list["Organisation"]] = relationship(back_populates="party")


class Organisation(Entity, Base):
    __tablename__ = "identity_organisation"

    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    party: Mapped[Party] = relationship(back_populates="organisations")
