"""Readiness tile, per equipment type: predicted fleet availability with today's stock (the
readiness engine, vari-metric, the demand source named: as on /readiness/{type}), beside the
actual availability now (operational share of the type's units the user sees, as on /units), and
the parts that hold most units down (largest availability loss). Plans awaiting the user's
decision go to "Needs you now"."""
from __future__ import annotations

from datetime import date
from typing import Any

from setu.kit.errors import SetuError
from setu.overview.tiles import Action, Figure, Tile

TOP_PARTS = 3


def compute(uow, today: date) -> dict[str, Any]:
    from setu.catalog import service as catalog
    from setu.fleet import service as fleet
    from setu.readiness import service as readiness

    rows = []
    for t in catalog.list_equipment_types(uow, limit=500).items:
        counts = fleet.unit_counts_by_status(uow, equipment_type_id=t.id)
        units = sum(counts.values())
        if not units:
            continue
        row: dict[str, Any] = {
            "equipment_type_id": str(t.id), "code": t.code, "name": t.name, "units": units,
            "operational": counts.get("operational", 0),
            "actual_availability": counts.get("operational", 0) / units,
            "actual_href": f"/units?equipment_type_id={t.id}",
            "predicted_availability": None, "demand_source": None, "parts_down": [],
            "href": f"/readiness/{t.id}", "error": None,
        }
        try:
            ev = readiness.evaluate_today(uow, equipment_type_id=t.id, compare=False, top=TOP_PARTS)
        except SetuError as exc:
            row["error"] = exc.errors[0].message if exc.errors else exc.detail
        else:
            row["predicted_availability"] = ev["fleet_availability"]
            row["demand_source"] = ev["demand_described"]
            row["parts_down"] = [{"part_id": str(w["part_id"]), "part_number": w["part_number"], "name": w["name"],
                                  "units_down": round(w["ebo"], 2), "href": f"/parts/{w['part_id']}"}
                                 for w in ev["worst_items"]]
        rows.append(row)
    return {"types": rows, "figures": [
        Figure(f"{r['code']} predicted availability", r["predicted_availability"], "share of units", r["href"],
               f"predicted-{r['code']}").as_dict() for r in rows]}


def needs_you(uow, today: date) -> list[Action]:
    from setu.readiness import service as readiness

    return [Action("plan_decision", f"Decide readiness plan {p.name or str(p.id)[:8]}",
                   f"/readiness/plans/{p.id}", f"proposed by {p.created_by}")
            for p in readiness.plans_awaiting_decision(uow)]


TILE = Tile("readiness", "Fleet readiness", 10, "readiness.plan.read", compute, source="/readiness")
