"""Authentication use cases: users, passwords, two-factor, web sessions, API tokens, security events.

Services never commit; they take a unit of work like every other service. Authentication steps
that must be recorded even when the request fails (a failed login, a lockout, a denied attempt)
are written by the adapters in their own unit of work with :func:`record_security_event`.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from setu.identity import repository as repo
from setu.identity import rules
from setu.identity.models import ApiToken, Organisation, SecurityEvent, User, WebSession
from setu.kit import crypto
from setu.kit.access import Actor, Caller, require, system_actor
from setu.kit.crud import flush, get_or_404
from setu.kit.errors import Conflict, FieldError, NotFound, Unauthenticated, ValidationFailed
from setu.kit.settings import get_settings
from setu.kit.uow import UnitOfWork


def now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def actor_for(user: User, request_id: str | None = None) -> Actor:
    kw = {"request_id": request_id} if request_id else {}
    return Actor(name=user.username, user_id=user.id, party_id=user.party_id, organisation_id=user.organisation_id,
                 organisation_kind=user.organisation.kind if user.organisation else None, role=user.role,
                 sysadmin=user.is_system_admin, **kw)


# -- users -----------------------------------------------------------------------------------

@dataclass
class NewUser:
    user: User
    totp_secret: str | None


def create_user(uow: UnitOfWork, *, username: str, display_name: str, organisation_id: uuid.UUID, role: str,
                password: str, email: str | None = None, system_admin: bool = False,
                totp: bool = False) -> NewUser:
    """Create a user in an organisation. Administrators always get two-factor (TOTP)."""
    require(uow.actor, "identity.user.create")
    errors = []
    try:
        username = rules.check_username(username)
    except ValueError as e:
        errors.append(FieldError("username", str(e)))
    if role not in ("viewer", "clerk", "approver", "admin"):
        errors.append(FieldError("role", "must be viewer, clerk, approver or admin"))
    try:
        rules.check_password(password, username=username)
    except ValueError as e:
        errors.append(FieldError("password", str(e)))
    if errors:
        raise ValidationFailed("user", errors)
    org = get_or_404(uow.session, Organisation, organisation_id, "organisation")
    actor = uow.actor
    if not (actor.system or actor.sysadmin) and org.party_id != actor.party_id:
        raise NotFound(f"organisation {organisation_id} not found")  # another party's: as if missing
    if system_admin and not (actor.system or actor.sysadmin):
        raise ValidationFailed("user", [FieldError("system_admin", "only a system administrator may grant it")])
    if repo.user_id_by_username(uow.session, username):
        raise Conflict(f"user {username} already exists", [FieldError("username", "already exists")])
    secret = crypto.new_totp_secret() if (totp or role == "admin" or system_admin) else None
    user = User(username=username, display_name=display_name, email=email, party_id=org.party_id,
                organisation_id=org.id, role=role, is_system_admin=system_admin,
                password_hash=crypto.hash_password(password), password_changed_at=now(), totp_secret=secret)
    uow.session.add(user)
    flush(uow.session, "user", {"username": "username"})
    return NewUser(user, secret)


def get_user_by_name(uow: UnitOfWork, username: str) -> User:
    user = repo.user_by_username(uow.session, (username or "").strip().lower())
    if user is None:
        raise NotFound(f"user {username} not found")
    return user


def disable_user(uow: UnitOfWork, *, username: str) -> User:
    """Disable a user: they can no longer sign in, and their sessions and tokens stop working."""
    require(uow.actor, "identity.user.update")
    user = get_user_by_name(uow, username)
    user.is_active = False
    t = now()
    uow.session.execute(update(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
                        .values(revoked_at=t))
    for tok in repo.unrevoked_api_tokens_of(uow.session, user.id):
        tok.revoked_at = t
    flush(uow.session, "user")
    return user


def reset_password(uow: UnitOfWork, *, username: str, password: str) -> User:
    """Set a new password (administrator); the user must change it at the next sign-in."""
    require(uow.actor, "identity.user.update")
    user = get_user_by_name(uow, username)
    try:
        rules.check_password(password, username=user.username)
    except ValueError as e:
        raise ValidationFailed("password", [FieldError("password", str(e))]) from None
    user.password_hash = crypto.hash_password(password)
    user.password_changed_at = now()
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    uow.session.execute(update(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
                        .values(revoked_at=now()))
    _end_tokens(uow, user)
    flush(uow.session, "user")
    return user


def _end_tokens(uow: UnitOfWork, user: User) -> None:
    """A new password ends every API token of the user: a token made with a leaked password
    must not outlive it (the account page and the README say so)."""
    t = now()
    for tok in repo.unrevoked_api_tokens_of(uow.session, user.id):
        tok.revoked_at = t


def change_password(uow: UnitOfWork, *, user_id: uuid.UUID, current: str, new: str,
                    keep_session: str | None = None) -> User:
    """Change the signed-in user's own password. Every other session of theirs ends (the one
    whose cookie digest is ``keep_session`` stays signed in) and every API token ends.
    The web adapter checks ``current`` first with :func:`reauthenticate` (counted, locking)."""
    require(uow.actor, "identity.self.update")
    user = get_or_404(uow.session, User, user_id, "user")
    if uow.actor.user_id != user.id:
        raise NotFound(f"user {user_id} not found")
    errors = []
    if not crypto.verify_password(user.password_hash, current):
        errors.append(FieldError("current_password", "is not your current password"))
    try:
        rules.check_password(new, username=user.username)
    except ValueError as e:
        errors.append(FieldError("new_password", str(e)))
    if current == new:
        errors.append(FieldError("new_password", "must differ from the current password"))
    if errors:
        raise ValidationFailed("password change", errors)
    user.password_hash = crypto.hash_password(new)
    user.password_changed_at = now()
    user.must_change_password = False
    others = update(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
    if keep_session:
        others = others.where(WebSession.digest != keep_session)
    uow.session.execute(others.values(revoked_at=now()))
    _end_tokens(uow, user)
    flush(uow.session, "user")
    return user


def reauthenticate(uow: UnitOfWork, *, user_id: uuid.UUID, password: str) -> str:
    """Check the signed-in user's password again before a security change (password, two-factor):
    "ok", "wrong" or "locked". Wrong guesses count and lock the account exactly like failed
    sign-ins; the caller commits whatever the outcome (the count must persist)."""
    require(uow.actor, "identity.self.update")
    s = get_settings()
    user = repo.user_for_update(uow.session, user_id)
    if user is None or uow.actor.user_id != user.id:
        raise NotFound(f"user {user_id} not found")
    t = now()
    ok = crypto.verify_password(user.password_hash, password or "")  # the same work locked or not
    if _aware(user.locked_until) and _aware(user.locked_until) > t:
        return "locked"
    if not ok:
        user.failed_logins = (user.failed_logins or 0) + 1
        user.locked_until = rules.lock_after_failure(user.failed_logins, t, threshold=s.lockout_failures,
                                                     minutes=s.lockout_minutes)
        flush(uow.session, "user")
        return "locked" if user.locked_until else "wrong"
    if user.failed_logins:
        user.failed_logins = 0
        flush(uow.session, "user")
    return "ok"


def enable_totp(uow: UnitOfWork, *, user_id: uuid.UUID) -> str:
    """Start two-factor for the signed-in user; returns the secret to put in an authenticator.
    The adapter re-authenticates first (:func:`reauthenticate`)."""
    require(uow.actor, "identity.self.update")
    user = get_or_404(uow.session, User, user_id, "user")
    if uow.actor.user_id != user.id:
        raise NotFound(f"user {user_id} not found")
    user.totp_secret = crypto.new_totp_secret()
    flush(uow.session, "user")
    return user.totp_secret


# -- sign-in ---------------------------------------------------------------------------------

@dataclass
class LoginOutcome:
    user: User | None
    ok: bool
    reason: str  # "ok", "bad_credentials", "locked", "disabled", "totp_required", "bad_totp"


def authenticate(uow: UnitOfWork, *, username: str, password: str, totp_code: str | None = None) -> LoginOutcome:
    """Check a password (and TOTP where the user has it). Counts failures and locks the account.

    Runs as the system actor of the login endpoint; the caller commits (the failure counter must
    persist even though the sign-in fails) and records a security event for each failure.
    """
    s = get_settings()
    user = repo.user_by_username(uow.session, (username or "").strip().lower(), for_update=True)
    if user is None:
        crypto.verify_password(crypto.dummy_hash(), password or "")  # same cost either way
        return LoginOutcome(None, False, "bad_credentials")
    t = now()
    password_ok = crypto.verify_password(user.password_hash, password or "")  # same work on every path
    if _aware(user.locked_until) and _aware(user.locked_until) > t:
        return LoginOutcome(user, False, "locked")
    if not password_ok:
        user.failed_logins = (user.failed_logins or 0) + 1
        user.locked_until = rules.lock_after_failure(user.failed_logins, t, threshold=s.lockout_failures,
                                                     minutes=s.lockout_minutes)
        flush(uow.session, "user")
        return LoginOutcome(user, False, "locked" if user.locked_until else "bad_credentials")
    if not user.is_active:
        return LoginOutcome(user, False, "disabled")
    if user.totp_secret:
        if not totp_code:
            return LoginOutcome(user, False, "totp_required")
        step = crypto.totp_step(user.totp_secret, totp_code, after=user.totp_last_step)
        if step is None:  # wrong, or already used once
            user.failed_logins = (user.failed_logins or 0) + 1
            user.locked_until = rules.lock_after_failure(user.failed_logins, t, threshold=s.lockout_failures,
                                                         minutes=s.lockout_minutes)
            flush(uow.session, "user")
            return LoginOutcome(user, False, "bad_totp")
        user.totp_last_step = step
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
    if crypto.password_needs_rehash(user.password_hash):
        user.password_hash = crypto.hash_password(password)
    flush(uow.session, "user")
    return LoginOutcome(user, True, "ok")


def start_session(uow: UnitOfWork, *, user: User) -> tuple[str, WebSession]:
    """A new server-side session; returns the cookie value (shown once) and the row."""
    s = get_settings()
    secret = crypto.new_secret()
    t = now()
    ws = WebSession(digest=crypto.digest(secret), user_id=user.id, csrf_token=crypto.new_secret(24), created_at=t,
                    last_seen_at=t, expires_at=t + timedelta(minutes=s.session_minutes))
    uow.session.add(ws)
    uow.session.flush()
    return secret, ws


def resolve_session(uow: UnitOfWork, *, cookie: str) -> tuple[User, WebSession] | None:
    """The live session for a cookie (not expired, not idle too long, not revoked, user active)."""
    if not cookie:
        return None
    ws = repo.web_session_by_digest(uow.session, crypto.digest(cookie))
    t = now()
    if ws is None or ws.revoked_at is not None or _aware(ws.expires_at) <= t:
        return None
    if _aware(ws.last_seen_at) + timedelta(minutes=get_settings().session_idle_minutes) <= t:
        return None
    user = uow.session.get(User, ws.user_id)
    if user is None or not user.is_active:
        return None
    return user, ws


def list_sessions(uow: UnitOfWork, *, user_id: uuid.UUID) -> list[WebSession]:
    """The signed-in user's live web sessions, newest first (never the cookie: only its digest is stored)."""
    require(uow.actor, "identity.self.read")
    if uow.actor.user_id != user_id:
        raise NotFound(f"user {user_id} not found")
    t = now()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    rows = repo.unrevoked_web_sessions_of(uow.session, user_id)
    return [ws for ws in rows if _aware(ws.expires_at) > t and _aware(ws.last_seen_at) + idle > t]


