"""Web pages for sites, equipment types and units, and stock at a site (thin adapter)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import (
    FormField, NavEntry, clean_form, form_data, humanize, model_values, optional_id, parse_id, redirect,
    register_status_labels, render, render_form, run_form, save_edit_form,
)
from setu.fleet import service
from setu.fleet.models import EQUIPMENT_CATEGORIES, SITE_KINDS, UNIT_STATUSES
from setu.fleet.rules import UNIT_STATUS_LABELS
from setu.fleet.schemas import (
    EquipmentTypeCreate, EquipmentTypeUpdate, EquipmentUnitCreate, EquipmentUnitUpdate, SiteCreate, SiteUpdate,
)
from setu.kit.errors import ValidationFailed
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Equipment types", "/equipment-types", "equipment_types", "fleet.equipment_type.read", 20),
    NavEntry("Units", "/units", "units", "fleet.equipment_unit.read", 21),
    NavEntry("Sites", "/sites", "sites", "fleet.site.read", 22),
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
    return [(str(t.id), f"{t.code} · {t.name}") for t in service.list_equipment_types(uow, limit=500).items]


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
def site_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = Depends(write_uow)):
    fields = _site_fields(uow, create=True)
    site, errors = run_form(SiteCreate, clean_form(data, fields, partial=False),
                            lambda d: service.create_site(uow, data=d), [f.name for f in fields])
    if errors:
        return render_form(request, title="New site", action="/sites/new", fields=_site_fields(uow, create=True),
                           values=data, errors=errors, cancel_url="/sites", section="sites")
    uow.commit()
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
                uow: UnitOfWork = Depends(write_uow)):
    sid = parse_id(site_id, "site")
    site = service.get_site(uow, site_id=sid)
    return save_edit_form(request, uow, schema=SiteUpdate, data=data, fields=lambda: _site_fields(uow, create=False),
                          call=lambda d: service.update_site(uow, site_id=sid, data=d),
                          title=f"Edit site {site.code}", base_url=f"/sites/{sid}", section="sites")


# -- equipment types -------------------------------------------------------------------------

def _type_fields(uow: UnitOfWork, *, create: bool) -> list[FormField]:
    from setu.identity import service as identity

    fields = []
    if create:
        fields.append(FormField("code", "Code", required=True, help="Letters, digits, '-' or '_'."))
    fields += [FormField("name", "Name", required=True),
               FormField("category", "Category", "select", required=True,
                         options=[(c, humanize(c)) for c in EQUIPMENT_CATEGORIES])]
    if create:
        fields.append(FormField("origin_party_id", "Country of origin", "select", required=True,
                                options=[(str(p.id), p.name) for p in identity.list_parties(uow)]))
    fields += [
        FormField("oem_organisation_id", "OEM / export agency", "select", nullable=True,
                  options=_org_options(uow, ("oem", "export_agency", "joint_venture"))),
        FormField("operating_hours_per_year", "Operating hours per unit and year", "number",
                  help="Planned; drives reliability-based demand (0–8,784)."),
    ]
    return fields


@router.get("/equipment-types", response_class=HTMLResponse,
            dependencies=[Depends(needs("fleet.equipment_type.read"))])
def types_list(request: Request, q: str | None = None, category: str | None = None, cursor: str | None = None,
               uow: UnitOfWork = Depends(read_uow)):
    page = _page(service.list_equipment_types, uow=uow, q=q,
                 category=category if category in EQUIPMENT_CATEGORIES else None, sort="code", cursor=cursor,
                 limit=PAGE_SIZE)
    counts = {t.id: service.unit_counts_by_status(uow, equipment_type_id=t.id) for t in page.items}
    return render(request, "fleet/equipment_types.html", {
        "page": page, "counts": counts, "q": q or "", "category": category or "", "categories": EQUIPMENT_CATEGORIES,
    }, section="equipment_types")


@router.get("/equipment-types/new", response_class=HTMLResponse,
            dependencies=[Depends(needs("fleet.equipment_type.create"))])
def type_new(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return render_form(request, title="New equipment type", action="/equipment-types/new",
                       fields=_type_fields(uow, create=True), values={"operating_hours_per_year": "0"},
                       cancel_url="/equipment-types", section="equipment_types")


@router.post("/equipment-types/new", response_class=HTMLResponse,
             dependencies=[Depends(needs("fleet.equipment_type.create"))])
def type_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = Depends(write_uow)):
    fields = _type_fields(uow, create=True)
    et, errors = run_form(EquipmentTypeCreate, clean_form(data, fields, partial=False),
                          lambda d: service.create_equipment_type(uow, data=d), [f.name for f in fields])
    if errors:
        return render_form(request, title="New equipment type", action="/equipment-types/new",
                           fields=_type_fields(uow, create=True), values=data, errors=errors,
                           cancel_url="/equipment-types", section="equipment_types")
    uow.commit()
    return redirect(f"/equipment-types/{et.id}?saved=1")


@router.get("/equipment-types/{equipment_type_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("fleet.equipment_type.read"))])
def type_page(request: Request, equipment_type_id: str, uow: UnitOfWork = Depends(read_uow)):
    from setu.catalog import service as catalog

    et = service.get_equipment_type(uow, equipment_type_id=parse_id(equipment_type_id, "equipment type"))
    counts = service.unit_counts_by_status(uow, equipment_type_id=et.id)
    tree = catalog.bom_tree(uow, equipment_type_id=et.id)

    def size(nodes):
        return sum(1 + size(n["children"]) for n in nodes)

    total = sum(counts.values())
    return render(request, "fleet/equipment_type.html", {
        "et": et, "counts": counts, "units_total": total, "tree": tree, "bom_lines": size(tree),
        "readiness": counts.get("operational", 0) / total if total else None,
    }, section="equipment_types")


@router.get("/equipment-types/{equipment_type_id}/edit", response_class=HTMLResponse,
            dependencies=[Depends(needs("fleet.equipment_type.update"))])
def type_edit(request: Request, equipment_type_id: str, uow: UnitOfWork = Depends(read_uow)):
    et = service.get_equipment_type_to_edit(uow, equipment_type_id=parse_id(equipment_type_id, "equipment type"))
    fields = _type_fields(uow, create=False)
    return render_form(request, title=f"Edit equipment type {et.code}", action=f"/equipment-types/{et.id}/edit",
                       fields=fields, values=model_values(et, fields), hidden={"version": et.version},
                       cancel_url=f"/equipment-types/{et.id}", section="equipment_types")


@router.post("/equipment-types/{equipment_type_id}/edit", response_class=HTMLResponse,
             dependencies=[Depends(needs("fleet.equipment_type.update"))])
def type_update(request: Request, equipment_type_id: str, data: dict = Depends(form_data),
                uow: UnitOfWork = Depends(write_uow)):
    tid = parse_id(equipment_type_id, "equipment type")
    et = service.get_equipment_type_to_edit(uow, equipment_type_id=tid)
    return save_edit_form(request, uow, schema=EquipmentTypeUpdate, data=data,
                          fields=lambda: _type_fields(uow, create=False),
                          call=lambda d: service.update_equipment_type(uow, equipment_type_id=tid, data=d),
                          title=f"Edit equipment type {et.code}", base_url=f"/equipment-types/{tid}",
                          section="equipment_types")


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
    types = service.list_equipment_types(uow, limit=500).items
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
def unit_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = Depends(write_uow)):
    fields = _unit_fields(uow, create=True)
    unit, errors = run_form(EquipmentUnitCreate, clean_form(data, fields, partial=False),
                            lambda d: service.create_equipment_unit(uow, data=d), [f.name for f in fields])
    if errors:
        return render_form(request, title="New equipment unit", action="/units/new",
                           fields=_unit_fields(uow, create=True), values=data, errors=errors, cancel_url="/units",
                           section="units")
    uow.commit()
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
                uow: UnitOfWork = Depends(write_uow)):
    uid = parse_id(unit_id, "equipment unit")
    unit = service.get_equipment_unit(uow, unit_id=uid)
    return save_edit_form(request, uow, schema=EquipmentUnitUpdate, data=data,
                          fields=lambda: _unit_fields(uow, create=False),
                          call=lambda d: service.update_equipment_unit(uow, unit_id=uid, data=d),
                          title=f"Edit unit {unit.serial}", base_url=f"/units/{uid}", section="units")
