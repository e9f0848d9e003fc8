"""Pydantic I/O for demand history."""
from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from setu.kit.inputs import Input


#: Largest demand of one part at one site in one month. Far above any real demand, and far enough
#: below the largest float that the forecasts computed from it (sums, variances) stay finite.
MAX_MONTHLY_QUANTITY = 1e9
#: Years a demand month may fall in. Forecasts work on every month from a series' first demand to
#: the last, so one record dated in the year 1000 made every later forecast run take minutes.
FIRST_YEAR, LAST_YEAR = 1950, 2100


class DemandRecordCreate(Input):
    model_config = ConfigDict(extra="forbid")

    part_id: uuid.UUID
    site_id: uuid.UUID
    period: date = Field(..., description="any day of the month; stored as the month's first day "
                                          f"(years {FIRST_YEAR} to {LAST_YEAR})")
    quantity: float = Field(..., ge=0, le=MAX_MONTHLY_QUANTITY,
                            description="units demanded in the month (at most 10^9: forecasts stay finite)")
    version: int | None = Field(None, description="replacing an existing month through the API: the version "
                                                  "you read (or If-Match); 428 without it, 409 when stale")

    @field_validator("period")
    @classmethod
    def _month(cls, v: date) -> date:
        if not FIRST_YEAR <= v.year <= LAST_YEAR:
            raise ValueError(f"must be a month of the years {FIRST_YEAR} to {LAST_YEAR}")
        return v.replace(day=1)


class DemandRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    part_id: uuid.UUID
    site_id: uuid.UUID
    period: date
    quantity: float
    version: int