def end_own_session(uow: UnitOfWork, *, session_id: uuid.UUID) -> WebSession:
    """End one of the signed-in user's web sessions (another user's answers 404)."""
    require(uow.actor, "identity.self.update")
    ws = uow.session.get(WebSession, session_id)
    if ws is None or ws.user_id != uow.actor.user_id:
        raise NotFound(f"session {session_id} not found")
    ws.revoked_at = ws.revoked_at or now()
    uow.session.flush()
    return ws


def count_login_attempt(uow: UnitOfWork, *, client: str, window_s: int = 60) -> int:
    """Count one sign-in attempt from ``client`` and return the attempts in its current window.

    Atomic: one ``UPDATE ... RETURNING`` (a row lock on PostgreSQL, the write lock on SQLite), so
    two parallel attempts can never both see the count before either one (check-then-act)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from setu.identity.models import LoginThrottle

    t = now()
    start = t - timedelta(seconds=window_s)
    key = (client or "unknown")[:64]
    insert_ = pg_insert if uow.session.bind.dialect.name == "postgresql" else sqlite_insert
    uow.session.execute(insert_(LoginThrottle).values(client=key, window_start=t, attempts=0)
                        .on_conflict_do_nothing(index_elements=["client"]))
    from sqlalchemy import case

    stale = LoginThrottle.window_start < start
    stmt = (update(LoginThrottle).where(LoginThrottle.client == key)
            .values(attempts=case((stale, 1), else_=LoginThrottle.attempts + 1),
                    window_start=case((stale, t), else_=LoginThrottle.window_start))
            .returning(LoginThrottle.attempts))
    return int(uow.session.execute(stmt).scalar_one())


def touch_session(uow: UnitOfWork, *, session_id: uuid.UUID) -> None:
    uow.session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now()))


def end_session(uow: UnitOfWork, *, cookie: str) -> None:
    if cookie:
        uow.session.execute(update(WebSession).where(WebSession.digest == crypto.digest(cookie))
                            .values(revoked_at=now()))


# -- API tokens ------------------------------------------------------------------------------

def create_token(uow: UnitOfWork, *, username: str, name: str, days: int | None = None) -> tuple[str, ApiToken]:
    """A personal API token for ``username``; the secret is returned once and stored hashed.

    Users create tokens for themselves; administrators may create them for anyone."""
    user = get_user_by_name(uow, username)
    if uow.actor.user_id == user.id:
        require(uow.actor, "identity.self.update")
    else:
        require(uow.actor, "identity.token.create")
    if not user.is_active:
        raise ValidationFailed("token", [FieldError("username", "the user is disabled")])
    days = days if days is not None else get_settings().token_days
    if not 1 <= days <= 366:
        raise ValidationFailed("token", [FieldError("days", "must be between 1 and 366")])
    secret = "setu_" + crypto.new_secret()
    tok = ApiToken(user_id=user.id, name=name.strip() or "token", token_digest=crypto.digest(secret),
                   prefix=secret[:12], expires_at=now() + timedelta(days=days))
    uow.session.add(tok)
    flush(uow.session, "token")
    return secret, tok


def resolve_token(uow: UnitOfWork, *, secret: str) -> User | None:
    if not secret or not secret.startswith("setu_"):
        return None
    tok = repo.api_token_by_digest(uow.session, crypto.digest(secret))
    if tok is None or tok.revoked_at is not None or _aware(tok.expires_at) <= now():
        return None
    user = uow.session.get(User, tok.user_id)
    if user is None or not user.is_active:
        return None
    return user


def list_tokens(uow: UnitOfWork, *, user_id: uuid.UUID) -> list[ApiToken]:
    """A user's tokens, newest first (what they are called, their prefix, expiry; never the secret)."""
    if uow.actor.user_id == user_id:
        require(uow.actor, "identity.self.read")
    else:
        require(uow.actor, "identity.token.read")
    return repo.api_tokens_of(uow.session, user_id)


