"""Parse and validate readiness case and stock JSON data (format: docs/readiness-case-format.md).

Pure: takes and returns decoded JSON values (dicts, lists, numbers); reading files is the CLI's
(`setu.readiness.cli.load_case`).

Every error is a `CaseError` whose message names the item, the site and the field, e.g.
``item U1, site B1, field demand.repair_fraction: must be a number in [0, 1], got 1.5``.
Nothing is partially accepted: a case either parses completely or raises.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from setu.engine.readiness.case import ECHELONS, MODELS, Case, Demand, Item, Site

SITE_FIELDS = {"id", "echelon", "parent", "order_ship_time", "units", "name"}
ITEM_FIELDS = {"id", "unit_cost", "depot_repair_time", "variance_to_mean", "parent", "failure_share",
               "qpa", "demand", "name"}
DEMAND_FIELDS = {"rate", "repair_fraction", "repair_time", "order_ship_time"}
CASE_FIELDS = {"model", "sites", "items", "name", "description", "time_unit"}


class CaseError(ValueError):
    """Invalid case or stock input; the message names item, site and field."""


def _where(item: str | None = None, site: str | None = None, field: str | None = None) -> str:
    parts = []
    if item is not None:
        parts.append(f"item {item}")
    if site is not None:
        parts.append(f"site {site}")
    if field is not None:
        parts.append(f"field {field}")
    return ", ".join(parts) if parts else "case"


def _fail(msg: str, item: str | None = None, site: str | None = None, field: str | None = None):
    raise CaseError(f"{_where(item, site, field)}: {msg}")


def _number(value: Any, *, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
            item=None, site=None, field=None) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    rng = ""
    if lo is not None and hi is not None:
        rng = f" in {'(' if lo_open else '['}{lo}, {hi}]"
    elif lo is not None:
        rng = f" {'>' if lo_open else '>='} {lo}"
    if ok:
        v = float(value)
        if lo is not None and (v < lo or (lo_open and v == lo)):
            ok = False
        if hi is not None and v > hi:
            ok = False
    if not ok:
        _fail(f"must be a number{rng}, got {value!r}", item, site, field)
    return float(value)


def _count(value: Any, *, item=None, site=None, field=None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or float(value) != int(value) or value < 0:
        _fail(f"must be a whole number >= 0, got {value!r}", item, site, field)
    return int(value)


def _ident(value: Any, *, item=None, site=None, field=None) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(f"must be a non-empty string, got {value!r}", item, site, field)
    return value


def _unknown(obj: Mapping, allowed: set[str], *, item=None, site=None, prefix: str = "") -> None:
    for key in obj:
        if key not in allowed:
            _fail(f"unknown field (allowed: {', '.join(sorted(allowed))})", item, site, prefix + str(key))


def parse_case(data: Any) -> Case:
    """Validate a decoded JSON case and build the engine's `Case`."""
    if not isinstance(data, Mapping):
        _fail("a case must be a JSON object")
    _unknown(data, CASE_FIELDS)
    model = data.get("model", "vari-metric")
    if model not in MODELS:
        _fail(f"must be one of {', '.join(MODELS)}, got {model!r}", field="model")
    raw_sites = data.get("sites")
    if not isinstance(raw_sites, list) or not raw_sites:
        _fail("must be a non-empty list", field="sites")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        _fail("must be a non-empty list", field="items")

    sites: list[Site] = []
    seen: dict[str, Mapping] = {}
    for k, s in enumerate(raw_sites):
        if not isinstance(s, Mapping):
            _fail("must be an object", field=f"sites[{k}]")
        sid = _ident(s.get("id"), field=f"sites[{k}].id")
        if sid in seen:
            _fail("duplicate site id", site=sid, field="id")
        seen[sid] = s
        _unknown(s, SITE_FIELDS, site=sid)
    depots = [sid for sid, s in seen.items() if s.get("echelon", "base") == "depot"]
    if len(depots) > 1:
        _fail(f"at most one depot is supported, got {', '.join(depots)}", site=depots[1], field="echelon")
    depot = depots[0] if depots else None
    for sid, s in seen.items():
        ech = s.get("echelon", "base")
        if ech not in ECHELONS:
            _fail(f"must be one of {', '.join(ECHELONS)}, got {ech!r}", site=sid, field="echelon")
        parent = s.get("parent")
        if ech == "depot" and parent is not None:
            _fail("a depot has no parent", site=sid, field="parent")
        if ech == "base" and parent is not None and parent != depot:
            _fail(f"must be the depot's id ({depot}) or null, got {parent!r}", site=sid, field="parent")
        ost = _number(s.get("order_ship_time", 0.0), lo=0.0, site=sid, field="order_ship_time")
        units_raw = s.get("units", {}) or {}
        if not isinstance(units_raw, Mapping):
            _fail("must be an object: equipment type -> number of units", site=sid, field="units")
        if ech == "depot" and any(units_raw.values()):
            _fail("a depot operates no units", site=sid, field="units")
        units = {str(e): _count(n, site=sid, field=f"units.{e}") for e, n in units_raw.items()}
        sites.append(Site(id=sid, echelon=ech, parent=parent, order_ship_time=ost, units=units))
    base_parent = {s.id: s.parent for s in sites if s.echelon == "base"}
    if not base_parent:
        _fail("needs at least one base", field="sites")

    item_raw: dict[str, Mapping] = {}
    for k, it in enumerate(raw_items):
        if not isinstance(it, Mapping):
            _fail("must be an object", field=f"items[{k}]")
        iid = _ident(it.get("id"), field=f"items[{k}].id")
        if iid in item_raw:
            _fail("duplicate item id", item=iid, field="id")
        item_raw[iid] = it
        _unknown(it, ITEM_FIELDS, item=iid)
    # parents and cycles
    for iid, it in item_raw.items():
        parent = it.get("parent")
        if parent is not None and parent not in item_raw:
            _fail(f"names an unknown item {parent!r}", item=iid, field="parent")
        seen_chain = {iid}
        p = parent
        while p is not None:
            if p in seen_chain:
                _fail("indenture cycle", item=iid, field="parent")
            seen_chain.add(p)
            p = item_raw[p].get("parent")
    share_sum: dict[str, float] = {}
    items: list[Item] = []
    for iid, it in item_raw.items():
        parent = it.get("parent")
        cost = _number(it.get("unit_cost"), lo=0.0, lo_open=True, item=iid, field="unit_cost")
        t0 = _number(it.get("depot_repair_time", 0.0) if it.get("depot_repair_time") is not None else 0.0,
                     lo=0.0, item=iid, field="depot_repair_time")
        vtm_raw = it.get("variance_to_mean", 1.0)
        vtm = _number(1.0 if vtm_raw is None else vtm_raw, lo=1.0, item=iid, field="variance_to_mean")
        share = None
        if parent is not None:
            share = _number(it.get("failure_share"), lo=0.0, hi=1.0, lo_open=True, item=iid, field="failure_share")
            share_sum[parent] = share_sum.get(parent, 0.0) + share
            if share_sum[parent] > 1.0 + 1e-9:
                _fail(f"failure shares of the SRUs of {parent} add up to more than 1", item=iid, field="failure_share")
        elif it.get("failure_share") is not None:
            _fail("only an SRU (with a parent) has a failure share", item=iid, field="failure_share")
        qpa_raw = it.get("qpa", {}) or {}
        if not isinstance(qpa_raw, Mapping):
            _fail("must be an object: equipment type -> quantity per unit", item=iid, field="qpa")
        qpa = {str(e): _count(z, item=iid, field=f"qpa.{e}") for e, z in qpa_raw.items()}
        if parent is not None and any(qpa.values()):
            _fail("an SRU has no quantity per equipment (availability counts LRUs)", item=iid, field="qpa")
        dem_raw = it.get("demand", {}) or {}
        if not isinstance(dem_raw, Mapping):
            _fail("must be an object: base id -> demand", item=iid, field="demand")
        demand: dict[str, Demand] = {}
        for sid, d in dem_raw.items():
            if sid not in seen:
                _fail("unknown site", item=iid, site=sid, field="demand")
            if sid not in base_parent:
                _fail("demand is given at bases only (depot demand is derived)", item=iid, site=sid, field="demand")
            if not isinstance(d, Mapping):
                _fail("must be an object", item=iid, site=sid, field="demand")
            _unknown(d, DEMAND_FIELDS, item=iid, site=sid, prefix="demand.")
            rate_raw = d.get("rate")
            if rate_raw is None and parent is None:
                _fail("is required for an LRU", item=iid, site=sid, field="demand.rate")
            rate = None if rate_raw is None else _number(rate_raw, lo=0.0, item=iid, site=sid, field="demand.rate")
            r = _number(d.get("repair_fraction", 1.0), lo=0.0, hi=1.0, item=iid, site=sid, field="demand.repair_fraction")
            t = _number(d.get("repair_time", 0.0), lo=0.0, item=iid, site=sid, field="demand.repair_time")
            o = d.get("order_ship_time")
            o = None if o is None else _number(o, lo=0.0, item=iid, site=sid, field="demand.order_ship_time")
            if base_parent[sid] is None and r < 1.0 and (rate is None or rate > 0):
                _fail("must be 1 at a site with no parent (nowhere to send failures)", item=iid, site=sid,
                      field="demand.repair_fraction")
            demand[sid] = Demand(rate=rate, repair_fraction=r, repair_time=t, order_ship_time=o)
        items.append(Item(id=iid, unit_cost=cost, depot_repair_time=t0, variance_to_mean=vtm, parent=parent,
                          failure_share=share, qpa=qpa, demand=demand))
    # SRU at a stand-alone base where its parent is repaired must be repaired there too
    by_id = {it.id: it for it in items}
    for it in items:
        if it.parent is None:
            continue
        par = by_id[it.parent]
        for sid, pd in par.demand.items():
            if base_parent[sid] is None and pd.repair_fraction > 0 and (pd.rate is None or pd.rate > 0):
                d = it.demand.get(sid)
                if d is None or d.repair_fraction < 1.0:
                    _fail("an SRU at a site with no parent needs a demand entry with repair_fraction 1",
                          item=it.id, site=sid, field="demand.repair_fraction")
    return Case(sites=tuple(sites), items=tuple(items), model=model)


