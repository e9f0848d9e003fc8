"""Web pages for sites, equipment units, and stock at a site (thin adapter); fleet's panels on the
catalog's equipment type and part pages."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import (
    FormField, NavEntry, clean_form, contribute, form_data, humanize, model_values, optional_id, parse_id, redirect,
    register_status_labels, render, render_form, run_form, save_edit_form,
)
from setu.catalog import service as catalog
from setu.fleet import service
from setu.fleet.models import SITE_KINDS, UNIT_STATUSES
from setu.fleet.rules import UNIT_STATUS_LABELS
from setu.fleet.schemas import EquipmentUnitCreate, EquipmentUnitUpdate, SiteCreate, SiteUpdate
from setu.kit.errors import ValidationFailed
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Units", "/units", "units", "fleet.equipment_unit.read", 21, "Catalog & fleet"),
    NavEntry("Sites", "/sites", "sites", "fleet.site.read", 22, "Catalog & fleet"),
]
register_status_labels(UNIT_STATUS_LABELS)
PAGE_SIZE = 50
ECHELON_OPTIONS = [("1", "1 · depot (wholesale)"), ("2", "2 · base (retail)")]


def _page(fn, **kw):
    """A list page; a stale or edited cursor starts again at the first page."""
    try:
        return fn(**kw)
    except ValidationFailed:
        kw.pop("cursor", None)
        return fn(**kw)


def _site_options(uow: UnitOfWork, *, depots_only: bool = False) -> list[tuple[str, str]]:
    sites = service.list_sites(uow, echelon=1 if depots_only else None, limit=500).items
    return [(str(s.id), f"{s.code} · {s.name}") for s in sites]


def _type_options(uow: UnitOfWork) -> list[tuple[str, str]]:
    return [(str(t.id), f"{t.code} · {t.name}") for t in catalog.list_equipment_types(uow, limit=500).items]


def _org_options(uow: UnitOfWork, kinds: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    from setu.identity import service as identity

    orgs = identity.list_organisations(uow, limit=500).items
    return [(str(o.id), f"{o.code} · {o.name}") for o in orgs if kinds is None or o.kind in kinds]


# -- sites -----------------------------------------------------------------------------------

def _site_fields(uow: UnitOfWork, *, create: bool) -> list[FormField]:
    fields = []
    if create:
        fields.append(FormField("code", "Code", required=True, help="Letters, digits, '-' or '_'."))
    fields += [FormField("name", "Name", required=True),
               FormField("kind", "Kind", "select", required=True, options=[(k, humanize(k)) for k in SITE_KINDS])]
    if create:
        fields.append(FormField("organisation_id", "Organisation", "select", required=True,
                                options=_org_options(uow)))
    fields += [
        FormField("echelon", "Echelon", "select", required=True, options=ECHELON_OPTIONS, cast=int),
        FormField("parent_id", "Resupplied by (depot)", "select", options=_site_options(uow, depots_only=True),
                  nullable=True, help="The depot that resupplies this site; empty for a depot."),
    ]
    return fields


@router.get("/sites", response_class=HTMLResponse, dependencies=[Depends(needs("fleet.site.read"))])
def sites_list(request: Request, q: str | None = None, kind: str | None = None, echelon: str | None = None,
               cursor: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    ech = int(echelon) if echelon in ("1", "2") else None
    page = _page(service.list_sites, uow=uow, q=q, kind=kind if kind in SITE_KINDS else None, echelon=ech,
                 sort="code", cursor=cursor, limit=PAGE_SIZE)
    return render(request, "fleet/sites.html", {"page": page, "q": q or "", "kind": kind or "",
                                                "echelon": echelon or "", "kinds": SITE_KINDS,
                                                "echelons": ECHELON_OPTIONS}, section="sites")


@router.get("/sites/new", response_class=HTMLResponse, dependencies=[Depends(needs("fleet.site.create"))])
def site_new(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return render_form(request, title="New site", action="/sites/new", fields=_site_fields(uow, create=True),
                       values={"echelon": "2", "kind": "base"}, cancel_url="/sites", section="sites")


@router.post("/sites/new", response_class=HTMLResponse, dependencies=[Depends(needs("fleet.site.create"))])
def site_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    fields = _site_fields(uow, create=True)
    site, errors = run_form(SiteCreate, clean_form(data, fields, partial=False),
                            lambda d: service.create_site(uow, data=d), [f.name for f in fields])
    if errors:
        return render_form(request, title="New site", action="/sites/new", fields=_site_fields(uow, create=True),
                           values=data, errors=errors, cancel_url="/sites", section="sites")
    return redirect(f"/sites/{site.id}?saved=1")


@router.get("/sites/{site_id}", response_class=HTMLResponse, dependencies=[Depends(needs("fleet.site.read"))])
def site_page(request: Request, site_id: str, cursor: str | None = None, uow: UnitOfWork = Depends(read_uow)):
    from setu.catalog import service as catalog

    site = service.get_site(uow, site_id=parse_id(site_id, "site"))
    stock = _page(service.list_stock, uow=uow, site_id=site.id, cursor=cursor, limit=PAGE_SIZE)
    rows = [(pos, catalog.get_part(uow, part_id=pos.part_id)) for pos in stock.items]
    units_by_status = {s: service.list_equipment_units(uow, site_id=site.id, status=s, limit=1).total or 0
                       for s in UNIT_STATUSES}
    children = service.list_sites(uow, limit=500).items if site.echelon == 1 else []
    children = [c for c in children if c.parent_id == site.id]
    return render(request, "fleet/site.html", {"site": site, "stock": stock, "rows": rows,
                                               "units_total": sum(units_by_status.values()),
                                               "units_by_status": units_by_status, "children": children},
                  section="sites")


@router.get("/sites/{site_id}/edit", response_class=HTMLResponse, dependencies=[Depends(needs("fleet.site.update"))])
def site_edit(request: Request, site_id: str, uow: UnitOfWork = Depends(read_uow)):
    site = service.get_site(uow, site_id=parse_id(site_id, "site"))
    fields = _site_fields(uow, create=False)
    return render_form(request, title=f"Edit site {site.code}", action=f"/sites/{site.id}/edit", fields=fields,
                       values=model_values(site, fields), hidden={"version": site.version},
                       cancel_url=f"/sites/{site.id}", section="sites")


@router.post("/sites/{site_id}/edit", response_class=HTMLResponse,
             dependencies=[Depends(needs("fleet.site.update"))])
def site_update(request: Request, site_id: str, data: dict = Depends(form_data),
                uow: UnitOfWork = write_uow):
    sid = parse_id(site_id, "site")
    site = service.get_site(uow, site_id=sid)
    return save_edit_form(request, uow, schema=SiteUpdate, data=data, fields=lambda: _site_fields(uow, create=False),
                          call=lambda d: service.update_site(uow, site_id=sid, data=d),
                          title=f"Edit site {site.code}", base_url=f"/sites/{sid}", section="sites")


# -- what fleet adds to the catalog's pages (equipment types, parts) ---------------------------


@contribute("catalog.equipment_types")
def _type_unit_counts(*, uow: UnitOfWork, equipment_types) -> dict:
    """Units per status of each listed equipment type."""
    return {"counts": {t.id: service.unit_counts_by_status(uow, equipment_type_id=t.id) for t in equipment_types}}


@contribute("catalog.equipment_type")
def _type_units(*, uow: UnitOfWork, equipment_type) -> dict:
    """The type's units per status and the share operational."""
    counts = service.unit_counts_by_status(uow, equipment_type_id=equipment_type.id)
    total = sum(counts.values())
    return {"counts": counts, "units_total": total,
            "readiness": counts.get("operational", 0) / total if total else None}


