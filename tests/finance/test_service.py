"""Maintained exchange rates: the rate of the date used, exact conversions rounded once."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from setu.finance import service
from setu.finance.models import ExchangeRate
from setu.finance.schemas import RateCreate
from setu.kit.access import Actor, system_actor
from setu.kit.audit import AuditEntry
from setu.kit.errors import Conflict, PermissionDenied, ValidationFailed
from setu.kit.uow import UnitOfWork

CLERK = system_actor("finance.clerk")


def add(engine, f, t, rate, on, source="test"):
    with UnitOfWork(CLERK, write=True, engine=engine) as uow:
        r = service.add_rate(uow, data=RateCreate(from_currency=f, to_currency=t, rate=rate, valid_from=on,
                                                  source=source))
        uow.commit()
        return r.id


def count(engine, model=ExchangeRate):
    with UnitOfWork(CLERK, engine=engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def rates(engine):
    add(engine, "USD", "INR", "83.00", date(2026, 1, 1))
    add(engine, "USD", "INR", "84.50", date(2026, 6, 1))
    add(engine, "USD", "RUB", "90.00", date(2026, 1, 1))
    add(engine, "EUR", "USD", "1.08", date(2026, 3, 1))
    return engine


def test_the_newest_rate_on_or_before_the_date_is_used_and_its_date_reported(rates):
    with UnitOfWork(CLERK, engine=rates) as uow:
        used = service.rate_on(uow, "USD", "INR", date(2026, 5, 31))
        assert (used.rate, used.rate_date, used.how) == (Decimal("83.00"), date(2026, 1, 1), "direct")
        used = service.rate_on(uow, "USD", "INR", date(2026, 6, 1))  # in force from its own date
        assert (used.rate, used.rate_date) == (Decimal("84.50"), date(2026, 6, 1))
        used = service.rate_on(uow, "usd", "inr", date(2027, 1, 1))
        assert used.rate_date == date(2026, 6, 1)


def test_convert_returns_amount_rate_and_rate_date(rates):
    with UnitOfWork(CLERK, engine=rates) as uow:
        c = service.convert(uow, "1000.00", "USD", "INR", date(2026, 7, 15))
        assert (c.converted, c.rate, c.rate_date, c.to_currency) == (Decimal("84500.00"), Decimal("84.5"),
                                                                       date(2026, 6, 1), "INR")
        # the inverse of the opposite pair: 8450 INR at 1/84.50 is exactly 100 USD
        c = service.convert(uow, Decimal("8450"), "INR", "USD", date(2026, 7, 15))
        assert c.converted == Decimal("100.00") and c.rate_date == date(2026, 6, 1)
        # a cross rate through USD: EUR->USD 1.08 then USD->RUB 90; the older leg's date is reported
        c = service.convert(uow, "10", "EUR", "RUB", date(2026, 4, 1))
        assert c.converted == Decimal("972.00") and c.rate == Decimal("97.2") and c.rate_date == date(2026, 1, 1)
        same = service.convert(uow, "12.345", "USD", "USD", date(2020, 1, 1))
        assert same.converted == Decimal("12.34") and same.rate_date is None  # rounded once, half to even


def test_a_missing_rate_is_a_clear_error_naming_the_pair_and_date(rates):
    with UnitOfWork(CLERK, engine=rates) as uow:
        with pytest.raises(ValidationFailed, match=r"no exchange rate USD->INR in force on 2025-12-31"):
            service.convert(uow, "1", "USD", "INR", date(2025, 12, 31))
        with pytest.raises(ValidationFailed, match="GBP->INR"):
            service.rate_on(uow, "GBP", "INR", date(2026, 7, 1))
        with pytest.raises(ValidationFailed, match="'XYZ' is not a supported currency"):
            service.rate_on(uow, "XYZ", "INR", date(2026, 7, 1))
        with pytest.raises(ValidationFailed, match="not an amount"):
            service.convert(uow, "ten", "USD", "INR", date(2026, 7, 1))


def test_bad_input_changes_nothing(rates):
    from pydantic import ValidationError

    before, audited = count(rates), count(rates, AuditEntry)
    for bad in ({"rate": "0"}, {"rate": "-1"}, {"rate": "1.123456789"}, {"to_currency": "USD"},
                {"from_currency": "XYZ"}, {"rate": "NaN"}):
        with pytest.raises(ValidationError):
            RateCreate(**{"from_currency": "USD", "to_currency": "INR", "rate": "83", "valid_from": "2026-08-01",
                          **bad})
    with pytest.raises(Conflict, match="USD->INR rate dated 2026-06-01 already exists"):
        add(rates, "USD", "INR", "99", date(2026, 6, 1))
    with UnitOfWork(Actor(name="v", role="viewer"), write=True, engine=rates) as uow:
        with pytest.raises(PermissionDenied):
            service.add_rate(uow, data=RateCreate(from_currency="USD", to_currency="INR", rate="1",
                                                  valid_from=date(2026, 9, 1)))
    assert (count(rates), count(rates, AuditEntry)) == (before, audited)
    with UnitOfWork(CLERK, engine=rates) as uow:
        assert service.rate_on(uow, "USD", "INR", date(2026, 6, 1)).rate == Decimal("84.5")


def test_an_entered_rate_is_audited_with_who_entered_it(engine):
    rid = add(engine, "USD", "EUR", "0.92", date(2026, 2, 1), source="central bank")
    with UnitOfWork(CLERK, engine=engine) as uow:
        r = uow.session.get(ExchangeRate, rid)
        assert (r.entered_by, r.source, r.rate) == (CLERK.name, "central bank", Decimal("0.92"))
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.object_id == str(rid), AuditEntry.action == "finance_exchange_rate.insert")) == 1
        page = service.list_rates(uow)
        assert [x.id for x in page.items] == [rid]


amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False)
rates_ = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("10000"), places=8, allow_nan=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=rates_, lines=st.lists(amounts, min_size=1, max_size=12))
def test_conversions_round_once_and_totals_equal_the_sum_of_converted_lines(sqlite_url, rate, lines):
    from setu.kit.db import make_engine

    engine = make_engine(sqlite_url)
    with UnitOfWork(CLERK, write=True, engine=engine) as uow:
        uow.session.query(ExchangeRate).delete()
        uow.session.add(ExchangeRate(from_currency="RUB", to_currency="INR", rate=rate, valid_from=date(2026, 1, 1)))
        uow.commit()
    cent = Decimal("0.01")
    with UnitOfWork(CLERK, engine=engine) as uow:
        on = date(2026, 3, 1)
        for a in lines:
            c = service.convert(uow, a, "RUB", "INR", on)
            exact = a * rate  # exact: 4 + 8 decimals of at most 10 + 5 digits fit in 28 significant digits
            assert c.converted == exact.quantize(cent)  # rounded once, half to even, from the exact product
            assert abs(c.converted - exact) <= cent / 2
            assert c.converted.as_tuple().exponent == -2
        total = service.convert_total(uow, [(a, "RUB", on) for a in lines], "INR")
        assert total.total == sum((c.converted for c in total.lines), Decimal(0))  # never rounded again
        assert abs(total.total - sum(lines) * rate) <= len(lines) * cent / 2  # each line off by half a paisa at most
    engine.dispose()
