"""The portfolio: figures by kind, state and party; every conversion at the rate of its date,
rounded once; totals the exact sum of the converted lines (Hypothesis); party scoping; the CLI's
JSON; the API and the pages."""
from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal

from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from setu.contracts import service
from setu.contracts.models import Contract
from setu.finance.service import minor_unit
from setu.kit.access import system_actor
from setu.kit.money import CURRENCIES
from setu.kit.uow import UnitOfWork
from tests.portfolio.conftest import RATES, do
from tests.support.auth import client_for


def _portfolio(engine, actor, currency="USD", as_of=date(2026, 12, 1)):
    with UnitOfWork(actor, engine=engine) as uow:
        return service.portfolio(uow, currency=currency, as_of=as_of)


def test_figures_by_kind_state_and_party_with_the_rates_used(engine, cworld):
    p = _portfolio(engine, cworld.people["ind_viewer"])
    # 1,000,000 USD + 71,300,000 INR at 71.30 INR/USD (the rate dated 2020-01-01, in force 2021-01-10)
    assert p.currency == "USD" and p.total == Decimal("2000000.00") and p.contracts == 2
    assert {b.key: b.total for b in p.by_kind} == {"supply": Decimal("1000000.00"),
                                                   "maintenance": Decimal("1000000.00")}
    assert [(b.key, b.count) for b in p.by_status] == [("draft", 2)]
    assert [(b.key, b.total) for b in p.by_party] == [("RUS", Decimal("2000000.00"))]
    inr = [r for r in p.rates if r["from_currency"] == "INR"]
    assert inr == [{"from_currency": "INR", "to_currency": "USD", "rate": Context(prec=34).divide(Decimal(1), Decimal("71.30")),
                    "rate_date": date(2020, 1, 1), "on": date(2021, 1, 10), "lines": 1}]
    assert p.overdue == [] and p.delivered == 0  # drafts: nothing runs yet


def test_delivered_versus_contracted_and_overdue(engine, cworld):
    from setu.contracts.models import Milestone
    from setu.contracts.schemas import MilestoneRecord
    from sqlalchemy import select

    ppl, cid = cworld.people, cworld.ids["sup"]
    do(engine, ppl["rus_approver"], service.step, contract_id=cid, transition="sign", signed_on=date(2021, 2, 1))
    with engine.connect() as c:
        lot1, lot2 = c.execute(select(Milestone.id).where(Milestone.contract_id == cid)
                               .order_by(Milestone.planned_on)).scalars().all()
    do(engine, ppl["ind_clerk"], service.record_milestone, milestone_id=lot1,
       data=MilestoneRecord(actual_on=date(2024, 2, 1), actual_value=Decimal("400000")))
    p = _portfolio(engine, ppl["ind_viewer"], "INR")
    # delivered: 400,000 USD at the rate of its actual date (83.20, dated 2024-01-01)
    assert p.delivered == Decimal("33280000.00")
    # contracted: 1,000,000 USD at the signature date (71.30) + 71,300,000 INR
    assert p.total == Decimal("142600000.00") and p.delivered_share == Decimal("0.2334")
    assert [(o["name"], o["days_overdue"]) for o in p.overdue] == [("Lot 2", (date(2026, 12, 1) - date(2022, 6, 30)).days)]


def test_each_party_sees_the_contracts_it_is_a_party_to(engine, cworld):
    ppl = cworld.people

    def numbers(actor):
        with UnitOfWork(actor, engine=engine) as uow:
            return sorted(r["c"].number for r in service.portfolio(uow, currency="USD").rows)

    assert numbers(ppl["ind_viewer"]) == ["C-MRO", "C-SUP"]
    assert numbers(ppl["rus_approver"]) == ["C-MRO", "C-SUP", "C-XYZ"]
    assert numbers(ppl["xyz_approver"]) == ["C-XYZ"]
    assert numbers(ppl["office"]) == ["C-MRO", "C-SUP", "C-XYZ"]
    # 5,000,000 EUR at 0.89 EUR/USD: 1/0.89 per EUR, rounded once to the cent
    assert _portfolio(engine, ppl["xyz_approver"]).total == (Decimal(5000000) / Decimal("0.89")).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN)


_cur = st.sampled_from(["USD", "INR", "RUB", "EUR"])
_line = st.tuples(st.decimals(min_value=0, max_value=Decimal("99999999999.99"), places=2, allow_nan=False,
                              allow_infinity=False), _cur,
                  st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)))


def _rate(cur, on):
    return Decimal(max((r for r in RATES[cur] if r[0] <= on), key=lambda r: r[0])[1])


