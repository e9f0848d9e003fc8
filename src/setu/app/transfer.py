"""Import and export of catalog, fleet and demand tables as CSV or Excel (.xlsx).

Imports (``parts``, ``bom``, ``stock``, ``demand``) are all-or-nothing: :func:`import_table`
reads and validates every row inside the caller's write unit of work, collects *every* error as
``row N, column C: message`` (row numbers as the user sees them in the file, header = row 1),
and writes only when there is none; it never commits (the adapter commits, or rolls back on a
dry run or on errors). References (parts, sites, equipment types, existing rows) are resolved with
one query per table, and rows are written with executemany in chunks.

Columns (an ``errors`` column, as in an error file, is ignored; every other unknown column is an
error at row 1):

- parts: manufacturer_code*, part_number*, nsn, origin_designation, name (* for a new part),
  unit_of_issue, unit_price, currency, kind, condemnation_rate, repair_turnaround_days,
  procurement_lead_time_days, shelf_life_months, mtbf_hours. Upsert on manufacturer_code +
  normalised part_number. On an existing part an empty cell keeps the current value (an empty
  nsn / origin_designation / repair_turnaround_days / shelf_life_months / mtbf_hours clears
  it); on a new part it takes the default.
- bom: equipment_type* (code), parent_manufacturer_code, parent_part_number (both empty: the
  child sits directly under the equipment), child_manufacturer_code*, child_part_number*,
  quantity_per_assembly, failure_share. Upsert on (equipment type, parent, child); the parent must
  be in that equipment's bill (already, or from another row); no part may contain itself.
- stock: manufacturer_code*, part_number*, site* (code), serviceable, unserviceable, in_repair,
  on_order. Sets the counts (upsert on part + site); an empty count keeps the current value (0
  for a new position).
- demand: manufacturer_code*, part_number*, site*, period* (YYYY-MM, or a date: stored as the
  month), quantity*. Sets the month's demand (upsert on part + site + month).

Exports: :func:`export_rows` gives ``(header, rows)`` for every list; :func:`export_bytes`
streams it as CSV or builds an .xlsx. Exported parts, bom, stock and demand files re-import
unchanged.
"""
from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from setu.catalog import repository as catalog_repo
from setu.catalog import rules
from setu.catalog.models import BomLine, Interchange, Part
from setu.catalog.schemas import BomLineCreate, PartCreate
from setu.demand.models import DemandRecord
from setu.demand.schemas import FIRST_YEAR, LAST_YEAR, MAX_MONTHLY_QUANTITY
from setu.fleet import repository as fleet_repo
from setu.fleet.models import EquipmentType, EquipmentUnit, Site, StockPosition
from setu.identity import repository as identity_repo
from setu.identity.models import Organisation, Party
from setu.kit import audit as _audit  # noqa: F401  (registers the audit hook on every session)
from setu.kit import tabular
from setu.kit.access import require
from setu.kit.errors import Conflict, ErrorList, FieldError, ValidationFailed
from setu.kit.listing import search_clause
from setu.kit.tabular import Table, TableError
from setu.kit.uow import UnitOfWork

#: ``progress(phase, done, total)``: phase "reading" counts bytes (CSV) or rows (xlsx), "writing" rows.
Progress = Callable[[str, int, int], None]
ERRORS_COLUMN = "errors"
CHUNK = 5000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    help: str = ""


@dataclass
class ImportResult:
    resource: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        what = f"{self.rows} row(s)"
        if self.errors:
            return f"{what}, {len(self.errors)} error(s); nothing was changed"
        verb = ("would create", "would update", "would leave") if self.dry_run else ("created", "updated", "left")
        return (f"{what}: {verb[0]} {self.created}, {verb[1]} {self.updated}, {verb[2]} {self.unchanged} unchanged"
                + ("; dry run, nothing was changed" if self.dry_run else ""))


PART_FIELDS = ("nsn", "origin_designation", "name", "unit_of_issue", "unit_price", "currency", "kind",
               "condemnation_rate", "repair_turnaround_days", "procurement_lead_time_days", "shelf_life_months",
               "mtbf_hours")
PART_NULLABLE = {"nsn", "origin_designation", "repair_turnaround_days", "shelf_life_months", "mtbf_hours"}
COUNTS = ("serviceable", "unserviceable", "in_repair", "on_order")

IMPORT_COLUMNS: dict[str, tuple[Column, ...]] = {
    "parts": (
        Column("manufacturer_code", True, "CAGE/NCAGE or origin manufacturer code"),
        Column("part_number", True, "manufacturer part number (normalised: upper case, no spaces)"),
        Column("nsn", help="NATO stock number NNNN-NN-NNN-NNNN, or empty"),
        Column("origin_designation", help="designation in the origin country"),
        Column("name", help="required for a new part"),
        Column("unit_of_issue", help="EA, SE, KT, PR, M, L, KG, RO, BX, PG (default EA)"),
        Column("unit_price", help="decimal, default 0"),
        Column("currency", help="INR, RUB, USD, EUR, GBP (default USD)"),
        Column("kind", help="repairable or consumable (default consumable)"),
        Column("condemnation_rate", help="0..1; a consumable is always 1"),
        Column("repair_turnaround_days"),
        Column("procurement_lead_time_days", help="default 90"),
        Column("shelf_life_months"),
        Column("mtbf_hours", help="> 0"),
    ),
    "bom": (
        Column("equipment_type", True, "equipment type code"),
        Column("parent_manufacturer_code", help="empty (with parent_part_number) = directly under the equipment"),
        Column("parent_part_number"),
        Column("child_manufacturer_code", True),
        Column("child_part_number", True),
        Column("quantity_per_assembly", help="> 0, default 1"),
        Column("failure_share", help="0..1, or empty"),
    ),
    "stock": (
        Column("manufacturer_code", True),
        Column("part_number", True),
        Column("site", True, "site code"),
        *(Column(c, help="whole number >= 0") for c in COUNTS),
    ),
    "demand": (
        Column("manufacturer_code", True),
        Column("part_number", True),
        Column("site", True, "site code"),
        Column("period", True, "YYYY-MM, or a date in the month"),
        Column("quantity", True, "number >= 0"),
    ),
}
IMPORT_PERMISSIONS = {"parts": "catalog.part.import", "bom": "catalog.bom.import",
                      "stock": "fleet.stock.import", "demand": "demand.record.import"}


