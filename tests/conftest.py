"""Shared fixtures: a migrated database per test, on SQLite and (when available) PostgreSQL.

``db_url`` is parametrised over both back ends. PostgreSQL runs when SETU_TEST_POSTGRES_URL
names a server where the role may create databases (`.ci/run` starts one); otherwise those
cases skip, unless SETU_REQUIRE_POSTGRES=1 (CI), where a missing server fails the run.
Each test gets a fresh database cloned from a template migrated once per session.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from setu.kit.db import make_engine, upgrade_database

PG_URL = os.environ.get("SETU_TEST_POSTGRES_URL")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_data(name: str) -> Path:
    """A file of ../shared/data, or skip the test where that folder is absent."""
    p = SHARED / "data" / name
    if not p.exists():
        pytest.skip(f"{p} is absent (real data is read from ../shared at run time)")
    return p


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_template() -> str | None:
    if not PG_URL:
        return None
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"setu_tpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    upgrade_database(url)
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_clone(template: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    import time

    from sqlalchemy.exc import OperationalError

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"setu_t_{uuid.uuid4().hex[:10]}"
    for attempt in range(20):  # the template may still be closing a connection of the last clone
        try:
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            break
        except OperationalError as exc:
            if "being accessed by other users" not in str(exc) or attempt == 19:
                raise
            time.sleep(0.25)
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name, name


def _pg_drop(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, _sqlite_template):
    """URL of a fresh, migrated, empty database (SQLite file or PostgreSQL database)."""
    if request.param == "sqlite":
        path = tmp_path / "setu.db"
        shutil.copy(_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if not PG_URL:
        if os.environ.get("SETU_REQUIRE_POSTGRES") == "1":
            pytest.fail("SETU_REQUIRE_POSTGRES=1 but SETU_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server (set SETU_TEST_POSTGRES_URL)")
    template = request.getfixturevalue("_pg_template")
    url, name = _pg_clone(template)
    yield url
    from setu.kit.db import dispose_engines

    dispose_engines()
    _pg_drop(name)


@pytest.fixture
def sqlite_url(tmp_path, _sqlite_template) -> str:
    """A fresh migrated SQLite database only (for tests about the embedded default)."""
    path = tmp_path / "setu.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url, tmp_path):
    """An engine on the test database; its background-job queue is a file of the test's own
    (``jobs.db`` in ``tmp_path``), and a consumer a test left running is stopped at the end."""
    from setu.kit import jobs

    eng = make_engine(db_url)
    jobs.configure(eng, jobs_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    yield eng
    jobs.stop_consumer(5)
    jobs.forget_queues()
    eng.dispose()


@pytest.fixture
def settings_env(db_url, monkeypatch):
    """Point the settings (CLI, app factory) at the test database."""
    from setu.kit import db as kdb
    from setu.kit.settings import get_settings

    monkeypatch.setenv("SETU_DATABASE_URL", db_url)
    get_settings.cache_clear()
    kdb.dispose_engines()
    yield db_url
    kdb.dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def client(engine):
    """The app, called as a real signed-in user (see tests/support/auth.py: a planner at the
    operator's depot unless the test signs in as someone else or goes anonymous)."""
    from setu.app.main import create_app
    from tests.support.auth import SignedInClient

    with SignedInClient(create_app(engine), engine) as c:
        yield c
