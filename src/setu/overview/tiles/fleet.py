"""Fleet tile: parts in the catalog, equipment units by status (actual availability = operational
share of the units the user sees), sites and spares, as on /parts, /units and /sites."""
from __future__ import annotations

from datetime import date
from typing import Any

from setu.overview.tiles import Figure, Tile


def compute(uow, today: date) -> dict[str, Any]:
    from setu.catalog import service as catalog
    from setu.fleet import service as fleet

    parts_total = catalog.list_parts(uow, limit=1, with_total=True).total or 0
    sites_total = fleet.list_sites(uow, limit=1).total or 0
    by_status = fleet.unit_counts_by_status(uow)
    units_total = sum(by_status.values())
    operational = by_status.get("operational", 0)
    stock = fleet.stock_totals(uow)
    return {
        "parts_total": parts_total, "sites_total": sites_total, "by_status": by_status,
        "units_total": units_total, "operational": operational,
        "actual_availability": (operational / units_total) if units_total else None, "stock": stock,
        "figures": [
            Figure("Parts in the catalog", parts_total, "parts", "/parts", "parts").as_dict(),
            Figure("Units operational", operational, f"of {units_total} units", "/units?status=operational",
                   "operational").as_dict(),
            Figure("Sites", sites_total, "sites", "/sites", "sites").as_dict(),
            Figure("Spares serviceable", stock["serviceable"], "items", "/parts", "serviceable").as_dict(),
        ],
    }


TILE = Tile("fleet", "Fleet", 0, "fleet.equipment_unit.read", compute, source="/units")
