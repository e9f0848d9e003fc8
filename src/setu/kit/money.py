"""Money: exact Decimal amounts with an ISO 4217 currency code; never floats."""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

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
