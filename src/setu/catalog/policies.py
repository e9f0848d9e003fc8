"""Catalog permissions. Both parties read the shared catalog (parts, equipment types, bills of
material, interchangeability); only the party that maintains a record changes it (object rule ``own_party``
on the record's ``owner_party_id``)."""
from __future__ import annotations

from setu.kit.access import declare

for _resource in ("part", "equipment_type", "bom", "interchange"):
    declare(f"catalog.{_resource}.read")
    declare(f"catalog.{_resource}.create")
    declare(f"catalog.{_resource}.update", object_rule="own_party")
declare("catalog.part.import", description="import parts from CSV or Excel")
declare("catalog.bom.import", description="import bill-of-material lines from CSV or Excel")
