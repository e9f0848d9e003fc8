"""Demo exchange rates: a few dated fixings of INR, RUB and EUR per USD (deterministic; figures of
the order of late-2026 market levels, for the demonstration only)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from setu.finance.models import ExchangeRate

#: (valid from, units per USD) for each currency.
DEMO_RATES: dict[str, tuple[tuple[date, str], ...]] = {
    "INR": ((date(2026, 1, 1), "85.50"), (date(2026, 7, 1), "86.20"), (date(2026, 11, 2), "88.40")),
    "RUB": ((date(2026, 1, 1), "98.00"), (date(2026, 7, 1), "86.75"), (date(2026, 11, 2), "80.60")),
    "EUR": ((date(2026, 1, 1), "0.96"), (date(2026, 7, 1), "0.88"), (date(2026, 11, 2), "0.86")),
}
SOURCE = "Setu demonstration rates (not a market fixing)"


def write_rates(uow) -> dict[str, int]:
    """Add the demo rates the installation does not have yet (audited like any entry)."""
    from setu.finance import repository as repo

    n = 0
    for currency, fixings in DEMO_RATES.items():
        for valid_from, rate in fixings:
            if repo.rate_of(uow.session, "USD", currency, valid_from) is None:
                uow.session.add(ExchangeRate(from_currency="USD", to_currency=currency, rate=Decimal(rate),
                                             valid_from=valid_from, source=SOURCE, entered_by="demo"))
                n += 1
    uow.session.flush()
    return {"finance_exchange_rate": n}