# -- the generic part of an import ----------------------------------------------------------------


def column_letter(index: int) -> str:
    s, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


class _Rows:
    """Maps the header to the resource's columns and yields ``(row_number, values)`` dicts."""

    def __init__(self, table: Table, columns: tuple[Column, ...], errs: ErrorList, progress: Progress | None):
        self.table, self.errs, self.progress = table, errs, progress
        self.count = 0
        known = {c.name for c in columns}
        self.index: dict[str, int] = {}
        self.ignored: set[int] = set()
        row1 = table.header_row
        for i, raw in enumerate(table.header):
            name = raw.strip().lower()
            if not name:
                self.ignored.add(i)
                continue
            if name == ERRORS_COLUMN:
                self.ignored.add(i)
                continue
            if name not in known:
                errs.add(raw.strip(), f"unknown column; the columns are {', '.join(c.name for c in columns)}", row1)
                self.ignored.add(i)
                continue
            if name in self.index:
                errs.add(name, f"appears twice (columns {column_letter(self.index[name])} and {column_letter(i)})",
                         row1)
                self.ignored.add(i)
                continue
            self.index[name] = i
        self.missing = {c.name for c in columns if c.required and c.name not in self.index}
        for c in columns:
            if c.name in self.missing:
                errs.add(c.name, "required column is missing", row1)
        self.width = len(table.header)
        self.present = set(self.index)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        idx = list(self.index.items())
        unnamed = [i for i in sorted(self.ignored) if not self.table.header[i].strip()]
        no_name = f"has a value but the column has no name in row {self.table.header_row}"
        last = 0
        try:
            for n, cells in self.table.rows():
                self.count += 1
                width = len(cells)
                for i in unnamed:
                    if i < width and cells[i].strip():
                        self.errs.add(column_letter(i), no_name, n)
                if width > self.width:
                    for i in range(self.width, width):
                        if cells[i].strip():
                            self.errs.add(column_letter(i), no_name, n)
                yield n, {k: (cells[i].strip() if i < width else "") for k, i in idx}
                if self.progress and self.count - last >= 2000:
                    last = self.count
                    self.progress("reading", self.table.consumed(), self.table.size)
        except TableError as exc:
            self.errs.add("(file)", exc.message, exc.row)
        if self.progress:
            self.progress("reading", self.table.size, self.table.size)


