"""The support flow end to end: each step by the entitled side only, postings balanced, ceilings
held (also under concurrency), signatures verified, tampering named by `verify`."""
from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from setu.kit.access import system_actor
from setu.kit.errors import Conflict, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork
from setu.ledger import service
from setu.ledger.models import LedgerBalance, LedgerPosting, LedgerSignature
from tests.ledger.world import act, make_world


def _request(w, **kw):
    args = dict(provider="RUS", activity="port visit", category="fuel and lubricants",
                description="diesel for INS Tabar at Vladivostok", requested_on=date(2025, 3, 1))
    args.update(kw)
    return act(w, w.ind, service.request_support, **args).id


def _verify(w):
    with UnitOfWork(system_actor("test"), engine=w.engine) as uow:
        return service.verify(uow)


def test_the_whole_flow_posts_balanced_entries_signed_by_each_side(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    tid = _request(w)
    # the requester's side may not accept its own request
    with pytest.raises(PermissionDenied, match="providing party"):
        act(w, w.ind, service.step, transaction_id=tid, action="accept")
    act(w, w.rus, service.step, transaction_id=tid, action="accept")
    act(w, w.rus, service.step, transaction_id=tid, action="claim", quantity="120", unit="kL", unit_price="65000",
        delivered_on=date(2025, 3, 4))
    # nobody confirms their own claim
    with pytest.raises(PermissionDenied, match="other party"):
        act(w, w.rus, service.step, transaction_id=tid, action="confirm", on=date(2025, 3, 5))
    tx = act(w, w.ind, service.step, transaction_id=tid, action="confirm", on=date(2025, 3, 5))
    assert tx.amount == Decimal("7800000.00") and tx.currency == "RUB"
    # exactly once
    with pytest.raises(Conflict, match="it is confirmed"):
        act(w, w.ind, service.step, transaction_id=tid, action="confirm")
    tx = act(w, w.rus, service.step, transaction_id=tid, action="invoice", method="cash", on=date(2025, 4, 1))
    assert tx.due_on == date(2025, 5, 31)
    with pytest.raises(ValidationFailed, match="must be 7800000.00"):
        act(w, w.rus, service.step, transaction_id=tid, action="settle", amount="100", on=date(2025, 5, 1))
    tx = act(w, w.rus, service.step, transaction_id=tid, action="settle", amount="7800000", on=date(2025, 5, 20))
    assert tx.status == "closed"
    assert _verify(w) == []
    with engine.connect() as c:
        bal = {(a, k): Decimal(b) for a, k, b in c.execute(select(LedgerBalance.account, LedgerBalance.commodity,
                                                                   LedgerBalance.balance))}
        steps = sorted(c.execute(select(LedgerSignature.step, LedgerSignature.party_code)).all())
    assert bal[("due:RUS:IND", "RUB")] == 0 and bal[("settled:RUS", "RUB")] == Decimal("7800000")
    assert bal[("received:IND", "kL")] == Decimal("120") and bal[("issued:RUS", "kL")] == Decimal("-120")
    assert steps == [("confirm", "IND"), ("settle", "RUS")]


def test_a_claim_over_the_ceiling_is_refused_and_changes_nothing(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path, ceiling="1000")
    tid = _request(w)
    act(w, w.rus, service.step, transaction_id=tid, action="accept")
    with pytest.raises(Conflict, match="exceeds the 2025 ceiling"):
        act(w, w.rus, service.step, transaction_id=tid, action="claim", quantity="2", unit="kL", unit_price="600",
            delivered_on=date(2025, 3, 4))
    with UnitOfWork(w.rus, engine=engine) as uow:
        assert service.get_transaction(uow, tid).status == "accepted"
        assert all(c.consumed == 0 for c in service.ceilings(uow))


def test_two_claims_that_together_exceed_the_ceiling_sent_at_once_only_one_succeeds(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path, ceiling="1000")
    tids = [_request(w) for _ in range(2)]
    for t in tids:
        act(w, w.rus, service.step, transaction_id=t, action="accept")
    barrier, results = threading.Barrier(2), []

    def claim(t):
        barrier.wait()
        try:
            act(w, w.rus, service.step, transaction_id=t, action="claim", quantity="1", unit="kL", unit_price="600",
                delivered_on=date(2025, 3, 4))
            results.append("ok")
        except Conflict as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=claim, args=(t,)) for t in tids]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(r == "ok" for r in results) == [False, True], results
    assert _verify(w) == []


