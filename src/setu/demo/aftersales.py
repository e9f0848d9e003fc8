"""Demo after-sales: a year (2025-12 .. 2026-11) of tickets raised by the operator's field
formations (the maintenance officer, ``ind.maintenance``) against the demo fleet's units, addressed
to the unit type's origin OEM or, for rotorcraft, the light-helicopter JV, through the real service
(every step audited). Acknowledge and restore times are drawn from log-normal distributions per
supplier, so the SLA report shows realistic compliance (about 80-90 % of commitments met) and
downtime; some tickets wait on spares orders. Deterministic (seeded)."""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

from setu.aftersales import repository as repo
from setu.aftersales import service
from setu.kit.access import Actor
from setu.kit.uow import UnitOfWork
from setu.notifications import repository as notes

START = datetime(2025, 12, 1, 6, 0, tzinfo=timezone.utc)
DAYS = 360
#: supplier code -> (median hours to acknowledge, median hours to restore, log-normal sigma)
PACE = {"RU-AERO": (1.6, 60.0, 0.7), "RU-AD": (2.5, 90.0, 0.8), "RU-LANDSEA": (4.0, 120.0, 0.8),
        "IN-JV-ROTOR": (1.0, 40.0, 0.6), "RU-EXPORT": (6.0, 150.0, 0.9)}
TITLES = {"spares": "Spares request: {p}", "repair_exchange": "Repair or exchange: {p}",
          "technical_query": "Technical query on {p}", "warranty_claim": "Warranty claim: {p}",
          "field_team_visit": "Field team visit for {p}", "documentation_request": "Manual revision for {p}"}
ITEMS = ("hydraulic pump cartridge", "circuit card assembly", "solenoid valve", "fuel control unit", "gearbox",
         "display unit", "starter-generator", "cooling fan", "actuator", "radio set")


def add_demo_aftersales(uow: UnitOfWork, data, *, seed: int = 14, n_tickets: int = 150) -> dict[str, int]:
    rng = random.Random(seed)
    org = data.organisation_ids
    party = data.party_ids
    units = data.tables["fleet_equipment_unit"].columns
    types = data.tables["fleet_equipment_type"].columns
    oem_of = dict(zip(types["id"], types["oem_organisation_id"]))
    code_of = {v: k for k, v in org.items()}
    rotor = {t for t, c in zip(types["id"], types.get("category", [""] * len(types["id"]))) if "helicopter" in str(c)}
    officer = Actor(name="ind.maintenance", party_id=party["IND"], organisation_id=org["IN-BASES"],
                    organisation_kind="base", role="clerk")
    suppliers = {}

    def supplier_actor(oid):
        if oid not in suppliers:
            code = code_of[oid]
            suppliers[oid] = Actor(name=f"demo:{code.lower()}", party_id=party["IND" if code.startswith("IN") else "RUS"],
                                   organisation_id=oid, organisation_kind="joint_venture" if "JV" in code else "oem",
                                   role="clerk")
        return suppliers[oid]

    original = uow.actor
    idx = list(range(len(units["id"])))
    made = 0
    for i in range(n_tickets):
        u = rng.choice(idx)
        unit_id, status, type_id = units["id"][u], units["status"][u], units["equipment_type_id"][u]
        supplier = org["IN-JV-ROTOR"] if type_id in rotor and rng.random() < 0.5 else oem_of[type_id]
        kind = rng.choices(list(TITLES), weights=[30, 30, 15, 8, 7, 10])[0]
        item = rng.choice(ITEMS)
        ess = 1 if rng.random() < 0.35 else rng.choice([2, 3])
        uow.actor = officer
        uow.session.info["actor"] = officer
        t = service.raise_ticket(uow, equipment_unit_id=unit_id, supplier_org_id=supplier, type=kind,
                                 title=TITLES[kind].format(p=item), essentiality=ess,
                                 priority=None if status != "operational" else rng.choice([None, None, "routine"]),
                                 description=f"Raised by the field formation for unit in status {status.replace('_', ' ')}.")
        start = START + timedelta(days=DAYS * i / n_tickets, hours=rng.uniform(0, 12))
        ack_med, res_med, sigma = PACE.get(code_of[supplier], (3.0, 100.0, 0.8))
        scale = {"critical": 0.6, "urgent": 1.0, "routine": 2.5}[t.priority]
        ack = start + timedelta(hours=ack_med * scale * math.exp(rng.gauss(0, sigma)))
        res = ack + timedelta(hours=res_med * scale * math.exp(rng.gauss(0, sigma)))
        now_end = START + timedelta(days=DAYS)
        sup = supplier_actor(supplier)
        steps = []   # (actor, action, kwargs, at)
        if ack < now_end:
            steps.append((sup, "acknowledge", {}, ack))
            steps.append((sup, "start_work", {}, ack + timedelta(minutes=30)))
            if rng.random() < 0.25:
                steps.append((sup, "hold", {"reason": "awaiting_parts"}, ack + timedelta(hours=2)))
                steps.append((sup, "resume", {}, ack + (res - ack) * 0.8))
            if res < now_end:
                nff = rng.random() < 0.08
                steps.append((sup, "resolve", {"note": "No fault found on bench test" if nff else f"{item.capitalize()} "
                              "exchanged, unit serviceable"}, res))
                if res + timedelta(days=1) < now_end:
                    steps.append((officer, "close_complete", {}, res + timedelta(days=1)))
        for actor, action, kw, _at in steps:
            uow.actor = actor
            uow.session.info["actor"] = actor
            service.transition(uow, ticket_id=t.id, action=action, **kw)
        if kind in ("spares", "repair_exchange") and rng.random() < 0.4:
            service.link_order(uow, ticket_id=t.id, order_ref=f"SO-{start:%Y}-{1000 + i:04d}",
                               part_number=f"{item[:3].upper()}-{rng.randint(100, 999)}")
        # the history as it happened: the service stamped the steps now; the demo dates them
        evs = repo.events(uow.session, [t.id])[t.id]
        times = [start] + [at for *_, at in steps]
        for e, at in zip(evs, times):
            e.at = at
        t.created_at = start
        made += 1
    uow.actor = original
    uow.session.info["actor"] = original
    uow.session.flush()
    notes.mark_read_before(uow.session, datetime.now(timezone.utc))   # a year of past notices: read
    return {"aftersales_ticket": made}
