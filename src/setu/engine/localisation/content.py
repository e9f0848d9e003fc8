"""Indigenous content by value and by count.

For a set of bill-of-materials lines (each a part with its quantity, its unit value and whether it
is made in the operator country), imports at every tier are excluded from the indigenous share:

    IC_value = sum(q_i * v_i * local_i) / sum(q_i * v_i)
    IC_count = sum(q_i * local_i) / sum(q_i)

where a line is local only when the part itself is made locally; a locally made assembly's
imported children are separate lines (they are not local, whatever their parent is). This is the
definition used for the Su-30MKI figures (51 % by value, 73 % by count): many cheap local items
and a few expensive imported ones make the count share higher than the value share. Values are
Decimal in one currency (the caller converts first).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ContentLine:
    part: str
    quantity: Decimal
    unit_value: Decimal
    local: bool


@dataclass(frozen=True)
class Content:
    value_total: Decimal
    value_local: Decimal
    count_total: Decimal
    count_local: Decimal

    @property
    def by_value(self) -> Decimal:
        return self.value_local / self.value_total if self.value_total else Decimal(0)

    @property
    def by_count(self) -> Decimal:
        return self.count_local / self.count_total if self.count_total else Decimal(0)

    def to_dict(self) -> dict:
        return {"by_value": str(self.by_value), "by_count": str(self.by_count),
                "value_total": str(self.value_total), "value_local": str(self.value_local),
                "count_total": str(self.count_total), "count_local": str(self.count_local)}


def indigenous_content(lines: Iterable[ContentLine]) -> Content:
    vt = vl = ct = cl = Decimal(0)
    for ln in lines:
        q, v = Decimal(ln.quantity), Decimal(ln.unit_value)
        if q < 0 or v < 0:
            raise ValueError(f"part {ln.part}: quantity and unit value must not be negative")
        vt += q * v
        ct += q
        if ln.local:
            vl += q * v
            cl += q
    return Content(vt, vl, ct, cl)
