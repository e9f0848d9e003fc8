"""Spares-order use cases: ask for a quotation, move an order through its workflow
(:data:`setu.orders.rules.ORDER`, every step audited and on the order's timeline), keep the fleet's
stock position in step (placing puts the quantity on order; a receipt moves the accepted quantity
from on order to serviceable stock in the same transaction; closing or cancelling releases what is
still on order), turn an approved readiness plan into requests, and measure suppliers' promised
against actual lead times. Services never commit."""
from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from setu.catalog import service as catalog
from setu.fleet import service as fleet
from setu.fleet.schemas import StockAdjust
from setu.identity import service as identity
from setu.kit.access import require
from setu.kit.db import utcnow
from setu.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from setu.kit.listing import Page, paginate
from setu.kit.money import CURRENCIES
from setu.kit.timestamps import as_utc
from setu.kit.uow import UnitOfWork
from setu.orders import repository as repo
from setu.orders import rules
from setu.orders.models import Order, OrderEvent, OrderLine
from setu.orders.policies import BUYER_KINDS, SUPPLIER_KINDS

MAX_LINES = 200
MAX_QTY = 1_000_000


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [FieldError(field, message)])


def _uuid(value: Any, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        raise _invalid(field, f"{value!r} is not an id") from None


def today() -> date:
    return utcnow().date()


# -- reading -------------------------------------------------------------------------------------

def list_orders(uow: UnitOfWork, *, status: str | None = None, supplier_org_id: uuid.UUID | None = None,
                overdue: bool = False, plan_id: uuid.UUID | None = None, sort: str | None = None,
                cursor: str | None = None, limit: int = 50, with_total: bool = True) -> Page[Order]:
    """Orders the actor may see, newest first by default (keyset paging)."""
    require(uow.actor, rules.READ)
    if status is not None and status not in rules.STATES:
        raise _invalid("status", f"must be one of: {', '.join(rules.STATES)}")
    stmt = repo.orders(uow.actor, status=status, supplier_org_id=supplier_org_id,
                       overdue_on=today() if overdue else None, plan_id=plan_id)
    return paginate(uow.session, stmt, model=Order, sortable=repo.ORDER_SORT, sort=sort or "-created_at",
                    cursor=cursor, limit=limit, with_total=with_total)


def get_order(uow: UnitOfWork, *, order_id: Any, for_update: bool = False) -> Order:
    """An order the actor may see (by id or number); any other is 404, as a missing one."""
    require(uow.actor, rules.READ)
    row = None
    try:
        key = order_id if isinstance(order_id, uuid.UUID) else uuid.UUID(str(order_id))
    except ValueError:
        key = None
    if key is not None:
        row = repo.order(uow.session, uow.actor, key, for_update=for_update)
    elif isinstance(order_id, str) and order_id.startswith("SO-"):
        found = repo.order_by_number(uow.session, uow.actor, order_id)
        row = repo.order(uow.session, uow.actor, found.id, for_update=for_update) if found else None
    if row is None:
        raise NotFound(f"order {order_id} not found")
    return row


def lines(uow: UnitOfWork, order: Order) -> list[OrderLine]:
    return repo.lines(uow.session, [order.id])[order.id]


def lines_of(uow: UnitOfWork, orders: Sequence[Order]) -> dict[uuid.UUID, list[OrderLine]]:
    return repo.lines(uow.session, [o.id for o in orders])


def timeline(uow: UnitOfWork, order: Order) -> list[OrderEvent]:
    return repo.events(uow.session, order.id)


def actions(uow: UnitOfWork, order: Order) -> list[str]:
    """The transitions the actor may make on the order now (pages show only these); the two
    receipt transitions show as one ``receive`` (the quantities decide which)."""
    names = [t.name for t in rules.ORDER.available(uow.actor, order)]
    return [n for n in names if n != "receive_part"] + (["receive"] if "receive_part" in names and
                                                        "receive" not in names else [])


def overdue(order: Order, on: date | None = None) -> bool:
    return rules.is_overdue(order.status, order.promised_date, on or today())


def order_total(order: Order, order_lines: Sequence[OrderLine]) -> Decimal | None:
    return rules.total(rules.line_amount(ln.quantity, ln.unit_price, order.currency) for ln in order_lines)


def accepted_total(order: Order, order_lines: Sequence[OrderLine]) -> Decimal | None:
    return rules.total(rules.line_amount(ln.accepted, ln.unit_price, order.currency) for ln in order_lines)


@dataclass(frozen=True)
class PartyDetails:
    """One side of an order as its documents name it."""

    organisation: str
    code: str
    kind: str
    party: str
    party_name: str


def party_details(uow: UnitOfWork, order: Order) -> tuple[PartyDetails, PartyDetails]:
    """(buyer, supplier) of the order."""
    out = []
    for oid in (order.buyer_org_id, order.supplier_org_id):
        o = identity.get_organisation(uow, organisation_id=oid)
        out.append(PartyDetails(o.name, o.code, o.kind, o.party.code, o.party.name))
    return out[0], out[1]


def organisation_names(uow: UnitOfWork, ids) -> dict[uuid.UUID, str]:
    out = {}
    for i in set(ids):
        o = identity.get_organisation(uow, organisation_id=i)
        out[i] = o.code
    return out


def suppliers(uow: UnitOfWork) -> list[tuple[uuid.UUID, str, str]]:
    """(id, code, name) of the supplier organisations (OEMs, export agencies, JVs) of the directory."""
    require(uow.actor, rules.READ)
    out = []
    for kind in SUPPLIER_KINDS:
        for o in identity.list_organisations(uow, kind=kind, limit=200).items:
            out.append((o.id, o.code, o.name))
    return sorted(out, key=lambda r: r[1])


def part_labels(uow: UnitOfWork, part_ids) -> dict[uuid.UUID, Any]:
    return catalog.part_facts(uow, part_ids=part_ids)


def site_label(uow: UnitOfWork, site_id: uuid.UUID) -> str:
    facts = fleet.site_facts(uow, site_ids=[site_id], scoped=False)
    return facts[site_id].code if site_id in facts else str(site_id)


# -- the request for quotation ----------------------------------------------------------------------

def _event(uow: UnitOfWork, order: Order, action: str, *, note: str | None = None, detail: Any = None,
           at: datetime | None = None) -> OrderEvent:
    ev = OrderEvent(order_id=order.id, at=at or utcnow(), action=action, state=order.status,
                    actor=uow.actor.name[:200], note=(note or "").strip() or None,
                    detail=json.dumps(detail, sort_keys=True) if detail else None)
    repo.add(uow.session, ev)
    return ev


def request_quotation(uow: UnitOfWork, *, supplier_org_id: Any, site_id: Any, currency: str,
                      rfq_valid_until: date, lines: Sequence[Mapping[str, Any]], title: str | None = None,
                      plan_id: uuid.UUID | None = None, contract_id: uuid.UUID | None = None) -> Order:
    """Ask a supplier (an OEM, an export agency or a JV) for a quotation for parts delivered to a
    site of the actor's party. Refused (422 naming the field, nothing stored): a supplier that is not
    one, a site the actor may not see, an unknown currency, a validity in the past, no lines, an
    unknown part, a quantity below 1."""
    actor = require(uow.actor, rules.RFQ)
    if actor.organisation_id is None or actor.party_id is None:
        raise _invalid("supplier_org_id", "only a member of an organisation asks for quotations")
    errors: list[FieldError] = []
    supplier = None
    try:
        supplier = identity.get_organisation(uow, organisation_id=_uuid(supplier_org_id, "supplier_org_id"))
    except NotFound:
        errors.append(FieldError("supplier_org_id", f"no organisation {supplier_org_id}"))
    except ValidationFailed as exc:
        errors += exc.errors
    if supplier is not None and supplier.kind not in SUPPLIER_KINDS:
        errors.append(FieldError("supplier_org_id", f"{supplier.code} is a {supplier.kind}; orders go to one of: "
                                 f"{', '.join(SUPPLIER_KINDS)}"))
    site = None
    try:
        site = fleet.get_site(uow, site_id=_uuid(site_id, "site_id"))
    except NotFound:
        errors.append(FieldError("site_id", f"no site {site_id} that you may see"))
    except ValidationFailed as exc:
        errors += exc.errors
    if currency not in CURRENCIES:
        errors.append(FieldError("currency", f"must be one of: {', '.join(sorted(CURRENCIES))}"))
    if not isinstance(rfq_valid_until, date) or rfq_valid_until < today():
        errors.append(FieldError("rfq_valid_until", "must be today or later"))
    if not lines:
        errors.append(FieldError("lines", "ask for at least one part"))
    if len(lines) > MAX_LINES:
        errors.append(FieldError("lines", f"at most {MAX_LINES} lines"))
    parsed: list[tuple[uuid.UUID, int]] = []
    for i, ln in enumerate(lines[:MAX_LINES]):
        try:
            pid = _uuid(ln.get("part_id"), f"lines[{i}].part_id")
        except ValidationFailed as exc:
            errors += exc.errors
            continue
        q = ln.get("quantity")
        if not isinstance(q, int) or isinstance(q, bool) or not 1 <= q <= MAX_QTY:
            errors.append(FieldError(f"lines[{i}].quantity", f"must be a whole number from 1 to {MAX_QTY}"))
            continue
        parsed.append((pid, q))
    found = catalog.part_facts(uow, part_ids=[p for p, _ in parsed]) if parsed else {}
    for i, (pid, _q) in enumerate(parsed):
        if pid not in found:
            errors.append(FieldError(f"lines[{i}].part_id", f"no part {pid}"))
    if errors:
        raise ValidationFailed("the request for quotation is not valid", errors)
    assert supplier is not None and site is not None
    first = found[parsed[0][0]]
    order = Order(number=repo.next_number(uow.session, today().year), status=rules.ORDER.initial,
                  buyer_org_id=actor.organisation_id, buyer_party_id=actor.party_id, supplier_org_id=supplier.id,
                  supplier_party_id=supplier.party_id, site_id=site.id, currency=currency,
                  title=((title or "").strip() or f"{first.part_number} {first.name}"
                         + (f" and {len(parsed) - 1} more" if len(parsed) > 1 else ""))[:200],
                  created_by=actor.name[:200], rfq_valid_until=rfq_valid_until, plan_id=plan_id,
                  contract_id=contract_id)
    repo.add(uow.session, order)
    repo.add(uow.session, *[OrderLine(order_id=order.id, line_no=i + 1, part_id=pid, quantity=q, dispatched=0,
                                      accepted=0, rejected=0) for i, (pid, q) in enumerate(parsed)])
    # the insert is audited by the audit hook (orders_order.insert)
    _event(uow, order, "request", note=f"valid until {rfq_valid_until.isoformat()}")
    return order


# -- the workflow -------------------------------------------------------------------------------------

def _quantities(raw: Mapping[str, Any] | None, by_id: dict[str, OrderLine], field: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for k, v in (raw or {}).items():
        key = str(k)
        if key not in by_id:
            raise _invalid(field, f"{key} is not a line of this order")
        try:
            n = int(v) if not isinstance(v, bool) and str(v).strip() != "" else 0
        except (TypeError, ValueError):
            raise _invalid(f"{field}.{key}", f"{v!r} is not a whole number") from None
        if n < 0 or n > MAX_QTY:
            raise _invalid(f"{field}.{key}", f"must be from 0 to {MAX_QTY}")
        out[key] = n
    return out


def _adjust(uow: UnitOfWork, order: Order, part_id: uuid.UUID, *, serviceable: int = 0, on_order: int = 0) -> None:
    """Change the stock position of ``part_id`` at the order's site (fleet's row-locked adjustment);
    on order never falls below zero (a position set by hand may hold less than the pipeline)."""
    if on_order < 0:
        pos = fleet.stock_facts(uow, part_ids=[part_id], site_ids=[order.site_id]).get((part_id, order.site_id))
        on_order = -min(-on_order, pos.on_order if pos else 0)
    if serviceable or on_order:
        fleet.adjust_stock(uow, part_id=part_id, site_id=order.site_id,
                           data=StockAdjust(serviceable=serviceable, on_order=on_order, reason=f"order {order.number}"))


def _outstanding(ln: OrderLine) -> int:
    return max(ln.quantity - ln.accepted, 0)


def advance(uow: UnitOfWork, *, order_id: Any, action: str, version: int | None = None, note: str | None = None,
            promised_days: int | None = None, quote_valid_until: date | None = None,
            prices: Mapping[str, Any] | None = None, quantities: Mapping[str, Any] | None = None,
            accepted: Mapping[str, Any] | None = None, rejected: Mapping[str, Any] | None = None,
            reason: str | None = None, invoice_number: str | None = None,
            payment_reference: str | None = None) -> Order:
    """Make ``action`` on the order (:data:`rules.ORDER`) as ``uow.actor``: an order not visible is
    404; a wrong state or a stale ``version`` 409; the wrong organisation or a missing permission
    403; a missing or bad argument 422 naming it (nothing changed). Each step is audited and on
    the order's timeline.

    - ``quote``: ``prices`` (line id -> unit price, every line), ``promised_days``, optional
      ``quote_valid_until`` (default 30 days);
    - ``place`` puts every line's quantity on order at the order's site;
    - ``amend``: ``quantities`` (line id -> new quantity, at least what was accepted) and ``note``;
    - ``dispatch``: ``quantities`` (line id -> units shipped; default: all that is outstanding);
    - ``receive``: ``accepted`` / ``rejected`` (line id -> units; default: all dispatched and not yet
      received are accepted), ``reason`` for any rejection. Accepted units leave on order and become
      serviceable stock in the same transaction; the order is *received* when every line's quantity
      is accepted, else *partially received* (the rest may be dispatched again);
    - ``invoice``: ``invoice_number``; the amount is the accepted quantities at the quoted prices;
    - ``pay``: ``payment_reference``; ``close`` and ``cancel`` release what is still on order.
    """
    order = get_order(uow, order_id=order_id, for_update=True)
    order_lines = lines(uow, order)
    by_id = {str(ln.id): ln for ln in order_lines}
    kw: dict[str, Any] = {}
    if note is not None:
        kw["note"] = note
    detail: dict[str, Any] = {}
    name = action
    if action == "receive_part":
        name = "receive"
    if name == "quote":
        rules.ORDER.check(uow.actor, order, "quote", version=version, promised_days=promised_days)
        parsed: dict[str, Decimal] = {}
        for k, v in (prices or {}).items():
            if str(k) not in by_id:
                raise _invalid("prices", f"{k} is not a line of this order")
            try:
                d = Decimal(str(v).strip())
            except (InvalidOperation, ValueError):
                raise _invalid(f"prices.{k}", f"{v!r} is not an amount") from None
            if not d.is_finite() or d <= 0 or d >= Decimal("1e15"):
                raise _invalid(f"prices.{k}", "must be an amount above zero")
            if d != d.quantize(rules.minor(order.currency)):
                raise _invalid(f"prices.{k}", f"{order.currency} has {CURRENCIES[order.currency]} decimals")
            parsed[str(k)] = d
        missing = [str(ln.line_no) for ln in order_lines if str(ln.id) not in parsed]
        if missing:
            raise _invalid("prices", f"quote a unit price for every line (missing: line {', '.join(missing)})")
        valid = quote_valid_until or (today() + timedelta(days=30))
        if valid < today():
            raise _invalid("quote_valid_until", "must be today or later")
        for k, d in parsed.items():
            by_id[k].unit_price = d
        order.quote_valid_until = valid
        kw["promised_days"] = promised_days
        detail = {"prices": {str(by_id[k].line_no): str(d) for k, d in parsed.items()}, "promised_days": promised_days,
                  "valid_until": valid.isoformat()}
    elif name == "place":
        kw["today"] = today()
    elif name == "amend":
        rules.ORDER.check(uow.actor, order, "amend", version=version, **kw)
        q = _quantities(quantities, by_id, "quantities")
        for k, n in q.items():
            ln = by_id[k]
            if n < max(ln.accepted, 1):
                raise _invalid(f"quantities.{k}", f"line {ln.line_no}: at least {max(ln.accepted, 1)} "
                               "(what was accepted already, and at least one)")
        detail = {"quantities": {}}
        for k, n in q.items():
            ln = by_id[k]
            if n != ln.quantity:
                _adjust(uow, order, ln.part_id, on_order=n - ln.quantity)
                detail["quantities"][str(ln.line_no)] = [ln.quantity, n]
                ln.quantity = n
        order.amendment += 1
        detail["amendment"] = order.amendment
    elif name == "dispatch":
        rules.ORDER.check(uow.actor, order, "dispatch", version=version)
        q = _quantities(quantities, by_id, "quantities") if quantities else {
            str(ln.id): _outstanding(ln) - (ln.dispatched - ln.accepted - ln.rejected) for ln in order_lines}
        for k, n in q.items():
            ln = by_id[k]
            room = ln.quantity - ln.accepted - (ln.dispatched - ln.accepted - ln.rejected)
            if n > room:
                raise _invalid(f"quantities.{k}", f"line {ln.line_no}: at most {room} are still to be delivered")
        if sum(q.values()) <= 0:
            raise _invalid("quantities", "dispatch at least one unit")
        order.dispatches += 1
        detail = {"advice": f"{order.number}-D{order.dispatches}", "lines": {}}
        for k, n in q.items():
            if n:
                by_id[k].dispatched += n
                detail["lines"][str(by_id[k].line_no)] = n
    elif name == "receive":
        rules.ORDER.check(uow.actor, order, "receive", version=version)
        acc = _quantities(accepted, by_id, "accepted")
        rej = _quantities(rejected, by_id, "rejected")
        if not acc and not rej:
            acc = {str(ln.id): ln.dispatched - ln.accepted - ln.rejected for ln in order_lines}
        if any(rej.values()) and not (reason or "").strip():
            raise _invalid("reason", "say why units are rejected")
        for ln in order_lines:
            k = str(ln.id)
            pending = ln.dispatched - ln.accepted - ln.rejected
            if acc.get(k, 0) + rej.get(k, 0) > pending:
                raise _invalid(f"accepted.{k}", f"line {ln.line_no}: {pending} were dispatched and not yet received")
        if sum(acc.values()) + sum(rej.values()) <= 0:
            raise _invalid("accepted", "receive at least one unit")
        detail = {"lines": {}}
        for ln in order_lines:
            a, r = acc.get(str(ln.id), 0), rej.get(str(ln.id), 0)
            if not (a or r):
                continue
            # rejected units go back to the supplier and are still owed (dispatching again may send them)
            ln.accepted += a
            ln.rejected += r
            if r:
                ln.rejection_reason = (reason or "").strip()[:500]
                detail.setdefault("rejected", {})[str(ln.line_no)] = r
            detail["lines"][str(ln.line_no)] = a
            _adjust(uow, order, ln.part_id, serviceable=a, on_order=-a)
        if reason and any(rej.values()):
            detail["reason"] = reason.strip()[:500]
        name = "receive" if all(ln.accepted >= ln.quantity for ln in order_lines) else "receive_part"
        now = utcnow()
        order.first_received_at = order.first_received_at or now
        order.received_at = now
    elif name == "invoice":
        kw["invoice_number"] = invoice_number
        rules.ORDER.check(uow.actor, order, "invoice", version=version, **kw)
        amount = accepted_total(order, order_lines)
        if not amount:
            raise _invalid("invoice_number", "nothing was accepted to invoice")
        order.invoice_amount = amount
        detail = {"amount": str(amount), "currency": order.currency}
    elif name == "pay":
        kw["payment_reference"] = payment_reference
    elif name in ("close", "cancel"):
        rules.ORDER.check(uow.actor, order, name, version=version, **kw)
        if order.ordered_at is not None:
            released = {}
            for ln in order_lines:
                if _outstanding(ln):
                    _adjust(uow, order, ln.part_id, on_order=-_outstanding(ln))
                    released[str(ln.line_no)] = _outstanding(ln)
            if released:
                detail = {"released_from_on_order": released}
    made = rules.ORDER.apply(uow, order, name, version=version, **kw)
    if made.name == "place":
        order.promised_date = as_utc(order.ordered_at).date() + timedelta(days=order.promised_days or 0)
        for ln in order_lines:
            _adjust(uow, order, ln.part_id, on_order=ln.quantity)
        detail = {"promised_date": order.promised_date.isoformat(),
                  "on_order": {str(ln.line_no): ln.quantity for ln in order_lines}}
    uow.session.flush()
    _event(uow, order, made.name, note=note or reason or invoice_number or payment_reference, detail=detail)
    return order


# -- from a readiness plan ------------------------------------------------------------------------------

def plan_offer(uow: UnitOfWork, *, plan_id: Any) -> dict[str, Any]:
    """What the plan page offers: may the actor turn the plan into requests now, and the requests
    made from it already."""
    from setu.readiness import service as readiness

    plan = readiness.get_plan(uow, plan_id=plan_id)
    made = list_orders(uow, plan_id=plan.id, limit=100, with_total=False).items if uow.actor.can(rules.READ) else []
    may = (plan.status == "approved" and uow.actor.can(rules.RFQ) and not made
           and uow.actor.organisation_kind in BUYER_KINDS)
    return {"may_order": may, "orders": made}


def orders_from_plan(uow: UnitOfWork, *, plan_id: Any, valid_days: int = 30) -> list[Order]:
    """Turn an approved readiness plan into requests for quotation: its buy lines, grouped by
    supplier (the OEM of the plan's equipment type; the origin's export agency when it names none)
    and by delivery site, one request each, in the plan's currency. Refused: a plan not approved
    (409), a plan already turned into requests (409), a plan without buys (422)."""
    from setu.readiness import service as readiness

    require(uow.actor, rules.RFQ)
    plan = readiness.get_plan(uow, plan_id=plan_id)
    if plan.status != "approved":
        raise Conflict(f"the plan is {plan.status}: only an approved plan becomes orders",
                       [FieldError("plan_id", plan.status)])
    if list_orders(uow, plan_id=plan.id, limit=1, with_total=False).items:
        raise Conflict("this plan was turned into requests already", [FieldError("plan_id", "done")])
    buys = [ln for ln in readiness.plan_lines(uow, plan_id=plan.id) if ln["buy"] > 0]
    if not buys:
        raise _invalid("plan_id", "the plan buys nothing")
    supplier = _plan_supplier(uow, plan.equipment_type_id)
    if supplier is None:
        raise _invalid("plan_id", "no supplier for the plan's equipment type (no OEM, no export agency)")
    by_site: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for ln in buys:
        by_site[ln["site_id"]].append(ln)
    out = []
    currency = plan.currency if plan.currency in CURRENCIES else "USD"
    for site_id, rows in sorted(by_site.items(), key=lambda kv: str(kv[0])):
        out.append(request_quotation(
            uow, supplier_org_id=supplier, site_id=site_id, currency=currency,
            rfq_valid_until=today() + timedelta(days=valid_days),
            lines=[{"part_id": r["part_id"], "quantity": int(r["buy"])} for r in rows],
            title=f"{plan.name} ({len(rows)} parts)"[:200], plan_id=plan.id))
    return out


def _plan_supplier(uow: UnitOfWork, equipment_type_id: uuid.UUID) -> uuid.UUID | None:
    et = catalog.get_equipment_type(uow, equipment_type_id=equipment_type_id)
    if et.oem_organisation_id is not None:
        return et.oem_organisation_id
    agencies = identity.list_organisations(uow, kind="export_agency", party_id=et.origin_party_id, limit=1).items
    return agencies[0].id if agencies else None


# -- supplier performance --------------------------------------------------------------------------------

def supplier_performance(uow: UnitOfWork, *, by_part: bool = False, on: date | None = None) -> list[rules.LeadTime]:
    """Promised versus actual lead time (days) per supplier (and per part with ``by_part``), over the
    placed orders the actor sees: the mean promised lead time, the mean actual one (order placed to
    the receipt that completed it) of the orders received, how many were on time or late, and how
    many open ones are overdue now."""
    require(uow.actor, rules.READ)
    at = on or today()
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    seen: set[tuple] = set()
    for oid, sup, part, status, promised, ordered_at, received_at, promised_date in repo.performance_rows(
            uow.session, uow.actor):
        key = (sup, part if by_part else None)
        if (key, oid) in seen:  # an order counts once per group, however many lines it has
            continue
        seen.add((key, oid))
        groups[key].append((status, promised, ordered_at, received_at, promised_date))
    names = organisation_names(uow, [k[0] for k in groups])
    parts = catalog.part_facts(uow, part_ids=[k[1] for k in groups if k[1]]) if by_part else {}
    out = []
    for (sup, part), rows in groups.items():
        promised = [p for _s, p, *_ in rows if p is not None]
        done = [(rules.lead_days(as_utc(o), as_utc(r)), p) for s, p, o, r, _pd in rows
                if r is not None and s not in ("dispatched", "partially_received")]
        actual = [d for d, _p in done if d is not None]
        on_time = sum(1 for d, p in done if d is not None and p is not None and d <= p)
        out.append(rules.LeadTime(
            supplier=names.get(sup, str(sup)), part=parts[part].part_number if part in parts else "",
            orders=len(rows), received=len(done),
            promised_mean=round(sum(promised) / len(promised), 1) if promised else None,
            actual_mean=round(sum(actual) / len(actual), 1) if actual else None,
            on_time=on_time, late=len(done) - on_time,
            overdue_open=sum(1 for s, _p, _o, _r, pd in rows if rules.is_overdue(s, pd, at))))
    return sorted(out, key=lambda r: (r.supplier, r.part))


def status_counts(uow: UnitOfWork) -> dict[str, int]:
    require(uow.actor, rules.READ)
    return repo.counts_by_status(uow.session, uow.actor)


# -- documents ----------------------------------------------------------------------------------------------

DOCUMENTS = {"order": "Purchase order", "dispatch": "Dispatch advice (delivery note)", "invoice": "Invoice"}
#: from which state on each document exists
DOCUMENT_FROM = {"order": ("ordered", "acknowledged", "rejected", "dispatched", "partially_received", "received",
                           "invoiced", "accepted", "paid", "closed"),
                 "dispatch": ("dispatched", "partially_received", "received", "invoiced", "accepted", "paid", "closed"),
                 "invoice": ("invoiced", "accepted", "paid", "closed")}
CURRENCY_NAMES = {"USD": "US dollars", "EUR": "euros", "GBP": "pounds sterling", "INR": "Indian rupees",
                  "RUB": "Russian roubles"}


def amount_in_words(amount: Decimal, currency: str) -> str:
    """``Decimal('1599.96'), 'USD'`` -> "US dollars one thousand, five hundred and ninety-nine and 96/100"
    (the whole units in English words, the minor units as a fraction: how cheques and invoices write it)."""
    from num2words import num2words

    q = amount.quantize(rules.minor(currency))
    whole = int(q)
    cents = int((q - whole) * (10 ** CURRENCIES.get(currency, 2)))
    return f"{CURRENCY_NAMES.get(currency, currency)} {num2words(whole, lang='en')} and {cents:02d}/100"


def documents_of(order: Order) -> list[tuple[str, str]]:
    return [(k, DOCUMENTS[k]) for k, states in DOCUMENT_FROM.items() if order.status in states]


def document(uow: UnitOfWork, *, order_id: Any, kind: str) -> dict[str, Any]:
    """What the order's document ``kind`` (order, dispatch, invoice) says: both parties, the lines
    with quantities, unit prices and amounts, the total in figures and in words. A document the
    order has not reached yet is 409; an unknown kind 422."""
    if kind not in DOCUMENTS:
        raise _invalid("kind", f"must be one of: {', '.join(DOCUMENTS)}")
    order = get_order(uow, order_id=order_id)
    if order.status not in DOCUMENT_FROM[kind]:
        raise Conflict(f"the order is {order.status}: it has no {DOCUMENTS[kind].lower()} yet",
                       [FieldError("kind", kind)])
    order_lines = lines(uow, order)
    buyer, supplier = party_details(uow, order)
    parts = catalog.part_facts(uow, part_ids=[ln.part_id for ln in order_lines])
    advice = None
    if kind == "dispatch":
        last = [e for e in timeline(uow, order) if e.action == "dispatch"][-1]
        advice = json.loads(last.detail or "{}")
    rows = []
    for ln in order_lines:
        p = parts.get(ln.part_id)
        qty = {"order": ln.quantity, "invoice": ln.accepted,
               "dispatch": int((advice or {}).get("lines", {}).get(str(ln.line_no), 0))}[kind]
        if kind == "dispatch" and not qty:
            continue
        rows.append({"line": ln.line_no, "part_number": p.part_number if p else str(ln.part_id),
                     "name": p.name if p else "", "quantity": qty, "unit_price": ln.unit_price,
                     "amount": rules.line_amount(qty, ln.unit_price, order.currency)})
    total_ = rules.total(r["amount"] for r in rows) or Decimal(0)
    number = {"order": order.number, "invoice": order.invoice_number or "",
              "dispatch": (advice or {}).get("advice", "")}[kind]
    return {"kind": kind, "title": DOCUMENTS[kind], "number": number, "order": order.number,
            "date": as_utc({"order": order.ordered_at, "invoice": order.invoiced_at}.get(kind) or utcnow()).date(),
            "buyer": buyer, "supplier": supplier, "site": site_label(uow, order.site_id),
            "currency": order.currency, "rows": rows, "total": total_,
            "total_words": amount_in_words(total_, order.currency),
            "promised_date": order.promised_date, "amendment": order.amendment,
            "payment_reference": order.payment_reference}


def document_xlsx(doc: dict[str, Any]) -> bytes:
    """The document as an Excel workbook: parties, lines, total in figures and in words."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = doc["kind"]
    ws.append([f"{doc['title']} {doc['number']}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["Order", doc["order"], "Date", doc["date"].isoformat()])
    for label, p in (("Buyer", doc["buyer"]), ("Supplier", doc["supplier"])):
        ws.append([label, p.organisation, p.code, f"{p.party} · {p.party_name}"])
    ws.append(["Deliver to", doc["site"], "Currency", doc["currency"]])
    ws.append([])
    ws.append(["Line", "Part number", "Description", "Quantity", f"Unit price ({doc['currency']})",
               f"Amount ({doc['currency']})"])
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
    for r in doc["rows"]:
        ws.append([r["line"], r["part_number"], r["name"], r["quantity"], r["unit_price"], r["amount"]])
        for c in ws[ws.max_row][4:6]:
            c.number_format = "#,##0.00"
    ws.append(["", "", "", "", "Total", doc["total"]])
    ws[ws.max_row][5].number_format = "#,##0.00"
    ws[ws.max_row][5].font = Font(bold=True)
    ws.append(["In words", doc["total_words"]])
    for col, width in zip("ABCDEF", (10, 22, 40, 12, 18, 18)):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
