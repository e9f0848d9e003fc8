"""Pure ledger rules: the support workflow, due dates, ageing buckets, balancing (no database).

Sources: domain_rules.md section 1 (US ACSA 10 U.S.C. 2341-2350, LEMOA, RELOS): cash due 60
days after the invoice in the provider's currency; equal-value exchange due within 12 months of
delivery, a missed exchange becomes a cash receivable; invoices at least every three months;
credits open over 18 months are offset."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from setu.kit.workflow import Transition, Workflow, party_of, requires

ACTIVITIES = ("port visit", "exercise", "training", "disaster relief")
CATEGORIES = ("food", "water", "billeting", "transport", "fuel and lubricants", "clothing", "communications",
              "medical", "base support", "storage", "use of facilities", "training services", "spare parts",
              "repair and maintenance", "calibration", "port services")
PROHIBITED = ("major weapon systems", "ammunition of major weapon systems", "guided missiles",
              "nuclear ammunition", "chemical munitions", "initial quantities of spares of major end items")
PRESENCE_LIMITS = {"ships": 5, "aircraft": 10, "personnel": 3000}
METHODS = ("cash", "kind", "exchange")
CASH_DUE_DAYS = 60
EXCHANGE_DUE_MONTHS = 12
INVOICE_EVERY_MONTHS = 3
OFFSET_AFTER_MONTHS = 18
AGEING = ((0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, 180, "91-180"), (181, 365, "181-365"),
          (366, None, "over 365"))
OPEN = ("requested", "accepted", "claimed", "disputed", "confirmed", "invoiced")


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    import calendar

    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def due_date(method: str, *, invoiced_on: date, delivered_on: date) -> date:
    """Cash: 60 days after the invoice; replacement in kind and equal-value exchange: 12 months after delivery."""
    if method == "cash":
        return invoiced_on + timedelta(days=CASH_DUE_DAYS)
    return add_months(delivered_on, EXCHANGE_DUE_MONTHS)


def ageing_bucket(days: int) -> str:
    for lo, hi, name in AGEING:
        if days >= lo and (hi is None or days <= hi):
            return name
    return AGEING[0][2]


def offset_due(delivered_on: date, today: date) -> bool:
    return today > add_months(delivered_on, OFFSET_AFTER_MONTHS)


def unbalanced(legs: Iterable[tuple[str, str, Decimal]]) -> dict[tuple[str, str], Decimal]:
    """The (kind, commodity) pairs whose legs do not sum to zero: each currency and each kind of
    quantity balances on its own (empty when the entry balances)."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for kind, commodity, amount in legs:
        sums[(kind, commodity)] += Decimal(amount)
    return {k: v for k, v in sums.items() if v != 0}


def account(kind: str, *parties: str) -> str:
    """Account names: ``due:<provider>:<receiver>`` (what the receiver owes the provider),
    ``provided:<provider>``, ``settled:<provider>``, ``issued:<provider>``, ``received:<receiver>``."""
    return ":".join((kind, *parties))


def _claim_guard(_obj, kw):
    for name in ("quantity", "unit"):
        if kw.get(name) in (None, ""):
            return f"a claim needs {name}"
    if kw.get("amount") in (None, "") and kw.get("unit_price") in (None, ""):
        return "a claim needs a unit_price (the provider's own-force rate) or an amount"
    return None


def _method_guard(_obj, kw):
    if kw.get("method") not in METHODS:
        return f"settlement method must be one of {', '.join(METHODS)}"
    return None


def _exchange_missed(obj, kw):
    if obj.settlement_method not in ("exchange", "kind"):
        return "only a replacement in kind or an equal-value exchange converts to cash"
    today = kw.get("today")
    if obj.due_on is None or today is None or today <= obj.due_on:
        return f"the exchange is not overdue (due {obj.due_on})"
    return None


_PROVIDER = party_of("provider_party_id", "of the providing party")
_RECEIVER = party_of("receiver_party_id", "of the receiving party")

SUPPORT = Workflow(
    "ledger.support", noun="support transaction", record_by="decided_by", record_at="decided_at",
    states=("requested", "accepted", "declined", "claimed", "confirmed", "disputed", "invoiced",
            "closed", "withdrawn"),
    initial="requested",
    transitions=[
        Transition("accept", "requested", "accepted", "ledger.support.update", who=[_PROVIDER],
                   record_by="accepted_by"),
        Transition("decline", "requested", "declined", "ledger.support.update", who=[_PROVIDER],
                   guard=requires("reason", "say why the request is declined"), assign={"reason": "dispute_reason"}),
        Transition("claim", ("accepted", "disputed"), "claimed", "ledger.support.update", who=[_PROVIDER],
                   guard=_claim_guard, record_by="claimed_by", label="Record issue"),
        Transition("confirm", "claimed", "confirmed", "ledger.claim.confirm", who=[_RECEIVER],
                   event="ledger.support.confirmed", label="Confirm receipt"),
        Transition("dispute", "claimed", "disputed", "ledger.claim.confirm", who=[_RECEIVER],
                   guard=requires("reason", "say what is disputed"), assign={"reason": "dispute_reason"}),
        Transition("withdraw", "disputed", "withdrawn", "ledger.support.update", who=[_PROVIDER]),
        Transition("invoice", "confirmed", "invoiced", "ledger.support.update", who=[_PROVIDER],
                   guard=_method_guard),
        Transition("convert_to_cash", "invoiced", "invoiced", "ledger.support.update", who=[_PROVIDER],
                   guard=_exchange_missed,
                   label="Convert missed exchange to cash"),
        Transition("settle", "invoiced", "closed", "ledger.settlement.approve", who=[_PROVIDER],
                   label="Sign off settlement"),
        Transition("offset", "invoiced", "closed", "ledger.settlement.approve", who=[_PROVIDER],
                   label="Offset (open over 18 months)"),
    ])