def revoke_own_token(uow: UnitOfWork, *, token_id: uuid.UUID) -> ApiToken:
    """Revoke one of the signed-in user's own tokens (another user's answers 404)."""
    require(uow.actor, "identity.self.update")
    tok = uow.session.get(ApiToken, token_id)
    if tok is None or tok.user_id != uow.actor.user_id:
        raise NotFound(f"token {token_id} not found")
    tok.revoked_at = tok.revoked_at or now()
    flush(uow.session, "token")
    return tok


def revoke_token(uow: UnitOfWork, *, token_id: uuid.UUID | None = None, prefix: str | None = None) -> ApiToken:
    if not token_id and not prefix:
        raise ValidationFailed("token", [FieldError("token", "name the token by id or prefix")])
    tok = repo.api_token(uow.session, token_id=token_id, prefix=prefix)
    if tok is None:
        raise NotFound("token not found")
    if uow.actor.user_id == tok.user_id:
        require(uow.actor, "identity.self.update")
    else:
        require(uow.actor, "identity.token.update")
    tok.revoked_at = tok.revoked_at or now()
    flush(uow.session, "token")
    return tok


# -- security events ---------------------------------------------------------------------------

def record_security_event(uow: UnitOfWork, *, kind: str, actor: Actor | None = None, permission: str | None = None,
                          object_type: str | None = None, object_id: str | None = None, client: str | None = None,
                          detail: str | None = None, at: datetime | None = None) -> None:
    uow.session.add(SecurityEvent(at=at or now(), kind=kind, actor=actor.name if actor else None,
                                  party_id=actor.party_id if actor else None, permission=permission,
                                  object_type=object_type, object_id=object_id, client=client, detail=detail))
    uow.session.flush()


