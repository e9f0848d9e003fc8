"""Evaluate a stock plan: EBO and VBO per item and site, and availability.

Models (``model=``):

- ``"metric"``: METRIC (Sherbrooke 1968, Operations Research 16(1):122-141) with the
  multi-indenture extension MOD-METRIC (Muckstadt 1973, Management Science 20(4):472-481).
  Depot delay per demand EBO_0(s_0)/m_0 (Little's law) is added to the base resupply time; every
  pipeline has variance-to-mean equal to that of demand (Poisson when 1):

      mu_j = m_j r_j T_j + m_j (1 - r_j) O_j + f_j EBO_0(s_0) + sum_k EBO_kj,   Var_j = v mu_j

- ``"vari-metric"``: VARI-METRIC (Sherbrooke 1986, Operations Research 34(2):311-319; Slay
  1984, LMI; Graves 1985, Management Science 31(10):1247-1256; Sherbrooke 2004 ch. 4-5). Same
  means; the variance passes down the variance of depot backorders by binomial disaggregation
  with f_j = (1 - r_j) m_j / m_0 (Sherbrooke 2004 eq. 4.11-4.12), and SRU backorder variances are
  added to the LRU pipeline (Sherbrooke 2004 ch. 5):

      Var_j = v (m_j r_j T_j + m_j (1 - r_j) O_j) + v f_j (1 - f_j) EBO_0 + f_j^2 VBO_0 + sum_k VBO_kj

  (the factor v on the thinning term: demand batches go whole to one base; v = 1 is Poisson)
      depot:  mu_0 = m_0 T_0 + sum_k h_k EBO_0k,
              Var_0 = v m_0 T_0 + sum_k [h_k (1 - h_k) EBO_0k + h_k^2 VBO_0k]

  where h_k = q_k m_0i / m_0k is the share of SRU k's depot demand that comes from depot repairs
  of its parent i (the rest comes from SRUs sent in by the bases).

  and a negative binomial is fitted to (mu, Var) (see `distributions`).

Availability (Sherbrooke 2004 eq. 5.x, "A = prod_i (1 - EBO_i / (N Z_i))^Z_i"): at base j for
equipment type e, with backorders spread at random over the P_ij = sum_e N_je Z_ie installed
positions of item i and no cannibalisation,

      A_je = prod_{LRU i} (1 - EBO_ij / P_ij) ^ Z_ie,

and fleet availability per type is the unit-weighted mean sum_j N_je A_je / sum_j N_je.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from setu.engine.readiness.case import MODELS, Case, CaseArrays
from setu.engine.readiness.distributions import backorders_at


@dataclass(frozen=True)
class Evaluation:
    """Result of `evaluate`. Arrays over items (case order) x sites (case order).

    The depot column holds depot EBO/VBO (not counted in ``total_base_ebo``, since only base
    backorders ground equipment). ``availability`` is (L, E) with NaN where a site operates no
    unit of that type; ``fleet_availability`` is (E,).
    """

    model: str
    item_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    equipment_types: tuple[str, ...]
    stock: np.ndarray
    pipeline_mean: np.ndarray
    pipeline_var: np.ndarray
    ebo: np.ndarray
    vbo: np.ndarray
    total_base_ebo: float
    availability: np.ndarray
    fleet_availability: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: EBO/VBO per item and site, total base EBO, availability per site and type."""
        items = {}
        for i, item_id in enumerate(self.item_ids):
            items[item_id] = {
                site_id: {
                    "stock": int(self.stock[i, k]),
                    "pipeline_mean": float(self.pipeline_mean[i, k]),
                    "pipeline_var": float(self.pipeline_var[i, k]),
                    "ebo": float(self.ebo[i, k]),
                    "vbo": float(self.vbo[i, k]),
                }
                for k, site_id in enumerate(self.site_ids)
            }
        avail = {}
        for k, site_id in enumerate(self.site_ids):
            row = {
                e: float(self.availability[k, x])
                for x, e in enumerate(self.equipment_types)
                if not np.isnan(self.availability[k, x])
            }
            if row:
                avail[site_id] = row
        return {
            "model": self.model,
            "total_base_ebo": float(self.total_base_ebo),
            "availability": avail,
            "fleet_availability": {
                e: float(self.fleet_availability[x]) for x, e in enumerate(self.equipment_types)
            },
            "items": items,
        }