def parse_stock(case: Case, data: Any) -> dict[str, dict[str, int]]:
    """Validate a stock plan: item id -> site id -> whole number >= 0 (missing means 0)."""
    if not isinstance(data, Mapping):
        _fail("a stock plan must be a JSON object: item -> site -> level", field="stock")
    items = {it.id for it in case.items}
    sites = {s.id for s in case.sites}
    out: dict[str, dict[str, int]] = {}
    for iid, per_site in data.items():
        if iid not in items:
            _fail("not in the case", item=iid, field="stock")
        if not isinstance(per_site, Mapping):
            _fail("must be an object: site -> level", item=iid, field="stock")
        out[iid] = {}
        for sid, level in per_site.items():
            if sid not in sites:
                _fail("not in the case", item=iid, site=sid, field="stock")
            out[iid][sid] = _count(level, item=iid, site=sid, field="stock")
    return out


def case_to_dict(case: Case) -> dict[str, Any]:
    """The JSON form of a case (inverse of `parse_case`)."""
    return {
        "model": case.model,
        "sites": [
            {"id": s.id, "echelon": s.echelon, "parent": s.parent, "order_ship_time": s.order_ship_time,
             "units": dict(s.units)}
            for s in case.sites
        ],
        "items": [
            {
                "id": it.id, "unit_cost": it.unit_cost, "depot_repair_time": it.depot_repair_time,
                "variance_to_mean": it.variance_to_mean, "parent": it.parent, "failure_share": it.failure_share,
                "qpa": dict(it.qpa),
                "demand": {
                    sid: {k: v for k, v in (("rate", d.rate), ("repair_fraction", d.repair_fraction),
                                             ("repair_time", d.repair_time), ("order_ship_time", d.order_ship_time))
                          if v is not None}
                    for sid, d in it.demand.items()
                },
            }
            for it in case.items
        ],
    }
