"""Exchange-rate use cases: maintained dated rates and conversions at the rate of a date.

A rate is units of ``to_currency`` per one unit of ``from_currency``, in force from its date
until the pair's next dated rate. A conversion on a day uses the newest rate dated on or before
it: the pair's own rate, else the inverse of the opposite pair's, else a cross rate through USD
(both legs dated on or before the day; the rate date reported is the older leg's). Arithmetic is
exact ``Decimal``; the converted amount is rounded **once**, to the target currency's minor unit
(ISO 4217, :data:`setu.kit.money.CURRENCIES`), half to even. Services never commit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

from setu.finance import repository as repo
from setu.finance.models import ExchangeRate
from setu.finance.schemas import RateCreate
from setu.kit.access import require
from setu.kit.crud import flush
from setu.kit.errors import Conflict, FieldError, ValidationFailed
from setu.kit.listing import Page, paginate
from setu.kit.money import CURRENCIES
from setu.kit.uow import UnitOfWork

#: Currency through which a pair without its own rate is crossed.
CROSS_CURRENCY = "USD"
#: Precision of the rate arithmetic (significant digits): far beyond the 8 decimals stored.
_CTX = Context(prec=34)


@dataclass(frozen=True)
class RateUsed:
    """The rate a conversion used and the date of that rate (None for the same currency)."""

    rate: Decimal
    rate_date: date | None
    how: str  # "same", "direct", "inverse", "cross"


@dataclass(frozen=True)
class Converted:
    amount: Decimal
    currency: str
    converted: Decimal
    to_currency: str
    rate: Decimal
    rate_date: date | None
    on: date


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCIES[currency])


def round_to_currency(value: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half to even (the one rounding of a conversion)."""
    return value.quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


def _currency(field: str, value: str) -> str:
    code = (value or "").strip().upper()
    if code not in CURRENCIES:
        raise ValidationFailed(f"{value!r} is not a supported currency", [FieldError(
            field, f"use one of {', '.join(sorted(CURRENCIES))}")])
    return code


# -- maintained rates --------------------------------------------------------------------------

def list_rates(uow: UnitOfWork, *, from_currency: str | None = None, to_currency: str | None = None,
               sort: str | None = None, cursor: str | None = None, limit: int = 50) -> Page[ExchangeRate]:
    require(uow.actor, "finance.rate.read")
    f = _currency("from_currency", from_currency) if from_currency else None
    t = _currency("to_currency", to_currency) if to_currency else None
    return paginate(uow.session, repo.rates(f, t), model=ExchangeRate, sortable=repo.RATE_SORT,
                    sort=sort or "-valid_from", cursor=cursor, limit=limit)


def add_rate(uow: UnitOfWork, *, data: RateCreate, permission: str = "finance.rate.create") -> ExchangeRate:
    """Enter one dated rate; a second rate for the same pair and date is a conflict (409)."""
    require(uow.actor, permission)
    if repo.rate_of(uow.session, data.from_currency, data.to_currency, data.valid_from) is not None:
        raise Conflict(f"a {data.from_currency}->{data.to_currency} rate dated {data.valid_from} already exists",
                       [FieldError("valid_from", "a rate of this pair and date exists; enter another date")])
    rate = ExchangeRate(**data.model_dump(), entered_by=uow.actor.name)
    uow.session.add(rate)
    flush(uow.session, "exchange rate", {"valid_from": "valid_from"})
    return rate


# -- conversions -------------------------------------------------------------------------------

def _pair(uow: UnitOfWork, f: str, t: str, on: date) -> RateUsed | None:
    s = uow.session
    direct = repo.rate_in_force(s, f, t, on)
    inverse = repo.rate_in_force(s, t, f, on)
    # the newer of the pair's own rate and the opposite pair's (a clerk may maintain either direction)
    if direct is not None and (inverse is None or direct.valid_from >= inverse.valid_from):
        return RateUsed(Decimal(direct.rate), direct.valid_from, "direct")
    if inverse is not None:
        return RateUsed(_CTX.divide(Decimal(1), Decimal(inverse.rate)), inverse.valid_from, "inverse")
    return None


def rate_on(uow: UnitOfWork, from_currency: str, to_currency: str, on: date) -> RateUsed:
    """The rate from ``from_currency`` to ``to_currency`` in force on ``on`` and the date of the
    rate used; no rate dated on or before ``on`` is a ValidationFailed naming the pair and date."""
    require(uow.actor, "finance.rate.read")
    f = _currency("from_currency", from_currency)
    t = _currency("to_currency", to_currency)
    if not isinstance(on, date):
        raise ValidationFailed("on: a date is required", [FieldError("on", "is not a date")])
    if f == t:
        return RateUsed(Decimal(1), None, "same")
    used = _pair(uow, f, t, on)
    if used is not None:
        return used
    if CROSS_CURRENCY not in (f, t):
        a, b = _pair(uow, f, CROSS_CURRENCY, on), _pair(uow, CROSS_CURRENCY, t, on)
        if a is not None and b is not None:
            return RateUsed(_CTX.multiply(a.rate, b.rate), min(a.rate_date, b.rate_date), "cross")
    raise ValidationFailed(
        f"no exchange rate {f}->{t} in force on {on.isoformat()}: enter a rate of {f}/{t} dated on or before it",
        [FieldError("on", f"no {f}->{t} rate dated on or before {on.isoformat()}")])


def _amount(value: object) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{value!r} is not an amount", [FieldError("amount", "is not a number")]) from None
    if not d.is_finite():
        raise ValidationFailed(f"{value!r} is not a finite amount", [FieldError("amount", "is not finite")])
    return d


def convert(uow: UnitOfWork, amount: object, from_currency: str, to_currency: str, on: date) -> Converted:
    """``amount`` of ``from_currency`` in ``to_currency`` at the rate in force on ``on``: exact
    product amount x rate, rounded once to the target currency's minor unit (half to even)."""
    a = _amount(amount)
    used = rate_on(uow, from_currency, to_currency, on)
    t = to_currency.strip().upper()
    return Converted(a, from_currency.strip().upper(), round_to_currency(_CTX.multiply(a, used.rate), t), t,
                     used.rate, used.rate_date, on)


@dataclass(frozen=True)
class ConvertedTotal:
    lines: list[Converted]
    total: Decimal
    currency: str


def convert_total(uow: UnitOfWork, lines: Iterable[tuple[object, str, date]], to_currency: str) -> ConvertedTotal:
    """Convert each ``(amount, currency, on)`` line at the rate of its own date and add them up:
    the total is the exact sum of the converted (once-rounded) lines, never rounded again."""
    t = _currency("to_currency", to_currency)
    converted = [convert(uow, a, c, t, on) for a, c, on in lines]
    return ConvertedTotal(converted, sum((c.converted for c in converted), Decimal(0)).quantize(minor_unit(t)), t)
