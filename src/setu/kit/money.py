"""Money: exact Decimal amounts with an ISO 4217 currency code; never floats.

- `parse_amount(value, currency)`: an amount read exactly, rounded to the currency's minor unit;
- `convert(amount, from_currency, to_currency, on=date)`: conversion with dated exchange-rate
  tables (`Rates` of `RateTable`); `REFERENCE_RATES` is the default (fixed reference values).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

CURRENCIES = {"INR": 2, "RUB": 2, "USD": 2, "EUR": 2, "GBP": 2}


def parse_amount(value: object, currency: str = "USD") -> Decimal:
    """Parse a money amount exactly (strings and ints; floats via their shortest repr)."""
    if currency not in CURRENCIES:
        raise ValueError(f"unknown currency {currency!r}; expected one of {', '.join(sorted(CURRENCIES))}")
    try:
        d = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not d.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    if d < 0:
        raise ValueError("must not be negative")
    q = Decimal(1).scaleb(-CURRENCIES[currency])
    return d.quantize(q, rounding=ROUND_HALF_EVEN)


# -- exchange rates --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RateTable:
    """Exchange rates in force from a date: units of ``base`` per unit of each currency (Decimal).

    A table is one dated fixing; :class:`Rates` holds several and picks the one in force on a day.
    ``source`` says where the figures come from."""

    valid_from: date
    base: str
    rates: Mapping[str, Decimal]
    source: str = ""

    def rate(self, currency: str, default: Decimal | None = None) -> Decimal:
        """Units of ``base`` per unit of ``currency`` (``default`` for a currency not in the table;
        without one, an unknown currency is an error)."""
        if currency in self.rates:
            return self.rates[currency]
        if default is None:
            raise ValueError(f"no exchange rate for {currency!r} in the table of {self.valid_from}")
        return default


@dataclass(frozen=True)
class Rates:
    """Dated exchange-rate tables; ``table(on)`` is the newest one in force on that day."""

    tables: tuple[RateTable, ...]

    def table(self, on: date | None = None) -> RateTable:
        ordered = sorted(self.tables, key=lambda t: t.valid_from)
        if on is None:
            return ordered[-1]
        in_force = [t for t in ordered if t.valid_from <= on]
        if not in_force:
            raise ValueError(f"no exchange rates in force on {on} (the first table is of {ordered[0].valid_from})")
        return in_force[-1]

    def with_overrides(self, overrides: Mapping[str, Any] | None, on: date | None = None) -> Rates:
        """The same rates with some currencies' rates replaced in the table in force on ``on``
        (a planner's what-if; the values are read exactly, floats through their shortest repr)."""
        if not overrides:
            return self
        t = self.table(on)
        new = RateTable(t.valid_from, t.base, {**t.rates, **{k: _decimal(v) for k, v in overrides.items()}},
                        (t.source + " + overrides").strip())
        return Rates(tuple(x for x in self.tables if x is not t) + (new,))


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


#: The planning reference rates Setu has used since readiness plans over the database
#: (2026-11-25): fixed reference values, **not market rates**, USD per unit of each currency.
#: A dated table so that maintained rates (one table per fixing date, see the contracts issue)
#: replace it without changing any caller.
REFERENCE_RATES = Rates((RateTable(
    valid_from=date(2026, 11, 25), base="USD",
    rates={"USD": Decimal(1), "EUR": Decimal("1.08"), "GBP": Decimal("1.27"),
           "INR": Decimal(1) / Decimal(83), "RUB": Decimal(1) / Decimal(90)},
    source="Setu reference planning rates (fixed values, not a market fixing)"),))


def convert(amount: Any, from_currency: str, to_currency: str, *, on: date | None = None,
            rates: Rates = REFERENCE_RATES, unknown_rate: Decimal | None = None) -> Decimal:
    """``amount`` in ``from_currency`` expressed in ``to_currency`` with the rates in force on
    ``on`` (the newest table when None): amount x rate(from) / rate(to), exact Decimal (28
    significant digits; not rounded to the currency's minor unit, callers round where they
    book). ``unknown_rate``: the rate to assume for a currency not in the table (None: error)."""
    a = _decimal(amount if amount is not None else 0)
    if from_currency == to_currency:
        return a
    t = rates.table(on)
    return a * t.rate(from_currency, unknown_rate) / t.rate(to_currency, unknown_rate)
