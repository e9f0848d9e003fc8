"""Catalog import and export: parts and bills of material (import and export); equipment types and
interchanges (export).

Written through the catalog's own rules and policies: part identity is normalised by
:mod:`setu.catalog.rules`, the bill's levels and cycle check are :func:`rules.bom_levels` and
:func:`rules.bom_cycle_members` (the same rules as one line added by hand), and a row that changes
a part or an equipment's bill maintained by the other party is refused like the form would be
(object rule ``own_party`` of ``catalog.part.update`` / ``catalog.bom.update``).

Columns (an ``errors`` column, as in an error file, is ignored; every other unknown column is an
error at row 1):

- parts: manufacturer_code*, part_number*, nsn, origin_designation, name (* for a new part),
  unit_of_issue, unit_price, currency, kind, condemnation_rate, repair_turnaround_days,
  procurement_lead_time_days, shelf_life_months, mtbf_hours. Upsert on manufacturer_code +
  normalised part_number. On an existing part an empty cell keeps the current value (an empty
  nsn / origin_designation / repair_turnaround_days / shelf_life_months / mtbf_hours clears
  it); on a new part it takes the default. A new part is maintained by the importer's party.
- bom: equipment_type* (code), parent_manufacturer_code, parent_part_number (both empty: the
  child sits directly under the equipment), child_manufacturer_code*, child_part_number*,
  quantity_per_assembly, failure_share. Upsert on (equipment type, parent, child); the parent must
  be in that equipment's bill (already, or from another row); no part may contain itself.
"""
from __future__ import annotations

import uuid
from typing import Any, Iterator

from pydantic import ValidationError
from setu.catalog import repository as repo
from setu.catalog import rules
from setu.catalog.models import BomLine, EquipmentType, Part
from setu.catalog.schemas import BomLineCreate, PartCreate
from setu.identity.models import Organisation, Party
from setu.kit.access import Actor, require_object
from setu.kit.errors import ErrorList, PermissionDenied
from setu.kit.listing import search_clause
from setu.kit.tabular import (
    Column, ExportSpec, ImportResult, ImportSpec, ProgressCallback, Rows, Writer, codes_by_id, differs, new_ids,
    now_utc, parse_bool, parse_number, pydantic_errors, stream_rows,
)
from setu.kit.uow import UnitOfWork

PART_FIELDS = ("nsn", "origin_designation", "name", "unit_of_issue", "unit_price", "currency", "kind",
               "condemnation_rate", "repair_turnaround_days", "procurement_lead_time_days", "shelf_life_months",
               "mtbf_hours")
PART_NULLABLE = {"nsn", "origin_designation", "repair_turnaround_days", "shelf_life_months", "mtbf_hours"}

PART_COLUMNS = (
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
)
BOM_COLUMNS = (
    Column("equipment_type", True, "equipment type code"),
    Column("parent_manufacturer_code", help="empty (with parent_part_number) = directly under the equipment"),
    Column("parent_part_number"),
    Column("child_manufacturer_code", True),
    Column("child_part_number", True),
    Column("quantity_per_assembly", help="> 0, default 1"),
    Column("failure_share", help="0..1, or empty"),
)


# -- references, shared with the capabilities that import rows naming parts --------------------


def part_identity(errs: ErrorList, row: int, mfr: str, pn: str, mfr_col: str, pn_col: str) -> tuple[str, str] | None:
    """The normalised (manufacturer code, part number) of a row, or None with its errors reported."""
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


def part_ref(errs: ErrorList, n: int, parts: dict, mfr: str, pn: str, mfr_col: str, pn_col: str,
             required: bool) -> uuid.UUID | None:
    """The id of the part a row names (``parts``: :func:`setu.catalog.service.part_ids_by_identity`)."""
    if not mfr and not pn and not required:
        return None
    if not mfr or not pn:
        if not mfr:
            errs.add(mfr_col, "is required", n)
        if not pn:
            errs.add(pn_col, "is required", n)
        return None
    ident = part_identity(errs, n, mfr, pn, mfr_col, pn_col)
    if ident is None:
        return None
    pid = parts.get(ident)
    if pid is None:
        errs.add(pn_col, f"no part {ident[0]} {ident[1]} in the catalog", n)
    return pid


