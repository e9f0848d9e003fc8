"""After-sales tile: SLA compliance per supplier (share of commitments not breached, as
``setu tickets sla`` and :func:`setu.aftersales.rules.supplier_metrics` give it), open critical
tickets (critical = equipment down, not yet resolved) and breaches this month (breached
commitments of tickets raised since the first of the month), over the tickets the user sees on
/tickets (raised by its side or addressed to its organisation). Tickets the user may
acknowledge go to "Needs you now"."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

from setu.overview.tiles import Action, Figure, Tile, month_start

OPEN = ("new", "acknowledged", "quoted", "approved", "in_work", "on_hold")


def _tickets(uow) -> list:
    from setu.aftersales import service as aftersales

    out, cursor = [], None
    while True:
        page = aftersales.list_tickets(uow, cursor=cursor, limit=200)
        out += page.items
        cursor = page.next_cursor
        if not cursor:
            return out


def compute(uow, today: date) -> dict[str, Any]:
    from setu.aftersales import rules, service as aftersales

    now = datetime.now(timezone.utc)
    lines = aftersales.ticket_lines(uow, now=now)
    report = rules.supplier_metrics(rules.TicketOutcome(ln.supplier, ln.clocks) for ln in lines)
    start = datetime.combine(month_start(today), time.min, tzinfo=timezone.utc)
    raised = {str(t.id): (t.created_at if t.created_at.tzinfo else t.created_at.replace(tzinfo=timezone.utc))
              for t in _tickets(uow)}
    critical = [ln for ln in lines if ln.priority == "critical" and ln.status in OPEN]
    breaches = sum(1 for ln in lines if raised.get(ln.id) and raised[ln.id] >= start
                   for c in ln.clocks.values() if c.breached)
    suppliers = [{"supplier": s, "tickets": m["tickets"], "compliance": m["compliance"], "breaches": m["breaches"],
                  "mean_acknowledge_hours": m["mean_acknowledge_hours"], "mean_restore_hours": m["mean_restore_hours"]}
                 for s, m in report.items()]
    return {
        "suppliers": suppliers, "open_critical": len(critical),
        "open_critical_items": [{"id": ln.id, "title": ln.title, "unit": ln.unit, "supplier": ln.supplier,
                                 "href": f"/tickets/{ln.id}"} for ln in critical[:10]],
        "breaches_this_month": breaches, "month": month_start(today).isoformat()[:7], "tickets": len(lines),
        "figures": [
            Figure("Open critical tickets", len(critical), "tickets", "/tickets", "open-critical").as_dict(),
            Figure("SLA breaches this month", breaches, "commitments", "/tickets", "breaches-month").as_dict(),
        ],
    }


def needs_you(uow, today: date) -> list[Action]:
    from setu.aftersales import rules, service as aftersales

    out = []
    for t in aftersales.list_tickets(uow, status="new", limit=200).items:
        if rules.TICKET.can(uow.actor, t, "acknowledge"):
            out.append(Action("ticket_acknowledgement", f"Acknowledge ticket {t.title}", f"/tickets/{t.id}",
                              f"{t.priority} · unit {t.unit_serial}"))
    return out


TILE = Tile("aftersales", "After-sales", 30, "aftersales.ticket.read", compute, source="/tickets")