def _expected(amount, cur, to, on):
    """The conversion written out: through USD, one rounding at the target's minor unit, half to even."""
    if cur == to:
        return amount
    from decimal import Context

    ctx = Context(prec=34)
    if cur == "USD":
        rate = _rate(to, on)
    elif to == "USD":
        rate = ctx.divide(Decimal(1), _rate(cur, on))
    else:
        rate = ctx.multiply(ctx.divide(Decimal(1), _rate(cur, on)), _rate(to, on))
    return ctx.multiply(amount, rate).quantize(minor_unit(to), rounding=ROUND_HALF_EVEN)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_line, min_size=1, max_size=12), to=_cur)
def test_totals_are_the_sum_of_lines_converted_once_at_their_dates(engine, cworld, lines, to):
    kinds = ["supply", "licensed_production", "transfer_of_technology", "maintenance"]
    w = cworld.rw.w
    cs = [Contract(number=f"H-{k}", title="h", kind=kinds[k % 4], operator_party_id=w.operator_id,
                   origin_party_id=w.origin_id, value=a, currency=c, value_date=on, status="signed",
                   tot_packages=[]) for k, (a, c, on) in enumerate(lines)]
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        p = service.portfolio(uow, currency=to, contracts=cs, as_of=date(2026, 12, 1))
    expected = [_expected(a, c, to, on) for a, c, on in lines]
    assert [r["converted"] for r in p.rows] == expected
    assert p.total == sum(expected, Decimal(0))
    assert p.total.as_tuple().exponent == -CURRENCIES[to]
    assert sum((b.total for b in p.by_kind), Decimal(0)) == p.total
    assert sum((b.total for b in p.by_party), Decimal(0)) == p.total
    assert sum(b.count for b in p.by_kind) == len(lines)


def test_the_cli_prints_the_portfolio_as_json(settings_env):
    from setu.app.cli import app
    from setu.kit.db import get_engine

    engine = get_engine()
    from tests.portfolio.conftest import contract, seed_rates
    from tests.support.world import make_world

    rw = make_world(engine)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        seed_rates(uow)
        service.create_contract(uow, data=contract("C-CLI", "supply", Decimal("178300000"), "RUB",
                                                   date(2024, 5, 1), rw.w.operator_id, rw.w.origin_id))
        uow.commit()
    runner = CliRunner()
    r = runner.invoke(app, ["contracts", "portfolio", "--currency", "USD", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["currency"] == "USD" and out["total"] == "1987736.90"  # 178,300,000 RUB / 89.70
    assert out["rates"][0]["rate_date"] == "2024-01-01"
    r = runner.invoke(app, ["contracts", "portfolio", "--currency", "XXX"])
    assert r.exit_code == 2 and "XXX" in r.output
    r = runner.invoke(app, ["contracts", "list"])
    assert r.exit_code == 0 and "C-CLI" in r.stdout


def test_api_lists_and_totals_what_the_caller_sees(engine, cworld):
    with client_for(engine, cworld.people["ind_viewer"]) as c:
        r = c.get("/api/v1/contracts")
        assert r.status_code == 200 and sorted(i["number"] for i in r.json()["items"]) == ["C-MRO", "C-SUP"]
        r = c.get("/api/v1/contracts/portfolio?currency=INR")
        assert r.status_code == 200, r.text
        assert r.json()["total"] == "142600000.00" and r.json()["currency"] == "INR"
        assert c.get("/api/v1/contracts/portfolio?currency=XXX").status_code == 422
    with client_for(engine, cworld.people["xyz_approver"]) as c:
        assert [i["number"] for i in c.get("/api/v1/contracts").json()["items"]] == ["C-XYZ"]


def test_pages_render_with_the_rates_used_and_only_the_steps_one_may_take(engine, cworld):
    cid = cworld.ids["mro"]
    with client_for(engine, cworld.people["ind_approver"]) as c:
        page = c.get("/contracts?currency=INR").text
        assert "Contract portfolio" in page and "142,600,000.00 INR" in page and "delivery-timeline" in page
        assert "1 USD = 71.3 INR" in page and "2020-01-01" in page
        page = c.get("/contracts?currency=INR&grouping=indian").text
        assert "14,26,00,000.00 INR" in page
        page = c.get(f"/contracts/view?c={cid}").text
        assert "C-MRO" in page and 'value="sign"' in page and "71,300,000.00 INR" in page
        r = c.post("/contracts/step", data={"contract_id": str(cid), "transition": "sign",
                                            "signed_on": "2021-02-01"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert "Signed" in c.get(f"/contracts/view?c={cid}").text
        assert c.get(f"/contracts/view?c={cworld.ids['xyz']}").status_code == 404
    with client_for(engine, cworld.people["ind_viewer"]) as c:
        page = c.get(f"/contracts/view?c={cid}").text
        assert 'value="terminate"' not in page and "Record</button>" not in page
        r = c.post("/contracts/step", data={"contract_id": str(cid), "transition": "terminate", "note": "x"})
        assert r.status_code == 403
