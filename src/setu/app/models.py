"""Imports every capability's models so that the metadata (and Alembic) sees all tables."""
from setu.catalog import models as catalog_models  # noqa: F401
from setu.demand import models as demand_models  # noqa: F401
from setu.fleet import models as fleet_models  # noqa: F401
from setu.identity import models as identity_models  # noqa: F401
from setu.kit import audit as audit_models  # noqa: F401
from setu.readiness import models as readiness_models  # noqa: F401
from setu.kit.db import Base

metadata = Base.metadata