def part_filter(stmt: Any, f: dict[str, Any]) -> Any:
    """The part filters of an export of rows per part (``manufacturer_code``, ``part_number``, ``q``)."""
    if f.get("manufacturer_code"):
        stmt = stmt.where(Part.manufacturer_code == str(f["manufacturer_code"]).strip().upper())
    if f.get("part_number"):
        stmt = stmt.where(Part.part_number == rules.normalise_part_number(str(f["part_number"])))
    if f.get("q"):
        stmt = stmt.where(search_clause(str(f["q"]), Part.part_number, Part.name))
    return stmt


PART_FILTERS = {"q": "search part number and name", "manufacturer_code": "one manufacturer",
                "part_number": "one part number"}


def _refusal(actor: Actor, permission: str, owner_party_id: Any) -> str | None:
    """None when the actor may change a record maintained by ``owner_party_id``; else the reason."""
    try:
        require_object(actor, permission, owner_party_id=owner_party_id)
    except PermissionDenied as exc:
        return exc.detail
    return None


# -- parts ---------------------------------------------------------------------------------------


def import_parts(uow: UnitOfWork, reader: UnitOfWork, rows: Rows, errs: ErrorList, res: ImportResult,
                 progress: ProgressCallback | None, dry_run: bool) -> None:
    s = reader.session
    existing: dict[tuple[str, str], dict[str, Any]] = repo.part_rows_by_identity(s, PART_FIELDS)
    present = rows.present & set(PART_FIELDS)
    names = {c.name for c in PART_COLUMNS}
    seen: dict[tuple[str, str], int] = {}
    nsn_rows: dict[str, tuple[int, tuple[str, str]]] = {}
    creates: list[tuple] = []  # compact: (manufacturer_code, part_number, *PART_FIELDS values)
    updates: list[tuple[int, dict, dict]] = []
    refusals: dict[Any, str | None] = {}  # owner party -> why the actor may not change its parts
    for n, v in rows:
        ident = part_identity(errs, n, v.get("manufacturer_code", ""), v.get("part_number", ""),
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
            pydantic_errors(errs, exc, n, names, new=old is None)
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
        elif any(differs(old[k], vals[k]) for k in PART_FIELDS):
            owner = old["owner_party_id"]
            if owner not in refusals:
                refusals[owner] = _refusal(uow.actor, "catalog.part.update", owner)
            if refusals[owner]:
                errs.add("part_number", f"{ident[0]} {ident[1]}: {refusals[owner]}", n)
                continue
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
    now = now_utc()
    w = Writer(uow, len(creates) + len(updates), progress, dry_run)
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
    owner = uow.actor.party_id  # as create_part: a new part is maintained by its creator's party
    w.insert(Part, ({"id": i, "created_at": now, "updated_at": now, "version": 1, "owner_party_id": owner,
                     **dict(zip(cols, c))} for i, c in zip(new_ids(len(creates)), creates)))


# -- bills of material ---------------------------------------------------------------------------


def import_bom(uow: UnitOfWork, reader: UnitOfWork, rows: Rows, errs: ErrorList, res: ImportResult,
               progress: ProgressCallback | None, dry_run: bool) -> None:
    s = reader.session
    parts = repo.part_ids_by_identity(s)
    part_label = {i: f"{m} {p}" for (m, p), i in parts.items()}
    types: dict[str, tuple[uuid.UUID, Any]] = {
        c.upper(): (i, o) for i, c, o in repo.equipment_type_keys(s)}
    owner_of = dict(types.values())
    present = rows.present
    file_lines: dict[tuple, tuple[int, dict]] = {}
    for n, v in rows:
        et_code = v.get("equipment_type", "").upper()
        et = types.get(et_code, (None,))[0]
        if not et_code:
            errs.add("equipment_type", "is required", n)
        elif et is None:
            errs.add("equipment_type", f"no equipment type {et_code!r}", n)
        child = part_ref(errs, n, parts, v.get("child_manufacturer_code", ""), v.get("child_part_number", ""),
                         "child_manufacturer_code", "child_part_number", required=True)
        pm, pp = v.get("parent_manufacturer_code", ""), v.get("parent_part_number", "")
        parent = None
        if pm or pp:
            parent = part_ref(errs, n, parts, pm, pp, "parent_manufacturer_code", "parent_part_number",
                              required=True)
        line: dict[str, Any] = {}
        bad = False
        for col in ("quantity_per_assembly", "failure_share"):
            if col in present and v[col] != "":
                x = parse_number(errs, n, col, v[col])
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
                pydantic_errors(errs, exc, n, set(present), new=False)
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
    existing: dict[tuple, dict] = repo.bom_line_rows_by_key(s, et_ids) if et_ids else {}
    # the whole bill of each equipment type after the import: levels, cycles, unreachable parents
    lines_by_type: dict[uuid.UUID, list[tuple]] = {}
    for key in set(existing) | set(file_lines):
        lines_by_type.setdefault(key[0], []).append(key)
    levels: dict[tuple, int] = {}
    for et, keys in lines_by_type.items():
        in_cycle = rules.bom_cycle_members([(p, c) for _, p, c in keys if p is not None])
        for key in keys:
            _, p, c = key
            if key in file_lines and p is not None and p in in_cycle and c in in_cycle.get(p, set()):
                members = " → ".join(part_label.get(x, str(x)) for x in sorted(in_cycle[p], key=str)[:6])
                errs.add("child_part_number", f"makes an assembly contain itself (cycle through {members})",
                         file_lines[key][0])
        for (p, c), lvl in rules.bom_levels([(p, c) for _, p, c in keys]).items():
            levels[(et, p, c)] = lvl
        flagged = {e.row for e in errs.errors}
        for key in keys:
            if key in file_lines and key not in levels and file_lines[key][0] not in flagged:
                errs.add("parent_part_number", f"the parent {part_label.get(key[1])} is not in the bill of "
                             "material of this equipment type; add a line for it first (it may be in this file)",
                             file_lines[key][0])
    creates, updates = [], []
    refusals: dict[uuid.UUID, str | None] = {}  # equipment type -> why the actor may not change its bill
    for key, (n, line) in file_lines.items():
        old = existing.get(key)
        if old is None:
            change = {"equipment_type_id": key[0], "parent_part_id": key[1], "child_part_id": key[2],
                      "quantity_per_assembly": line.get("quantity_per_assembly", 1.0),
                      "failure_share": line.get("failure_share"), "level": levels.get(key, 1)}
        else:
            change = {"quantity_per_assembly": line.get("quantity_per_assembly", old["quantity_per_assembly"]),
                      "failure_share": line.get("failure_share", old["failure_share"]), "level": levels.get(key, 1)}
            if not any(differs(old[k], change[k]) for k in change):
                res.unchanged += 1
                continue
        if key[0] not in refusals:
            refusals[key[0]] = _refusal(uow.actor, "catalog.bom.update", owner_of.get(key[0]))
        if refusals[key[0]]:
            errs.add("equipment_type", f"the bill of material of this equipment type: {refusals[key[0]]}", n)
            continue
        if old is None:
            creates.append(change)
        else:
            updates.append((old, change))
    relevel = [(old, {"quantity_per_assembly": old["quantity_per_assembly"], "failure_share": old["failure_share"],
                      "level": levels[key]})
               for key, old in existing.items() if key not in file_lines and key in levels
               and levels[key] != old["level"]]
    res.created, res.updated = len(creates), len(updates)
    if errs:
        return
    now = now_utc()
    w = Writer(uow, len(creates) + len(updates), progress, dry_run)
    upd = [{"id": o["id"], "version": o["version"], "updated_at": now, **nv} for o, nv in updates + relevel]
    if upd:
        w.update(BomLine, upd, "bill of material lines")
    w.insert(BomLine, [{"id": uuid.uuid4(), "created_at": now, "updated_at": now, "version": 1, **c} for c in creates])


# -- exports -------------------------------------------------------------------------------------


def export_parts(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [c.name for c in PART_COLUMNS]
    has_nsn = parse_bool("has_nsn", f["has_nsn"]) if f.get("has_nsn") not in (None, "") else None
    stmt = repo.parts(f.get("q"), f.get("kind"), f.get("manufacturer_code"), has_nsn)
    t = Part.__table__
    stmt = stmt.with_only_columns(*[t.c[h] for h in header]).order_by(t.c.manufacturer_code, t.c.part_number)
    return header, (list(r) for r in stream_rows(uow, stmt))


def export_bom(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [c.name for c in BOM_COLUMNS]
    stmt = repo.bom_export(equipment_type_code=str(f["equipment_type"]).strip().upper()
                           if f.get("equipment_type") else None)
    return header, (list(r) for r in stream_rows(uow, stmt))


def export_interchanges(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["replaced_manufacturer_code", "replaced_part_number", "replacing_manufacturer_code",
              "replacing_part_number", "code", "set_code", "effective_date", "remarks"]
    stmt = repo.interchange_export(code=str(f["code"]).strip() if f.get("code") else None,
                                   part_number=str(f["part_number"]).strip().upper() if f.get("part_number") else None)
    return header, (list(r) for r in stream_rows(uow, stmt))


def export_types(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["code", "name", "category", "origin_party", "oem_organisation", "operating_hours_per_year"]
    orgs, parties = codes_by_id(uow, Organisation), codes_by_id(uow, Party)
    stmt = repo.equipment_types(f.get("q"), f.get("category")).order_by(EquipmentType.code)

    def rows() -> Iterator[list[Any]]:
        for (t,) in stream_rows(uow, stmt):
            yield [t.code, t.name, t.category, parties.get(t.origin_party_id), orgs.get(t.oem_organisation_id),
                   t.operating_hours_per_year]

    return header, rows()


IMPORTS = (
    ImportSpec("parts", "catalog.part.import", PART_COLUMNS, import_parts,
               "Create or update parts (matched on manufacturer_code + part_number)."),
    ImportSpec("bom", "catalog.bom.import", BOM_COLUMNS, import_bom,
               "Create or update bill-of-material lines (matched on equipment type, parent and child)."),
)
EXPORTS = (
    ExportSpec("parts", "catalog.part.read", {
        "q": "search part number, name, NSN, origin designation", "kind": "repairable or consumable",
        "manufacturer_code": "one manufacturer", "has_nsn": "true or false"}, export_parts,
        "Export parts (the columns of `setu import parts`).",
        options={"q": "--q", "has_nsn": "--has-nsn/--no-nsn"}, types={"has_nsn": bool}),
    ExportSpec("equipment-types", "catalog.equipment_type.read", {
        "q": "search code and name", "category": "equipment category, e.g. frigate"}, export_types,
        "Export equipment types: code, name, category, origin party, OEM, operating hours per year.",
        options={"q": "--q"}),
    ExportSpec("bom", "catalog.bom.read", {"equipment_type": "one equipment type (code)"}, export_bom,
               "Export bill-of-material lines (the columns of `setu import bom`)."),
    ExportSpec("interchanges", "catalog.interchange.read", {
        "code": "one code: one_way, two_way, not_interchangeable, as_set, qualified, re_identified",
        "part_number": "links of one part number (either side)"}, export_interchanges,
        "Export interchangeability and supersession links (replaced part -> replacing part, code)."),
)
