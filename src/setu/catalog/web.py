"""Web pages for the catalog: parts and equipment types, their pages and forms (thin adapter)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import (
    FormField, NavEntry, clean_form, contributions, form_data, humanize, model_values, parse_id, redirect, render,
    render_form, run_form, save_edit_form,
)
from setu.catalog import service
from setu.catalog.models import EQUIPMENT_CATEGORIES, PART_KINDS, UNITS_OF_ISSUE
from setu.catalog.schemas import EquipmentTypeCreate, EquipmentTypeUpdate, PartCreate, PartFilter, PartUpdate
from setu.kit.errors import ValidationFailed
from setu.kit.money import CURRENCIES
from setu.kit.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
NAV = [
    NavEntry("Parts", "/parts", "parts", "catalog.part.read", 10, "Catalog & fleet"),
    NavEntry("Equipment types", "/equipment-types", "equipment_types", "catalog.equipment_type.read", 20,
             "Catalog & fleet"),
]
PAGE_SIZE = 50
SORTS = [("part_number", "Part number"), ("name", "Name"), ("manufacturer_code", "Manufacturer"),
         ("-updated_at", "Recently changed")]


def _part_fields(*, create: bool) -> list[FormField]:
    fields = []
    if create:
        fields += [
            FormField("manufacturer_code", "Manufacturer code", required=True, placeholder="e.g. RU123 or K0001",
                      help="CAGE / NCAGE, or the origin manufacturer's code."),
            FormField("part_number", "Part number", required=True, help="Normalised: upper case, no inner spaces."),
        ]
    fields += [
        FormField("name", "Name", required=True),
        FormField("nsn", "NATO stock number", placeholder="NNNN-NN-NNN-NNNN", nullable=True,
                  help="Leave empty when the part has none."),
        FormField("origin_designation", "Origin designation", nullable=True,
                  help="The designation the origin country uses."),
        FormField("kind", "Kind", "select", required=True, options=[(k, k.capitalize()) for k in PART_KINDS]),
        FormField("unit_of_issue", "Unit of issue", "select", required=True,
                  options=[(u, u) for u in UNITS_OF_ISSUE]),
        FormField("unit_price", "Unit price", "number", help="Exact decimal, two places."),
        FormField("currency", "Currency", "select", required=True, options=[(c, c) for c in sorted(CURRENCIES)]),
        FormField("condemnation_rate", "Condemnation rate", "number",
                  help="Share of failures not repaired (0–1); always 1 for a consumable part."),
        FormField("repair_turnaround_days", "Repair turnaround (days)", "number", nullable=True),
        FormField("procurement_lead_time_days", "Procurement lead time (days)", "number"),
        FormField("shelf_life_months", "Shelf life (months)", "number", nullable=True),
        FormField("mtbf_hours", "MTBF (operating hours)", "number", nullable=True),
    ]
    return fields


def _filters(q: str | None, kind: str | None, manufacturer_code: str | None, has_nsn: str | None) -> PartFilter:
    nsn = {"yes": True, "no": False}.get(has_nsn or "")
    return PartFilter(q=q or None, kind=kind if kind in PART_KINDS else None,
                      manufacturer_code=manufacturer_code or None, has_nsn=nsn)


@router.get("/parts", response_class=HTMLResponse, dependencies=[Depends(needs("catalog.part.read"))])
def parts_list(request: Request, q: str | None = None, kind: str | None = None, manufacturer_code: str | None = None,
               has_nsn: str | None = None, sort: str | None = None, cursor: str | None = None,
               uow: UnitOfWork = Depends(read_uow)):
    # No total count: a keyset page of 50 stays fast however large the catalog is.
    sort = sort if sort in {s for s, _ in SORTS} else "part_number"
    filters = _filters(q, kind, manufacturer_code, has_nsn)
    try:
        page = service.list_parts(uow, filters=filters, sort=sort, cursor=cursor, limit=PAGE_SIZE, with_total=False)
    except ValidationFailed:  # a stale or edited cursor: start again at the first page
        page = service.list_parts(uow, filters=filters, sort=sort, limit=PAGE_SIZE, with_total=False)
    ctx = {"page": page, "q": q or "", "kind": kind or "", "manufacturer_code": manufacturer_code or "",
           "has_nsn": has_nsn or "", "sort": sort, "sorts": SORTS, "kinds": PART_KINDS}
    return render(request, "catalog/parts.html", ctx, section="parts")


@router.get("/parts/new", response_class=HTMLResponse, dependencies=[Depends(needs("catalog.part.create"))])
def part_new(request: Request):
    values = {"kind": "consumable", "unit_of_issue": "EA", "currency": "USD", "condemnation_rate": "1.0",
              "unit_price": "0", "procurement_lead_time_days": "90"}
    return render_form(request, title="New part", action="/parts/new", fields=_part_fields(create=True),
                       values=values, cancel_url="/parts", section="parts")


@router.post("/parts/new", response_class=HTMLResponse, dependencies=[Depends(needs("catalog.part.create"))])
def part_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    fields = _part_fields(create=True)
    part, errors = run_form(PartCreate, clean_form(data, fields, partial=False),
                            lambda d: service.create_part(uow, data=d), [f.name for f in fields])
    if errors:
        return render_form(request, title="New part", action="/parts/new", fields=fields, values=data,
                           errors=errors, cancel_url="/parts", section="parts")
    return redirect(f"/parts/{part.id}?saved=1")


@router.get("/parts/{part_id}", response_class=HTMLResponse, dependencies=[Depends(needs("catalog.part.read"))])
def part_page(request: Request, part_id: str, family: bool = False, uow: UnitOfWork = Depends(read_uow)):
    part = service.get_part(uow, part_id=parse_id(part_id, "part"))
    used = service.where_used(uow, part_id=part.id)
    links = []
    for x in service.list_interchanges(uow, part_id=part.id):
        newer = x.replacing_part_id != part.id
        links.append({"link": x, "other": x.replacing if newer else x.replaced,
                      "relation": "replaced by" if newer else "replaces"})
    no_stock = dict.fromkeys(("serviceable", "unserviceable", "in_repair", "on_order"), 0)
    return render(request, "catalog/part.html", {
        "part": part, "used": used, "links": links, "family": family, "stock": [], "stock_totals": no_stock,
        "sites": [], **contributions("catalog.part", uow=uow, part=part),
    }, section="parts")


@router.get("/parts/{part_id}/edit", response_class=HTMLResponse,
            dependencies=[Depends(needs("catalog.part.update"))])
def part_edit(request: Request, part_id: str, uow: UnitOfWork = Depends(read_uow)):
    part = service.get_part_to_edit(uow, part_id=parse_id(part_id, "part"))
    fields = _part_fields(create=False)
    return render_form(request, title=f"Edit part {part.manufacturer_code} {part.part_number}",
                       action=f"/parts/{part.id}/edit", fields=fields, values=model_values(part, fields),
                       hidden={"version": part.version}, cancel_url=f"/parts/{part.id}", section="parts")


@router.post("/parts/{part_id}/edit", response_class=HTMLResponse,
             dependencies=[Depends(needs("catalog.part.update"))])
def part_update(request: Request, part_id: str, data: dict = Depends(form_data),
                uow: UnitOfWork = write_uow):
    pid = parse_id(part_id, "part")
    part = service.get_part_to_edit(uow, part_id=pid)
    title = f"Edit part {part.manufacturer_code} {part.part_number}"
    fields = _part_fields(create=False)
    values = clean_form(data, fields, partial=True, extra=["version"])
    _, errors = run_form(PartUpdate, values, lambda d: service.update_part(uow, part_id=pid, data=d),
                         [f.name for f in fields])
    if errors:
        return render_form(request, title=title, action=f"/parts/{pid}/edit", fields=fields, values=data,
                           errors=errors, hidden={"version": data.get("version", "")},
                           cancel_url=f"/parts/{pid}", section="parts")
    return redirect(f"/parts/{pid}?saved=1")


# -- equipment types -------------------------------------------------------------------------

def _page(fn, **kw):
    """A list page; a stale or edited cursor starts again at the first page."""
    try:
        return fn(**kw)
    except ValidationFailed:
        kw.pop("cursor", None)
        return fn(**kw)


def _org_options(uow: UnitOfWork, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    from setu.identity import service as identity

    orgs = identity.list_organisations(uow, limit=500).items
    return [(str(o.id), f"{o.code} · {o.name}") for o in orgs if o.kind in kinds]


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
            dependencies=[Depends(needs("catalog.equipment_type.read"))])
def types_list(request: Request, q: str | None = None, category: str | None = None, cursor: str | None = None,
               uow: UnitOfWork = Depends(read_uow)):
    page = _page(service.list_equipment_types, uow=uow, q=q,
                 category=category if category in EQUIPMENT_CATEGORIES else None, sort="code", cursor=cursor,
                 limit=PAGE_SIZE)
    return render(request, "catalog/equipment_types.html", {
        "page": page, "counts": {}, "q": q or "", "category": category or "", "categories": EQUIPMENT_CATEGORIES,
        **contributions("catalog.equipment_types", uow=uow, equipment_types=page.items),
    }, section="equipment_types")


@router.get("/equipment-types/new", response_class=HTMLResponse,
            dependencies=[Depends(needs("catalog.equipment_type.create"))])
def type_new(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return render_form(request, title="New equipment type", action="/equipment-types/new",
                       fields=_type_fields(uow, create=True), values={"operating_hours_per_year": "0"},
                       cancel_url="/equipment-types", section="equipment_types")


@router.post("/equipment-types/new", response_class=HTMLResponse,
             dependencies=[Depends(needs("catalog.equipment_type.create"))])
def type_create(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    fields = _type_fields(uow, create=True)
    et, errors = run_form(EquipmentTypeCreate, clean_form(data, fields, partial=False),
                          lambda d: service.create_equipment_type(uow, data=d), [f.name for f in fields])
    if errors:
        return render_form(request, title="New equipment type", action="/equipment-types/new",
                           fields=_type_fields(uow, create=True), values=data, errors=errors,
                           cancel_url="/equipment-types", section="equipment_types")
    return redirect(f"/equipment-types/{et.id}?saved=1")


@router.get("/equipment-types/{equipment_type_id}", response_class=HTMLResponse,
            dependencies=[Depends(needs("catalog.equipment_type.read"))])
def type_page(request: Request, equipment_type_id: str, uow: UnitOfWork = Depends(read_uow)):
    et = service.get_equipment_type(uow, equipment_type_id=parse_id(equipment_type_id, "equipment type"))
    level = service.bom_level(uow, equipment_type_id=et.id)
    return render(request, "catalog/equipment_type.html", {
        "et": et, "level": level, "bom_lines": service.bom_size(uow, equipment_type_id=et.id), "counts": {},
        "units_total": 0, "readiness": None,
        **contributions("catalog.equipment_type", uow=uow, equipment_type=et),
    }, section="equipment_types")


@router.get("/equipment-types/{equipment_type_id}/bom", response_class=HTMLResponse,
            dependencies=[Depends(needs("catalog.bom.read"))])
def type_bom_level(request: Request, equipment_type_id: str, parent: str | None = None,
                   uow: UnitOfWork = Depends(read_uow)):
    """One level of the bill of material (an htmx fragment): the components under ``parent``."""
    tid = parse_id(equipment_type_id, "equipment type")
    pid = parse_id(parent, "part") if parent else None
    level = service.bom_level(uow, equipment_type_id=tid, parent_part_id=pid)
    return render(request, "catalog/_bom_level.html", {"level": level, "et_id": tid})


@router.get("/equipment-types/{equipment_type_id}/edit", response_class=HTMLResponse,
            dependencies=[Depends(needs("catalog.equipment_type.update"))])
def type_edit(request: Request, equipment_type_id: str, uow: UnitOfWork = Depends(read_uow)):
    et = service.get_equipment_type_to_edit(uow, equipment_type_id=parse_id(equipment_type_id, "equipment type"))
    fields = _type_fields(uow, create=False)
    return render_form(request, title=f"Edit equipment type {et.code}", action=f"/equipment-types/{et.id}/edit",
                       fields=fields, values=model_values(et, fields), hidden={"version": et.version},
                       cancel_url=f"/equipment-types/{et.id}", section="equipment_types")


@router.post("/equipment-types/{equipment_type_id}/edit", response_class=HTMLResponse,
             dependencies=[Depends(needs("catalog.equipment_type.update"))])
def type_update(request: Request, equipment_type_id: str, data: dict = Depends(form_data),
                uow: UnitOfWork = write_uow):
    tid = parse_id(equipment_type_id, "equipment type")
    et = service.get_equipment_type_to_edit(uow, equipment_type_id=tid)
    return save_edit_form(request, uow, schema=EquipmentTypeUpdate, data=data,
                          fields=lambda: _type_fields(uow, create=False),
                          call=lambda d: service.update_equipment_type(uow, equipment_type_id=tid, data=d),
                          title=f"Edit equipment type {et.code}", base_url=f"/equipment-types/{tid}",
                          section="equipment_types")
