"""Database plumbing: declarative base, engine factory, session factory, migrations.

One code path for SQLite (embedded default) and PostgreSQL (production):

- SQLite: WAL journal, ``synchronous=FULL``, a busy timeout and foreign keys; Python's sqlite3
  driver is put in autocommit mode and SQLAlchemy emits ``BEGIN`` itself, ``BEGIN IMMEDIATE`` for
  write units of work, so that a read-modify-write holds the write lock from its first read and no
  update is lost (the driver's own deferred transactions would read outside the lock).
- PostgreSQL (psycopg 3): contended rows are locked with ``SELECT ... FOR UPDATE`` in a fixed order
  by the repositories.
"""
from __future__ import annotations

import re

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, Uuid, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Entity:
    """Columns every business object has: a global UUID, timestamps and a row version.

    The row version makes the ORM refuse a write based on a stale read (optimistic locking),
    which the adapters answer with 409 Conflict.
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


_engines: dict[str, Engine] = {}


def make_engine(url: str, *, busy_timeout_s: float = 5.0) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _rec: Any) -> None:
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see "begin" below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            write = conn.get_execution_options().get("setu_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    else:
        engine = create_engine(url, pool_pre_ping=True)
        lock_ms = int(busy_timeout_s * 1000)

        @event.listens_for(engine, "begin")
        def _pg_begin(conn: Any) -> None:
            if conn.get_execution_options().get("setu_write", False):  # a row lock is waited for this long
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_ms}")
    return engine


def get_engine(url: str | None = None) -> Engine:
    from setu.kit.settings import get_settings

    s = get_settings()
    url = url or s.database_url
    if url not in _engines:
        _engines[url] = make_engine(url, busy_timeout_s=s.write_lock_timeout_s)
    return _engines[url]


def dispose_engines() -> None:
    for e in _engines.values():
        e.dispose()
    _engines.clear()


def session_factory(engine: Engine, *, write: bool) -> sessionmaker:
    bind = engine.execution_options(setu_write=True) if write else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


def alembic_config(url: str):
    from alembic.config import Config

    here = Path(__file__).resolve().parent.parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["setu_url"] = url
    return cfg


def upgrade_database(url: str | None = None, revision: str = "head") -> None:
    """Create or migrate the database schema to ``revision`` with Alembic."""
    from alembic import command

    from setu.kit.settings import get_settings

    url = url or get_settings().database_url
    command.upgrade(alembic_config(url), revision)


_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def refresh_statistics(engine: Engine) -> None:
    """Refresh the query planner's table statistics (``ANALYZE``) after a bulk load.

    Without them SQLite's planner picks, for a list filtered by site and sorted by month, the site
    index and sorts every matching row (about 1 s for 500,000 demand records) instead of walking
    the sort key's index and stopping after one page (under 1 ms)."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """PostgreSQL: give the application's login role what it needs, and no more.

    Run as the role that owns the schema (the one migrations run as). The application role may read
    and write business tables but only read and append to the audit log: no UPDATE, DELETE or
    TRUNCATE on ``audit_entry``, and as a non-owner it cannot disable the table's triggers either.
    It cannot change the schema or the migration version. Returns the statements it ran."""
    if engine.dialect.name != "postgresql":
        raise ValueError("database roles exist on PostgreSQL only (SQLite has no roles)")
    if not _ROLE_NAME.match(role or ""):
        raise ValueError(f"{role!r} is not a plain role name (lower-case letters, digits, '_')")
    with engine.begin() as c:
        if not c.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).scalar():
            raise ValueError(f"role {role} does not exist: CREATE ROLE {role} LOGIN PASSWORD '...' first")
        db = c.exec_driver_sql("SELECT current_database()").scalar()
        owner = c.exec_driver_sql("SELECT current_user").scalar()
        if owner == role:
            raise ValueError("grant to a role other than the schema owner (the owner may alter anything)")
        stmts = [
            f'GRANT CONNECT ON DATABASE "{db}" TO "{role}"',
            f'GRANT USAGE ON SCHEMA public TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
            f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
            f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM "{role}"',
            f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM "{role}"',
        ]
        for s in stmts:
            c.exec_driver_sql(s)
    return stmts


# The machinery's own tables (jobs, idempotency keys) join the metadata wherever the database layer
# is imported (Alembic's env, the schema test). At the end of the module: it imports Base from here.
from setu.kit import models as _kit_models  # noqa: E402,F401
