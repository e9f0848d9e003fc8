"""A notification for one user, and each user's choice of which kinds also come by e-mail."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from setu.kit.db import Base, utcnow


class Notification(Base):
    """One notice for ``user_id``: ``kind`` (:data:`setu.notifications.rules.KINDS`), a title, a link
    to what it is about; ``read_at`` once the user has marked it read; ``emailed_at`` once the e-mail
    left for the SMTP server (after the commit that raised it)."""

    __tablename__ = "notifications_notification"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationPreference(Base):
    """Whether a user receives notifications of ``kind`` by e-mail too (absent: the kind's default)."""

    __tablename__ = "notifications_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notifications_preference_user_kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
