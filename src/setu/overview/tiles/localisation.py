"""Localisation tile: indigenous content by value and by count per equipment type
(:mod:`setu.engine.localisation.content`: IC_value = sum(q v local) / sum(q v), IC_count =
sum(q local) / sum(q), q the quantity per equipment from the exploded bill of materials, v the
part's unit value converted to USD at today's rate, local = the part has a certified
qualification of a local maker); qualifications in progress and overdue (due date passed, not
certified), as on /localisation. Inspections and drawings the user may approve go to "Needs you now"."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

from setu.engine.localisation import ContentLine, indigenous_content
from setu.kit.errors import SetuError
from setu.overview.tiles import Action, Figure, Tile

VALUE_CURRENCY = "USD"


def _content(uow, today: date, local_parts: set) -> list[dict[str, Any]]:
    from setu.catalog import service as catalog
    from setu.finance import service as finance

    types = {t.id: t for t in catalog.list_equipment_types(uow, limit=500).items}
    bom = catalog.explode_bom(uow, equipment_type_id=list(types))
    facts = catalog.part_facts(uow, part_ids=bom.part_ids)
    rates: dict[str, Decimal | None] = {}
    lines: dict[Any, list[ContentLine]] = defaultdict(list)
    unpriced: dict[Any, set[str]] = defaultdict(set)
    for e, p, q in zip(bom.qpe_equipment, bom.qpe_part, bom.qpe_quantity):
        tid, pid = bom.equipment_type_ids[int(e)], bom.part_ids[int(p)]
        f = facts.get(pid)
        if f is None:
            continue
        if f.currency not in rates:
            try:
                rates[f.currency] = finance.rate_on(uow, f.currency, VALUE_CURRENCY, today).rate
            except SetuError:
                rates[f.currency] = None
        rate = rates[f.currency]
        if rate is None:
            unpriced[tid].add(f.currency)
            rate = Decimal(0)
        lines[tid].append(ContentLine(f.part_number, Decimal(str(round(float(q), 6))),
                                      Decimal(f.unit_price) * rate, pid in local_parts))
    out = []
    for tid, ls in lines.items():
        c = indigenous_content(ls)
        t = types[tid]
        out.append({"equipment_type_id": str(tid), "code": t.code, "name": t.name,
                    "by_value": float(c.by_value), "by_count": float(c.by_count),
                    "value_total": str(c.value_total.quantize(Decimal("0.01"))),
                    "value_local": str(c.value_local.quantize(Decimal("0.01"))), "currency": VALUE_CURRENCY,
                    "count_total": float(c.count_total), "count_local": float(c.count_local),
                    "no_rate_for": sorted(unpriced.get(tid, ())), "href": f"/equipment-types/{tid}"})
    return sorted(out, key=lambda r: r["code"])


def compute(uow, today: date) -> dict[str, Any]:
    from setu.localisation import service as localisation

    qs = localisation.list_qualifications(uow)
    now = datetime.combine(today, time.min, tzinfo=timezone.utc)
    in_progress = [q for q in qs if q.status != "certified"]

    def due(q) -> datetime | None:
        d = q.due_on
        return d.replace(tzinfo=timezone.utc) if d is not None and d.tzinfo is None else d

    overdue = [q for q in in_progress if due(q) is not None and due(q) < now]
    by_state = {s: sum(1 for q in qs if q.status == s) for s in ("drawing", "fai", "submitted", "certified")}
    local_parts = {q.part_id for q in qs if q.status == "certified" or q.certified_once}
    content = _content(uow, today, local_parts) if uow.actor.can("catalog.bom.read") else []
    return {
        "by_state": by_state, "in_progress": len(in_progress), "overdue": len(overdue),
        "overdue_items": [{"id": str(q.id), "href": f"/localisation?q={q.id}#detail",
                           "due_on": due(q).date().isoformat()} for q in overdue[:10]],
        "content": content,
        "figures": [
            Figure("Qualifications in progress", len(in_progress), "qualifications", "/localisation",
                   "in-progress").as_dict(),
            Figure("Qualifications overdue", len(overdue), "qualifications", "/localisation", "overdue").as_dict(),
        ],
    }


def needs_you(uow, today: date) -> list[Action]:
    from setu.localisation import service as localisation
    from setu.localisation.rules import QUALIFICATION

    out = []
    for r in localisation.qualification_rows(uow):
        q = r["q"]
        steps = {t.name for t in QUALIFICATION.available(uow.actor, q)}
        if q.status == "submitted" and "certify" in steps:
            out.append(Action("fai_approval", f"Approve first-article inspection of {r['part_number']}",
                              f"/localisation?q={q.id}#detail", f"made by {r['maker']}, cycle {q.cycle}"))
        elif q.status == "drawing" and "approve_drawing" in steps:
            out.append(Action("drawing_approval", f"Approve drawing revision {q.drawing_revision} of {r['part_number']}",
                              f"/localisation?q={q.id}#detail", f"made by {r['maker']}"))
    return out


TILE = Tile("localisation", "Localisation", 20, "localisation.qualification.read", compute, source="/localisation")
