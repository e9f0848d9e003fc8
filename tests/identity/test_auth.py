"""Users, passwords, two-factor, lockout, sessions and tokens (real database, real argon2)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from setu.identity import auth
from setu.identity.models import Organisation, Party
from setu.kit import crypto
from setu.kit.access import Actor, system_actor
from setu.kit.errors import Conflict, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork

PW = "a long enough passphrase"


@pytest.fixture
def org_id(engine):
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        p = Party(code="IND", name="Operator", role="operator", currency="INR")
        uow.session.add(p)
        uow.session.flush()
        o = Organisation(party_id=p.id, code="DEP", name="Depot", kind="depot")
        uow.session.add(o)
        uow.commit()
        return o.id


def make(engine, org_id, name="alice", role="clerk", **kw):
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        new = auth.create_user(uow, username=name, display_name=name, organisation_id=org_id, role=role,
                               password=PW, **kw)
        uow.commit()
        return new


def login(engine, name="alice", pw=PW, code=None):
    with UnitOfWork(system_actor("login"), write=True, engine=engine) as uow:
        out = auth.authenticate(uow, username=name, password=pw, totp_code=code)
        uow.commit()
        return out


def test_password_is_argon2id_and_never_stored_plain(engine, org_id):
    new = make(engine, org_id)
    assert new.user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PW not in new.user.password_hash
    assert login(engine).ok


def test_audit_redacts_secrets(engine, org_id):
    from setu.kit import audit
    make(engine, org_id, name="root", role="admin")
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        es = [e for e in audit.iter_entries(uow.session) if e["action"] == "identity_user.insert"]
    assert '"password_hash":"***"' in es[0]["after"] and '"totp_secret":"***"' in es[0]["after"]


def test_weak_password_and_bad_username_named(engine, org_id):
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            auth.create_user(uow, username="A B", display_name="x", organisation_id=org_id, role="boss",
                             password="short")
    assert {e.field for e in exc.value.errors} == {"username", "role", "password"}


def test_duplicate_username(engine, org_id):
    make(engine, org_id)
    with pytest.raises(Conflict):
        make(engine, org_id)


def test_lockout_after_repeated_failures(engine, org_id):
    make(engine, org_id)
    reasons = [login(engine, pw="wrong password!").reason for _ in range(5)]
    assert reasons == ["bad_credentials"] * 4 + ["locked"]
    assert login(engine).reason == "locked"  # even the right password, while locked


def test_admins_need_totp(engine, org_id):
    new = make(engine, org_id, name="root", role="admin")
    assert new.totp_secret
    assert login(engine, "root").reason == "totp_required"
    assert login(engine, "root", code="000000").reason in ("bad_totp",) or crypto.totp_now(new.totp_secret) == "000000"
    assert login(engine, "root", code=crypto.totp_now(new.totp_secret)).ok


def test_disabled_user_cannot_sign_in_and_loses_sessions_and_tokens(engine, org_id):
    make(engine, org_id)
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        user = auth.get_user_by_name(uow, "alice")
        cookie, _ = auth.start_session(uow, user=user)
        secret, _ = auth.create_token(uow, username="alice", name="t")
        uow.commit()
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        assert auth.resolve_session(uow, cookie=cookie) and auth.resolve_token(uow, secret=secret)
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        auth.disable_user(uow, username="alice")
        uow.commit()
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        assert auth.resolve_session(uow, cookie=cookie) is None
        assert auth.resolve_token(uow, secret=secret) is None
    assert login(engine).reason == "disabled"


def test_tokens_are_hashed_expire_and_revoke(engine, org_id):
    make(engine, org_id)
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        secret, tok = auth.create_token(uow, username="alice", name="t", days=1)
        uow.commit()
    assert tok.token_digest == crypto.digest(secret) and secret not in tok.token_digest
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        tok2 = uow.session.get(type(tok), tok.id)
        tok2.expires_at = auth.now() - timedelta(seconds=1)
        uow.commit()
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        assert auth.resolve_token(uow, secret=secret) is None
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        s2, t2 = auth.create_token(uow, username="alice", name="t2")
        uow.commit()
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        auth.revoke_token(uow, prefix=s2[:12])
        uow.commit()
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        assert auth.resolve_token(uow, secret=s2) is None


def test_password_change_checks_current(engine, org_id):
    new = make(engine, org_id)
    me = Actor(name="alice", user_id=new.user.id, role="clerk")
    with UnitOfWork(me, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed) as exc:
            auth.change_password(uow, user_id=new.user.id, current="nope", new="x")
        assert {e.field for e in exc.value.errors} == {"current_password", "new_password"}
        auth.change_password(uow, user_id=new.user.id, current=PW, new="a different long passphrase")
        uow.commit()
    assert login(engine, pw="a different long passphrase").ok


def test_only_admins_manage_users(engine, org_id):
    clerk = Actor(name="c", role="clerk", organisation_kind="depot")
    with UnitOfWork(clerk, write=True, engine=engine) as uow:
        with pytest.raises(PermissionDenied):
            auth.create_user(uow, username="eve", display_name="e", organisation_id=org_id, role="admin",
                             password=PW)


def test_party_admin_manages_only_own_party(engine, org_id):
    from setu.kit.errors import NotFound
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        party_id = uow.session.get(Organisation, org_id).party_id
    import uuid
    other = Actor(name="ru-admin", role="admin", party_id=uuid.uuid4(), organisation_kind="oem")
    with UnitOfWork(other, write=True, engine=engine) as uow:
        with pytest.raises(NotFound):
            auth.create_user(uow, username="eve", display_name="e", organisation_id=org_id, role="clerk", password=PW)
    own = Actor(name="in-admin", role="admin", party_id=party_id, organisation_kind="depot")
    with UnitOfWork(own, write=True, engine=engine) as uow:
        with pytest.raises(ValidationFailed):
            auth.create_user(uow, username="eve", display_name="e", organisation_id=org_id, role="clerk",
                             password=PW, system_admin=True)
        auth.create_user(uow, username="eve", display_name="e", organisation_id=org_id, role="clerk", password=PW)
        uow.commit()
