"""Localisation records: qualification of locally made parts (the qualification, its first-article
characteristics, its lots held until release, the origin OEM's comments); transfer-of-technology
packages (the parts they cover and their deliverables); joint ventures and licensed manufacturers
(partners and shares, licences, capabilities and capacity)."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
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


# -- joint ventures and licensed manufacturers --------------------------------------------------

class Venture(Entity, Base):
    """A joint venture or licensed manufacturer of the operator party: the organisation that makes
    parts locally (``kind`` "joint_venture" or "licensed_manufacturer"). Only an organisation
    registered here records qualifications (setu.localisation.service)."""

    __tablename__ = "localisation_venture"

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_organisation.id"), unique=True)
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    founded_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))


class VenturePartner(Base):
    """A partner of a venture and its share of the equity, in percent (Decimal)."""

    __tablename__ = "localisation_venture_partner"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    venture_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("localisation_venture.id", ondelete="CASCADE"),
                                                  index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    share_percent: Mapped[Decimal] = mapped_column(Numeric(6, 3))


class VentureCapability(Base):
    """A manufacturing process a venture is able to run, with its capacity in parts per year."""

    __tablename__ = "localisation_venture_capability"
    __table_args__ = (UniqueConstraint("venture_id", "process"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    venture_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("localisation_venture.id", ondelete="CASCADE"),
                                                  index=True)
    process: Mapped[str] = mapped_column(String(80))
    capacity_per_year: Mapped[int] = mapped_column(Integer)


class Licence(Entity, Base):
    """A manufacturing licence held by a venture from an origin licensor: scope, territory,
    validity, export rights and royalties (percent of the sales value, and/or an amount per unit in
    a stated currency)."""

    __tablename__ = "localisation_licence"

    venture_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("localisation_venture.id", ondelete="CASCADE"),
                                                  index=True)
    licensor_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisation.id"))
    number: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(Text)
    territory: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    #: "none", "with_consent" (each export needs the licensor's consent) or "free"
    export_rights: Mapped[str] = mapped_column(String(16))
    royalty_percent: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    royalty_per_unit: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    royalty_currency: Mapped[str | None] = mapped_column(String(3))


# -- transfer-of-technology packages -------------------------------------------------------------

class TotPackage(Entity, Base):
    """A transfer-of-technology package: from an origin licensor (``origin_party_id``) to an
    operator-side licensee (``party_id``, ``licensee_organisation_id``), for the parts it covers,
    through its deliverables; the fee in its currency (Decimal)."""

    __tablename__ = "localisation_tot_package"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    origin_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    licensor_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisation.id"))
    licensee_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisation.id"))
    equipment_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fleet_equipment_type.id"))
    fee_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    fee_currency: Mapped[str] = mapped_column(String(3))
    signed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))


class TotPackagePart(Base):
    """A part or assembly a package covers, with the phase it is localised in."""

    __tablename__ = "localisation_tot_package_part"
    __table_args__ = (UniqueConstraint("package_id", "part_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("localisation_tot_package.id", ondelete="CASCADE"),
                                                  index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_part.id"), index=True)
    phase: Mapped[str] = mapped_column(String(16))


class TotDeliverable(Entity, Base):
    """One deliverable of a package (a document with its revision, tooling, a raw material, a
    mandated-source item), in a phase, through due -> delivered -> accepted | rejected
    (setu.localisation.rules.DELIVERABLE). The parties are copied from the package: the origin
    side delivers, the operator side accepts or rejects."""

    __tablename__ = "localisation_tot_deliverable"

    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("localisation_tot_package.id", ondelete="CASCADE"),
                                                  index=True)
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"))
    origin_party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(80))
    revision: Mapped[str | None] = mapped_column(String(20))
    phase: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default="due", server_default="due")
    due_on: Mapped[date | None] = mapped_column(Date)
    delivered_by: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
