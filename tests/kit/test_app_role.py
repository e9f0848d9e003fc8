"""On PostgreSQL the application's own role cannot rewrite the audit log (not even by dropping the
triggers); on SQLite there are no roles and the command says so."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from setu.catalog import service as catalog
from setu.catalog.schemas import PartCreate
from setu.kit.access import system_actor
from setu.kit.db import grant_app_role, make_engine
from setu.kit.uow import UnitOfWork


def test_app_role_appends_to_the_audit_log_but_cannot_change_it(engine):
    if engine.dialect.name != "postgresql":
        with pytest.raises(ValueError, match="PostgreSQL only"):
            grant_app_role(engine, "setu_app")
        return
    role = f"setu_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as c:
        c.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret'"))
    try:
        with pytest.raises(ValueError, match="not a plain role name"):
            grant_app_role(engine, 'x"; DROP TABLE audit_entry; --')
        grant_app_role(engine, role)
        url = engine.url.set(username=role, password="app-secret")
        app = make_engine(url.render_as_string(hide_password=False))
        try:
            with UnitOfWork(system_actor("app"), write=True, engine=app) as uow:  # the app works as that role
                catalog.create_part(uow, data=PartCreate(manufacturer_code="RSK01", part_number="ROLE-1", name="n"))
                uow.commit()
            with app.connect() as c:
                assert c.execute(text("SELECT count(*) FROM audit_entry")).scalar() >= 1
            for stmt in ("UPDATE audit_entry SET actor = 'forged'", "DELETE FROM audit_entry",
                         "TRUNCATE audit_entry", "ALTER TABLE audit_entry DISABLE TRIGGER USER",
                         "DELETE FROM alembic_version", "DROP TABLE audit_entry"):
                with app.connect() as c, pytest.raises(DBAPIError, match="permission denied|must be owner"):
                    c.execute(text(stmt))
        finally:
            app.dispose()
    finally:
        admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            db = c.execute(text("SELECT current_database()")).scalar()
            for stmt in (f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
                         f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
                         f"REVOKE ALL ON SCHEMA public FROM {role}", f'REVOKE ALL ON DATABASE "{db}" FROM {role}',
                         f"DROP ROLE {role}"):
                c.execute(text(stmt))
        admin.dispose()
