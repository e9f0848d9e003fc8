"""A small world with two contracts between the operator and origin parties, one between a third
party and the origin party, and dated USD rates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from setu.contracts import service
from setu.contracts.schemas import ContractCreate, MilestoneIn
from setu.finance.models import ExchangeRate
from setu.identity.models import Organisation, Party
from setu.kit.access import Actor, system_actor
from setu.kit.uow import UnitOfWork
from tests.support.world import make_world

RATES = {"INR": ((date(2020, 1, 1), "71.30"), (date(2024, 1, 1), "83.20")),
         "RUB": ((date(2020, 1, 1), "61.90"), (date(2024, 1, 1), "89.70")),
         "EUR": ((date(2020, 1, 1), "0.89"),)}


@dataclass
class CWorld:
    rw: object
    third_id: object
    people: dict
    ids: dict


def seed_rates(uow) -> None:
    for cur, fixings in RATES.items():
        for on, r in fixings:
            uow.session.add(ExchangeRate(from_currency="USD", to_currency=cur, rate=Decimal(r), valid_from=on,
                                         source="test", entered_by="test"))
    uow.session.flush()


def contract(number, kind, value, cur, on, op, orig, supplier=None, milestones=()):
    return ContractCreate(number=number, title=f"Contract {number}", kind=kind, operator_party_id=op,
                          origin_party_id=orig, supplier_organisation_id=supplier, value=value, currency=cur,
                          value_date=on, milestones=[MilestoneIn(**m) for m in milestones])


@pytest.fixture
def cworld(engine) -> CWorld:
    rw = make_world(engine, rus_base=True)
    w = rw.w
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        s = uow.session
        seed_rates(uow)
        third = Party(code="XYZ", name="Third party (test)", role="operator", currency="EUR")
        s.add(third)
        s.flush()
        xorg = Organisation(party_id=third.id, code="XYZ-HQ", name="Third HQ", kind="armed_service_hq", is_demo=True)
        s.add(xorg)
        s.flush()
        ms = [{"kind": "delivery", "name": "Lot 1", "planned_on": date(2021, 6, 30), "planned_value": "400000"},
              {"kind": "delivery", "name": "Lot 2", "planned_on": date(2022, 6, 30), "planned_value": "600000"}]
        a = service.create_contract(uow, data=contract("C-SUP", "supply", Decimal("1000000.00"), "USD",
                                                       date(2021, 1, 10), w.operator_id, w.origin_id,
                                                       w.oem_org_id, ms))
        b = service.create_contract(uow, data=contract("C-MRO", "maintenance", Decimal("71300000.00"), "INR",
                                                       date(2021, 1, 10), w.operator_id, w.origin_id, w.oem_org_id))
        x = service.create_contract(uow, data=contract("C-XYZ", "supply", Decimal("5000000.00"), "EUR",
                                                       date(2021, 1, 10), third.id, w.origin_id))
        for c in (a, b, x):
            c.created_by = "ind-drafter"
        ids = {"sup": a.id, "mro": b.id, "xyz": x.id, "xorg": xorg.id}
        uow.commit()
    people = {
        "ind_clerk": Actor(name="ind-drafter", party_id=w.operator_id, organisation_id=w.depot_org_id,
                           organisation_kind="depot", role="clerk"),
        "ind_author": Actor(name="ind-drafter", party_id=w.operator_id, organisation_id=w.depot_org_id,
                            organisation_kind="depot", role="approver"),
        "ind_approver": Actor(name="ind-approver", party_id=w.operator_id, organisation_id=w.depot_org_id,
                              organisation_kind="depot", role="approver"),
        "ind_viewer": Actor(name="ind-viewer", party_id=w.operator_id, organisation_id=w.depot_org_id,
                            organisation_kind="depot", role="viewer"),
        "rus_approver": Actor(name="rus-approver", party_id=w.origin_id, organisation_id=w.oem_org_id,
                              organisation_kind="oem", role="approver"),
        "xyz_approver": Actor(name="xyz-approver", party_id=third.id, organisation_id=ids["xorg"],
                              organisation_kind="armed_service_hq", role="approver"),
        "office": Actor(name="spo-viewer", party_id=w.operator_id, organisation_id=w.depot_org_id,
                        organisation_kind="programme_office", role="viewer"),
    }
    return CWorld(rw, third.id, people, ids)


def do(engine, actor, fn, **kw):
    with UnitOfWork(actor, write=True, engine=engine) as uow:
        out = fn(uow, **kw)
        uow.commit()
        return out
