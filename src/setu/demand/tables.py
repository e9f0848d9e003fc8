"""Demand import and export: monthly demand history per part and site.

- demand: manufacturer_code*, part_number*, site*, period* (YYYY-MM, or a date: stored as the
  month), quantity*. Sets the month's demand (upsert on part + site + month).

Sites are resolved among those the actor may see (:func:`setu.fleet.service.site_ids_by_code`):
another party's site is "no site", exactly like a missing one; the export follows the same scope.
"""
from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any, Iterator

from setu.catalog import service as catalog
from setu.catalog.tables import PART_FILTERS, part_filter, part_ref
from setu.demand import repository as repo
from setu.demand.models import DemandRecord
from setu.demand.schemas import FIRST_YEAR, LAST_YEAR, MAX_MONTHLY_QUANTITY
from setu.fleet import service as fleet
from setu.fleet.policies import visible_site_ids
from setu.fleet.tables import site_ref
from setu.kit.errors import ErrorList, FieldError, ValidationFailed
from setu.kit.tabular import (
    Column, ExportSpec, ImportResult, ImportSpec, ProgressCallback, Rows, Writer, differs, new_ids, now_utc,
    parse_number, stream_rows,
)
from setu.kit.uow import UnitOfWork

DEMAND_COLUMNS = (
    Column("manufacturer_code", True),
    Column("part_number", True),
    Column("site", True, "site code"),
    Column("period", True, "YYYY-MM, or a date in the month"),
    Column("quantity", True, "number >= 0"),
)

_PERIOD = re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def parse_period(raw: str) -> date:
    """``YYYY-MM`` or a date (``YYYY-MM-DD``, with or without a time) -> the month's first day."""
    m = _PERIOD.match(raw.strip())
    if not m:
        raise ValueError(f"{raw!r} is not a month (YYYY-MM) or a date (YYYY-MM-DD)")
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    try:
        date(y, mo, d)
    except ValueError:
        raise ValueError(f"{raw!r} is not a valid date") from None
    return date(y, mo, 1)


def import_demand(uow: UnitOfWork, reader: UnitOfWork, rows: Rows, errs: ErrorList, res: ImportResult,
                  progress: ProgressCallback | None, dry_run: bool) -> None:
    s = reader.session
    parts, sites = catalog.part_ids_by_identity(reader), fleet.site_ids_by_code(reader)
    file: dict[tuple, tuple[int, float]] = {}
    part_cache: dict[tuple[str, str], uuid.UUID | None] = {}
    period_cache: dict[str, date] = {}
    for n, v in rows:
        mfr, pn = v.get("manufacturer_code", ""), v.get("part_number", "")
        pid = part_cache.get((mfr, pn))
        if pid is None:
            before = len(errs.errors)
            pid = part_ref(errs, n, parts, mfr, pn, "manufacturer_code", "part_number", required=True)
            if len(errs.errors) == before:
                part_cache[(mfr, pn)] = pid
        sid = site_ref(errs, n, sites, v.get("site", ""))
        raw_p = v.get("period", "")
        period = period_cache.get(raw_p)
        if period is None:
            if not raw_p:
                errs.add("period", "is required", n)
            else:
                try:
                    period = parse_period(raw_p)
                    if not FIRST_YEAR <= period.year <= LAST_YEAR:
                        errs.add("period", f"{raw_p!r} must be a month of the years {FIRST_YEAR} to {LAST_YEAR}", n)
                        period = None
                    else:
                        period_cache[raw_p] = period
                except ValueError as exc:
                    errs.add("period", str(exc), n)
        raw_q = v.get("quantity", "")
        qty = None
        if not raw_q:
            errs.add("quantity", "is required", n)
        else:
            qty = parse_number(errs, n, "quantity", raw_q)
            if qty is not None and qty < 0:
                errs.add("quantity", f"{raw_q!r} must not be negative", n)
                qty = None
            elif qty is not None and qty > MAX_MONTHLY_QUANTITY:
                errs.add("quantity", f"{raw_q!r} is more than {MAX_MONTHLY_QUANTITY:.0e} in one month", n)
                qty = None
        if pid is None or sid is None or period is None or qty is None:
            continue
        key = (pid, sid, period)
        if key in file:
            errs.add("period", f"the same part, site and month are also on row {file[key][0]}", n)
            continue
        file[key] = (n, qty)
    res.rows = rows.count
    if errs:
        return
    existing: dict[tuple, tuple] = {}
    if file:
        site_ids = {k[1] for k in file}
        lo, hi = min(k[2] for k in file), max(k[2] for k in file)
        existing = repo.record_keys(s, site_ids, lo, hi)
    now = now_utc()
    creates, updates = [], []
    for key, (n, qty) in file.items():
        old = existing.get(key)
        if old is None:
            creates.append((key, qty))
        elif differs(old[2], qty):
            updates.append({"id": old[0], "version": old[1], "updated_at": now, "quantity": qty})
        else:
            res.unchanged += 1
    res.created, res.updated = len(creates), len(updates)
    w = Writer(uow, len(creates) + len(updates), progress, dry_run)
    if updates:
        w.update(DemandRecord, updates, "demand records")
    w.insert(DemandRecord, ({"id": i, "created_at": now, "updated_at": now, "version": 1, "part_id": key[0],
                             "site_id": key[1], "period": key[2], "quantity": qty}
                            for i, (key, qty) in zip(new_ids(len(creates)), creates)))


def export_demand(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [c.name for c in DEMAND_COLUMNS]
    periods: dict[str, date | None] = {"from": None, "to": None}
    for key in periods:
        if f.get(key):
            try:
                periods[key] = parse_period(str(f[key]))
            except ValueError as exc:
                raise ValidationFailed("bad filter", [FieldError(key, str(exc))]) from None
    stmt = repo.demand_export(visible_site_ids(uow.actor),
                              site_code=str(f["site"]).strip().upper() if f.get("site") else None,
                              period_from=periods["from"], period_to=periods["to"])
    stmt = part_filter(stmt, f)

    def rows() -> Iterator[list[Any]]:
        for m, p, s, per, q in stream_rows(uow, stmt):
            yield [m, p, s, f"{per.year:04d}-{per.month:02d}", q]

    return header, rows()


IMPORTS = (
    ImportSpec("demand", "demand.record.import", DEMAND_COLUMNS, import_demand,
               "Set monthly demand history (matched on part, site and month)."),
)
EXPORTS = (
    ExportSpec("demand", "demand.record.read", {
        "site": "one site (code)", "from": "first month YYYY-MM", "to": "last month YYYY-MM", **PART_FILTERS},
        export_demand, "Export monthly demand history (the columns of `setu import demand`).",
        options={"q": "--q"}),
)
