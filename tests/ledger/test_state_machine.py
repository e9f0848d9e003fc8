"""Random sequences of requests, claims, confirmations, disputes, withdrawals, invoices,
settlements and reversals against an in-memory model; after every step: each entry balances,
stored balances equal the replay of postings (and the model), ceilings hold."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from setu.kit.access import system_actor
from setu.kit.errors import Conflict, SetuError
from setu.kit.uow import UnitOfWork
from setu.ledger import service
from setu.ledger.models import LedgerBalance, LedgerCeiling
from tests.ledger.world import act, make_world

CEILING = Decimal("1000")


def test_random_sequences_keep_the_ledger_sound(sqlite_url, monkeypatch, tmp_path):
    from setu.kit.db import make_engine

    engine = make_engine(sqlite_url)
    w = make_world(engine, monkeypatch, tmp_path, ceiling="1")
    sys = system_actor("test")

    class Ledger(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            with UnitOfWork(sys, write=True, engine=engine) as uow:
                a = service.create_agreement(uow, code=uuid.uuid4().hex[:12], title="t", party_a="IND", party_b="RUS",
                                             starts_on=date(2025, 1, 1), ends_on=date(2027, 12, 31))
                for p in ("IND", "RUS"):
                    service.set_ceiling(uow, agreement_id=a.id, provider=p, category="food", year=2025, amount=CEILING)
                self.aid = a.id
                uow.commit()
            with engine.connect() as c:
                self.balances = defaultdict(Decimal, {(r.account, r.kind, r.commodity): Decimal(r.balance)
                                                      for r in c.execute(select(LedgerBalance))})
            self.tx: dict[uuid.UUID, dict] = {}
            self.consumed = {"IND": Decimal(0), "RUS": Decimal(0)}
            self.entries: list[uuid.UUID] = []
            self.amounts: dict[uuid.UUID, tuple[Decimal, str]] = {}

        def actors(self, provider):
            return (w.rus, w.ind) if provider == "RUS" else (w.ind, w.rus)

        def _in(self, status):
            return [k for k, v in self.tx.items() if v["status"] == status]

        @rule(provider=st.sampled_from(["IND", "RUS"]))
        def request(self, provider):
            prov, recv = self.actors(provider)
            t = act(w, recv, service.request_support, agreement_id=self.aid, provider=provider, activity="exercise",
                    category="food", description="rations", requested_on=date(2025, 6, 1))
            act(w, prov, service.step, transaction_id=t.id, action="accept")
            self.tx[t.id] = {"status": "accepted", "provider": provider, "amount": None, "qty": None}

        @rule(data=st.data(), price=st.integers(1, 700), qty=st.integers(1, 3))
        def claim(self, data, price, qty):
            ids = self._in("accepted") + self._in("disputed")
            if not ids:
                return
            tid = data.draw(st.sampled_from(ids))
            m = self.tx[tid]
            prov, _ = self.actors(m["provider"])
            amount = Decimal(price)
            held = m["amount"] if m["status"] == "disputed" else Decimal(0)
            fits = self.consumed[m["provider"]] - held + amount <= CEILING
            try:
                act(w, prov, service.step, transaction_id=tid, action="claim", quantity=qty, unit="kg", amount=str(price),
                    delivered_on=date(2025, 6, 2))
            except Conflict as exc:
                assert not fits and "ceiling" in str(exc), exc
                return
            assert fits
            self.consumed[m["provider"]] += amount - held  # a revised claim gives back the disputed one's share
            m.update(status="claimed", amount=amount, qty=Decimal(qty))

        @rule(data=st.data(), confirm=st.booleans())
        def decide(self, data, confirm):
            ids = self._in("claimed")
            if not ids:
                return
            tid = data.draw(st.sampled_from(ids))
            m = self.tx[tid]
            prov_actor, recv_actor = self.actors(m["provider"])
            try:  # the provider may never decide its own claim
                act(w, prov_actor, service.step, transaction_id=tid, action="confirm")
                raise AssertionError("the provider confirmed its own claim")
            except SetuError:
                pass
            if confirm:
                act(w, recv_actor, service.step, transaction_id=tid, action="confirm")
                p, r = m["provider"], "IND" if m["provider"] == "RUS" else "RUS"
                cur = "RUB" if p == "RUS" else "INR"
                self.balances[(f"due:{p}:{r}", "money", cur)] += m["amount"]
                self.balances[(f"provided:{p}", "money", cur)] -= m["amount"]
                self.balances[(f"received:{r}", "quantity", "kg")] += m["qty"]
                self.balances[(f"issued:{p}", "quantity", "kg")] -= m["qty"]
                m["status"] = "confirmed"
            else:
                act(w, recv_actor, service.step, transaction_id=tid, action="dispute", reason="short delivery")
                m["status"] = "disputed"

        @rule(data=st.data())
        def withdraw(self, data):
            ids = self._in("disputed")
            if not ids:
                return
            tid = data.draw(st.sampled_from(ids))
            m = self.tx[tid]
            act(w, self.actors(m["provider"])[0], service.step, transaction_id=tid, action="withdraw")
            self.consumed[m["provider"]] -= m["amount"]
            m["status"] = "withdrawn"

        @rule(data=st.data())
        def invoice_and_settle(self, data):
            ids = self._in("confirmed")
            if not ids:
                return
            tid = data.draw(st.sampled_from(ids))
            m = self.tx[tid]
            prov = self.actors(m["provider"])[0]
            act(w, prov, service.step, transaction_id=tid, action="invoice", method="cash", on=date(2025, 7, 1))
            act(w, prov, service.step, transaction_id=tid, action="settle", amount=str(m["amount"]), on=date(2025, 8, 1))
            p, r = m["provider"], "IND" if m["provider"] == "RUS" else "RUS"
            cur = "RUB" if p == "RUS" else "INR"
            self.balances[(f"settled:{p}", "money", cur)] += m["amount"]
            self.balances[(f"due:{p}:{r}", "money", cur)] -= m["amount"]
            m["status"] = "closed"

        @rule(a=st.integers(1, 10**6), cur=st.sampled_from(["INR", "RUB"]))
        def manual_entry_then_reverse(self, a, cur):
            amt = Decimal(a) / 100
            with UnitOfWork(sys, write=True, engine=engine) as uow:
                eid = service.post(uow, [service.Leg("adj:x", "money", cur, amt), service.Leg("adj:y", "money", cur, -amt)],
                                   memo="adjustment", on=date(2025, 1, 1))
                uow.commit()
            self.balances[("adj:x", "money", cur)] += amt
            self.balances[("adj:y", "money", cur)] -= amt
            self.entries.append(eid)
            self.amounts[eid] = (amt, cur)

        @rule(data=st.data())
        def reverse(self, data):
            if not self.entries:
                return
            eid = data.draw(st.sampled_from(self.entries))
            self.entries.remove(eid)
            act(w, sys, service.reverse_entry, entry_id=eid, memo="wrong", on=date(2025, 1, 2))
            amt, cur = self.amounts.pop(eid)
            self.balances[("adj:x", "money", cur)] -= amt
            self.balances[("adj:y", "money", cur)] += amt

        @invariant()
        def sound(self):
            with UnitOfWork(sys, engine=engine) as uow:
                assert service.verify(uow) == []
            with engine.connect() as c:
                stored = {(r.account, r.kind, r.commodity): Decimal(r.balance) for r in c.execute(select(LedgerBalance))}
                for k, v in self.balances.items():
                    assert stored.get(k, Decimal(0)) == v, (k, stored.get(k), v)
                for cl in c.execute(select(LedgerCeiling).where(LedgerCeiling.agreement_id == self.aid)):
                    assert Decimal(cl.consumed) <= Decimal(cl.amount)
                    assert Decimal(cl.consumed) == self.consumed[
                        "IND" if cl.provider_party_id == w.ind.party_id else "RUS"]

    run_state_machine_as_test(Ledger, settings=settings(max_examples=30, stateful_step_count=20, deadline=None,
                                                        suppress_health_check=list(HealthCheck)))
