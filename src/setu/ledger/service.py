"""Ledger use cases: agreement, ceilings and visits; the support flow (setu.ledger.rules.SUPPORT);
double-entry postings with stored balances locked in a fixed order; signatures; verification.

Every write runs in the caller's write unit of work (BEGIN IMMEDIATE on SQLite; rows locked with
SELECT ... FOR UPDATE in (account, kind, commodity) order on PostgreSQL, after the ceiling row):
a lock not had within the lock timeout is a 503 with Retry-After (setu.kit.uow)."""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any


from setu.identity.service import list_parties
from setu.kit import signing
from setu.kit.access import Actor, require, require_object
from setu.kit import audit
from setu.kit.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from setu.kit.money import parse_amount
from setu.kit.settings import get_settings
import io

from setu.kit.uow import UnitOfWork
from setu.ledger import repository as repo
from setu.ledger import rules
from setu.ledger.models import (LedgerAgreement, LedgerBalance, LedgerBatch, LedgerCeiling, LedgerPosting,
                                LedgerSignature, LedgerTransaction, LedgerVisit)

ZERO = Decimal("0")


# -- parties and keys --------------------------------------------------------------------------


def _parties(uow: UnitOfWork) -> dict[str, Any]:
    cache = uow.session.info.get("ledger_parties")
    if cache is None:
        cache = uow.session.info["ledger_parties"] = {p.code: p for p in list_parties(uow)}
    return cache


def _party(uow: UnitOfWork, code: str):
    p = _parties(uow).get(code)
    if p is None:
        raise ValidationFailed(f"unknown party {code!r}", [FieldError("party", f"{code!r} is not a party")])
    return p


def _code(uow: UnitOfWork, party_id) -> str:
    for code, p in _parties(uow).items():
        if p.id == party_id:
            return code
    raise NotFound(f"no party {party_id}")


def key_path(code: str) -> Path:
    return Path(get_settings().ledger_key_dir) / f"{code}.pem"


def public_key_pem(code: str, *, create: bool = True) -> str:
    """The party's public key (PEM), from its private key file or its registered ``<CODE>.pub.pem``
    (``create``: make this party's key when it has none yet)."""
    pub = Path(get_settings().ledger_key_dir) / f"{code}.pub.pem"
    if key_path(code).exists() or (create and not pub.exists()):
        return signing.public_pem(signing.load_or_create_key(key_path(code)).public_key())
    if not pub.exists():
        raise signing.SigningError(f"no ledger key of {code}: register its public key as {pub}")
    return pub.read_text()


_KEYS: dict[tuple[str, int, int], Any] = {}