def test_a_dispute_is_signed_and_the_provider_may_withdraw_releasing_the_ceiling(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path, ceiling="1000")
    tid = _request(w)
    act(w, w.rus, service.step, transaction_id=tid, action="accept")
    act(w, w.rus, service.step, transaction_id=tid, action="claim", quantity="1", unit="kL", unit_price="900")
    with pytest.raises(ValidationFailed, match="say what is disputed"):
        act(w, w.ind, service.step, transaction_id=tid, action="dispute")
    act(w, w.ind, service.step, transaction_id=tid, action="dispute", reason="only 0.8 kL received")
    act(w, w.rus, service.step, transaction_id=tid, action="withdraw")
    with UnitOfWork(w.rus, engine=engine) as uow:
        assert sum(c.consumed for c in service.ceilings(uow)) == 0
    assert _verify(w) == []


def test_verify_names_the_first_bad_posting_and_a_tampered_signature(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    tid = _request(w)
    act(w, w.rus, service.step, transaction_id=tid, action="accept")
    act(w, w.rus, service.step, transaction_id=tid, action="claim", quantity="10", unit="kL", unit_price="10")
    act(w, w.ind, service.step, transaction_id=tid, action="confirm")
    with engine.begin() as c:
        first = c.scalar(select(func.min(LedgerPosting.seq)))
        c.execute(update(LedgerPosting).where(LedgerPosting.seq == first).values(amount=Decimal("99")))
    problems = _verify(w)
    assert problems[0].startswith(f"posting {first} ") and "does not balance" in problems[0]
    with engine.begin() as c:
        c.execute(update(LedgerPosting).where(LedgerPosting.seq == first).values(amount=Decimal("100")))
        doc = c.scalar(select(LedgerSignature.document))
        doc = {**doc, "amount": "1.00"}
        c.execute(update(LedgerSignature).values(document=doc))
    assert any("signature of IND" in p and "does not verify" in p for p in _verify(w))


def test_postings_are_immutable_and_corrected_by_reversal(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    admin = system_actor("test")
    with UnitOfWork(admin, write=True, engine=engine) as uow:
        eid = service.post(uow, [service.Leg("a", "money", "INR", Decimal("5")), service.Leg("b", "money", "INR", Decimal("-5"))],
                           memo="t", on=date(2025, 1, 1))
        with pytest.raises(ValidationFailed, match="does not balance"):
            service.post(uow, [service.Leg("a", "money", "INR", Decimal("5")), service.Leg("b", "money", "RUB", Decimal("-5"))],
                         memo="t", on=date(2025, 1, 1))
        uow.commit()
    with UnitOfWork(admin, write=True, engine=engine) as uow:
        p = uow.session.scalars(select(LedgerPosting)).first()
        p.amount = Decimal("7")
        with pytest.raises(RuntimeError, match="immutable"):
            uow.session.flush()
    act(w, admin, service.reverse_entry, entry_id=eid, memo="wrong account", on=date(2025, 1, 2))
    with pytest.raises(Conflict, match="already reversed"):
        act(w, admin, service.reverse_entry, entry_id=eid, memo="again", on=date(2025, 1, 2))
    with engine.connect() as c:
        assert {b for (b,) in c.execute(select(LedgerBalance.balance))} == {0}
    assert _verify(w) == []


def test_the_yearly_statement_carries_both_signatures_each_verified_with_a_public_key_alone(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    tid = _request(w)
    act(w, w.rus, service.step, transaction_id=tid, action="accept")
    act(w, w.rus, service.step, transaction_id=tid, action="claim", quantity="10", unit="kL", unit_price="10",
        delivered_on=date(2025, 3, 4))
    act(w, w.ind, service.step, transaction_id=tid, action="confirm")
    with UnitOfWork(w.ind, engine=engine) as uow:
        st = service.statement(uow, year=2025)
    doc = service.sign_statement(service.sign_statement(st, "IND"), "RUS")
    assert [s["party"] for s in doc["signatures"]] == ["IND", "RUS"]
    for party in ("IND", "RUS"):
        ok, who = service.verify_statement(json.loads(json.dumps(doc)), service.public_key_pem(party))
        assert ok, who
    doc["statement"]["lines"][0]["amount"] = "1.00"
    ok, why = service.verify_statement(doc, service.public_key_pem("RUS"))
    assert not ok and "altered" in why


def test_a_request_outside_the_agreement_names_what_is_wrong(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    with pytest.raises(ValidationFailed) as e:
        _request(w, activity="invasion", description="guided missiles", requested_on=date(2030, 1, 1))
    msg = str(e.value)
    assert "activity" in msg and "prohibited item: guided missiles" in msg and "requested_on" in msg
    with pytest.raises(ValidationFailed, match="other party"):
        _request(w, provider="IND")
