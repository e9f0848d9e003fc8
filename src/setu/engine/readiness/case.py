"""The readiness case model: sites, items, demand, indenture, and its array form.

A *case* is what the METRIC family of models (Sherbrooke 1968, Operations Research 16(1):122-141;
Sherbrooke 1986, Operations Research 34(2):311-319; Sherbrooke 2004, *Optimal Inventory Modeling
of Systems*, 2nd ed., ch. 2-5) needs to predict backorders and availability:

- sites: at most one depot (echelon ``"depot"``) and any number of bases (echelon ``"base"``),
  each base resupplied from the depot (``parent``) after an order-and-ship time ``O_j``; a base
  with no parent is a stand-alone site (every failure must be repaired there, ``r = 1``);
- items: LRUs (``parent is None``) installed ``qpa`` times per unit of each equipment type, and
  SRUs (``parent`` names the item they are removed from, ``failure_share`` q_ik of its repairs);
  any number of indenture levels;
- demand per item and base: rate m_ij, base-repair fraction r_ij, base repair time T_ij and an
  optional order-and-ship time override.

The dataclasses are frozen; `Case.arrays()` compiles (once, cached) the numpy arrays every engine
function works on (`CaseArrays`). Engines that generate large synthetic cases can build
`CaseArrays` directly.

Demand of SRUs (Sherbrooke 2004, ch. 5; Muckstadt 1973, Management Science 20(4):472-481):
an SRU k of LRU i is removed in a fraction q_ik of the repairs of i, so
  base rate   m_kj = q_ik * r_ij * m_ij        (unless the case gives ``rate`` explicitly),
  depot rate  m_0k = q_ik * m_0i + sum_j (1 - r_kj) m_kj,
and LRU depot demand is m_0i = sum_j (1 - r_ij) m_ij (Sherbrooke 1968, eq. for depot demand).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ECHELONS = ("depot", "base")
MODELS = ("metric", "vari-metric")


@dataclass(frozen=True)
class Site:
    """A stock location. ``units`` maps equipment type -> number of units operated there (N_j)."""

    id: str
    echelon: str = "base"
    parent: str | None = None
    order_ship_time: float = 0.0
    units: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Demand:
    """Demand of one item at one base (Sherbrooke 2004 notation m_ij, r_ij, T_ij, O_j).

    ``rate`` may be None for an SRU: it is then derived from the parent's base repairs.
    ``order_ship_time`` None means the site's order-and-ship time.
    """

    rate: float | None
    repair_fraction: float = 1.0
    repair_time: float = 0.0
    order_ship_time: float | None = None


@dataclass(frozen=True)
class Item:
    """An LRU or SRU.

    - ``depot_repair_time``: T_0i, depot repair time with parts available;
    - ``variance_to_mean``: of the demand process (>= 1; 1 = Poisson). Palm's theorem for
      compound Poisson demand gives the pipeline the same ratio (Sherbrooke 2004, sec. 2.9);
    - ``parent`` / ``failure_share``: for SRUs, the item they are removed from and q_ik;
    - ``qpa``: equipment type -> installed quantity Z_i (LRUs only);
    - ``demand``: base id -> `Demand`.
    """

    id: str
    unit_cost: float
    depot_repair_time: float = 0.0
    variance_to_mean: float = 1.0
    parent: str | None = None
    failure_share: float | None = None
    qpa: Mapping[str, int] = field(default_factory=dict)
    demand: Mapping[str, Demand] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseArrays:
    """Array form of a case. I items, L sites (case order), J bases, E equipment types.

    Per-item-and-base arrays are (I, J) over ``base_index`` (site columns of the bases).
    Items are kept in case order; ``level`` is the indenture depth (0 = LRU) and ``parent`` the
    parent item's row (-1 for LRUs). ``depot_rate`` m_0i and ``depot_share`` f_ij =
    (1 - r_ij) m_ij / m_0i (Sherbrooke 1986 binomial disaggregation) are precomputed.
    """

    item_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    equipment_types: tuple[str, ...]
    depot_index: int  # column of the depot among sites, -1 if none
    base_index: np.ndarray  # (J,) site columns of the bases
    unit_cost: np.ndarray  # (I,)
    depot_repair_time: np.ndarray  # (I,)
    variance_to_mean: np.ndarray  # (I,)
    parent: np.ndarray  # (I,) int, -1 for LRUs
    failure_share: np.ndarray  # (I,) 0 for LRUs
    level: np.ndarray  # (I,) indenture depth
    qpa: np.ndarray  # (I, E)
    units: np.ndarray  # (J, E)
    rate: np.ndarray  # (I, J)
    repair_fraction: np.ndarray  # (I, J)
    repair_time: np.ndarray  # (I, J)
    order_ship_time: np.ndarray  # (I, J)
    depot_rate: np.ndarray  # (I,)
    depot_share: np.ndarray  # (I, J)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_sites(self) -> int:
        return len(self.site_ids)

    @property
    def n_bases(self) -> int:
        return int(self.base_index.size)

    @property
    def has_depot(self) -> bool:
        return self.depot_index >= 0

    @property
    def max_level(self) -> int:
        return int(self.level.max()) if self.level.size else 0

    def stock_array(self, stock: Any) -> np.ndarray:
        """Stock as an (I, L) int array from an array or a mapping item -> site -> level."""
        return stock_to_array(self, stock)


def derive_demand(
    parent: np.ndarray,
    failure_share: np.ndarray,
    level: np.ndarray,
    rate: np.ndarray,
    rate_given: np.ndarray,
    repair_fraction: np.ndarray,
    has_depot: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill SRU base rates (q_ik r_ij m_ij where not given) and compute m_0i and f_ij.

    Top-down over indenture levels (Sherbrooke 2004 ch. 5; Muckstadt 1973).
    Returns (rate, depot_rate, depot_share).
    """
    rate = np.array(rate, dtype=float, copy=True)
    n_items = rate.shape[0]
    depot_rate = np.zeros(n_items)
    max_level = int(level.max()) if n_items else 0
    for lev in range(max_level + 1):
        rows = np.flatnonzero(level == lev)
        if lev > 0 and rows.size:
            par = parent[rows]
            derived = failure_share[rows, None] * repair_fraction[par] * rate[par]
            rate[rows] = np.where(rate_given[rows], rate[rows], derived)
        sent = (1.0 - repair_fraction[rows]) * rate[rows]
        depot_rate[rows] = sent.sum(axis=1)
        if lev > 0 and rows.size and has_depot:
            depot_rate[rows] += failure_share[rows] * depot_rate[parent[rows]]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            depot_rate[:, None] > 0,
            (1.0 - repair_fraction) * rate / np.where(depot_rate > 0, depot_rate, 1.0)[:, None],
            0.0,
        )
    return rate, depot_rate, share


