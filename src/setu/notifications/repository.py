"""Notification queries: always one user's own rows."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from setu.identity.models import User
from setu.kit.db import utcnow
from setu.notifications.models import Notification, NotificationPreference


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def latest(session: Session, user_id: uuid.UUID, *, limit: int = 100, unread_only: bool = False) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id).limit(limit)))


def mark_read(session: Session, user_id: uuid.UUID, ids: list[uuid.UUID] | None) -> int:
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    return session.execute(stmt.values(read_at=utcnow())).rowcount or 0


def preferences(session: Session, user_id: uuid.UUID) -> dict[str, NotificationPreference]:
    return {p.kind: p for p in session.scalars(select(NotificationPreference)
                                               .where(NotificationPreference.user_id == user_id))}


def user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def organisation_users(session: Session, organisation_id: uuid.UUID) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == organisation_id,
                                                   User.is_active.is_(True)).order_by(User.username)))


def mark_emailed(engine, notification_id: uuid.UUID) -> None:
    """Delivery bookkeeping after the commit that raised the notification (its own short write)."""
    with engine.begin() as c:
        c.execute(update(Notification).where(Notification.id == notification_id).values(emailed_at=utcnow()))


def mark_read_before(session: Session, before) -> int:
    """Mark every notification created before ``before`` read (demo data: a year of past notices)."""
    return session.execute(update(Notification).where(Notification.read_at.is_(None),
                                                      Notification.created_at < before)
                           .values(read_at=utcnow())).rowcount or 0