@contribute("catalog.part")
def _part_stock(*, uow: UnitOfWork, part) -> dict:
    """The part's stock at every site the actor sees, and those sites (the demand chart's filter)."""
    stock = service.list_stock(uow, part_id=part.id, limit=500).items
    stock.sort(key=lambda p: p.site.code)
    totals = {k: sum(getattr(p, k) for p in stock) for k in ("serviceable", "unserviceable", "in_repair", "on_order")}
    return {"stock": stock, "stock_totals": totals, "sites": service.list_sites(uow, sort="code", limit=500).items}


# -- equipment units -------------------------------------------------------------------------

def _unit_fields(uow: UnitOfWork, *, create: bool) -> list[FormField]:
    fields = []
    if create:
        fields += [FormField("serial", "Serial number", required=True),
                   FormField("equipment_type_id", "Equipment type", "select", required=True,
                             options=_type_options(uow))]
    fields += [
        FormField("site_id", "Site", "select", required=True, options=_site_options(uow)),
        FormField("status", "Status", "select", required=True,
                  options=[(s, UNIT_STATUS_LABELS[s][0]) for s in UNIT_STATUSES]),
    ]
    return fields


@router.get("/units", response_class=HTMLResponse, dependencies=[Depends(needs("fleet.equipment_unit.read"))])
def units_list(request: Request, q: str | None = None, equipment_type_id: str | None = None,
               site_id: str | None = None, status: str | None = None, cursor: str | None = None,
               uow: UnitOfWork = Depends(read_uow)):
    status = status if status in UNIT_STATUSES else None
    page = _page(service.list_equipment_units, uow=uow, q=q, equipment_type_id=optional_id(equipment_type_id),
                 site_id=optional_id(site_id), status=status, sort="serial", cursor=cursor, limit=PAGE_SIZE)
    types = catalog.list_equipment_types(uow, limit=500).items
    sites = service.list_sites(uow, limit=500).items
    export_filters = {"q": q, "status": status,
                      "equipment_type": next((t.code for t in types if str(t.id) == equipment_type_id), None),
                      "site": next((s.code for s in sites if str(s.id) == site_id), None)}
    return render(request, "fleet/units.html", {
        "page": page, "q": q or "", "equipment_type_id": equipment_type_id or "", "site_id": site_id or "",
        "status": status or "", "statuses": UNIT_STATUSES, "export_filters": export_filters,
        "type_options": [(str(t.id), f"{t.code} · {t.name}") for t in types],
        "site_options": [(str(s.id), f"{s.code} · {s.name}") for s in sites],
    }, section="units")


