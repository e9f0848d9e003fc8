"""Finance permissions: everyone reads the exchange rates; clerks and up enter and import them."""
from __future__ import annotations

from setu.kit.access import declare

declare("finance.rate.read", description="read the maintained exchange rates")
declare("finance.rate.create", description="enter a dated exchange rate")
declare("finance.rate.import", description="import dated exchange rates from CSV or Excel")
