"""Real users for tests: created through the identity services, signed in with real tokens."""
from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from setu.identity import auth
from setu.identity.models import Organisation, Party, User
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork

PASSWORD = "correct horse battery staple"
PARTIES = {"IND": dict(name="Operator (demo)", role="operator", currency="INR"),
           "RUS": dict(name="Origin (demo)", role="origin", currency="RUB")}


def ensure_party(uow: UnitOfWork, code: str) -> Party:
    party = uow.session.scalar(select(Party).where(Party.code == code))
    if party is None:
        party = Party(code=code, **PARTIES.get(code, dict(name=f"{code} (test)", role="operator", currency="USD")))
        uow.session.add(party)
        uow.session.flush()
    return party


def ensure_org(uow: UnitOfWork, code: str, *, party: str, kind: str, name: str | None = None) -> Organisation:
    org = uow.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(party_id=ensure_party(uow, party).id, code=code, name=name or f"{code} (demo)", kind=kind,
                           is_demo=True)
        uow.session.add(org)
        uow.session.flush()
    return org


def ensure_user(engine, username: str, *, party: str = "IND", org: str = "DEP-ORG", kind: str = "depot",
                role: str = "approver", sysadmin: bool = False, password: str = PASSWORD) -> uuid.UUID:
    """The user ``username`` (created with its party and organisation when missing)."""
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            o = ensure_org(uow, org, party=party, kind=kind)
            user = auth.create_user(uow, username=username, display_name=username, organisation_id=o.id, role=role,
                                    password=password, system_admin=sysadmin).user
        uid = user.id
        uow.commit()
    return uid


def token_for(engine, username: str, days: int = 1) -> str:
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        secret, _ = auth.create_token(uow, username=username, name="test", days=days)
        uow.commit()
    return secret


#: The user a plain ``client`` acts as: a logistics planner (approver) at the operator's depot.
DEFAULT_USER = dict(username="ind.planner", party="IND", org="DEP-ORG", kind="depot", role="approver")


class SignedInClient(TestClient):
    """A test client that acts as a real signed-in user (an API token in the Authorization header).

    Signs in as :data:`DEFAULT_USER` at its first request unless ``sign_in_as`` or ``anonymous``
    was called; ``sign_in_as`` creates the user (and its party and organisation) when missing."""

    def __init__(self, app, engine, **kw):
        super().__init__(app, **kw)
        self.engine = engine
        self.user: str | None = None
        self._anonymous = False

    def sign_in_as(self, username: str, **user) -> "SignedInClient":
        ensure_user(self.engine, username, **user)
        self.headers["Authorization"] = f"Bearer {token_for(self.engine, username)}"
        self.user, self._anonymous = username, False
        return self

    def anonymous(self) -> "SignedInClient":
        self.headers.pop("Authorization", None)
        self.cookies.clear()
        self.user, self._anonymous = None, True
        return self

    def request(self, *args, **kwargs):
        if self.user is None and not self._anonymous:
            d = dict(DEFAULT_USER)
            self.sign_in_as(d.pop("username"), **d)
        return super().request(*args, **kwargs)


def user_for_actor(engine, actor) -> str:
    """A real user with the organisation and role of an :class:`~setu.kit.access.Actor` (by its
    name), so tests written in terms of actors run through real sign-in."""
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        user = uow.session.scalar(select(User).where(User.username == actor.name))
        if user is None:
            auth.create_user(uow, username=actor.name, display_name=actor.name, organisation_id=actor.organisation_id,
                             role=actor.role, password=PASSWORD)
        uow.commit()
    return actor.name


def auth_headers(engine, actor) -> dict[str, str]:
    """``Authorization`` headers of a real token of the user behind ``actor``."""
    return {"Authorization": f"Bearer {token_for(engine, user_for_actor(engine, actor))}"}


def client_for(engine, actor) -> SignedInClient:
    """A client of a fresh app signed in as the user behind ``actor``."""
    from setu.app.main import create_app

    c = SignedInClient(create_app(engine), engine)
    c.headers.update(auth_headers(engine, actor))
    c.user = actor.name
    return c


def browser_sign_in(page, base: str, username: str = "ind.planner", password: str = PASSWORD,
                    next_path: str = "/") -> None:
    """Sign in through the login page in a real browser (Playwright page)."""
    page.goto(f"{base}{next_path}")
    page.wait_for_url("**/login?next=*")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def patch_as_read(client, path: str, body: dict, **kw):
    """PATCH ``path`` as a client that read the record first: sends its version in If-Match (an
    update must name the version it read, setu.kit.concurrency); unreadable records get none."""
    r = client.get(path)
    headers = dict(kw.pop("headers", {}) or {})
    if r.status_code == 200 and isinstance(r.json(), dict) and "version" in r.json():
        headers.setdefault("If-Match", f'"{r.json()["version"]}"')
    return client.patch(path, json=body, headers=headers, **kw)