@router.get("/units/new", response_class=HTMLResponse, dependencies=[Depends(needs("fleet.equipment_unit.create"))])
def unit_new(request: Request, equipment_type_id: str | None = None, site_id: str | None = None,
             uow: UnitOfWork = Depends(read_uow)):
    values = {"status": "operational", "equipment_type_id": equipment_type_id or "", "site_id": site_id or ""}
    return render_form(request, title="New equipment unit", action="/units/new", fields=_unit_fields(uow, create=True),
                       values=values, cancel_url="/units", section="units")


@router.post("/units/new", response_class=HTMLResponse, dependencies=[Depends(needs("fleet.equipment_unit.create"))])
def unit_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    fields = _unit_fields(uow, create=True)
    unit, errors = run_form(EquipmentUnitCreate, clean_form(data, fields, partial=False),
                            lambda d: service.create_equipment_unit(uow, data=d), [f.name for f in fields])
    if errors:
        return render_form(request, title="New equipment unit", action="/units/new",
                           fields=_unit_fields(uow, create=True), values=data, errors=errors, cancel_url="/units",
                           section="units")
    return redirect(f"/units/{unit.id}?saved=1")


@router.get("/units/{unit_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("fleet.equipment_unit.read"))])
def unit_page(request: Request, unit_id: str, uow: UnitOfWork = Depends(read_uow)):
    unit = service.get_equipment_unit(uow, unit_id=parse_id(unit_id, "equipment unit"))
    return render(request, "fleet/unit.html", {"unit": unit}, section="units")


@router.get("/units/{unit_id}/edit", response_class=HTMLResponse,
            dependencies=[Depends(needs("fleet.equipment_unit.update"))])
def unit_edit(request: Request, unit_id: str, uow: UnitOfWork = Depends(read_uow)):
    unit = service.get_equipment_unit(uow, unit_id=parse_id(unit_id, "equipment unit"))
    fields = _unit_fields(uow, create=False)
    return render_form(request, title=f"Edit unit {unit.serial}", action=f"/units/{unit.id}/edit", fields=fields,
                       values=model_values(unit, fields), hidden={"version": unit.version},
                       cancel_url=f"/units/{unit.id}", section="units")


@router.post("/units/{unit_id}/edit", response_class=HTMLResponse,
             dependencies=[Depends(needs("fleet.equipment_unit.update"))])
def unit_update(request: Request, unit_id: str, data: dict = Depends(form_data),
                uow: UnitOfWork = write_uow):
    uid = parse_id(unit_id, "equipment unit")
    unit = service.get_equipment_unit(uow, unit_id=uid)
    return save_edit_form(request, uow, schema=EquipmentUnitUpdate, data=data,
                          fields=lambda: _unit_fields(uow, create=False),
                          call=lambda d: service.update_equipment_unit(uow, unit_id=uid, data=d),
                          title=f"Edit unit {unit.serial}", base_url=f"/units/{uid}", section="units")
