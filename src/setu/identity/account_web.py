"""Sign-in, sign-out and the signed-in user's own account: password, API tokens, two-factor.

The login page is one of the two public pages (with the health check). It protects itself with a
double-submit token (a random cookie repeated in the form, against login CSRF), throttles attempts
per client address, counts failures per account (lockout), and records every failure as a security
event. A successful sign-in starts a new server-side session (never reusing a cookie sent before).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from setu.adapters.auth import (SESSION_COOKIE, clear_session_cookie, client_address, cookie_secure,
                           set_session_cookie)
from setu.adapters.http import needs, read_uow, record_security_event_safely, write_uow
from setu.adapters.pages import FormErrors, form_data, redirect, render
from setu.identity import auth
from setu.kit import crypto
from setu.kit.access import system_actor
from setu.kit.errors import SetuError, ValidationFailed
from setu.kit.settings import get_settings
from setu.kit.uow import UnitOfWork, transaction

router = APIRouter(include_in_schema=False)
LOGIN_NONCE_COOKIE = "setu_login"
#: Public routes: they declare no permission (tests/architecture keeps this list exact).
PUBLIC_ROUTES = {("GET", "/login"), ("POST", "/login")}
FAILED = ("Wrong user name or password, or the account is locked after repeated failures "
          "(it opens again after {minutes} minutes).")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return target


def _login_page(request: Request, *, nonce: str, next_url: str, username: str = "", error: str | None = None,
                ask_code: bool = False, status: int = 200) -> HTMLResponse:
    resp = render(request, "identity/login.html", {
        "title": "Sign in", "nonce": nonce, "next": next_url, "username": username, "error": error,
        "ask_code": ask_code}, status_code=status)
    resp.set_cookie(LOGIN_NONCE_COOKIE, nonce, max_age=1800, path="/login", secure=cookie_secure(request),
                    httponly=True, samesite="strict")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None):
    return _login_page(request, nonce=crypto.new_secret(16), next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request):
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_login, request, data)


def _login(request: Request, data: dict[str, str]) -> HTMLResponse | RedirectResponse:
    s = get_settings()
    engine = request.app.state.engine
    client = client_address(request)
    username = (data.get("username") or "").strip().lower()[:64]
    next_url = safe_next(data.get("next"))
    fresh = crypto.new_secret(16)
    sent_nonce, cookie_nonce = data.get("nonce") or "", request.cookies.get(LOGIN_NONCE_COOKIE) or ""
    if not sent_nonce or not crypto.same(sent_nonce, cookie_nonce):
        return _login_page(request, nonce=fresh, next_url=next_url, username=username, status=400,
                           error="The sign-in form had expired. Please sign in again.")
    with transaction(system_actor("login"), engine=engine) as uow:
        attempts = auth.count_login_attempt(uow, client=client)  # atomic: no check-then-act
    if attempts > s.login_rate_per_minute:
        record_security_event_safely(engine, kind="login_throttled", client=client, detail=f"user {username}")
        return _login_page(request, nonce=fresh, next_url=next_url, username=username, status=429,
                           error="Too many sign-in attempts from your address. Wait a minute and try again.")
    with transaction(system_actor("login"), engine=engine) as uow:
        outcome = auth.authenticate(uow, username=username, password=data.get("password") or "",
                                    totp_code=(data.get("code") or "").strip() or None)
        secret = None
        if outcome.ok:
            secret, _ = auth.start_session(uow, user=outcome.user)
            actor = auth.actor_for(outcome.user)
            auth.record_security_event(uow, kind="login", actor=actor, client=client)
            if next_url == "/" and not actor.can("overview.dashboard.read"):
                next_url = "/audit"  # a system administrator's start page
    if outcome.reason == "totp_required":
        return _login_page(request, nonce=fresh, next_url=next_url, username=username, ask_code=True,
                           error="Enter the 6-digit code from your authenticator app with your password.")
    if not outcome.ok:
        kind = {"locked": "login_locked", "bad_totp": "login_failed", "disabled": "login_disabled"}.get(
            outcome.reason, "login_failed")
        record_security_event_safely(engine, kind=kind, client=client,
                                     detail=f"user {username}: {outcome.reason}")
        return _login_page(request, nonce=fresh, next_url=next_url, username=username, status=401,
                           ask_code=outcome.reason == "bad_totp",
                           error=FAILED.format(minutes=s.lockout_minutes))
    resp = RedirectResponse(next_url, status_code=303)
    set_session_cookie(request, resp, secret)
    resp.delete_cookie(LOGIN_NONCE_COOKIE, path="/login")
    return resp


@router.post("/logout", dependencies=[Depends(needs("identity.self.read"))])
def logout(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    auth.end_session(uow, cookie=request.cookies.get(SESSION_COOKIE) or "")
    resp = RedirectResponse("/login", status_code=303)
    clear_session_cookie(request, resp)
    return resp


# -- the account page -------------------------------------------------------------------------

def _account(request: Request, uow: UnitOfWork, *, new_token: str | None = None, totp_secret: str | None = None,
             errors: FormErrors | None = None, status: int = 200) -> HTMLResponse:
    me = auth.get_user_by_name(uow, request.state.actor.name)
    here = crypto.digest(request.cookies.get(SESSION_COOKIE) or "")
    return render(request, "identity/account.html", {
        "title": "Your account", "user": me, "tokens": auth.list_tokens(uow, user_id=me.id),
        "sessions": auth.list_sessions(uow, user_id=me.id), "this_session": here,
        "new_token": new_token, "totp_secret": totp_secret,
        "totp_uri": crypto.totp_uri(totp_secret, me.username) if totp_secret else None,
        "errors": errors or FormErrors(), "token_days": get_settings().token_days}, status_code=status,
        section="account")


@router.get("/account", response_class=HTMLResponse, dependencies=[Depends(needs("identity.self.read"))])
def account(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return _account(request, uow)


@router.post("/account/tokens", response_class=HTMLResponse, dependencies=[Depends(needs("identity.self.update"))])
def token_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    days_text = (data.get("days") or "").strip()
    try:
        days = int(days_text) if days_text else None
        secret, _ = auth.create_token(uow, username=request.state.actor.name, name=data.get("name") or "token",
                                      days=days)
    except (ValueError, ValidationFailed) as exc:
        uow.discard()
        errors = FormErrors()
        if isinstance(exc, ValueError):
            errors.fields["days"] = "must be a whole number of days"
        else:
            errors = FormErrors.from_exception(exc, ("name", "days"))
        return _account(request, uow, errors=errors, status=422)
    return _account(request, uow, new_token=secret)  # shown once, never stored in clear


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Depends(needs("identity.self.update"))])
def token_revoke(request: Request, token_id: str, data: dict = Depends(form_data),
                 uow: UnitOfWork = write_uow):
    from setu.adapters.pages import parse_id

    tid = parse_id(token_id, "token")
    auth.revoke_own_token(uow, token_id=tid)
    return redirect("/account?saved=1")


@router.post("/account/two-factor", response_class=HTMLResponse,
             dependencies=[Depends(needs("identity.self.update"))])
def two_factor(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    check = _reauthenticate(request, data.get("current_password") or "")
    if check != "ok":
        errors = FormErrors()
        errors.fields["current_password"] = REAUTH_FAILED[check].format(minutes=get_settings().lockout_minutes)
        return _account(request, uow, errors=errors, status=422)
    secret = auth.enable_totp(uow, user_id=request.state.actor.user_id)
    return _account(request, uow, totp_secret=secret)


PASSWORD_FIELDS = ("current_password", "new_password", "repeat_password")
REAUTH_FAILED = {"missing": "is required for this change", "wrong": "is not your current password",
                 "locked": "too many wrong passwords: the account is locked for {minutes} minutes"}


def _reauthenticate(request: Request, password: str) -> str:
    """Check the password again before a security change, in its own unit of work: a wrong guess
    is counted (and locks the account) even though the change itself is refused."""
    if not password:
        return "missing"  # nothing guessed: not counted
    engine = request.app.state.engine
    with transaction(request.state.actor, engine=engine) as uow:
        outcome = auth.reauthenticate(uow, user_id=request.state.actor.user_id, password=password)
    if outcome != "ok":
        record_security_event_safely(engine, kind="reauth_failed", actor=request.state.actor,
                                     client=client_address(request), detail=f"{request.url.path}: {outcome}")
    return outcome


@router.post("/account/sessions/{session_id}/end", dependencies=[Depends(needs("identity.self.update"))])
def session_end(request: Request, session_id: str, data: dict = Depends(form_data),
                uow: UnitOfWork = write_uow):
    from setu.adapters.pages import parse_id

    ws = auth.end_own_session(uow, session_id=parse_id(session_id, "session"))
    ended_here = ws.digest == crypto.digest(request.cookies.get(SESSION_COOKIE) or "")
    if ended_here:
        resp = RedirectResponse("/login", status_code=303)
        clear_session_cookie(request, resp)
        return resp
    return redirect("/account?saved=1")


@router.get("/account/password", response_class=HTMLResponse, dependencies=[Depends(needs("identity.self.read"))])
def password_form(request: Request, uow: UnitOfWork = Depends(read_uow)):
    me = auth.get_user_by_name(uow, request.state.actor.name)
    return render(request, "identity/password.html", {"title": "Change your password", "errors": FormErrors(),
                                                       "forced": me.must_change_password}, section="account")


@router.post("/account/password", response_class=HTMLResponse,
             dependencies=[Depends(needs("identity.self.update"))])
def password_change(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    errors = FormErrors()
    new, repeat = data.get("new_password") or "", data.get("repeat_password") or ""
    check = _reauthenticate(request, data.get("current_password") or "") if new == repeat else "ok"
    if new != repeat:
        errors.fields["repeat_password"] = "does not match the new password"
    elif check != "ok":
        errors.fields["current_password"] = REAUTH_FAILED[check].format(minutes=get_settings().lockout_minutes)
    else:
        try:
            auth.change_password(uow, user_id=request.state.actor.user_id, current=data.get("current_password") or "",
                                 new=new, keep_session=crypto.digest(request.cookies.get(SESSION_COOKIE) or ""))
            return redirect("/account?saved=1")
        except SetuError as exc:
            uow.discard()
            errors = FormErrors.from_exception(exc, PASSWORD_FIELDS)
    me = auth.get_user_by_name(uow, request.state.actor.name)
    return render(request, "identity/password.html", {"title": "Change your password", "errors": errors,
                                                       "forced": me.must_change_password},
                  status_code=422, section="account")
