"""A ledger world: the two parties, their support officers, an agreement with ceilings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from setu.kit.access import Actor, system_actor
from setu.kit.settings import get_settings
from setu.kit.uow import UnitOfWork
from setu.ledger import service
from tests.support.auth import ensure_org


@dataclass
class World:
    engine: object
    ind: Actor
    rus: Actor
    agreement_id: object


def make_world(engine, monkeypatch, tmp_path, *, ceiling="100000000") -> World:
    monkeypatch.setenv("SETU_LEDGER_KEY_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        io = ensure_org(uow, "IND-SUP", party="IND", kind="depot")
        ro = ensure_org(uow, "RUS-SUP", party="RUS", kind="oem")
        a = service.create_agreement(uow, code="RELOS", title="Reciprocal exchange of logistics support",
                                     party_a="IND", party_b="RUS", starts_on=date(2024, 1, 1), ends_on=date(2028, 12, 31))
        for party in ("IND", "RUS"):
            for year in (2025, 2026):
                for cat in ("fuel and lubricants", "food"):
                    service.set_ceiling(uow, agreement_id=a.id, provider=party, category=cat, year=year, amount=ceiling)
        ind = Actor(name="ind.support", party_id=io.party_id, organisation_id=io.id, organisation_kind="depot", role="approver")
        rus = Actor(name="rus.support", party_id=ro.party_id, organisation_id=ro.id, organisation_kind="oem", role="approver")
        aid = a.id
        uow.commit()
    return World(engine, ind, rus, aid)


def act(w: World, actor: Actor, fn, **kw):
    with UnitOfWork(actor, write=True, engine=w.engine) as uow:
        out = fn(uow, **kw)
        uow.commit()
        return out