def local_pipeline(ca: CaseArrays, rows: np.ndarray, model: str) -> tuple[np.ndarray, np.ndarray]:
    """Base pipeline part not caused by depot delay or SRU shortages: (mean, var), (len(rows), J).

    mean = m r T + m (1 - r) O (Sherbrooke 1968); var = v * mean (compound Poisson, Palm).
    """
    m = ca.rate[rows]
    r = ca.repair_fraction[rows]
    mean = m * r * ca.repair_time[rows] + m * (1.0 - r) * ca.order_ship_time[rows]
    return mean, ca.variance_to_mean[rows, None] * mean


def base_pipeline(
    local_mean: np.ndarray,
    local_var: np.ndarray,
    share: np.ndarray,
    vtm: np.ndarray,
    ebo0: np.ndarray,
    vbo0: np.ndarray,
    model: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Base pipeline (mean, var) given depot backorder moments; broadcasting over any shape.

    METRIC (Sherbrooke 1968): mean = local + f EBO_0, var = v mean.
    VARI-METRIC (Sherbrooke 1986; Graves 1985): var = local_var + v f(1-f) EBO_0 + f^2 VBO_0,
    where v is the demand variance-to-mean: with compound-Poisson demand the depot backorders
    are thinned in whole batches (v = size-biased mean batch size), an extension of the binomial
    disaggregation of Sherbrooke 1986 (v = 1) checked against setu.engine.simulation.
    ``local_*`` already include SRU backorder terms.
    """
    mean = local_mean + share * ebo0
    if model == "metric":
        return mean, vtm * mean
    # whole demand batches come from one base: with compound-Poisson demand of variance-to-mean
    # v the thinning term is v f (1 - f) EBO_0 (v = size-biased mean batch), = binomial for v = 1
    return mean, local_var + vtm * share * (1.0 - share) * ebo0 + share * share * vbo0


def _check_model(model: str) -> str:
    model = (model or "vari-metric").lower()
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return model


def evaluate_arrays(ca: CaseArrays, stock: np.ndarray, model: str = "vari-metric") -> Evaluation:
    """Evaluate an (I, L) stock array on a compiled case; see module docstring for the equations.

    Indenture levels are processed bottom-up (deepest SRUs first), each level vectorised over
    items x sites; SRU backorders at the depot and each base are added to the parent's pipeline
    there (Sherbrooke 2004, ch. 5).
    """
    model = _check_model(model)
    stock = np.asarray(stock, dtype=np.int64)
    n_i, n_l, n_j = ca.n_items, ca.n_sites, ca.n_bases
    bidx = ca.base_index
    ebo = np.zeros((n_i, n_l))
    vbo = np.zeros((n_i, n_l))
    pmean = np.zeros((n_i, n_l))
    pvar = np.zeros((n_i, n_l))
    sub_e0 = np.zeros(n_i)
    sub_v0 = np.zeros(n_i)
    sub_ej = np.zeros((n_i, n_j))
    sub_vj = np.zeros((n_i, n_j))
    for lev in range(ca.max_level, -1, -1):
        rows = np.flatnonzero(ca.level == lev)
        if not rows.size:
            continue
        vtm = ca.variance_to_mean[rows]
        if ca.has_depot:
            d = ca.depot_index
            m0t0 = ca.depot_rate[rows] * ca.depot_repair_time[rows]
            mean0 = m0t0 + sub_e0[rows]
            var0 = vtm * mean0 if model == "metric" else vtm * m0t0 + sub_v0[rows]
            e0, v0 = backorders_at(mean0, var0, stock[rows, d])
            ebo[rows, d], vbo[rows, d], pmean[rows, d], pvar[rows, d] = e0, v0, mean0, var0
        else:
            e0 = v0 = np.zeros(rows.size)
        lm, lv = local_pipeline(ca, rows, model)
        lm = lm + sub_ej[rows]
        lv = lv + sub_vj[rows]
        mj, vj = base_pipeline(lm, lv, ca.depot_share[rows], vtm[:, None], e0[:, None], v0[:, None], model)
        ej, wj = backorders_at(mj, vj, stock[rows][:, bidx])
        ebo[np.ix_(rows, bidx)] = ej
        vbo[np.ix_(rows, bidx)] = wj
        pmean[np.ix_(rows, bidx)] = mj
        pvar[np.ix_(rows, bidx)] = vj
        if lev > 0:
            par = ca.parent[rows]
            if ca.has_depot:
                h = depot_parent_share(ca, rows)
                np.add.at(sub_e0, par, h * e0)
                np.add.at(sub_v0, par, h * (1.0 - h) * e0 + h * h * v0)
            np.add.at(sub_ej, par, ej)
            np.add.at(sub_vj, par, wj)
    base_ebo = ebo[:, bidx]
    avail, fleet = availability(ca, base_ebo)
    lru = ca.level == 0
    return Evaluation(
        model=model,
        item_ids=ca.item_ids,
        site_ids=ca.site_ids,
        equipment_types=ca.equipment_types,
        stock=stock,
        pipeline_mean=pmean,
        pipeline_var=pvar,
        ebo=ebo,
        vbo=vbo,
        total_base_ebo=float(base_ebo[lru].sum()),
        availability=avail,
        fleet_availability=fleet,
    )


def depot_parent_share(ca: CaseArrays, rows: np.ndarray) -> np.ndarray:
    """h_k = q_k m_0,parent / m_0k: the share of SRU k's depot demand (and so of its depot
    backorders, by binomial disaggregation as in Sherbrooke 1986) that comes from repairs of its
    parent at the depot; the rest comes from SRUs sent in by the bases and does not delay depot
    LRU repairs (Sherbrooke 2004 ch. 5)."""
    par = ca.parent[rows]
    m0k = ca.depot_rate[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.where(m0k > 0, ca.failure_share[rows] * ca.depot_rate[par] / np.where(m0k > 0, m0k, 1.0), 0.0)
    return np.clip(h, 0.0, 1.0)


def positions(ca: CaseArrays) -> np.ndarray:
    """Installed positions P_ij = sum_e Z_ie N_je of each LRU at each base, (I, J)."""
    return ca.qpa @ ca.units.T


def availability(ca: CaseArrays, base_ebo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Availability per site and type (L, E) and fleet availability per type (E,).

    A_je = prod_i (1 - EBO_ij / P_ij)^Z_ie (Sherbrooke 2004, sec. 5.x availability equation);
    fleet A_e = sum_j N_je A_je / sum_j N_je. Only LRUs (indenture level 0) count.
    """
    n_e = len(ca.equipment_types)
    pos = positions(ca)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(pos > 0, base_ebo / np.where(pos > 0, pos, 1.0), 0.0)
        logterm = np.log(np.clip(1.0 - frac, 1e-300, 1.0))
    z = np.where(ca.level[:, None] == 0, ca.qpa, 0.0)  # (I, E)
    log_a = logterm.T @ z  # (J, E)
    a_base = np.exp(log_a)
    a_base = np.where(ca.units > 0, a_base, np.nan)
    avail = np.full((ca.n_sites, n_e), np.nan)
    avail[ca.base_index] = a_base
    tot = ca.units.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        fleet = np.where(tot > 0, np.nansum(np.where(ca.units > 0, a_base * ca.units, 0.0), axis=0) / np.where(tot > 0, tot, 1.0), np.nan)
    return avail, fleet


def evaluate(case: Case | CaseArrays, stock: Any, model: str | None = None) -> Evaluation:
    """Evaluate a stock plan (mapping item -> site -> level, or an (I, L) array).

    ``model`` is ``"metric"`` (METRIC/MOD-METRIC, Sherbrooke 1968/Muckstadt 1973) or
    ``"vari-metric"`` (Sherbrooke 1986/2004, Graves 1985); None means the case's own model.
    """
    if isinstance(case, Case):
        ca = case.arrays()
        model = model or case.model
    else:
        ca = case
        model = model or "vari-metric"
    return evaluate_arrays(ca, ca.stock_array(stock), model)