def _pydantic_errors(errs: ErrorList, exc: ValidationError, row: int, columns: set[str],
                     rename: Mapping[str, str] | None = None, new: bool = True) -> None:
    for e in exc.errors():
        loc = e.get("loc") or ()
        fld = str(loc[0]) if loc else ""
        msg = str(e.get("msg", "is not valid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if not fld and ":" in msg and msg.split(":", 1)[0] in columns:
            fld, msg = (s.strip() for s in msg.split(":", 1))
        fld = (rename or {}).get(fld, fld) or "(row)"
        typ = e.get("type", "")
        given = e.get("input")
        if typ == "missing":
            msg = "is required for a new part" if new else "is required"
        elif typ in ("decimal_parsing", "float_parsing", "int_parsing", "int_from_float", "decimal_type"):
            kind = "a whole number" if typ.startswith("int") else "a number"
            msg = f"{given!r} is not {kind}"
        elif isinstance(given, str) and typ != "value_error" and len(given) <= 80:
            msg = f"{msg} (got {given!r})"
        errs.add(fld, msg, row)


def _identity(errs: ErrorList, row: int, mfr: str, pn: str, mfr_col: str, pn_col: str) -> tuple[str, str] | None:
    ok = True
    try:
        mfr_n = rules.normalise_manufacturer_code(mfr)
    except ValueError as exc:
        errs.add(mfr_col, str(exc), row)
        ok = False
    try:
        pn_n = rules.normalise_part_number(pn)
    except ValueError as exc:
        errs.add(pn_col, str(exc), row)
        ok = False
    return (mfr_n, pn_n) if ok else None


def _count(errs: ErrorList, row: int, col: str, raw: str) -> int | None:
    try:
        v = float(raw)
        if not math.isfinite(v) or not v.is_integer():
            raise ValueError
        n = int(v)
    except ValueError:
        errs.add(col, f"{raw!r} is not a whole number", row)
        return None
    if n < 0:
        errs.add(col, f"{raw!r} must not be negative", row)
        return None
    return n


def _number(errs: ErrorList, row: int, col: str, raw: str) -> float | None:
    try:
        v = float(raw)
        if not math.isfinite(v):
            raise ValueError
    except ValueError:
        errs.add(col, f"{raw!r} is not a number", row)
        return None
    return v


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


def _parts_by_identity(s: Session) -> dict[tuple[str, str], uuid.UUID]:
    return {(m, p): i for i, m, p in s.execute(
        select(Part.id, Part.manufacturer_code, Part.part_number))}


def _sites_by_code(s: Session) -> dict[str, uuid.UUID]:
    return {c.upper(): i for i, c in s.execute(select(Site.id, Site.code))}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _new_ids(n: int) -> Iterator[uuid.UUID]:
    """Random (version 4) UUIDs, drawn from the OS in blocks rather than one call per row."""
    while n > 0:
        k = min(n, 4096)
        raw = os.urandom(16 * k)
        for i in range(k):
            yield uuid.UUID(bytes=raw[16 * i:16 * i + 16], version=4)
        n -= k


class _Writer:
    """ORM bulk INSERT / UPDATE-by-primary-key in chunks (executemany), reporting progress.

    ORM-enabled statements, so the audit hook records every row. An update row carries ``id``,
    ``version`` (the row version read: the ORM matches it, bumps it, and refuses a row changed
    meanwhile) and the new values.
    """

    def __init__(self, uow: UnitOfWork, total: int, progress: Progress | None, dry_run: bool):
        self.uow, self.total, self.progress, self.done, self.dry_run = uow, total, progress, 0, dry_run

    def _tick(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress("writing", self.done, self.total)

    def insert(self, model: Any, rows: Iterable[dict], count: bool = True) -> None:
        if self.dry_run:  # a dry run validates everything and writes nothing
            return
        # render_nulls: every row has the same columns, so each chunk is one executemany (without
        # it the ORM splits the batch wherever the pattern of NULL values changes)
        stmt = insert(model).execution_options(render_nulls=True)
        for chunk in _chunks(rows):
            self.uow.session.execute(stmt, chunk)
            if count:
                self._tick(len(chunk))

    def update(self, model: Any, rows: list[dict], what: str, count: bool = True) -> None:
        if self.dry_run:
            return
        for chunk in _chunks(rows):
            try:
                self.uow.session.execute(update(model), chunk)
            except StaleDataError:
                raise Conflict(f"{what} changed while this import ran; run the import again") from None
            if count:
                self._tick(len(chunk))


# -- parts ---------------------------------------------------------------------------------------


def _import_parts(uow: UnitOfWork, s: Session, rows: _Rows, errs: ErrorList, res: ImportResult,
                  progress: Progress | None, dry_run: bool) -> None:
    cols = [Part.__table__.c[f] for f in ("id", "version", "manufacturer_code", "part_number", *PART_FIELDS)]
    existing: dict[tuple[str, str], dict[str, Any]] = {}
    for r in s.execute(select(*cols)):
        d = dict(r._mapping)
        existing[(d["manufacturer_code"], d["part_number"])] = d
    present = rows.present & set(PART_FIELDS)
    names = {c.name for c in IMPORT_COLUMNS["parts"]}
    seen: dict[tuple[str, str], int] = {}
    nsn_rows: dict[str, tuple[int, tuple[str, str]]] = {}
    creates: list[tuple] = []  # compact: (manufacturer_code, part_number, *PART_FIELDS values)
    updates: list[tuple[int, dict, dict]] = []
    for n, v in rows:
        ident = _identity(errs, n, v.get("manufacturer_code", ""), v.get("part_number", ""),
                          "manufacturer_code", "part_number")
        old = existing.get(ident) if ident else None
        if ident:
            if ident in seen:
                errs.add("part_number", f"{ident[0]} {ident[1]} is also on row {seen[ident]} (a part may appear "
                         "once per file)", n)
                continue
            seen[ident] = n
        if old is not None:
            data = {k: old[k] for k in PART_FIELDS}
            for k in present:
                if v[k] != "":
                    data[k] = v[k]
                elif k in PART_NULLABLE:
                    data[k] = None
        else:
            data = {k: v[k] for k in present if v[k] != ""}
        data["manufacturer_code"] = v.get("manufacturer_code", "")
        data["part_number"] = v.get("part_number", "")
        try:
            model = PartCreate.model_validate(data)
        except ValidationError as exc:
            before = len(errs.errors)
            _pydantic_errors(errs, exc, n, names, new=old is None)
            if ident is None:  # identity errors are already reported above
                errs.errors[before:] = [e for e in errs.errors[before:]
                                        if e.field not in ("manufacturer_code", "part_number")]
            continue
        if ident is None:
            continue
        vals = model.model_dump(exclude={"manufacturer_code", "part_number"})
        if vals["nsn"]:
            if vals["nsn"] in nsn_rows:
                other = nsn_rows[vals["nsn"]][0]
                errs.add("nsn", f"{vals['nsn']} is also given on row {other} (an NSN identifies one part)", n)
                continue
            nsn_rows[vals["nsn"]] = (n, ident)
        if old is None:
            creates.append((ident[0], ident[1], *(vals[k] for k in PART_FIELDS)))
        elif any(_differs(old[k], vals[k]) for k in PART_FIELDS):
            updates.append((n, old, vals))
        else:
            res.unchanged += 1
    # an NSN already on a part the file does not change is a conflict
    for key, old in existing.items():
        if key not in seen and old["nsn"] and old["nsn"] in nsn_rows:
            n, ident = nsn_rows[old["nsn"]]
            errs.add("nsn", f"{old['nsn']} is already on part {key[0]} {key[1]}", n)
    res.created, res.updated = len(creates), len(updates)
    if errs:
        return
    now = _now()
    w = _Writer(uow, len(creates) + len(updates), progress, dry_run)
    # NSNs that move between parts in this file: clear them first, so the unique index never trips
    moving = [{"id": old["id"], "version": old["version"], "nsn": None, "updated_at": now}
              for _, old, vals in updates if old["nsn"] and old["nsn"] != vals["nsn"]]
    bumped = {m["id"] for m in moving}
    if moving:
        w.update(Part, moving, "parts", count=False)
    upd = [{"id": old["id"], "version": old["version"] + (1 if old["id"] in bumped else 0), "updated_at": now,
            **vals} for _, old, vals in updates]
    if upd:
        w.update(Part, upd, "parts")
    cols = ("manufacturer_code", "part_number", *PART_FIELDS)
    w.insert(Part, ({"id": i, "created_at": now, "updated_at": now, "version": 1, **dict(zip(cols, c))}
                    for i, c in zip(_new_ids(len(creates)), creates)))


def _differs(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is not b
    if isinstance(a, float) or isinstance(b, float):
        return not math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return a != b


# -- bills of material ---------------------------------------------------------------------------


def _import_bom(uow: UnitOfWork, s: Session, rows: _Rows, errs: ErrorList, res: ImportResult,
                progress: Progress | None, dry_run: bool) -> None:
    parts = _parts_by_identity(s)
    part_label = {i: f"{m} {p}" for (m, p), i in parts.items()}
    types = {c.upper(): i for i, c in s.execute(select(EquipmentType.id, EquipmentType.code))}
    present = rows.present
    file_lines: dict[tuple, tuple[int, dict]] = {}
    for n, v in rows:
        et_code = v.get("equipment_type", "").upper()
        et = types.get(et_code)
        if not et_code:
            errs.add("equipment_type", "is required", n)
        elif et is None:
            errs.add("equipment_type", f"no equipment type {et_code!r}", n)
        child = _part_ref(errs, n, parts, v.get("child_manufacturer_code", ""), v.get("child_part_number", ""),
                          "child_manufacturer_code", "child_part_number", required=True)
        pm, pp = v.get("parent_manufacturer_code", ""), v.get("parent_part_number", "")
        parent = None
        if pm or pp:
            parent = _part_ref(errs, n, parts, pm, pp, "parent_manufacturer_code", "parent_part_number",
                               required=True)
        line: dict[str, Any] = {}
        bad = False
        for col in ("quantity_per_assembly", "failure_share"):
            if col in present and v[col] != "":
                x = _number(errs, n, col, v[col])
                bad |= x is None
                line[col] = x
            elif col == "failure_share" and col in present:
                line[col] = None
        if et is None or child is None or ((pm or pp) and parent is None):
            continue
        if not bad:
            try:
                BomLineCreate.model_validate({"equipment_type_id": et, "parent_part_id": parent,
                                              "child_part_id": child, **line})
            except ValidationError as exc:
                _pydantic_errors(errs, exc, n, set(present), new=False)
        if parent == child:
            errs.add("child_part_number", "a part cannot contain itself", n)
            continue
        key = (et, parent, child)
        if key in file_lines:
            errs.add("child_part_number", f"the same line (equipment type, parent, child) is also on row "
                     f"{file_lines[key][0]}", n)
            continue
        # a line with bad numbers but good references still takes part in the structure checks
        # below, so that cycles and orphans are reported in the same run as the row errors
        file_lines[key] = (n, line)
    et_ids = {k[0] for k in file_lines}
    existing: dict[tuple, dict] = {}
    if et_ids:
        for r in s.execute(select(BomLine.id, BomLine.version, BomLine.equipment_type_id, BomLine.parent_part_id,
                                  BomLine.child_part_id, BomLine.quantity_per_assembly, BomLine.failure_share,
                                  BomLine.level).where(BomLine.equipment_type_id.in_(et_ids))):
            d = dict(r._mapping)
            existing[(d["equipment_type_id"], d["parent_part_id"], d["child_part_id"])] = d
    # the whole bill of each equipment type after the import: levels, cycles, unreachable parents
    lines_by_type: dict[uuid.UUID, list[tuple]] = {}
    for key in set(existing) | set(file_lines):
        lines_by_type.setdefault(key[0], []).append(key)
    levels: dict[tuple, int] = {}
    for et, keys in lines_by_type.items():
        edges = [(p, c) for _, p, c in keys if p is not None]
        in_cycle = _cycle_nodes(edges)
        for key in keys:
            _, p, c = key
            if key in file_lines and p is not None and p in in_cycle and c in in_cycle.get(p, set()):
                members = " → ".join(part_label.get(x, str(x)) for x in sorted(in_cycle[p], key=str)[:6])
                errs.add("child_part_number", f"makes an assembly contain itself (cycle through {members})",
                         file_lines[key][0])
        # levels: breadth-first from the lines directly under the equipment
        children: dict[Any, list[tuple]] = {}
        for key in keys:
            children.setdefault(key[1], []).append(key)
        frontier, level = [None], 1
        seen_parts: set = set()
        while frontier:
            nxt = []
            for p in frontier:
                for key in children.get(p, []):
                    if key not in levels:
                        levels[key] = level
                        if key[2] not in seen_parts:
                            seen_parts.add(key[2])
                            nxt.append(key[2])
            frontier, level = nxt, level + 1
        flagged = {e.row for e in errs.errors}
        for key in keys:
            if key in file_lines and key not in levels and file_lines[key][0] not in flagged:
                errs.add("parent_part_number", f"the parent {part_label.get(key[1])} is not in the bill of "
                             "material of this equipment type; add a line for it first (it may be in this file)",
                             file_lines[key][0])
    creates, updates = [], []
    for key, (n, line) in file_lines.items():
        old = existing.get(key)
        if old is None:
            creates.append({"equipment_type_id": key[0], "parent_part_id": key[1], "child_part_id": key[2],
                            "quantity_per_assembly": line.get("quantity_per_assembly", 1.0),
                            "failure_share": line.get("failure_share"), "level": levels.get(key, 1)})
        else:
            new = {"quantity_per_assembly": line.get("quantity_per_assembly", old["quantity_per_assembly"]),
                   "failure_share": line.get("failure_share", old["failure_share"]), "level": levels.get(key, 1)}
            if any(_differs(old[k], new[k]) for k in new):
                updates.append((old, new))
            else:
                res.unchanged += 1
    relevel = [(old, {"quantity_per_assembly": old["quantity_per_assembly"], "failure_share": old["failure_share"],
                      "level": levels[key]})
               for key, old in existing.items() if key not in file_lines and key in levels
               and levels[key] != old["level"]]
    res.created, res.updated = len(creates), len(updates)
    if errs:
        return
    now = _now()
    w = _Writer(uow, len(creates) + len(updates), progress, dry_run)
    upd = [{"id": o["id"], "version": o["version"], "updated_at": now, **nv} for o, nv in updates + relevel]
    if upd:
        w.update(BomLine, upd, "bill of material lines")
    w.insert(BomLine, [{"id": uuid.uuid4(), "created_at": now, "updated_at": now, "version": 1, **c} for c in creates])


def _cycle_nodes(edges: list[tuple]) -> dict[Any, set]:
    """Strongly connected components with a cycle: node -> the members of its component."""
    graph: dict[Any, list] = {}
    for p, c in edges:
        graph.setdefault(p, []).append(c)
        graph.setdefault(c, [])
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set = set()
    stack: list = []
    out: dict[Any, set] = {}
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nb in it:
                if nb not in index:
                    index[nb] = low[nb] = counter
                    counter += 1
                    stack.append(nb)
                    on_stack.add(nb)
                    work.append((nb, iter(graph[nb])))
                    advanced = True
                    break
                if nb in on_stack:
                    low[node] = min(low[node], index[nb])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.add(x)
                    if x == node:
                        break
                if len(comp) > 1:
                    for x in comp:
                        out[x] = comp
    return out


def _part_ref(errs: ErrorList, n: int, parts: dict, mfr: str, pn: str, mfr_col: str, pn_col: str,
              required: bool) -> uuid.UUID | None:
    if not mfr and not pn and not required:
        return None
    if not mfr or not pn:
        if not mfr:
            errs.add(mfr_col, "is required", n)
        if not pn:
            errs.add(pn_col, "is required", n)
        return None
    ident = _identity(errs, n, mfr, pn, mfr_col, pn_col)
    if ident is None:
        return None
    pid = parts.get(ident)
    if pid is None:
        errs.add(pn_col, f"no part {ident[0]} {ident[1]} in the catalog", n)
    return pid


def _site_ref(errs: ErrorList, n: int, sites: dict, code: str) -> uuid.UUID | None:
    if not code:
        errs.add("site", "is required", n)
        return None
    sid = sites.get(code.upper())
    if sid is None:
        errs.add("site", f"no site {code!r}", n)
    return sid


# -- stock ---------------------------------------------------------------------------------------


def _import_stock(uow: UnitOfWork, s: Session, rows: _Rows, errs: ErrorList, res: ImportResult,
                  progress: Progress | None, dry_run: bool) -> None:
    parts, sites = _parts_by_identity(s), _sites_by_code(s)
    present = [c for c in COUNTS if c in rows.present]
    file: dict[tuple, tuple[int, dict]] = {}
    for n, v in rows:
        pid = _part_ref(errs, n, parts, v.get("manufacturer_code", ""), v.get("part_number", ""),
                        "manufacturer_code", "part_number", required=True)
        sid = _site_ref(errs, n, sites, v.get("site", ""))
        counts, bad = {}, False
        for c in present:
            if v[c] != "":
                x = _count(errs, n, c, v[c])
                bad |= x is None
                counts[c] = x
        if pid is None or sid is None or bad:
            continue
        key = (pid, sid)
        if key in file:
            errs.add("site", f"the same part and site are also on row {file[key][0]}", n)
            continue
        file[key] = (n, counts)
    res.rows = rows.count
    if errs:
        return
    existing: dict[tuple, dict] = {}
    site_ids = {k[1] for k in file}
    if site_ids:
        for r in s.execute(select(StockPosition.id, StockPosition.version, StockPosition.part_id,
                                  StockPosition.site_id, *[StockPosition.__table__.c[c] for c in COUNTS])
                           .where(StockPosition.site_id.in_(site_ids))):
            d = dict(r._mapping)
            existing[(d["part_id"], d["site_id"])] = d
    now = _now()
    creates, updates = [], []
    for key, (n, counts) in file.items():
        old = existing.get(key)
        if old is None:
            creates.append((key, counts))
        else:
            new = {c: counts.get(c, old[c]) for c in COUNTS}
            if any(new[c] != old[c] for c in COUNTS):
                updates.append({"id": old["id"], "version": old["version"], "updated_at": now, **new})
            else:
                res.unchanged += 1
    res.created, res.updated = len(creates), len(updates)
    w = _Writer(uow, len(creates) + len(updates), progress, dry_run)
    if updates:
        w.update(StockPosition, updates, "stock positions")
    w.insert(StockPosition, ({"id": i, "created_at": now, "updated_at": now, "version": 1, "part_id": key[0],
                              "site_id": key[1], **{c: counts.get(c, 0) for c in COUNTS}}
                             for i, (key, counts) in zip(_new_ids(len(creates)), creates)))


# -- demand --------------------------------------------------------------------------------------


def _import_demand(uow: UnitOfWork, s: Session, rows: _Rows, errs: ErrorList, res: ImportResult,
                   progress: Progress | None, dry_run: bool) -> None:
    parts, sites = _parts_by_identity(s), _sites_by_code(s)
    file: dict[tuple, tuple[int, float]] = {}
    part_cache: dict[tuple[str, str], uuid.UUID | None] = {}
    period_cache: dict[str, date] = {}
    for n, v in rows:
        mfr, pn = v.get("manufacturer_code", ""), v.get("part_number", "")
        pid = part_cache.get((mfr, pn))
        if pid is None:
            before = len(errs.errors)
            pid = _part_ref(errs, n, parts, mfr, pn, "manufacturer_code", "part_number", required=True)
            if len(errs.errors) == before:
                part_cache[(mfr, pn)] = pid
        sid = _site_ref(errs, n, sites, v.get("site", ""))
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
            qty = _number(errs, n, "quantity", raw_q)
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
        for rid, ver, pid, sid, per, q in s.execute(
                select(DemandRecord.id, DemandRecord.version, DemandRecord.part_id, DemandRecord.site_id,
                       DemandRecord.period, DemandRecord.quantity)
                .where(DemandRecord.site_id.in_(site_ids), DemandRecord.period.between(lo, hi))):
            existing[(pid, sid, per)] = (rid, ver, q)
    now = _now()
    creates, updates = [], []
    for key, (n, qty) in file.items():
        old = existing.get(key)
        if old is None:
            creates.append((key, qty))
        elif _differs(old[2], qty):
            updates.append({"id": old[0], "version": old[1], "updated_at": now, "quantity": qty})
        else:
            res.unchanged += 1
    res.created, res.updated = len(creates), len(updates)
    w = _Writer(uow, len(creates) + len(updates), progress, dry_run)
    if updates:
        w.update(DemandRecord, updates, "demand records")
    w.insert(DemandRecord, ({"id": i, "created_at": now, "updated_at": now, "version": 1, "part_id": key[0],
                             "site_id": key[1], "period": key[2], "quantity": qty}
                            for i, (key, qty) in zip(_new_ids(len(creates)), creates)))


_IMPORTERS = {"parts": _import_parts, "bom": _import_bom, "stock": _import_stock, "demand": _import_demand}
IMPORT_RESOURCES = tuple(_IMPORTERS)


def import_table(uow: UnitOfWork, resource: str, table: Table, *, dry_run: bool = False,
                 progress: Progress | None = None) -> ImportResult:
    """Validate every row of ``table`` and, when there is no error, write them in ``uow``.

    Never commits: the caller commits when ``result.ok and not dry_run`` and otherwise lets the
    unit of work roll back. On a dry run nothing is written (the counts say what would be).
    Errors are in ``result.errors`` (each ``str()`` is ``row N, column C: message``), sorted by
    row; a database refusal at write time is reported the same way (row None).
    """
    if resource not in _IMPORTERS:
        raise ValidationFailed("unknown resource", [FieldError("resource", f"use one of {', '.join(_IMPORTERS)}")])
    require(uow.actor, IMPORT_PERMISSIONS[resource])
    errs = ErrorList()
    res = ImportResult(resource=resource, dry_run=dry_run)
    rows = _Rows(table, IMPORT_COLUMNS[resource], errs, progress)
    try:
        # reads (references, existing rows) go through a separate read-only unit of work, so the
        # write lock (SQLite: BEGIN IMMEDIATE) is taken only when the validated rows are written;
        # rows changed meanwhile are refused by their version, duplicates by the unique indexes
        with UnitOfWork(uow.actor, engine=uow.engine) as reader:
            _IMPORTERS[resource](uow, reader.session, rows, errs, res, progress, dry_run)
    except (IntegrityError, DBAPIError) as exc:
        errs.add("(database)", f"the database refused the import: {getattr(exc, 'orig', exc)}")
    res.rows = rows.count
    # a missing required column is reported once, on row 1, not again on every row
    kept = [e for e in errs.errors if e.row == table.header_row or e.field not in rows.missing]
    res.errors = sorted(kept, key=lambda e: (e.row or 0))
    return res


def import_file(uow: UnitOfWork, resource: str, path: str | Path, *, dry_run: bool = False,
                progress: Progress | None = None) -> ImportResult:
    """Open ``path`` (CSV or .xlsx, safely) and :func:`import_table` it; an unreadable file gives
    one error in the result, not an exception."""
    try:
        table = tabular.open_table(path)
    except TableError as exc:
        return ImportResult(resource=resource, dry_run=dry_run, errors=[FieldError("(file)", exc.message, exc.row)])
    with table:
        return import_table(uow, resource, table, dry_run=dry_run, progress=progress)


def default_error_path(source: str | Path) -> Path:
    p = Path(source)
    return p.with_name(f"{p.stem}.errors{p.suffix.lower()}")


def error_rows(table: Table, errors: list[FieldError]) -> tuple[list[str], Iterator[list[str]]]:
    """The rows of ``table`` (an input opened again) plus an ``errors`` column.

    Every row is kept (rows without errors have an empty ``errors`` cell), so the user fixes the
    file and imports it whole again; the importer ignores the ``errors`` column (an ``errors``
    column already in the input is replaced). Errors without a row, or on the header, go on the
    first data row.
    """
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e.row or 0, []).append(str(e))
    header = list(table.header)
    drop = next((i for i, h in enumerate(header) if h.strip().lower() == ERRORS_COLUMN), None)
    if drop is not None:
        header.pop(drop)
    width = len(header)
    general = by_row.pop(0, []) + by_row.pop(table.header_row, [])

    def rows() -> Iterator[list[str]]:
        first = True
        try:
            for n, cells in table.rows():
                if drop is not None and drop < len(cells):
                    cells = cells[:drop] + cells[drop + 1:]
                cells = (cells + [""] * width)[:max(width, len(cells))]
                msgs = by_row.pop(n, [])
                if first:
                    msgs, first = general + msgs, False
                yield cells[:width] + ["; ".join(msgs)] + cells[width:]
        except TableError:
            pass
        rest = general if first else []
        for n in sorted(by_row):
            rest += by_row[n]
        if rest:
            yield [""] * width + ["; ".join(rest)]

    return header + [ERRORS_COLUMN], rows()


def write_error_file(source: str | Path, target: str | Path, errors: list[FieldError]) -> Path:
    """Write the input rows plus an ``errors`` column to ``target``, in the input's format (and
    CSV delimiter): see :func:`error_rows`."""
    with tabular.open_table(source) as table:
        header, rows = error_rows(table, errors)
        tabular.write_table(target, header, rows, fmt=table.format, delimiter=table.delimiter, sheet_title="errors")
    return Path(target)


def error_file_bytes(data: bytes, fmt: str, errors: list[FieldError]) -> bytes:
    """The error file of an upload held in memory (``fmt`` csv or xlsx), as bytes."""
    with tabular.open_table_bytes(data, fmt) as table:
        header, rows = error_rows(table, errors)
        if fmt == "csv":
            return b"".join(tabular.iter_csv_bytes(header, rows, delimiter=table.delimiter))
        return tabular.xlsx_bytes(header, rows, sheet_title="errors")


def import_bytes(uow: UnitOfWork, resource: str, data: bytes, fmt: str, *, dry_run: bool = False,
                 progress: Progress | None = None) -> ImportResult:
    """:func:`import_file` for an upload held in memory (``fmt``: ``tabular.detect_format(filename)``)."""
    try:
        table = tabular.open_table_bytes(data, fmt)
    except TableError as exc:
        return ImportResult(resource=resource, dry_run=dry_run, errors=[FieldError("(file)", exc.message, exc.row)])
    with table:
        return import_table(uow, resource, table, dry_run=dry_run, progress=progress)


# -- exports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSpec:
    resource: str
    permission: str
    filters: dict[str, str]
    build: Callable[[UnitOfWork, dict[str, Any]], tuple[list[str], Iterator[list[Any]]]]


def visible_site_ids(actor: Any) -> Any:
    """The one scoping rule of site-owned rows (sites, units, stock, demand): fleet.policies."""
    from setu.fleet.policies import visible_site_ids as scope

    return scope(actor)


def _stream(uow: UnitOfWork, stmt: Any) -> Iterator[Any]:
    yield from uow.session.execute(stmt.execution_options(yield_per=2000))


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "y"):
        return True
    if s in ("0", "false", "no", "n"):
        return False
    raise ValidationFailed("bad filter", [FieldError("has_nsn", f"{v!r} is not true or false")])


def _export_parts(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [c.name for c in IMPORT_COLUMNS["parts"]]
    has_nsn = _bool(f["has_nsn"]) if f.get("has_nsn") not in (None, "") else None
    stmt = catalog_repo.parts(f.get("q"), f.get("kind"), f.get("manufacturer_code"), has_nsn)
    t = Part.__table__
    stmt = stmt.with_only_columns(*[t.c[h] for h in header]).order_by(t.c.manufacturer_code, t.c.part_number)
    return header, (list(r) for r in _stream(uow, stmt))


def _part_filter(stmt: Any, f: dict[str, Any]) -> Any:
    if f.get("manufacturer_code"):
        stmt = stmt.where(Part.manufacturer_code == str(f["manufacturer_code"]).strip().upper())
    if f.get("part_number"):
        stmt = stmt.where(Part.part_number == rules.normalise_part_number(str(f["part_number"])))
    if f.get("q"):
        stmt = stmt.where(search_clause(str(f["q"]), Part.part_number, Part.name))
    return stmt


def _export_bom(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    from sqlalchemy.orm import aliased

    header = [c.name for c in IMPORT_COLUMNS["bom"]]
    child, parent = aliased(Part), aliased(Part)
    stmt = (select(EquipmentType.code, parent.manufacturer_code, parent.part_number, child.manufacturer_code,
                   child.part_number, BomLine.quantity_per_assembly, BomLine.failure_share)
            .join(EquipmentType, EquipmentType.id == BomLine.equipment_type_id)
            .join(child, child.id == BomLine.child_part_id)
            .outerjoin(parent, parent.id == BomLine.parent_part_id)
            .order_by(EquipmentType.code, BomLine.level, parent.part_number, child.part_number))
    if f.get("equipment_type"):
        stmt = stmt.where(EquipmentType.code == str(f["equipment_type"]).strip().upper())
    return header, (list(r) for r in _stream(uow, stmt))


def _export_interchanges(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    from sqlalchemy.orm import aliased

    header = ["replaced_manufacturer_code", "replaced_part_number", "replacing_manufacturer_code",
              "replacing_part_number", "code", "set_code", "effective_date", "remarks"]
    old, new = aliased(Part), aliased(Part)
    stmt = (select(old.manufacturer_code, old.part_number, new.manufacturer_code, new.part_number, Interchange.code,
                   Interchange.set_code, Interchange.effective_date, Interchange.remarks)
            .join(old, old.id == Interchange.replaced_part_id).join(new, new.id == Interchange.replacing_part_id)
            .order_by(new.manufacturer_code, new.part_number, old.manufacturer_code, old.part_number))
    if f.get("code"):
        stmt = stmt.where(Interchange.code == str(f["code"]).strip())
    if f.get("part_number"):
        pn = str(f["part_number"]).strip().upper()
        stmt = stmt.where((old.part_number == pn) | (new.part_number == pn))
    return header, (list(r) for r in _stream(uow, stmt))


def _export_stock(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [c.name for c in IMPORT_COLUMNS["stock"]]
    sp = fleet_repo.stock_positions(scope=visible_site_ids(uow.actor)).subquery()
    stmt = (select(Part.manufacturer_code, Part.part_number, Site.code, *[sp.c[c] for c in COUNTS])
            .join(Part, Part.id == sp.c.part_id).join(Site, Site.id == sp.c.site_id)
            .order_by(Site.code, Part.manufacturer_code, Part.part_number))
    if f.get("site"):
        stmt = stmt.where(Site.code == str(f["site"]).strip().upper())
    return header, (list(r) for r in _stream(uow, _part_filter(stmt, f)))


def _export_demand(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [c.name for c in IMPORT_COLUMNS["demand"]]
    stmt = (select(Part.manufacturer_code, Part.part_number, Site.code, DemandRecord.period, DemandRecord.quantity)
            .join(Part, Part.id == DemandRecord.part_id).join(Site, Site.id == DemandRecord.site_id)
            .order_by(Site.code, Part.manufacturer_code, Part.part_number, DemandRecord.period))
    if (scope := visible_site_ids(uow.actor)) is not None:
        stmt = stmt.where(DemandRecord.site_id.in_(scope))
    if f.get("site"):
        stmt = stmt.where(Site.code == str(f["site"]).strip().upper())
    for key, op in (("from", DemandRecord.period.__ge__), ("to", DemandRecord.period.__le__)):
        if f.get(key):
            try:
                stmt = stmt.where(op(parse_period(str(f[key]))))
            except ValueError as exc:
                raise ValidationFailed("bad filter", [FieldError(key, str(exc))]) from None
    stmt = _part_filter(stmt, f)

    def rows() -> Iterator[list[Any]]:
        for m, p, s, per, q in _stream(uow, stmt):
            yield [m, p, s, f"{per.year:04d}-{per.month:02d}", q]

    return header, rows()


def _codes(uow: UnitOfWork, model: Any) -> dict[uuid.UUID, str]:
    return {i: c for i, c in uow.session.execute(select(model.id, model.code))}


def _export_sites(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["code", "name", "kind", "organisation", "echelon", "parent"]
    echelon = int(f["echelon"]) if f.get("echelon") not in (None, "") else None
    orgs, sites = _codes(uow, Organisation), _codes(uow, Site)
    stmt = fleet_repo.sites(f.get("q"), f.get("kind"), echelon, scope=visible_site_ids(uow.actor)).order_by(Site.code)

    def rows() -> Iterator[list[Any]]:
        for (s,) in _stream(uow, stmt):
            yield [s.code, s.name, s.kind, orgs.get(s.organisation_id), s.echelon, sites.get(s.parent_id)]

    return header, rows()


def _export_types(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["code", "name", "category", "origin_party", "oem_organisation", "operating_hours_per_year"]
    orgs, parties = _codes(uow, Organisation), _codes(uow, Party)
    stmt = fleet_repo.equipment_types(f.get("q"), f.get("category")).order_by(EquipmentType.code)

    def rows() -> Iterator[list[Any]]:
        for (t,) in _stream(uow, stmt):
            yield [t.code, t.name, t.category, parties.get(t.origin_party_id), orgs.get(t.oem_organisation_id),
                   t.operating_hours_per_year]

    return header, rows()


def _export_units(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["serial", "equipment_type", "site", "status"]
    types, sites = _codes(uow, EquipmentType), _codes(uow, Site)
    by_code = {v: k for k, v in types.items()}
    site_by_code = {v: k for k, v in sites.items()}
    et = site = None
    if f.get("equipment_type"):
        et = by_code.get(str(f["equipment_type"]).strip().upper(), uuid.UUID(int=0))
    if f.get("site"):
        site = site_by_code.get(str(f["site"]).strip().upper(), uuid.UUID(int=0))
    stmt = fleet_repo.equipment_units(f.get("q"), et, site, f.get("status"),
                                      scope=visible_site_ids(uow.actor)).order_by(EquipmentUnit.serial)

    def rows() -> Iterator[list[Any]]:
        for (u,) in _stream(uow, stmt):
            yield [u.serial, types.get(u.equipment_type_id), sites.get(u.site_id), u.status]

    return header, rows()


def _export_orgs(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["code", "name", "kind", "party", "is_demo"]
    parties = _codes(uow, Party)
    stmt = identity_repo.organisations().order_by(Organisation.code)
    if (c := search_clause(f.get("q"), Organisation.code, Organisation.name)) is not None:
        stmt = stmt.where(c)
    if f.get("kind"):
        stmt = stmt.where(Organisation.kind == f["kind"])
    if f.get("party"):
        pid = {v: k for k, v in parties.items()}.get(str(f["party"]).strip().upper(), uuid.UUID(int=0))
        stmt = stmt.where(Organisation.party_id == pid)

    def rows() -> Iterator[list[Any]]:
        for (o,) in _stream(uow, stmt):
            yield [o.code, o.name, o.kind, parties.get(o.party_id), o.is_demo]

    return header, rows()


_PART_FILTERS = {"q": "search part number and name", "manufacturer_code": "one manufacturer",
                 "part_number": "one part number"}
EXPORTS: dict[str, ExportSpec] = {
    "parts": ExportSpec("parts", "catalog.part.read", {
        "q": "search part number, name, NSN, origin designation", "kind": "repairable or consumable",
        "manufacturer_code": "one manufacturer", "has_nsn": "true or false"}, _export_parts),
    "bom": ExportSpec("bom", "catalog.bom.read", {"equipment_type": "one equipment type (code)"}, _export_bom),
    "interchanges": ExportSpec("interchanges", "catalog.interchange.read", {
        "code": "one interchangeability code", "part_number": "links of one part number (either side)"},
        _export_interchanges),
    "stock": ExportSpec("stock", "fleet.stock.read", {"site": "one site (code)", **_PART_FILTERS}, _export_stock),
    "demand": ExportSpec("demand", "demand.record.read", {
        "site": "one site (code)", "from": "first month YYYY-MM", "to": "last month YYYY-MM", **_PART_FILTERS},
        _export_demand),
    "sites": ExportSpec("sites", "fleet.site.read", {"q": "search code and name", "kind": "base, depot, plant, port",
                                                     "echelon": "1 depot, 2 base"}, _export_sites),
    "equipment-types": ExportSpec("equipment-types", "fleet.equipment_type.read", {
        "q": "search code and name", "category": "equipment category"}, _export_types),
    "equipment-units": ExportSpec("equipment-units", "fleet.equipment_unit.read", {
        "q": "search serial", "equipment_type": "equipment type code", "site": "site code",
        "status": "operational, down_maintenance, down_parts"}, _export_units),
    "organisations": ExportSpec("organisations", "identity.organisation.read", {
        "q": "search code and name", "kind": "organisation kind", "party": "party code"}, _export_orgs),
}
EXPORT_RESOURCES = tuple(EXPORTS)


def export_rows(uow: UnitOfWork, resource: str, filters: Mapping[str, Any] | None = None,
                ) -> tuple[list[str], Iterator[list[Any]]]:
    """``(header, rows)`` of a list, filtered; rows stream from the database (consume them while
    ``uow`` is open). ``filters`` keys per resource are in ``EXPORTS[resource].filters``; empty
    values are ignored, an unknown key is a :class:`ValidationFailed`."""
    spec = EXPORTS.get(resource)
    if spec is None:
        raise ValidationFailed("unknown export", [FieldError("resource", f"use one of {', '.join(EXPORTS)}")])
    require(uow.actor, spec.permission)
    f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    unknown = sorted(set(f) - set(spec.filters))
    if unknown:
        raise ValidationFailed("unknown filter", [FieldError(k, f"is not a filter of {resource}; use "
                                                                f"{', '.join(spec.filters)}") for k in unknown])
    return spec.build(uow, f)


def export_bytes(uow: UnitOfWork, resource: str, filters: Mapping[str, Any] | None = None, *,
                 fmt: str = "csv") -> Iterator[bytes]:
    """The export as bytes: CSV streams in chunks; .xlsx is built whole, then yielded once.

    For a web response: ``StreamingResponse(export_bytes(uow, "parts", {"q": q}, fmt="xlsx"),
    media_type=tabular.MEDIA_TYPES[fmt], headers={"Content-Disposition": 'attachment;
    filename="' + export_filename("parts", fmt) + '"'})`` (keep ``uow`` open until it is sent,
    or ``b"".join(...)`` it inside the unit of work).
    """
    header, rows = export_rows(uow, resource, filters)
    if fmt == "csv":
        return tabular.iter_csv_bytes(header, rows)
    if fmt == "xlsx":
        return iter([tabular.xlsx_bytes(header, rows, sheet_title=resource)])
    raise ValidationFailed("unknown format", [FieldError("format", f"use one of {', '.join(tabular.FORMATS)}")])


def export_filename(resource: str, fmt: str) -> str:
    return f"setu-{resource}-{date.today().isoformat()}.{fmt}"