def _write_security_events(uow: UnitOfWork, items: list[dict]) -> None:
    for event in items:
        record_security_event(uow, **event)


def _write_session_touches(uow: UnitOfWork, items: list[tuple[uuid.UUID, datetime]]) -> None:
    latest: dict[uuid.UUID, datetime] = {}
    for sid, at in items:
        latest[sid] = max(at, latest.get(sid, at))
    for sid, at in latest.items():
        uow.session.execute(update(WebSession).where(WebSession.id == sid, WebSession.last_seen_at < at)
                            .values(last_seen_at=at))


def queue_security_event(engine, **event) -> None:
    """Record a security event off the request path (a refused request never waits for the write
    lock; see :mod:`setu.kit.security_events`). The event keeps the time it happened."""
    from setu.kit import security_events

    security_events.register("security_event", _write_security_events)
    security_events.submit(engine, {**event, "at": event.get("at") or now()})


def queue_session_touch(engine, *, session_id: uuid.UUID) -> None:
    """Note that a web session was seen now, written by the background writer (not by the read)."""
    from setu.kit import security_events

    security_events.register("session_touch", _write_session_touches)
    security_events.submit(engine, (session_id, now()), kind="session_touch")


def recent_failures_from(uow: UnitOfWork, *, client: str, seconds: int = 60) -> int:
    since = now() - timedelta(seconds=seconds)
    return repo.count_login_failures(uow.session, client=client, since=since)