def _signing_key(code: str):
    """The party's private key, read once per file version (path, size, mtime) and then kept:
    the file is still checked for its mode on every read of a new version (kit/signing)."""
    path = key_path(code)
    try:
        st = path.stat()
        k = (str(path), st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        return signing.load_or_create_key(path)
    key = _KEYS.get(k)
    if key is None:
        key = _KEYS[k] = signing.load_or_create_key(path)
    return key


def _sign(uow: UnitOfWork, tx: LedgerTransaction | None, step: str, code: str, record: dict[str, Any]) -> dict:
    doc = signing.sign({**record, "step": step, "party": code}, _signing_key(code))
    uow.session.add(LedgerSignature(transaction_id=tx.id if tx else None, step=step, party_code=code, document=doc))
    return doc


def _q3(v) -> str | None:
    return None if v is None else str(Decimal(v).quantize(Decimal("0.001")))


def canonical_record(uow: UnitOfWork, tx: LedgerTransaction) -> dict[str, Any]:
    """The fields a party signs: what was delivered, to whom, for how much."""
    return {"record": "ledger.support", "id": str(tx.id), "reference": tx.reference,
            "provider": _code(uow, tx.provider_party_id), "receiver": _code(uow, tx.receiver_party_id),
            "category": tx.category, "quantity": _q3(tx.quantity), "unit": tx.unit, "amount": str(tx.amount),
            "currency": tx.currency, "delivered_on": tx.delivered_on.isoformat() if tx.delivered_on else None,
            "settled_amount": str(tx.settled_amount or ZERO)}


# -- postings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    account: str
    kind: str  # money | quantity
    commodity: str
    amount: Decimal


def post(uow: UnitOfWork, legs: list[Leg], *, memo: str, on: date, transaction_id=None, batch_key: str | None = None,
         reverses: dict[int, int] | None = None) -> uuid.UUID:
    """Book one journal entry: refuse it unless each (kind, commodity) sums to zero; lock the
    balance rows in a fixed order, append the postings, move the stored balances.

    The postings and balance changes are added to the session; they reach the database with the
    unit of work's next flush (the step's one flush, audited in one chain append). Few round trips
    while the balance rows are locked: the posting numbers are taken first (``seq``), then the rows
    are locked in one ``SELECT ... ORDER BY account, kind, commodity FOR UPDATE`` after the audit
    chain's head (kit/audit.lock_head), which every writer takes first."""
    bad = rules.unbalanced((leg.kind, leg.commodity, leg.amount) for leg in legs)
    if bad:
        detail = ", ".join(f"{k[1]} ({k[0]}) off by {v}" for k, v in bad.items())
        raise ValidationFailed(f"the entry does not balance: {detail}", [FieldError("legs", detail)])
    s = uow.session
    seqs = repo.next_posting_seqs(s, len(legs))
    # the one lock order of every ledger writer: the audit chain's head, then the balance rows in
    # (account, kind, commodity) order (a new account's row is created, and audited, under the head)
    audit.lock_head(s)
    keys = sorted({(leg.account, leg.kind, leg.commodity) for leg in legs})
    rows = repo.balances_for_update(s, keys)  # fixed order: no two writers wait on each other in a cycle
    if len(rows) < len(keys):  # a new account: lock and create one by one, still in the fixed order
        s.flush()
        rows = {}
        for k in keys:
            row = repo.balance_for_update(s, *k)
            rows[k] = row if row is not None else _create_balance(uow, k)
    entry = uuid.uuid4()
    actor = uow.actor.name[:200]
    for i, leg in enumerate(legs):
        s.add(LedgerPosting(seq=seqs[i], entry_id=entry, transaction_id=transaction_id, batch_key=batch_key,
                            account=leg.account, kind=leg.kind, commodity=leg.commodity, amount=leg.amount,
                            memo=memo[:200], posted_on=on, created_by=actor, reverses_seq=(reverses or {}).get(i)))
        row = rows[(leg.account, leg.kind, leg.commodity)]
        row.balance = Decimal(row.balance) + leg.amount
        row.last_seq = max(int(row.last_seq or 0), seqs[i])
    return entry


def _create_balance(uow: UnitOfWork, k: tuple[str, str, str]) -> LedgerBalance:
    s = uow.session
    if s.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        s.execute(insert(LedgerBalance).values(id=uuid.uuid4(), account=k[0], kind=k[1], commodity=k[2], balance=ZERO,
                                               last_seq=0).on_conflict_do_nothing())
        return repo.balance_for_update(s, *k)
    row = LedgerBalance(account=k[0], kind=k[1], commodity=k[2], balance=ZERO, last_seq=0)
    s.add(row)
    s.flush()
    return row


def reverse_entry(uow: UnitOfWork, *, entry_id: str | uuid.UUID, memo: str, on: date) -> uuid.UUID:
    """Correct an entry by a reversing entry (the original stays); an entry is reversed once."""
    require(uow.actor, "ledger.posting.import")
    eid = uuid.UUID(str(entry_id))
    legs = repo.entry_legs(uow.session, eid)
    if not legs:
        raise NotFound(f"no journal entry {entry_id}")
    seqs = [p.seq for p in legs]
    if repo.reversals_of(uow.session, seqs):
        raise Conflict(f"entry {entry_id} is already reversed")
    new = post(uow, [Leg(p.account, p.kind, p.commodity, -Decimal(p.amount)) for p in legs],
               memo=f"reversal: {memo}", on=on, transaction_id=legs[0].transaction_id,
               reverses={i: p.seq for i, p in enumerate(legs)})
    audit.append(uow.session, [{"action": "ledger.posting.reverse", "object_type": "ledger_posting", "object_id": str(eid),
                                "before": None, "after": {"reversed_by": str(new), "memo": memo}}])
    return new


def import_batch(uow: UnitOfWork, *, key: str, entries: list[dict[str, Any]], on: date) -> int:
    """Import journal entries (``{"memo", "legs": [{"account", "kind", "commodity", "amount"}]}``)
    in this one transaction: all or nothing; a key already imported imports nothing (returns 0)."""
    require(uow.actor, "ledger.posting.import")
    if not key or len(key) > 200:
        raise ValidationFailed("a batch needs a key (1-200 characters)", [FieldError("key", "required")])
    s = uow.session
    if s.get(LedgerBatch, key) is not None:
        return 0
    s.add(LedgerBatch(key=key, postings=0, imported_by=uow.actor.name[:200]))
    s.flush()  # the key's row is the claim: a second run waits for, then sees, this one
    n = 0
    for i, e in enumerate(entries):
        try:
            legs = [Leg(str(l["account"]), str(l["kind"]), str(l["commodity"]), Decimal(str(l["amount"])))
                    for l in e["legs"]]
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise ValidationFailed(f"entry {i + 1}: bad leg ({exc})", [FieldError(f"entries[{i}]", str(exc))]) from None
        post(uow, legs, memo=str(e.get("memo", "import")), on=on, batch_key=key)
        n += len(legs)
    s.get(LedgerBatch, key).postings = n
    audit.append(s, [{"action": "ledger.posting.import", "object_type": "ledger_batch", "object_id": key,
                      "before": None, "after": {"postings": n}}])
    return n


# -- agreement, ceilings, visits ---------------------------------------------------------------


def create_agreement(uow: UnitOfWork, *, code: str, title: str, party_a: str, party_b: str, starts_on: date,
                     ends_on: date, activities=rules.ACTIVITIES, categories=rules.CATEGORIES,
                     prohibited=rules.PROHIBITED, presence_limits=None) -> LedgerAgreement:
    require(uow.actor, "ledger.agreement.update")
    if ends_on < starts_on:
        raise ValidationFailed("the agreement ends before it starts", [FieldError("ends_on", "before starts_on")])
    a = LedgerAgreement(code=code, title=title, party_a_id=_party(uow, party_a).id, party_b_id=_party(uow, party_b).id,
                        starts_on=starts_on, ends_on=ends_on, activities=list(activities), categories=list(categories),
                        prohibited=list(prohibited), presence_limits=dict(presence_limits or rules.PRESENCE_LIMITS))
    uow.session.add(a)
    uow.session.flush()
    return a


def agreement(uow: UnitOfWork, agreement_id=None) -> LedgerAgreement:
    require(uow.actor, "ledger.agreement.read")
    a = repo.first_agreement(uow.session, uuid.UUID(str(agreement_id)) if agreement_id else None)
    if a is None:
        raise NotFound("no ledger agreement")
    return a


def set_ceiling(uow: UnitOfWork, *, agreement_id, provider: str, category: str, year: int, amount: Any) -> LedgerCeiling:
    require(uow.actor, "ledger.agreement.update")
    a = agreement(uow, agreement_id)
    p = _party(uow, provider)
    if uow.actor.party_id is not None and uow.actor.party_id != p.id:
        raise PermissionDenied("a party sets the ceilings of the support its own forces provide")
    if category not in a.categories:
        raise ValidationFailed(f"{category!r} is not a category of the agreement", [FieldError("category", "unknown")])
    value = parse_amount(amount, p.currency)
    c = repo.ceiling_for_update(uow.session, a.id, p.id, category, year)
    if c is None:
        c = LedgerCeiling(agreement_id=a.id, provider_party_id=p.id, category=category, year=year, currency=p.currency,
                          amount=value, consumed=ZERO)
        uow.session.add(c)
    else:
        if value < c.consumed:
            raise Conflict(f"the ceiling cannot go below what claims already consume ({c.consumed} {c.currency})")
        c.amount = value
    uow.session.flush()
    return c


def ceilings(uow: UnitOfWork, agreement_id=None) -> list[LedgerCeiling]:
    a = agreement(uow, agreement_id)
    return repo.ceilings(uow.session, a.id)


def record_visit(uow: UnitOfWork, *, agreement_id=None, visiting: str, activity: str, place: str, starts_on: date,
                 ends_on: date, ships: int = 0, aircraft: int = 0, personnel: int = 0) -> LedgerVisit:
    """A visit of one party's forces, refused when it exceeds a presence limit of the agreement."""
    require(uow.actor, "ledger.agreement.update")
    a = agreement(uow, agreement_id)
    errors = [FieldError(k, f"{v} exceeds the agreed limit of {a.presence_limits[k]}")
              for k, v in (("ships", ships), ("aircraft", aircraft), ("personnel", personnel))
              if v < 0 or v > int(a.presence_limits.get(k, 0))]
    if activity not in a.activities:
        errors.append(FieldError("activity", f"{activity!r} is not a permitted activity"))
    if errors:
        raise ValidationFailed("the visit is outside the agreement: " + "; ".join(f"{e.field} {e.message}" for e in errors), errors)
    v = LedgerVisit(agreement_id=a.id, visiting_party_id=_party(uow, visiting).id, activity=activity, place=place,
                    starts_on=starts_on, ends_on=ends_on, ships=ships, aircraft=aircraft, personnel=personnel,
                    recorded_by=uow.actor.name[:200])
    uow.session.add(v)
    uow.session.flush()
    return v


def visits(uow: UnitOfWork, agreement_id=None) -> list[LedgerVisit]:
    a = agreement(uow, agreement_id)
    return repo.visits(uow.session, a.id)


# -- the support flow --------------------------------------------------------------------------


def transactions(uow: UnitOfWork, *, status: str | None = None) -> list[LedgerTransaction]:
    require(uow.actor, "ledger.support.read")
    return repo.transactions(uow.session, uow.actor, status)


def get_transaction(uow: UnitOfWork, transaction_id, *, lock: bool = False) -> LedgerTransaction:
    require(uow.actor, "ledger.support.read")
    try:
        tid = uuid.UUID(str(transaction_id))
    except ValueError:
        raise NotFound(f"no support transaction {transaction_id}") from None
    tx = repo.transaction(uow.session, uow.actor, tid, lock=lock)
    if tx is None:
        raise NotFound(f"no support transaction {transaction_id}")
    return tx


def request_support(uow: UnitOfWork, *, provider: str, activity: str, category: str, description: str,
                    requested_on: date, receiver: str | None = None, agreement_id=None) -> LedgerTransaction:
    """The receiving side's officer asks the provider for support."""
    actor = require(uow.actor, "ledger.support.create")
    a = agreement(uow, agreement_id)
    prov = _party(uow, provider)
    recv_id = actor.party_id if not actor.system else _party(uow, receiver or "").id
    errors = []
    if prov.id == recv_id or {prov.id, recv_id} != {a.party_a_id, a.party_b_id}:
        errors.append(FieldError("provider", "must be the other party of the agreement"))
    if activity not in a.activities:
        errors.append(FieldError("activity", f"{activity!r} is not a permitted activity"))
    if category not in a.categories:
        errors.append(FieldError("category", f"{category!r} is not a category of support"))
    banned = [b for b in a.prohibited if b.lower() in description.lower()]
    if banned:
        errors.append(FieldError("description", f"names a prohibited item: {banned[0]}"))
    if not (a.starts_on <= requested_on <= a.ends_on):
        errors.append(FieldError("requested_on", f"outside the agreement ({a.starts_on} to {a.ends_on})"))
    if errors:
        raise ValidationFailed("the request is outside the agreement: " + "; ".join(f"{e.field} {e.message}" for e in errors), errors)
    n = repo.transaction_count(uow.session)
    tx = LedgerTransaction(agreement_id=a.id, reference=f"LS-{requested_on.year}-{n + 1:05d}-{uuid.uuid4().hex[:4]}",
                           provider_party_id=prov.id, receiver_party_id=recv_id, activity=activity, category=category,
                           description=description, status="requested", requested_by=actor.name[:200],
                           requested_on=requested_on, settled_amount=ZERO)
    uow.session.add(tx)
    uow.session.flush()
    return tx


def _dec(value: Any, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{field} {value!r} is not a number", [FieldError(field, "not a number")]) from None
    if not d.is_finite() or d <= 0:
        raise ValidationFailed(f"{field} must be positive", [FieldError(field, "must be positive")])
    return d


def step(uow: UnitOfWork, *, transaction_id, action: str, version: int | None = None, on: date | None = None,
         **kw: Any) -> LedgerTransaction:
    """One step of the support flow by the side entitled to it, audited, with its postings.

    The step is checked first (state, version, actor, guard: kit/workflow); its postings and
    signature are then added and the workflow's transition flushes them together with the
    transaction's change, so the step is one flush and the balance rows stay locked only for that
    flush and the commit."""
    today = on or date.today()
    tx = get_transaction(uow, transaction_id, lock=True)
    t = rules.SUPPORT.transition(action)
    if t.permission in ("ledger.claim.confirm", "ledger.settlement.approve"):
        # the other side only: the receiver confirms the provider's claim; the provider signs off what it received
        recorded_by = tx.provider_party_id if t.permission == "ledger.claim.confirm" else tx.receiver_party_id
        require_object(uow.actor, t.permission, parties=(tx.provider_party_id, tx.receiver_party_id),
                       recorded_by_party_id=recorded_by)
    prov, recv = _code(uow, tx.provider_party_id), _code(uow, tx.receiver_party_id)
    if action == "invoice":
        kw.setdefault("method", "cash")
    elif action == "convert_to_cash":
        kw["today"] = today
    rules.SUPPORT.check(uow.actor, tx, action, version=version, **kw)
    if action == "claim":
        qty, price = _dec(kw.get("quantity"), "quantity"), _dec(kw.get("unit_price") or kw.get("amount"), "unit_price")
        provider = _party(uow, prov)
        amount = parse_amount(qty * price if kw.get("unit_price") else price, provider.currency)
        delivered = kw.get("delivered_on") or today
        _consume(uow, tx, amount, delivered.year)
        tx.quantity, tx.unit, tx.unit_price, tx.amount, tx.currency, tx.delivered_on = (
            qty, str(kw["unit"]), (price if kw.get("unit_price") else None), amount, provider.currency, delivered)
        kw = {"quantity": qty, "unit": kw["unit"], "amount": amount}
    elif action == "withdraw":
        _release(uow, tx)
    elif action == "settle":
        amount = parse_amount(kw.get("amount", tx.amount), tx.currency or "USD")
        if amount != tx.amount - (tx.settled_amount or ZERO):
            raise ValidationFailed(f"a settlement closes the transaction: it must be {tx.amount - tx.settled_amount} "
                                   f"{tx.currency} (value delivered), not {amount}", [FieldError("amount", "must equal value delivered")])
    elif action == "offset":
        if not (tx.delivered_on and rules.offset_due(tx.delivered_on, today)):
            raise Conflict(f"only credits open over {rules.OFFSET_AFTER_MONTHS} months are offset "
                           f"(delivered {tx.delivered_on})")
    # the effects of the checked step, flushed and audited with the state change by SUPPORT.apply
    if action == "confirm":
        post(uow, [Leg(rules.account("due", prov, recv), "money", tx.currency, tx.amount),
                   Leg(rules.account("provided", prov), "money", tx.currency, -tx.amount),
                   Leg(rules.account("received", recv), "quantity", tx.unit, tx.quantity),
                   Leg(rules.account("issued", prov), "quantity", tx.unit, -tx.quantity)],
             memo=f"{tx.reference} confirmed", on=today, transaction_id=tx.id)
        _sign(uow, tx, "confirm", recv, canonical_record(uow, tx))
    elif action == "dispute":
        _sign(uow, tx, "dispute", recv, {**canonical_record(uow, tx), "reason": kw.get("reason")})
    elif action == "invoice":
        tx.invoiced_on, tx.settlement_method = today, kw["method"]
        tx.due_on = rules.due_date(kw["method"], invoiced_on=today, delivered_on=tx.delivered_on)
    elif action in ("settle", "offset"):
        value = tx.amount - tx.settled_amount
        tx.settled_amount, tx.settled_on, tx.closed_on = tx.amount, today, today
        if action == "offset":
            tx.offset_on = today
        post(uow, [Leg(rules.account("settled" if action == "settle" else "offset", prov), "money", tx.currency, value),
                   Leg(rules.account("due", prov, recv), "money", tx.currency, -value)],
             memo=f"{tx.reference} {'settled by ' + (tx.settlement_method or 'cash') if action == 'settle' else 'offset'}",
             on=today, transaction_id=tx.id)
        _sign(uow, tx, "settle" if action == "settle" else "offset", prov, canonical_record(uow, tx))
    rules.SUPPORT.apply(uow, tx, action, version=version, **kw)
    if action == "convert_to_cash":  # after the guard, which reads the method that was missed
        tx.settlement_method, tx.due_on = "cash", rules.due_date("cash", invoiced_on=today, delivered_on=tx.delivered_on)
        uow.session.flush()
    return tx


def _consume(uow: UnitOfWork, tx: LedgerTransaction, amount: Decimal, year: int) -> None:
    """Take ``amount`` of the year's ceiling (a revised claim after a dispute first gives back what
    the disputed one held); the ceiling row is locked, so two claims never both take the last of it."""
    _release(uow, tx)
    c = repo.ceiling_for_update(uow.session, tx.agreement_id, tx.provider_party_id, tx.category, year)
    if c is None:
        raise Conflict(f"no ceiling is agreed for {tx.category} provided in {year}: set one first")
    if Decimal(c.consumed) + amount > Decimal(c.amount):
        raise Conflict(f"the claim of {amount} {c.currency} exceeds the {year} ceiling for {tx.category}: "
                       f"{c.amount} {c.currency}, of which {c.consumed} is already claimed",
                       [FieldError("amount", f"at most {Decimal(c.amount) - Decimal(c.consumed)}")])
    c.consumed = Decimal(c.consumed) + amount
    tx.ceiling_id = c.id


def _release(uow: UnitOfWork, tx: LedgerTransaction) -> None:
    if tx.ceiling_id is None:
        return
    c = repo.ceiling_by_id_for_update(uow.session, tx.ceiling_id)
    c.consumed = Decimal(c.consumed) - Decimal(tx.amount or 0)
    tx.ceiling_id = None


def available(actor: Actor | None, tx: LedgerTransaction) -> list:
    """The steps ``actor`` may take now (the page's buttons)."""
    return rules.SUPPORT.available(actor, tx)


# -- balances, ageing, reconciliation ----------------------------------------------------------


def balances(uow: UnitOfWork) -> list[LedgerBalance]:
    require(uow.actor, "ledger.support.read")
    return repo.balances(uow.session)


def ageing(uow: UnitOfWork, *, today: date) -> dict[str, dict[str, dict[str, Decimal]]]:
    """Open receivables per (provider owed, currency) and ageing bucket (days since delivery)."""
    out: dict[str, dict[str, dict[str, Decimal]]] = {}
    for tx in transactions(uow):
        if tx.status not in ("confirmed", "invoiced") or tx.amount is None:
            continue
        key = f"{_code(uow, tx.receiver_party_id)} owes {_code(uow, tx.provider_party_id)}"
        b = out.setdefault(key, {}).setdefault(tx.currency, {name: ZERO for *_x, name in rules.AGEING})
        b[rules.ageing_bucket((today - tx.delivered_on).days)] += tx.amount - tx.settled_amount
    return out


def overdue(uow: UnitOfWork, *, today: date) -> list[LedgerTransaction]:
    return [t for t in transactions(uow, status="invoiced") if t.due_on and t.due_on < today]


def reconciliation(uow: UnitOfWork, *, year: int) -> list[dict[str, Any]]:
    """Per quarter, provider and currency: delivered (confirmed claims) against invoiced against
    settled, and every transaction that differs (delivered, not invoiced; invoiced, not settled)."""
    rows: dict[tuple, dict[str, Any]] = {}
    for tx in transactions(uow):
        if tx.delivered_on is None or tx.delivered_on.year != year or tx.status in ("claimed", "disputed", "withdrawn"):
            continue
        q = (tx.delivered_on.month - 1) // 3 + 1
        key = (f"{year}-Q{q}", _code(uow, tx.provider_party_id), tx.currency)
        r = rows.setdefault(key, {"period": key[0], "provider": key[1], "currency": key[2], "delivered": ZERO,
                                  "invoiced": ZERO, "settled": ZERO, "differences": []})
        r["delivered"] += tx.amount
        if tx.invoiced_on:
            r["invoiced"] += tx.amount
        else:
            r["differences"].append(f"{tx.reference}: delivered {tx.amount} {tx.currency}, not invoiced")
        r["settled"] += tx.settled_amount or ZERO
        if tx.invoiced_on and tx.status != "closed":
            r["differences"].append(f"{tx.reference}: invoiced {tx.amount} {tx.currency}, settled {tx.settled_amount}"
                                    + (f", due {tx.due_on}" if tx.due_on else ""))
    return [rows[k] for k in sorted(rows)]


# -- verification ------------------------------------------------------------------------------


def verify(uow: UnitOfWork) -> list[str]:
    """Replay every posting in order: each entry balances per (kind, commodity); stored balances
    equal the replay; ceilings hold; every signature verifies. The problems found, the first
    bad posting named first (empty: the ledger is sound)."""
    require(uow.actor, "ledger.support.read")
    s = uow.session
    problems: list[str] = []
    replay: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    entries: dict[uuid.UUID, list[LedgerPosting]] = {}
    order: list[uuid.UUID] = []
    for p in repo.postings_in_order(s):
        if p.entry_id not in entries:
            entries[p.entry_id] = []
            order.append(p.entry_id)
        entries[p.entry_id].append(p)
        replay[(p.account, p.kind, p.commodity)] += Decimal(p.amount)
    for eid in order:
        bad = rules.unbalanced((p.kind, p.commodity, Decimal(p.amount)) for p in entries[eid])
        if bad:
            problems.append(f"posting {entries[eid][0].seq} (entry {eid}) does not balance: "
                            + ", ".join(f"{k[1]} off by {v}" for k, v in bad.items()))
    for b in repo.balances(s):
        want = replay.pop((b.account, b.kind, b.commodity), ZERO)
        if Decimal(b.balance) != want:
            problems.append(f"balance {b.account} {b.commodity} is {b.balance} but the postings replay to {want} "
                            f"(last posting {b.last_seq})")
    for k, v in replay.items():
        if v != 0:
            problems.append(f"account {k[0]} {k[2]} has postings ({v}) but no stored balance")
    for c in repo.ceilings(s):
        used = repo.claimed_against(s, c.id)
        if Decimal(used) != Decimal(c.consumed) or Decimal(c.consumed) > Decimal(c.amount):
            problems.append(f"ceiling {c.category} {c.year}: consumed {c.consumed}, claims {used}, ceiling {c.amount}")
    keys: dict[str, Any] = {}
    for sig in repo.signatures(s):
        code = sig.party_code
        if code not in keys:
            try:
                keys[code] = signing.load_public(public_key_pem(code, create=False))
            except signing.SigningError as exc:
                keys[code] = None
                problems.append(str(exc))
        if keys[code] is None:
            continue
        if not signing.verify(sig.document, keys[code]):
            problems.append(f"the {sig.step} signature of {code} on {sig.document.get('reference')} does not verify")
        elif sig.transaction_id is not None and sig.step != "dispute":  # a revised claim follows a dispute
            tx = s.get(LedgerTransaction, sig.transaction_id)
            signed = {k: sig.document.get(k) for k in ("amount", "currency", "quantity", "unit", "provider", "receiver")}
            now = {k: v for k, v in canonical_record(uow, tx).items() if k in signed}
            if signed != now:
                problems.append(f"{tx.reference} was changed after {code} signed its {sig.step}")
    return problems


# -- yearly statement --------------------------------------------------------------------------


def statement(uow: UnitOfWork, *, year: int, agreement_id=None) -> dict[str, Any]:
    """The yearly settlement statement (canonical JSON-able): every transaction delivered in the
    year, totals per provider and currency, what remains owed."""
    require(uow.actor, "ledger.statement.read")
    a = agreement(uow, agreement_id)
    lines, totals = [], {}
    for tx in sorted(transactions(uow), key=lambda t: t.reference):
        if tx.delivered_on is None or tx.delivered_on.year != year or tx.status in ("withdrawn",):
            continue
        prov = _code(uow, tx.provider_party_id)
        lines.append({"reference": tx.reference, "provider": prov, "receiver": _code(uow, tx.receiver_party_id),
                      "category": tx.category, "delivered_on": tx.delivered_on.isoformat(), "quantity": str(tx.quantity),
                      "unit": tx.unit, "amount": str(tx.amount), "currency": tx.currency, "status": tx.status,
                      "settled": str(tx.settled_amount)})
        t = totals.setdefault(f"{prov} {tx.currency}", {"delivered": ZERO, "settled": ZERO})
        if tx.status not in ("claimed", "disputed"):
            t["delivered"] += tx.amount
        t["settled"] += tx.settled_amount or ZERO
    return {"record": "ledger.statement", "agreement": a.code, "year": year, "lines": lines,
            "totals": {k: {"delivered": str(v["delivered"]), "settled": str(v["settled"]),
                           "open": str(v["delivered"] - v["settled"])} for k, v in sorted(totals.items())}}


def sign_statement(doc: dict[str, Any], party: str) -> dict[str, Any]:
    """Add ``party``'s signature over the statement (the body, without the signatures)."""
    body = doc.get("statement", doc)
    key = signing.load_or_create_key(key_path(party))
    sig = signing.sign({"statement": body, "party": party}, key)
    signatures = [s for s in doc.get("signatures", []) if s.get("party") != party]
    signatures.append({"party": party, "key_id": sig["key_id"], "signature": sig["signature"]})
    return {"statement": body, "signatures": signatures}


def verify_statement(doc: dict[str, Any], public_pem: str) -> tuple[bool, str]:
    """Offline: does the signature made with this public key verify over the statement? Returns
    (ok, who signed or what is wrong)."""
    try:
        pub = signing.load_public(public_pem)
    except signing.SigningError as exc:
        return False, str(exc)
    kid = signing.key_id(pub)
    for s in doc.get("signatures", []):
        if s.get("key_id") == kid:
            ok = signing.verify({"statement": doc.get("statement"), "party": s.get("party"), "key_id": kid,
                                 "signature": s.get("signature")}, pub)
            return ok, (f"signed by {s.get('party')} (key {kid})" if ok else
                        f"the signature of {s.get('party')} (key {kid}) does not verify: the statement was altered")
    return False, f"no signature by key {kid} in the statement"


# -- the statement as Excel ------------------------------------------------------------------

def statement_xlsx(doc: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    st = doc.get("statement", doc)
    wb = Workbook()
    ws = wb.active
    ws.title = f"Statement {st['year']}"
    ws.append([f"Yearly settlement statement {st['year']}, agreement {st['agreement']}"])
    ws.append(["Reference", "Provider", "Receiver", "Category", "Delivered on", "Quantity", "Unit", "Amount",
               "Currency", "Settled", "Status"])
    for ln in st["lines"]:
        ws.append([ln["reference"], ln["provider"], ln["receiver"], ln["category"], ln["delivered_on"], ln["quantity"],
                   ln["unit"], ln["amount"], ln["currency"], ln["settled"], ln["status"]])
    ws.append([])
    ws.append(["Totals (provider, currency)", "Delivered", "Settled", "Open"])
    for k, v in st["totals"].items():
        ws.append([k, v["delivered"], v["settled"], v["open"]])
    ws.append([])
    ws.append(["Signed by", "Key id", "Ed25519 signature (base64)"])
    for s in doc.get("signatures", []):
        ws.append([s["party"], s["key_id"], s["signature"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def held_signatures(doc: dict[str, Any], parties: list[str]) -> dict[str, Any]:
    """``doc`` signed by each of ``parties`` whose private key this installation holds."""
    for code in parties:
        if key_path(code).exists():
            doc = sign_statement(doc, code)
    return doc if "signatures" in doc else {"statement": doc, "signatures": []}