@dataclass(frozen=True)
class Case:
    """A readiness case: sites, items and the default model (``"metric"`` or ``"vari-metric"``)."""

    sites: tuple[Site, ...]
    items: tuple[Item, ...]
    model: str = "vari-metric"
    _arrays: list = field(default_factory=list, init=False, repr=False, compare=False)

    def site(self, site_id: str) -> Site:
        for s in self.sites:
            if s.id == site_id:
                return s
        raise KeyError(site_id)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def arrays(self) -> CaseArrays:
        """Compile (once) the array form. Assumes a validated case (see setu.engine.readiness.case_io)."""
        if not self._arrays:
            self._arrays.append(_compile(self))
        return self._arrays[0]


def _compile(case: Case) -> CaseArrays:
    site_ids = tuple(s.id for s in case.sites)
    depot_index = next((k for k, s in enumerate(case.sites) if s.echelon == "depot"), -1)
    base_index = np.array([k for k, s in enumerate(case.sites) if s.echelon != "depot"], dtype=np.int64)
    bases = [case.sites[k] for k in base_index]
    base_pos = {s.id: j for j, s in enumerate(bases)}
    eq_types: list[str] = []
    for s in bases:
        for e in s.units:
            if e not in eq_types:
                eq_types.append(e)
    for it in case.items:
        for e in it.qpa:
            if e not in eq_types:
                eq_types.append(e)
    eq_pos = {e: k for k, e in enumerate(eq_types)}
    item_ids = tuple(it.id for it in case.items)
    item_pos = {i: k for k, i in enumerate(item_ids)}
    n_i, n_j, n_e = len(item_ids), len(bases), len(eq_types)

    units = np.zeros((n_j, n_e))
    for j, s in enumerate(bases):
        for e, n in s.units.items():
            units[j, eq_pos[e]] = n
    site_ost = np.array([float(s.order_ship_time or 0.0) for s in bases])
    qpa = np.zeros((n_i, n_e))
    rate = np.zeros((n_i, n_j))
    rate_given = np.zeros((n_i, n_j), dtype=bool)
    r = np.ones((n_i, n_j))
    t = np.zeros((n_i, n_j))
    o = np.tile(site_ost, (n_i, 1)) if n_i else np.zeros((0, n_j))
    parent = np.full(n_i, -1, dtype=np.int64)
    share = np.zeros(n_i)
    for i, it in enumerate(case.items):
        for e, z in it.qpa.items():
            qpa[i, eq_pos[e]] = z
        if it.parent is not None:
            parent[i] = item_pos[it.parent]
            share[i] = float(it.failure_share or 0.0)
            r[i, :] = 0.0  # SRUs with no entry at a base: sent to the depot
        for sid, d in it.demand.items():
            j = base_pos[sid]
            if d.rate is not None:
                rate[i, j] = d.rate
                rate_given[i, j] = True
            r[i, j] = d.repair_fraction
            t[i, j] = d.repair_time
            if d.order_ship_time is not None:
                o[i, j] = d.order_ship_time
    level = np.zeros(n_i, dtype=np.int64)
    for i in range(n_i):
        k, depth = parent[i], 0
        while k >= 0:
            depth += 1
            k = parent[k]
        level[i] = depth
    has_depot = depot_index >= 0
    rate, depot_rate, depot_share = derive_demand(parent, share, level, rate, rate_given, r, has_depot)
    return CaseArrays(
        item_ids=item_ids,
        site_ids=site_ids,
        equipment_types=tuple(eq_types),
        depot_index=depot_index,
        base_index=base_index,
        unit_cost=np.array([float(it.unit_cost) for it in case.items]),
        depot_repair_time=np.array([float(it.depot_repair_time or 0.0) for it in case.items]),
        variance_to_mean=np.array([float(it.variance_to_mean or 1.0) for it in case.items]),
        parent=parent,
        failure_share=share,
        level=level,
        qpa=qpa,
        units=units,
        rate=rate,
        repair_fraction=r,
        repair_time=t,
        order_ship_time=o,
        depot_rate=depot_rate,
        depot_share=depot_share,
    )


def stock_to_array(arrays: CaseArrays, stock: Any) -> np.ndarray:
    """(I, L) int64 stock from an array, or from a mapping item id -> site id -> level.

    Missing items or sites are 0. Unknown ids raise KeyError naming them.
    """
    if stock is None:
        return np.zeros((arrays.n_items, arrays.n_sites), dtype=np.int64)
    if isinstance(stock, Mapping):
        out = np.zeros((arrays.n_items, arrays.n_sites), dtype=np.int64)
        ipos = {k: i for i, k in enumerate(arrays.item_ids)}
        spos = {k: i for i, k in enumerate(arrays.site_ids)}
        for item_id, per_site in stock.items():
            if item_id not in ipos:
                raise KeyError(f"item {item_id!r}: not in the case")
            for site_id, level in per_site.items():
                if site_id not in spos:
                    raise KeyError(f"item {item_id!r}, site {site_id!r}: not in the case")
                out[ipos[item_id], spos[site_id]] = int(level)
        return out
    arr = np.asarray(stock)
    if arr.shape != (arrays.n_items, arrays.n_sites):
        raise ValueError(f"stock array must have shape {(arrays.n_items, arrays.n_sites)}, got {arr.shape}")
    return arr.astype(np.int64)
