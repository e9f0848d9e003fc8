"""Queries for parties, organisations, users, web sessions, API tokens and security events."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from setu.identity.models import ApiToken, Organisation, Party, SecurityEvent, User, WebSession

ORG_SORT = {"code": Organisation.code, "name": Organisation.name, "kind": Organisation.kind}


def organisations() -> Select:
    return select(Organisation)


def parties(session: Session) -> list[Party]:
    """Every party, by code."""
    return list(session.scalars(select(Party).order_by(Party.code)))


def party_ids_by_code(session: Session) -> dict[str, uuid.UUID]:
    """Code -> id of every party."""
    return dict(session.execute(select(Party.code, Party.id)).all())


def organisation_id_by_code(session: Session, code: str) -> uuid.UUID | None:
    return session.scalar(select(Organisation.id).where(Organisation.code == code))


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.code == code))


# -- users -----------------------------------------------------------------------------------

def user_id_by_username(session: Session, username: str) -> uuid.UUID | None:
    return session.scalar(select(User.id).where(User.username == username))


def user_by_username(session: Session, username: str, *, for_update: bool = False) -> User | None:
    """The user called ``username`` (already normalised); ``for_update`` row-locks it until commit."""
    stmt = select(User).where(User.username == username)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def user_for_update(session: Session, user_id: uuid.UUID) -> User | None:
    """The user, row-locked until commit (PostgreSQL FOR UPDATE; SQLite holds the write lock)."""
    return session.scalar(select(User).where(User.id == user_id).with_for_update())


# -- web sessions ----------------------------------------------------------------------------

def web_session_by_digest(session: Session, digest: str) -> WebSession | None:
    return session.scalar(select(WebSession).where(WebSession.digest == digest))


def unrevoked_web_sessions_of(session: Session, user_id: uuid.UUID) -> list[WebSession]:
    """The user's web sessions not revoked (expired ones included), newest first."""
    return list(session.scalars(select(WebSession).where(WebSession.user_id == user_id,
                                                         WebSession.revoked_at.is_(None))
                                .order_by(WebSession.created_at.desc())))


# -- API tokens ------------------------------------------------------------------------------

def unrevoked_api_tokens_of(session: Session, user_id: uuid.UUID) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))))


def api_token_by_digest(session: Session, digest: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_digest == digest))


def api_tokens_of(session: Session, user_id: uuid.UUID) -> list[ApiToken]:
    """Every token of the user, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc())))


def api_token(session: Session, *, token_id: uuid.UUID | None = None, prefix: str | None = None) -> ApiToken | None:
    """The token named by id or else by prefix (its first 12 characters)."""
    stmt = select(ApiToken)
    if token_id:
        stmt = stmt.where(ApiToken.id == token_id)
    elif prefix:
        stmt = stmt.where(ApiToken.prefix == prefix[:12])
    else:
        raise ValueError("name the token by id or prefix")
    return session.scalar(stmt)


# -- security events ---------------------------------------------------------------------------

def count_login_failures(session: Session, *, client: str, since: datetime) -> int:
    """Failed and locked sign-ins from ``client`` at or after ``since``."""
    return session.scalar(select(func.count()).select_from(SecurityEvent).where(
        SecurityEvent.client == client, SecurityEvent.kind.in_(("login_failed", "login_locked")),
        SecurityEvent.at >= since)) or 0
