r"""Order rules (pure: no database): the order workflow, its money arithmetic, lead time and overdue.

Order workflow (domain rules: the spares order lifecycle, S2000M chapter 3 order administration)::

    rfq --quote--> quoted --place--> ordered --acknowledge--> acknowledged --dispatch--> dispatched
     |  \--decline--> declined        |  ^                       |                       |
     |                                |  +--amend (buyer)--------+                       v
     +--cancel (rfq, quoted, rejected)+--reject--> rejected --amend--> ordered     receive (all)
                                                                          -> received
    dispatched --receive_part--> partially_received --dispatch--> dispatched (the rest)
    received | partially_received --invoice--> invoiced --accept--> accepted --pay--> paid --close--> closed

The supplier the order is addressed to (``supplier_org_id``) quotes, declines, acknowledges,
rejects, dispatches and invoices; an organisation of the buyer's party (``buyer_party_id``: its
planners, depots and bases; the permissions limit the kinds) places, amends, cancels, receives,
accepts the invoice, pays and closes. Anyone else is refused (403) even with the permission.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from setu.kit.errors import FieldError
from setu.kit.money import CURRENCIES
from setu.kit.workflow import Transition, Workflow, requires, rule

READ = "orders.order.read"
RFQ = "orders.rfq.create"
BUY = "orders.order.approve"
RECEIVE = "orders.receipt.create"
QUOTE = "orders.quote.create"
SUPPLY = "orders.supply.update"
INVOICE = "orders.invoice.create"

STATES = ("rfq", "quoted", "declined", "ordered", "acknowledged", "rejected", "dispatched", "partially_received",
          "received", "invoiced", "accepted", "paid", "closed", "cancelled")
#: States in which parts are on order (the pipeline of the stock position's ``on_order``).
OPEN_STATES = ("ordered", "acknowledged", "rejected", "dispatched", "partially_received")
#: States in which a delivery is still awaited: past the promised date, the order is overdue.
AWAITING = ("ordered", "acknowledged", "dispatched", "partially_received")
TERMINAL = ("declined", "closed", "cancelled")


def _supplier(actor, obj) -> bool:
    return actor.system or (actor.organisation_id is not None and actor.organisation_id == obj.supplier_org_id)


def _buyer(actor, obj) -> bool:
    return actor.system or (actor.party_id is not None and actor.party_id == obj.buyer_party_id)


SUPPLIER = rule("the organisation the order is addressed to", _supplier)
BUYER = rule("of the buyer's party", _buyer)


def _positive_days(_obj: Any, kw: Mapping[str, Any]):
    d = kw.get("promised_days")
    if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 3650:
        return FieldError("promised_days", "say the lead time you promise, in days (1 to 3650)")
    return None


def _quote_valid(obj: Any, kw: Mapping[str, Any]):
    today = kw.get("today")
    if today is not None and obj.quote_valid_until is not None and today > obj.quote_valid_until:
        return FieldError("quote_valid_until", f"the quotation expired on {obj.quote_valid_until.isoformat()}: "
                          "ask for a new one")
    return None


def _invoice_number(_obj: Any, kw: Mapping[str, Any]):
    v = kw.get("invoice_number")
    if not v or not str(v).strip():
        return FieldError("invoice_number", "give the invoice number")
    return None


ORDER = Workflow(
    "orders.order", states=STATES, initial="rfq", state_attr="status", noun="order",
    transitions=[
        Transition("quote", "rfq", "quoted", QUOTE, who=[SUPPLIER], guard=_positive_days,
                   assign={"promised_days": "promised_days"}, record_at="quoted_at", event="orders.order.quoted"),
        Transition("decline", "rfq", "declined", QUOTE, who=[SUPPLIER],
                   guard=requires("note", "say why the request is declined"), assign={"note": "last_note"},
                   event="orders.order.declined"),
        Transition("place", "quoted", "ordered", BUY, who=[BUYER], guard=_quote_valid, record_by="ordered_by",
                   record_at="ordered_at", event="orders.order.placed", label="Place order"),
        Transition("acknowledge", "ordered", "acknowledged", SUPPLY, who=[SUPPLIER], record_at="acknowledged_at",
                   event="orders.order.acknowledged"),
        Transition("reject", "ordered", "rejected", SUPPLY, who=[SUPPLIER],
                   guard=requires("note", "say why the order is rejected"), assign={"note": "last_note"},
                   event="orders.order.rejected"),
        Transition("amend", ("acknowledged", "rejected"), "ordered", BUY, who=[BUYER],
                   guard=requires("note", "say what the amendment changes"), assign={"note": "last_note"},
                   event="orders.order.amended"),
        Transition("cancel", ("rfq", "quoted", "rejected"), "cancelled", BUY, who=[BUYER],
                   guard=requires("note", "say why the order is cancelled"), assign={"note": "last_note"},
                   record_at="closed_at", event="orders.order.cancelled"),
        Transition("dispatch", ("acknowledged", "partially_received"), "dispatched", SUPPLY, who=[SUPPLIER],
                   event="orders.order.dispatched"),
        Transition("receive", "dispatched", "received", RECEIVE, who=[BUYER], record_at="received_at",
                   event="orders.order.received", label="Receive"),
        Transition("receive_part", "dispatched", "partially_received", RECEIVE, who=[BUYER],
                   event="orders.order.received", label="Receive part"),
        Transition("invoice", ("received", "partially_received"), "invoiced", INVOICE, who=[SUPPLIER],
                   guard=_invoice_number, assign={"invoice_number": "invoice_number"}, record_at="invoiced_at",
                   event="orders.order.invoiced"),
        Transition("accept", "invoiced", "accepted", BUY, who=[BUYER], record_at="accepted_at",
                   event="orders.order.accepted", label="Accept invoice"),
        Transition("pay", "accepted", "paid", BUY, who=[BUYER],
                   guard=requires("payment_reference", "give the payment reference"),
                   assign={"payment_reference": "payment_reference"}, record_at="paid_at", event="orders.order.paid"),
        Transition("close", "paid", "closed", BUY, who=[BUYER], record_at="closed_at", event="orders.order.closed"),
    ])

#: Which side makes each transition (for pages and tests).
SUPPLIER_STEPS = frozenset({"quote", "decline", "acknowledge", "reject", "dispatch", "invoice"})
BUYER_STEPS = frozenset(ORDER.transitions) - SUPPLIER_STEPS


# -- money ------------------------------------------------------------------------------------------

def minor(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCIES.get(currency, 2))


def line_amount(quantity: int, unit_price: Decimal | None, currency: str) -> Decimal | None:
    """Quantity times unit price, rounded once to the currency's minor unit (half-even)."""
    if unit_price is None:
        return None
    return (Decimal(quantity) * unit_price).quantize(minor(currency), rounding=ROUND_HALF_EVEN)


def total(amounts: Iterable[Decimal | None]) -> Decimal | None:
    """The sum of the line amounts (exact; None while any line is unpriced)."""
    out = Decimal(0)
    for a in amounts:
        if a is None:
            return None
        out += a
    return out


# -- lead time and overdue ----------------------------------------------------------------------------

def is_overdue(status: str, promised: date | None, today: date) -> bool:
    """Past the promised date and still waiting for (the rest of) the delivery."""
    return status in AWAITING and promised is not None and today > promised


@dataclass(frozen=True)
class LeadTime:
    """Promised versus actual lead time of a group of orders (days): the customer wait time of
    each order is from placing the order to the receipt that completed it (for an order still
    awaited, to today: its age)."""

    supplier: str
    part: str
    orders: int
    received: int
    promised_mean: float | None
    actual_mean: float | None
    on_time: int
    late: int
    overdue_open: int

    @property
    def on_time_rate(self) -> float | None:
        return None if not self.received else round(self.on_time / self.received, 3)


def lead_days(ordered_at: datetime | None, received_at: datetime | None) -> int | None:
    if ordered_at is None or received_at is None:
        return None
    return (received_at.date() - ordered_at.date()).days
