"""Notification use cases. Other capabilities call :func:`notify` (one user), :func:`notify_user_named`
or :func:`notify_organisation` (every active member) inside their write unit of work::

    notifications.service.notify(uow, user_id, "assignment", "New critical ticket: gearbox", "/tickets/...")

The in-app notification is a row written in that transaction (it exists only if the work commits);
the e-mail (when the user wants this kind by e-mail, has an address, and ``SETU_SMTP_HOST`` is set)
is sent through :meth:`setu.kit.uow.UnitOfWork.on_commit`: only after the commit, never after a
rollback. A failed delivery is logged and leaves the notification in the app (``emailed_at`` unset).
"""
from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy.engine import Engine

from setu.kit.access import require
from setu.kit.db import utcnow
from setu.kit.errors import FieldError, ValidationFailed
from setu.kit.settings import get_settings
from setu.kit.uow import UnitOfWork
from setu.notifications import repository as repo
from setu.notifications import rules
from setu.notifications.models import Notification, NotificationPreference

log = logging.getLogger("setu.notifications")

READ, UPDATE = "notifications.self.read", "notifications.self.update"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def send_mail(mail: Mail) -> None:
    """Send one message through the configured SMTP server (smtplib, RFC 5321). Raises on failure."""
    s = get_settings()
    if not s.smtp_host:
        raise RuntimeError("no SMTP server is configured (SETU_SMTP_HOST)")
    msg = EmailMessage()
    msg["From"] = s.smtp_sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
        smtp.send_message(msg)


def _deliver(engine: Engine, notification_id: uuid.UUID, mail: Mail) -> None:
    try:
        send_mail(mail)
    except Exception:
        log.exception("e-mail of notification %s to %s failed (it stays in the app)", notification_id, mail.to)
        return
    repo.mark_emailed(engine, notification_id)


def notify(uow: UnitOfWork, user_id: uuid.UUID, kind: str, title: str, link: str | None = None, *,
           body: str | None = None) -> Notification | None:
    """Notify one user (inside the caller's write unit of work). An unknown or inactive user gets
    nothing (None); an unknown kind is a programming error (ValueError)."""
    rules.check_kind(kind)
    user = repo.user(uow.session, user_id)
    if user is None or not user.is_active:
        return None
    n = Notification(user_id=user.id, kind=kind, title=title[:300], link=(link or None) and link[:300],
                     created_at=utcnow())
    uow.session.add(n)
    uow.session.flush()
    prefs = {k: p.email for k, p in repo.preferences(uow.session, user.id).items()}
    if user.email and rules.wants_email(kind, prefs) and get_settings().smtp_host:
        text = body or title
        if link:
            text += f"\n\nOpen it in Setu: {link}"
        mail = Mail(user.email, f"[Setu] {title}"[:200], text + f"\n\n(You receive '{rules.KINDS[kind][0]}' by "
                    "e-mail; change this on the Notifications page.)\n")
        nid, engine = n.id, uow.engine
        uow.on_commit(lambda: _deliver(engine, nid, mail))
    return n


def notify_user_named(uow: UnitOfWork, username: str, kind: str, title: str, link: str | None = None,
                      **kw) -> Notification | None:
    user = repo.user_by_name(uow.session, username)
    return notify(uow, user.id, kind, title, link, **kw) if user is not None else None


def notify_organisation(uow: UnitOfWork, organisation_id: uuid.UUID, kind: str, title: str,
                        link: str | None = None, *, except_user: uuid.UUID | None = None, **kw) -> list[Notification]:
    """Notify every active member of an organisation (e.g. the supplier a ticket is addressed to)."""
    out = []
    for u in repo.organisation_users(uow.session, organisation_id):
        if u.id != except_user and (n := notify(uow, u.id, kind, title, link, **kw)) is not None:
            out.append(n)
    return out


# -- the signed-in user's own notifications ------------------------------------------------------

def unread_count(uow: UnitOfWork) -> int:
    actor = require(uow.actor, READ)
    return repo.unread_count(uow.session, actor.user_id) if actor.user_id else 0


def my_notifications(uow: UnitOfWork, *, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    actor = require(uow.actor, READ)
    return repo.latest(uow.session, actor.user_id, limit=limit, unread_only=unread_only) if actor.user_id else []


def mark_read(uow: UnitOfWork, *, ids: Iterable[str] | None = None) -> int:
    """Mark the actor's notifications read: those ``ids`` (another user's id is ignored, as missing),
    or all when ``ids`` is None. A malformed id is refused (422) and nothing changes."""
    actor = require(uow.actor, UPDATE)
    keys = None
    if ids is not None:
        keys = []
        for i in ids:
            try:
                keys.append(uuid.UUID(str(i)))
            except ValueError:
                raise ValidationFailed(f"id: {i!r} is not a notification id", [FieldError("id", "not a notification id")]) \
                    from None
    return repo.mark_read(uow.session, actor.user_id, keys)


def my_preferences(uow: UnitOfWork) -> dict[str, bool]:
    """kind -> e-mail on/off for the actor (defaults filled in)."""
    actor = require(uow.actor, READ)
    stored = {k: p.email for k, p in repo.preferences(uow.session, actor.user_id).items()}
    return {k: rules.wants_email(k, stored) for k in rules.KINDS}


def set_preferences(uow: UnitOfWork, *, email_kinds: Iterable[str]) -> dict[str, bool]:
    """The actor receives exactly ``email_kinds`` by e-mail (an unknown kind: 422, nothing changes)."""
    actor = require(uow.actor, UPDATE)
    chosen = set(email_kinds)
    unknown = sorted(chosen - set(rules.KINDS))
    if unknown:
        raise ValidationFailed(f"email: unknown notification kinds {', '.join(unknown)}",
                               [FieldError("email", f"one of: {', '.join(rules.KINDS)}")])
    stored = repo.preferences(uow.session, actor.user_id)
    for kind in rules.KINDS:
        want = kind in chosen
        p = stored.get(kind)
        if p is None:
            uow.session.add(NotificationPreference(user_id=actor.user_id, kind=kind, email=want))
        elif p.email != want:
            p.email = want
    uow.session.flush()
    return my_preferences(uow)
