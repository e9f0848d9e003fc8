"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from setu.demo.load import _model_tables
from setu.kit.db import Base


def test_migrated_schema_matches_the_models(engine):
    _model_tables()  # import every model module
    with engine.connect() as c:
        ctx = MigrationContext.configure(c, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(ctx, Base.metadata)
    # server defaults and index names are not compared; tables, columns, types and nullability are
    assert diff == [], diff
