"""All cryptography behind one module, so a party that needs validated modules can swap it.

- passwords: Argon2id (argon2-cffi) with parameters from settings (OWASP minimum by default);
- secrets: ``secrets.token_urlsafe``; tokens and session ids are stored only as SHA-256 digests
  (they are 256-bit random values, so a fast hash is enough and lookups stay indexable);
- audit chain: SHA-256 (see kit/audit.py);
- two-factor: TOTP (RFC 6238) via pyotp.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


def _hasher() -> PasswordHasher:
    from setu.kit.settings import get_settings

    s = get_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib,
                          parallelism=s.argon2_parallelism)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


#: A valid hash to verify against when the user does not exist, so timing does not reveal it.
def dummy_hash() -> str:
    global _DUMMY
    try:
        return _DUMMY
    except NameError:
        _DUMMY = hash_password(secrets.token_urlsafe(16))
        return _DUMMY


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_totp_secret() -> str:
    import pyotp

    return pyotp.random_base32()


def totp_now(secret: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).now()


def verify_totp(secret: str, code: str) -> bool:
    import pyotp

    code = (code or "").strip().replace(" ", "")
    return bool(code) and pyotp.TOTP(secret).verify(code, valid_window=1)


def totp_step(secret: str, code: str, *, after: int | None = None, at: float | None = None) -> int | None:
    """The time step (RFC 6238) whose code is ``code``: the current one or its neighbours (clock
    drift), and only steps after ``after`` (the last one used), so each code is accepted once.
    None when the code matches no such step."""
    import time

    import pyotp

    code = (code or "").strip().replace(" ", "")
    if not code:
        return None
    totp = pyotp.TOTP(secret)
    now = int((time.time() if at is None else at) // totp.interval)
    for step in (now - 1, now, now + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


def totp_uri(secret: str, account: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name="Setu")
