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


def make_engine(url: str, *, busy_timeout_s: float = 30.0) -> Engine:
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
    return engine


def get_engine(url: str | None = None) -> Engine:
    from setu.kit.settings import get_settings

    s = get_settings()
    url = url or s.database_url
    if url not in _engines:
        _engines[url] = make_engine(url, busy_timeout_s=s.sqlite_busy_timeout_s)
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
