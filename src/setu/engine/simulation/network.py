"""Compile a readiness case into the flat arrays the simulator runs on.

The simulator accepts either the frozen dataclasses of :mod:`setu.engine.readiness.case` or a
plain mapping in the readiness JSON format (``{"sites": [...], "items": [...]}``). Both are read
by duck typing, so this module imports nothing from the readiness engine and the two engines
stay independent: the simulator is the check on the analytic model, not a client of it.

Conventions (Sherbrooke 2004, ch. 2-5; the same as the analytic model):

- one depot (echelon ``"depot"``) and bases (echelon ``"base"``) whose parent is the depot;
- an item with no ``parent`` is an LRU and fails at base ``j`` at rate ``m_ij`` per year
  (``demand[j].rate``); an item naming a ``parent`` is an SRU whose failures are *caused*:
  when the parent fails, the cause is this SRU with probability ``failure_share``; the SRU's
  own ``demand[j]`` entry supplies its base repair fraction and repair time (its ``rate`` is
  implied by the parent and is not used: a warning says so if one is given; its
  ``variance_to_mean`` likewise follows from the parent's failure process);
- ``repair_fraction`` is the fraction repaired at the base (1 - NRTS); the rest is shipped to
  the depot, which repairs everything in ``depot_repair_time``; a base's resupply from the depot
  takes ``order_ship_time`` (the demand entry's override, else the site's);
- ``qpa`` maps an equipment type to the installed quantity Z per unit, ``units`` maps a type to
  the number N of units at a base.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BaseDemand:
    """Demand of one item at one base (rate per year, times in years)."""

    rate: float
    repair_fraction: float
    repair_time: float
    order_ship_time: float


@dataclass(frozen=True)
class Node:
    """One item of the indenture tree, with its per-base data."""

    index: int
    id: str
    parent: int  # -1 for an LRU
    failure_share: float
    depot_repair_time: float
    variance_to_mean: float
    qpa: Mapping[str, int]
    demand: tuple[BaseDemand | None, ...]  # one entry per base
    children: tuple[int, ...]
    shares: tuple[float, ...]  # failure share of each child, same order


@dataclass(frozen=True)
class Network:
    """A compiled case: items in topological order (parents first) and sites.

    ``site_ids`` keep the case order (the column order of every result array, as in
    :class:`setu.engine.readiness.Evaluation`); internally the simulator numbers stock points
    depot first (internal column 0, empty when the case has no depot) then bases 1..J.
    """

    site_ids: tuple[str, ...]
    depot_col: int  # column of the depot in site_ids, -1 if none
    base_cols: tuple[int, ...]  # columns of the bases in site_ids
    base_ids: tuple[str, ...]
    standalone: tuple[bool, ...]  # per base: no parent, so returns see no depot delay
    units: tuple[Mapping[str, int], ...]  # per base: equipment type -> number of units
    nodes: tuple[Node, ...]
    order: tuple[int, ...]  # node indices, parents before children

    @property
    def depot_id(self) -> str | None:
        return self.site_ids[self.depot_col] if self.depot_col >= 0 else None

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)

    def to_case_columns(self, internal: np.ndarray) -> np.ndarray:
        """Map an array whose last axis is internal (depot, base 1..J) to case site order."""
        out = np.zeros(internal.shape[:-1] + (len(self.site_ids),), dtype=internal.dtype)
        if self.depot_col >= 0:
            out[..., self.depot_col] = internal[..., 0]
        out[..., list(self.base_cols)] = internal[..., 1:]
        return out


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _as_mapping(obj: Any) -> Mapping[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return obj
    if isinstance(obj, (list, tuple)):  # sequence of (key, value) pairs or of records
        out: dict[str, Any] = {}
        for entry in obj:
            if isinstance(entry, (list, tuple)) and len(entry) == 2:
                out[str(entry[0])] = entry[1]
            else:
                key = _get(entry, "site", None) or _get(entry, "site_id", None) or _get(entry, "base")
                out[str(key)] = entry
        return out
    return dict(obj)


def _float(x: Any, default: float) -> float:
    return default if x is None else float(x)


def compile_case(case: Any) -> Network:
    """Read a case (readiness dataclass or JSON mapping) into a :class:`Network`."""
    sites = list(_get(case, "sites", ()))
    items = list(_get(case, "items", ()))
    site_ids = tuple(str(_get(s, "id")) for s in sites)
    is_depot = [str(_get(s, "echelon", "base")).lower() == "depot" for s in sites]
    if sum(is_depot) > 1:
        raise ValueError(f"the simulator handles at most one depot, found {sum(is_depot)}")
    depot_col = is_depot.index(True) if any(is_depot) else -1
    depot_id = site_ids[depot_col] if depot_col >= 0 else None
    base_cols = tuple(k for k in range(len(sites)) if not is_depot[k])
    bases = [sites[k] for k in base_cols]
    standalone = []
    for b in bases:
        parent = _get(b, "parent")
        if parent is not None and str(parent) != depot_id:
            raise ValueError(f"site {_get(b, 'id')}: only two echelons are simulated "
                             f"(parent {parent} is not the depot)")
        standalone.append(parent is None or depot_id is None)
    base_ids = tuple(site_ids[k] for k in base_cols)
    base_ship = [_float(_get(b, "order_ship_time"), 0.0) for b in bases]
    units = tuple({str(k): int(v) for k, v in _as_mapping(_get(b, "units")).items()} for b in bases)

    ids = [str(_get(it, "id")) for it in items]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate item ids")
    pos = {k: i for i, k in enumerate(ids)}
    parents = []
    for it in items:
        p = _get(it, "parent")
        if p is not None and str(p) not in pos:
            raise ValueError(f"item {_get(it, 'id')}: unknown parent {p}")
        parents.append(-1 if p is None else pos[str(p)])
    children: list[list[int]] = [[] for _ in items]
    for i, p in enumerate(parents):
        if p >= 0:
            children[p].append(i)

    nodes = []
    for i, it in enumerate(items):
        dem_map = _as_mapping(_get(it, "demand"))
        per_base: list[BaseDemand | None] = []
        for b, bid in enumerate(base_ids):
            d = dem_map.get(bid)
            if d is None:
                per_base.append(None)
                continue
            ship = _get(d, "order_ship_time")
            per_base.append(BaseDemand(
                rate=_float(_get(d, "rate"), 0.0),
                repair_fraction=_float(_get(d, "repair_fraction"), 1.0),
                repair_time=_float(_get(d, "repair_time"), 0.0),
                order_ship_time=base_ship[b] if ship is None else float(ship),
            ))
        if parents[i] >= 0 and any(d is not None and _get(d, "rate") is not None
                                   for d in dem_map.values()):
            warnings.warn(f"item {ids[i]}: an SRU's demand rate is implied by its parent's "
                          "failures and failure_share; the given rate is ignored by the simulator",
                          stacklevel=2)
        shares = tuple(_float(_get(items[c], "failure_share"), 0.0) for c in children[i])
        if sum(shares) > 1.0 + 1e-9:
            raise ValueError(f"item {ids[i]}: failure shares of its SRUs sum to {sum(shares)} > 1")
        qpa = {str(k): int(v) for k, v in _as_mapping(_get(it, "qpa")).items()}
        nodes.append(Node(
            index=i,
            id=ids[i],
            parent=parents[i],
            failure_share=_float(_get(it, "failure_share"), 0.0),
            depot_repair_time=_float(_get(it, "depot_repair_time"), 0.0),
            variance_to_mean=_float(_get(it, "variance_to_mean"), 1.0),
            qpa=qpa,
            demand=tuple(per_base),
            children=tuple(children[i]),
            shares=shares,
        ))

    order: list[int] = []
    stack = [i for i in range(len(items)) if parents[i] < 0][::-1]
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(children[i][::-1])
    if len(order) != len(items):
        raise ValueError("the indenture structure has a cycle")
    return Network(site_ids=site_ids, depot_col=depot_col, base_cols=base_cols,
                   base_ids=base_ids, standalone=tuple(standalone), units=units,
                   nodes=tuple(nodes), order=tuple(order))


def stock_array(network: Network, stock: Any) -> np.ndarray:
    """Stock levels as an internal int array ``[item, 1 + base]`` (column 0: the depot).

    ``stock`` maps item id -> site id -> level (missing means 0), or is an ``[item, site]``
    array in case site order (the readiness engine's convention).
    """
    n_items, n_sites = len(network.nodes), len(network.site_ids)
    if stock is None:
        stock = {}
    if isinstance(stock, Mapping):
        case_cols = np.zeros((n_items, n_sites), dtype=np.int64)
        item_pos = {n.id: n.index for n in network.nodes}
        site_pos = {s: k for k, s in enumerate(network.site_ids)}
        for item, per_site in stock.items():
            if str(item) not in item_pos:
                raise KeyError(f"stock names unknown item {item!r}")
            for site, level in _as_mapping(per_site).items():
                if str(site) not in site_pos:
                    raise KeyError(f"stock names unknown site {site!r}")
                case_cols[item_pos[str(item)], site_pos[str(site)]] = int(level)
    else:
        case_cols = np.asarray(stock).astype(np.int64)
        if case_cols.shape != (n_items, n_sites):
            raise ValueError(f"stock array must have shape {(n_items, n_sites)}, "
                             f"got {case_cols.shape}")
    if (case_cols < 0).any():
        raise ValueError("stock levels must be >= 0")
    out = np.zeros((n_items, 1 + len(network.base_cols)), dtype=np.int64)
    if network.depot_col >= 0:
        out[:, 0] = case_cols[:, network.depot_col]
    out[:, 1:] = case_cols[:, list(network.base_cols)]
    return out
