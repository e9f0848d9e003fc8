"""Sign-in, sessions, CSRF, tokens and throttling, through the real app (no stubs)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from setu.app.main import create_app
from setu.catalog.models import Part
from setu.identity import auth
from setu.identity.models import SecurityEvent, User, WebSession
from setu.kit import crypto
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.support.auth import PASSWORD, ensure_user, token_for
from tests.support.world import build_world


@pytest.fixture
def browser(engine):
    """A client with no credentials, on https (session cookies are Secure)."""
    with TestClient(create_app(engine), base_url="https://testserver") as c:
        yield c


def sign_in(c: TestClient, username: str, password: str = PASSWORD, code: str | None = None, next_url: str = "/"):
    page = c.get(f"/login?next={next_url}")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    data = {"username": username, "password": password, "nonce": nonce, "next": next_url}
    if code:
        data["code"] = code
    return c.post("/login", data=data, follow_redirects=False)


def csrf(c: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text).group(1)


def events(engine, kind: str) -> int:
    from setu.kit import security_events

    assert security_events.flush(engine)  # written off the request path
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(SecurityEvent).where(SecurityEvent.kind == kind))


def parts(engine) -> int:
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(Part))


def test_only_login_health_and_static_are_public(browser):
    r = browser.get("/parts?q=x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fparts%3Fq%3Dx"
    r = browser.get("/api/v1/parts")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"].startswith("Bearer") and "Authorization: Bearer" in r.json()["detail"]
    for path in ("/api/v1/openapi.json", "/api/v1/docs", "/account", "/audit", "/"):
        assert browser.get(path, follow_redirects=False).status_code in (303, 401), path
    assert browser.get("/health").status_code == 200
    assert browser.get("/login").status_code == 200
    assert browser.get("/static/css/setu.css").status_code == 200


def test_sign_in_sets_a_hardened_session_cookie_and_follows_next(browser, engine):
    build_world(engine)
    ensure_user(engine, "ind.planner")
    r = sign_in(browser, "ind.planner", next_url="/parts")
    assert r.status_code == 303 and r.headers["location"] == "/parts"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("setu_session=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower()
    page = browser.get("/parts")
    assert page.status_code == 200 and "ind.planner" in page.text and "PN-0000" in page.text
    assert events(engine, "login") == 1


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/login"])
def test_next_never_leaves_the_site(browser, engine, target):
    ensure_user(engine, "ind.planner")
    r = sign_in(browser, "ind.planner", next_url=target.replace("/", "%2F").replace(":", "%3A"))
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_login_form_needs_its_own_nonce(browser, engine):
    ensure_user(engine, "ind.planner")
    r = browser.post("/login", data={"username": "ind.planner", "password": PASSWORD, "nonce": "forged"})
    assert r.status_code == 400 and "expired" in r.text and "setu_session" not in r.headers.get("set-cookie", "")


def test_wrong_password_then_lockout(browser, engine):
    ensure_user(engine, "ind.planner")
    for _ in range(5):
        r = sign_in(browser, "ind.planner", password="wrong password 123")
        assert r.status_code == 401 and "Wrong user name or password" in r.text
    r = sign_in(browser, "ind.planner")  # right password, but the account is locked now
    assert r.status_code == 401 and "setu_session" not in r.headers.get("set-cookie", "")
    assert events(engine, "login_failed") == 4 and events(engine, "login_locked") >= 2
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:  # the lock expires
        uow.session.execute(update(User).values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
        uow.commit()
    assert sign_in(browser, "ind.planner").status_code == 303


def test_unknown_user_gets_the_same_answer(browser, engine):
    r = sign_in(browser, "nobody.here", password="whatever password")
    assert r.status_code == 401 and "Wrong user name or password" in r.text


def test_login_throttled_per_client(browser, engine, monkeypatch):
    from setu.kit.settings import get_settings

    ensure_user(engine, "ind.planner")
    monkeypatch.setenv("SETU_LOGIN_RATE_PER_MINUTE", "3")
    get_settings.cache_clear()
    try:
        for i in range(3):
            assert sign_in(browser, f"guess{i}", password="wrong password 123").status_code == 401
        r = sign_in(browser, "ind.planner")
        assert r.status_code == 429 and "Too many sign-in attempts" in r.text
        assert events(engine, "login_throttled") == 1
    finally:
        get_settings.cache_clear()


def test_forms_need_the_session_csrf_token(browser, engine):
    build_world(engine)
    ensure_user(engine, "ind.planner")
    sign_in(browser, "ind.planner")
    data = {"manufacturer_code": "X1234", "part_number": "CSRF-1", "name": "n", "unit_of_issue": "EA",
            "kind": "consumable", "currency": "USD", "unit_price": "1"}
    before = parts(engine)
    r = browser.post("/parts/new", data=data, headers={"accept": "text/html"})
    assert r.status_code == 403 and "security token" in r.text
    r = browser.post("/parts/new", data={**data, "csrf_token": "not-the-token"}, headers={"accept": "text/html"})
    assert r.status_code == 403
    assert parts(engine) == before and events(engine, "authz_denied") == 2
    r = browser.post("/parts/new", data={**data, "csrf_token": csrf(browser, "/parts/new")}, follow_redirects=False)
    assert r.status_code == 303 and parts(engine) == before + 1


def test_a_session_cookie_cannot_write_through_the_api(browser, engine):
    build_world(engine)
    ensure_user(engine, "ind.planner")
    sign_in(browser, "ind.planner")
    assert browser.get("/api/v1/parts").status_code == 200  # reading the API docs' calls in the browser
    r = browser.post("/api/v1/parts", json={"manufacturer_code": "X1234", "part_number": "N1", "name": "n"})
    assert r.status_code == 401 and "token" in r.json()["detail"]
    assert parts(engine) == 3


def test_logout_ends_the_session_for_good(browser, engine):
    ensure_user(engine, "ind.planner")
    sign_in(browser, "ind.planner")
    cookie = browser.cookies.get("setu_session")
    r = browser.post("/logout", data={"csrf_token": csrf(browser, "/account")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    browser.cookies.set("setu_session", cookie, domain="testserver")  # replaying the old cookie
    assert browser.get("/account", follow_redirects=False).status_code == 303


def test_idle_and_expired_sessions_end(browser, engine):
    ensure_user(engine, "ind.planner")
    sign_in(browser, "ind.planner")
    assert browser.get("/account").status_code == 200
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        uow.session.execute(update(WebSession).values(last_seen_at=datetime.now(timezone.utc) - timedelta(hours=2)))
        uow.commit()
    r = browser.get("/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_password_change(browser, engine):
    ensure_user(engine, "ind.planner")
    other = TestClient(browser.app, base_url="https://testserver")
    sign_in(other, "ind.planner")  # a second session of the same user
    sign_in(browser, "ind.planner")
    token = csrf(browser, "/account/password")
    r = browser.post("/account/password", data={"csrf_token": token, "current_password": "not it at all",
                                                "new_password": "short", "repeat_password": "short"})
    assert r.status_code == 422 and "is not your current password" in r.text.lower() and "at least 12" in r.text
    r = browser.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                "new_password": "a much better passphrase", "repeat_password":
                                                "a much better passphrase"}, follow_redirects=False)
    assert r.status_code == 303
    assert browser.get("/account").status_code == 200  # this session stays
    assert other.get("/account", follow_redirects=False).status_code == 303  # the other one ended
    assert sign_in(TestClient(browser.app, base_url="https://testserver"), "ind.planner").status_code == 401
    assert sign_in(TestClient(browser.app, base_url="https://testserver"), "ind.planner",
                   password="a much better passphrase").status_code == 303


def test_a_reset_password_must_be_changed_first(browser, engine):
    ensure_user(engine, "ind.planner")
    with UnitOfWork(system_actor("admin"), write=True, engine=engine) as uow:
        auth.reset_password(uow, username="ind.planner", password="temporary pass 2026")
        uow.commit()
    sign_in(browser, "ind.planner", password="temporary pass 2026")
    r = browser.get("/parts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/password"
    assert "reset by an administrator" in browser.get("/account/password").text


def test_two_factor_sign_in(browser, engine):
    ensure_user(engine, "ind.admin", role="admin")  # administrators always have two-factor
    r = sign_in(browser, "ind.admin")
    assert r.status_code == 200 and 'name="code"' in r.text and "setu_session" not in r.headers.get("set-cookie", "")
    assert sign_in(browser, "ind.admin", code="000000").status_code == 401
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        secret = uow.session.scalar(select(User.totp_secret).where(User.username == "ind.admin"))
    assert sign_in(browser, "ind.admin", code=crypto.totp_now(secret)).status_code == 303
    assert browser.get("/account").status_code == 200


def test_tokens_from_the_account_page(browser, engine):
    build_world(engine)
    ensure_user(engine, "ind.planner")
    sign_in(browser, "ind.planner")
    page = browser.post("/account/tokens", data={"csrf_token": csrf(browser, "/account"), "name": "scripts",
                                                 "days": "30"})
    secret = re.search(r"<code[^>]*>(setu_[^<]+)</code>", page.text).group(1)
    assert secret not in browser.get("/account").text  # shown once
    api = TestClient(browser.app)
    assert api.get("/api/v1/parts", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    tid = re.search(r'/account/tokens/([0-9a-f-]{36})/revoke', page.text).group(1)
    r = browser.post(f"/account/tokens/{tid}/revoke", data={"csrf_token": csrf(browser, "/account")},
                     follow_redirects=False)
    assert r.status_code == 303
    r = api.get("/api/v1/parts", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    bad = browser.post("/account/tokens", data={"csrf_token": csrf(browser, "/account"), "days": "900"})
    assert bad.status_code == 422 and "between 1 and 366" in bad.text


def test_expired_revoked_and_disabled_tokens_are_refused(engine):
    ensure_user(engine, "ind.planner")
    api = TestClient(create_app(engine))
    good, expired, revoked = (token_for(engine, "ind.planner") for _ in range(3))
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        from setu.identity.models import ApiToken

        uow.session.execute(update(ApiToken).where(ApiToken.token_digest == crypto.digest(expired))
                            .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        auth.revoke_token(uow, prefix=revoked[:12])
        uow.commit()
    hdr = lambda t: {"Authorization": f"Bearer {t}"}  # noqa: E731
    assert api.get("/api/v1/parties", headers=hdr(good)).status_code == 200
    assert api.get("/api/v1/parties", headers=hdr(expired)).status_code == 401
    assert api.get("/api/v1/parties", headers=hdr(revoked)).status_code == 401
    assert api.get("/api/v1/parties", headers=hdr("setu_made-up")).status_code == 401
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        auth.disable_user(uow, username="ind.planner")
        uow.commit()
    assert api.get("/api/v1/parties", headers=hdr(good)).status_code == 401
    assert events(engine, "token_rejected") == 4


def test_navigation_shows_what_the_user_may_open(browser, engine):
    ensure_user(engine, "ind.planner")
    ensure_user(engine, "setu.sysadmin", org="IN-SPO", kind="programme_office", role="viewer", sysadmin=True)
    sign_in(browser, "ind.planner")
    nav = browser.get("/").text.split('id="nav-main"')[1].split("<!-- /nav-main -->")[0]
    assert 'href="/parts"' in nav and 'href="/audit"' not in nav
    other = TestClient(browser.app, base_url="https://testserver")
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        secret = uow.session.scalar(select(User.totp_secret).where(User.username == "setu.sysadmin"))
    r = sign_in(other, "setu.sysadmin", code=crypto.totp_now(secret))
    assert r.headers["location"] == "/audit"  # no business data: the start page is the audit log
    nav = other.get("/audit").text.split('id="nav-main"')[1].split("<!-- /nav-main -->")[0]
    assert 'href="/audit"' in nav and 'href="/organisations"' in nav and 'href="/parts"' not in nav


def test_a_two_factor_code_works_once(browser, engine):
    ensure_user(engine, "ind.admin", role="admin")
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        secret = uow.session.scalar(select(User.totp_secret).where(User.username == "ind.admin"))
    code = crypto.totp_now(secret)
    assert sign_in(browser, "ind.admin", code=code).status_code == 303
    replay = TestClient(browser.app, base_url="https://testserver")
    r = sign_in(replay, "ind.admin", code=code)  # the same code again, seen on the wire
    assert r.status_code == 401 and "setu_session" not in r.headers.get("set-cookie", "")


def test_totp_step_accepts_neighbours_once():
    secret = crypto.new_totp_secret()
    import pyotp

    t = 1_800_000_000.0
    step = int(t // 30)
    codes = {s: pyotp.TOTP(secret).generate_otp(s) for s in (step - 2, step - 1, step, step + 1, step + 2)}
    assert crypto.totp_step(secret, codes[step], at=t) == step
    assert crypto.totp_step(secret, codes[step - 1], at=t) == step - 1  # clock drift
    assert crypto.totp_step(secret, codes[step + 1], at=t) == step + 1
    assert crypto.totp_step(secret, codes[step - 2], at=t) is None
    assert crypto.totp_step(secret, codes[step], at=t, after=step) is None
    assert crypto.totp_step(secret, codes[step + 1], at=t, after=step) == step + 1
    assert crypto.totp_step(secret, "", at=t) is None