def require_login(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated("sign in first")
    return actor


# -- the caller of a request -------------------------------------------------------------------

#: How often a session's last-seen time is written (the idle timeout is in minutes).
TOUCH_EVERY = timedelta(seconds=60)


def resolve_caller(engine, *, bearer: str | None, cookie: str | None, request_id: str) -> tuple[Caller | None, str]:
    """The caller behind a token or a session cookie, or None with the reason (for the 401): the
    resolver the web adapter's authentication middleware (:mod:`setu.adapters.auth`) runs."""
    with UnitOfWork(system_actor("auth"), write=False, engine=engine) as uow:
        if bearer is not None:
            user = resolve_token(uow, secret=bearer)
            if user is None:
                return None, "the API token is unknown, expired or revoked"
            return Caller(actor_for(user, request_id), "token"), "ok"
        found = resolve_session(uow, cookie=cookie or "")
        if found is None:
            return None, "sign in first" if not cookie else "the session has ended; sign in again"
        user, ws = found
        caller = Caller(actor_for(user, request_id), "session", ws.csrf_token, bool(user.must_change_password))
        last = ws.last_seen_at if ws.last_seen_at.tzinfo else ws.last_seen_at.replace(tzinfo=timezone.utc)
        session_id, touch = ws.id, datetime.now(timezone.utc) - last > TOUCH_EVERY
    if touch:  # off the request path: a read never waits for the write lock (setu.kit.security_events)
        queue_session_touch(engine, session_id=session_id)
    return caller, "ok"
