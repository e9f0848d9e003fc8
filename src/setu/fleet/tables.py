"""Fleet import and export: stock positions (import and export); sites and equipment units (export).

Site references are resolved among the sites the actor may see
(:func:`setu.fleet.service.site_ids_by_code`, scoped by :func:`setu.fleet.policies.visible_site_ids`):
another party's site is "no site", exactly like a missing one. Exports are scoped the same way.

- stock: manufacturer_code*, part_number*, site* (code), serviceable, unserviceable, in_repair,
  on_order. Sets the counts (upsert on part + site); an empty count keeps the current value (0
  for a new position).
"""
from __future__ import annotations

import uuid
from typing import Any, Iterator

from setu.catalog import service as catalog
from setu.catalog.models import EquipmentType
from setu.catalog.tables import PART_FILTERS, part_filter, part_ref
from setu.fleet import repository as repo
from setu.fleet import service
from setu.fleet.models import EquipmentUnit, Site, StockPosition
from setu.fleet.policies import visible_site_ids
from setu.identity.models import Organisation
from setu.kit.errors import ErrorList
from setu.kit.tabular import (
    Column, ExportSpec, ImportResult, ImportSpec, ProgressCallback, Rows, Writer, codes_by_id, new_ids, now_utc,
    parse_count, stream_rows,
)
from setu.kit.uow import UnitOfWork

COUNTS = ("serviceable", "unserviceable", "in_repair", "on_order")
STOCK_COLUMNS = (
    Column("manufacturer_code", True),
    Column("part_number", True),
    Column("site", True, "site code"),
    *(Column(c, help="whole number >= 0") for c in COUNTS),
)


def site_ref(errs: ErrorList, n: int, sites: dict, code: str) -> uuid.UUID | None:
    """The id of the site a row names (``sites``: :func:`setu.fleet.service.site_ids_by_code`)."""
    if not code:
        errs.add("site", "is required", n)
        return None
    sid = sites.get(code.upper())
    if sid is None:
        errs.add("site", f"no site {code!r}", n)
    return sid


def import_stock(uow: UnitOfWork, reader: UnitOfWork, rows: Rows, errs: ErrorList, res: ImportResult,
                 progress: ProgressCallback | None, dry_run: bool) -> None:
    s = reader.session
    parts, sites = catalog.part_ids_by_identity(reader), service.site_ids_by_code(reader)
    present = [c for c in COUNTS if c in rows.present]
    file: dict[tuple, tuple[int, dict]] = {}
    for n, v in rows:
        pid = part_ref(errs, n, parts, v.get("manufacturer_code", ""), v.get("part_number", ""),
                       "manufacturer_code", "part_number", required=True)
        sid = site_ref(errs, n, sites, v.get("site", ""))
        counts, bad = {}, False
        for c in present:
            if v[c] != "":
                x = parse_count(errs, n, c, v[c])
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
    site_ids = {k[1] for k in file}
    existing: dict[tuple, dict] = repo.stock_rows_by_key(s, site_ids, COUNTS) if site_ids else {}
    now = now_utc()
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
    w = Writer(uow, len(creates) + len(updates), progress, dry_run)
    if updates:
        w.update(StockPosition, updates, "stock positions")
    w.insert(StockPosition, ({"id": i, "created_at": now, "updated_at": now, "version": 1, "part_id": key[0],
                              "site_id": key[1], **{c: counts.get(c, 0) for c in COUNTS}}
                             for i, (key, counts) in zip(new_ids(len(creates)), creates)))


# -- exports -------------------------------------------------------------------------------------


def export_stock(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [c.name for c in STOCK_COLUMNS]
    stmt = repo.stock_export(COUNTS, visible_site_ids(uow.actor),
                             site_code=str(f["site"]).strip().upper() if f.get("site") else None)
    return header, (list(r) for r in stream_rows(uow, part_filter(stmt, f)))


def export_sites(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["code", "name", "kind", "organisation", "echelon", "parent"]
    echelon = int(f["echelon"]) if f.get("echelon") not in (None, "") else None
    orgs, sites = codes_by_id(uow, Organisation), codes_by_id(uow, Site)
    stmt = repo.sites(f.get("q"), f.get("kind"), echelon, scope=visible_site_ids(uow.actor)).order_by(Site.code)

    def rows() -> Iterator[list[Any]]:
        for (s,) in stream_rows(uow, stmt):
            yield [s.code, s.name, s.kind, orgs.get(s.organisation_id), s.echelon, sites.get(s.parent_id)]

    return header, rows()


def export_units(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["serial", "equipment_type", "site", "status"]
    types, sites = codes_by_id(uow, EquipmentType), codes_by_id(uow, Site)
    by_code = {v: k for k, v in types.items()}
    site_by_code = {v: k for k, v in sites.items()}
    et = site = None
    if f.get("equipment_type"):
        et = by_code.get(str(f["equipment_type"]).strip().upper(), uuid.UUID(int=0))
    if f.get("site"):
        site = site_by_code.get(str(f["site"]).strip().upper(), uuid.UUID(int=0))
    stmt = repo.equipment_units(f.get("q"), et, site, f.get("status"),
                                scope=visible_site_ids(uow.actor)).order_by(EquipmentUnit.serial)

    def rows() -> Iterator[list[Any]]:
        for (u,) in stream_rows(uow, stmt):
            yield [u.serial, types.get(u.equipment_type_id), sites.get(u.site_id), u.status]

    return header, rows()


IMPORTS = (
    ImportSpec("stock", "fleet.stock.import", STOCK_COLUMNS, import_stock,
               "Set stock positions (matched on part and site)."),
)
EXPORTS = (
    ExportSpec("stock", "fleet.stock.read", {"site": "one site (code)", **PART_FILTERS}, export_stock,
               "Export stock positions (the columns of `setu import stock`).", options={"q": "--q"}),
    ExportSpec("sites", "fleet.site.read", {"q": "search code and name", "kind": "base, depot, plant or port",
                                            "echelon": "1 depot echelon, 2 base echelon"}, export_sites,
               "Export sites: code, name, kind, organisation, echelon, parent.",
               options={"q": "--q"}, types={"echelon": int}),
    ExportSpec("equipment-units", "fleet.equipment_unit.read", {
        "q": "search serial", "equipment_type": "only this equipment type (code)",
        "site": "only units at this site (code)", "status": "operational, down_maintenance or down_parts"},
        export_units, "Export equipment units: serial, equipment type, site, status.", options={"q": "--q"}),
)
