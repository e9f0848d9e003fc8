"""Pure identity rules: password policy, usernames, lockout arithmetic."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 12


def check_username(name: str) -> str:
    name = (name or "").strip().lower()
    if not _USERNAME.match(name):
        raise ValueError("use 3-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def check_password(password: str, *, username: str = "") -> None:
    """NIST SP 800-63B style: length over composition; refuse the username and trivial repeats."""
    if len(password or "") < MIN_PASSWORD:
        raise ValueError(f"must be at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise ValueError("must be at most 256 characters")
    if username and username.lower() in password.lower():
        raise ValueError("must not contain the username")
    if len(set(password)) < 4:
        raise ValueError("is too repetitive")


def lock_after_failure(failures: int, now: datetime, *, threshold: int, minutes: int) -> datetime | None:
    """The time an account stays locked until, after ``failures`` consecutive failed logins."""
    if failures >= threshold:
        return now + timedelta(minutes=minutes)
    return None
