"""Parties (the two countries) and their organisations."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text
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


ROLES = ("viewer", "clerk", "approver", "admin")


class User(Entity, Base):
    """A person, member of one organisation of one party.

    ``role`` sets what they may do; the kind of their organisation sets scope (an OEM, a joint
    venture, a quality authority, a programme office). ``is_system_admin`` users administer the
    installation (users, tokens) and see no business data by default.
    """

    __tablename__ = "identity_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_party.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    is_system_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200), info={"audit_redact": True})
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64), info={"audit_redact": True})
    #: The TOTP time step of the last code accepted: a code is good once (RFC 6238 section 5.2).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()
    party: Mapped[Party] = relationship()


class ApiToken(Entity, Base):
    """A personal API token: shown once, stored as a SHA-256 digest, expiring, revocable."""

    __tablename__ = "identity_api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True, info={"audit_redact": True})
    prefix: Mapped[str] = mapped_column(String(12))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class WebSession(Base):
    """A server-side web session; the cookie holds a random id, the table its SHA-256 digest."""

    __tablename__ = "identity_web_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: True once the password (and, where required, the TOTP code) were checked.
    two_factor_pending: Mapped[bool] = mapped_column(Boolean, default=False)


class SecurityEvent(Base):
    """Denied attempts, failed logins, lockouts: kept apart from the business audit chain."""

    __tablename__ = "identity_security_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str | None] = mapped_column(String(200), index=True)
    party_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    permission: Mapped[str | None] = mapped_column(String(100))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class LoginThrottle(Base):
    """Sign-in attempts per client address in the current minute, counted atomically (one
    ``UPDATE ... RETURNING`` per attempt), so parallel attempts cannot all pass the limit."""

    __tablename__ = "identity_login_throttle"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
