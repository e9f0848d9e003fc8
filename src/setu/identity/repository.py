"""Queries for parties and organisations."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.sql import Select

from setu.identity.models import Organisation

ORG_SORT = {"code": Organisation.code, "name": Organisation.name, "kind": Organisation.kind}


def organisations() -> Select:
    return select(Organisation)
