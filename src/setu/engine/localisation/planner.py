"""The localisation planner: which parts to make locally, with which joint venture, in which year.

Model (all months t = 0 .. H-1 of a horizon of ``years`` x 12 months):

* Each candidate part i is fitted Z_i times on each of the N_i units of its equipment type (its
  quantity per aircraft or ship), and has a fleet demand rate m_i (units a year), a serviceable stock s_i, an import resupply time
  L_i (months) and, once made locally, a local resupply time l_i.
* The pipeline mean of an imported part in month t is mu_i(t) = m_i / 12 x T_i(t) (Palm's theorem,
  Sherbrooke 2004 sec. 2.3), where the disruption changes T_i: *stop* (no deliveries for D months
  from month t0): T = L + e, e the months elapsed since the stop began (every order since then is
  still outstanding); *slow* (resupply times x k): T = min(k L, L + e) (the pipeline fills up to
  the longer time). Outside the disruption T = L. A locally made, released part has T = l_i.
* Expected backorders EBO_i(t) at stock s_i come from the readiness engine
  (:func:`setu.engine.readiness.distributions.backorders_at`, Poisson pipeline) and the fleet
  availability is Sherbrooke's product (Sherbrooke 2004, eq. 3.4 / 5.1):
  A(t) = prod_i (1 - EBO_i(t) / (N_i Z_i)) ^ Z_i, so log A is a sum over parts.
* Localising part i with JV j in year y makes it available (qualified and released) from month
  r = 12 y + q_i + setup_j (qualification lead time q_i, the JV's set-up time). Its gain is
  g_ijy = (1/H) sum_{t >= r} [log a_i^local(t) - log a_i^import(t)]: the rise in the time-mean of
  log A. The objective is linear in the choices, so the plan is a 0-1 programme:

      maximise   sum g_ijy x_ijy - w sum c_ij x_ijy
      subject to sum_{j,y} x_ijy <= 1                                       (each part once)
                 sum_{i,j} c_ij x_ijy <= B_y                                 (yearly budget)
                 sum_{i, y: ready year <= k} v_i x_ijy <= C_j  for each j, k  (JV capacity a year)
                 x_ijy = 0 when JV j lacks a process part i needs            (capability)

  c_ij is the ToT fee and tooling (Decimal, one currency), v_i the local production a year (the
  demand rate), w a small weight on cost (availability first, then the cheaper plan). Solved by
  HiGHS (``highspy``) branch and cut to a relative gap (default 1 %); :func:`greedy` ranks options
  by gain per rupee and takes each that still fits; :func:`brute_force` enumerates every plan
  (for tests on small instances).
"""
from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from setu.engine.readiness.distributions import backorders_at

_FLOOR = 1e-9  # availability factor floor (a part with EBO >= Z grounds every unit)


@dataclass(frozen=True)
class Candidate:
    part: str
    fleet_units: int               # N_i, aircraft or ships of the equipment type
    qpa: int                       # Z_i, fitted per unit
    rate: float                    # m_i, fleet demand a year
    stock: int                     # s_i, serviceable spares
    import_lead_months: float      # L_i
    local_lead_months: float       # l_i
    qualification_months: int      # q_i
    cost: Decimal                  # ToT fee + tooling at a JV with cost factor 1
    processes: frozenset[str] = frozenset()
    import_unit_price: Decimal = Decimal(0)
    local_unit_price: Decimal = Decimal(0)


@dataclass(frozen=True)
class JV:
    name: str
    processes: frozenset[str]
    capacity: float                # units a year, all localised parts together
    setup_months: int = 0
    cost_factor: Decimal = Decimal(1)


@dataclass(frozen=True)
class Disruption:
    kind: str = "stop"             # "stop" (no deliveries) or "slow" (resupply x factor)
    start_month: int = 0
    months: int = 12
    factor: float = 3.0

    def __post_init__(self) -> None:
        if self.kind not in ("stop", "slow"):
            raise ValueError(f"disruption kind must be 'stop' or 'slow', not {self.kind!r}")
        if self.months < 0 or self.start_month < 0:
            raise ValueError("disruption start_month and months must not be negative")
        if self.kind == "slow" and self.factor < 1:
            raise ValueError("a slow-down factor must be at least 1")


@dataclass(frozen=True)
class Problem:
    candidates: Sequence[Candidate]
    jvs: Sequence[JV]
    years: int
    budget: Sequence[Decimal]      # per year, same currency as the costs
    currency: str = "INR"
    disruption: Disruption = field(default_factory=Disruption)
    cost_weight: float | None = None   # per unit of currency; None: 1e-3 x (largest gain / budget)

    def __post_init__(self) -> None:
        if self.years < 1:
            raise ValueError("years must be at least 1")
        if len(self.budget) != self.years:
            raise ValueError(f"budget must give one amount per year ({self.years}), got {len(self.budget)}")
        if any(Decimal(b) < 0 for b in self.budget):
            raise ValueError("budget must not be negative")
        names = [c.part for c in self.candidates]
        if len(set(names)) != len(names):
            raise ValueError("candidate parts must be unique")


@dataclass
class Options:
    """Every feasible (part, JV, year) option with its gain, cost and resource use."""
    part: np.ndarray
    jv: np.ndarray
    year: np.ndarray
    ready_month: np.ndarray
    gain: np.ndarray
    cost: list[Decimal]
    cost_f: np.ndarray
    volume: np.ndarray
    score: np.ndarray              # gain - w cost
    log_import: np.ndarray         # (parts, H)
    log_local: np.ndarray          # (parts, H)


def _log_factor(n_units: np.ndarray, qpa: np.ndarray, stock: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Z log(1 - EBO / (N Z)): one part's term of log A (Sherbrooke 2004, eq. 3.4)."""
    ebo, _ = backorders_at(mean, mean, stock)
    nz = (n_units * qpa).astype(float)
    frac = np.clip(1.0 - ebo / nz, _FLOOR, 1.0)
    return qpa * np.log(frac)


def pipeline_months(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Resupply time T_i(t) in months for imports and for local supply, shape (parts, H)."""
    H = 12 * p.years
    L = np.array([c.import_lead_months for c in p.candidates], dtype=float)[:, None]
    loc = np.array([c.local_lead_months for c in p.candidates], dtype=float)[:, None]
    t = np.arange(H)[None, :]
    d = p.disruption
    e = (t - d.start_month + 1).astype(float)
    active = (t >= d.start_month) & (t < d.start_month + d.months)
    if d.kind == "stop":
        dis = L + e
    else:
        dis = np.minimum(d.factor * L, L + e)
    T_imp = np.where(active, dis, L)
    return T_imp, np.broadcast_to(loc, T_imp.shape)


def build_options(p: Problem) -> Options:
    cands, jvs, H = p.candidates, p.jvs, 12 * p.years
    n = len(cands)
    rate = np.array([c.rate for c in cands], dtype=float)[:, None]
    nu = np.broadcast_to(np.array([max(c.fleet_units, 1) for c in cands])[:, None], (n, H))
    qpa = np.broadcast_to(np.array([max(c.qpa, 1) for c in cands])[:, None], (n, H))
    stock = np.array([c.stock for c in cands])[:, None]
    T_imp, T_loc = pipeline_months(p)
    shape = (n, H)
    li = _log_factor(nu, qpa, np.broadcast_to(stock, shape), rate / 12.0 * T_imp)
    ll = _log_factor(nu, qpa, np.broadcast_to(stock, shape), rate / 12.0 * T_loc)
    diff = ll - li
    # suffix[i, r] = sum_{t >= r} diff[i, t]
    suffix = np.concatenate([np.cumsum(diff[:, ::-1], axis=1)[:, ::-1], np.zeros((n, 1))], axis=1) / H
    P, J, Y, R, G, C, V = [], [], [], [], [], [], []
    for i, c in enumerate(cands):
        for j, jv in enumerate(jvs):
            if not c.processes <= jv.processes:
                continue
            cost = (Decimal(c.cost) * Decimal(jv.cost_factor)).quantize(Decimal("0.01"))
            for y in range(p.years):
                r = 12 * y + c.qualification_months + jv.setup_months
                if r >= H:
                    continue
                g = float(suffix[i, r])
                if g <= 0:
                    continue
                P.append(i); J.append(j); Y.append(y); R.append(r); G.append(g); C.append(cost); V.append(c.rate)
    cost_f = np.array([float(x) for x in C], dtype=float)
    gain = np.array(G, dtype=float)
    w = p.cost_weight
    if w is None:
        top_b = max((float(b) for b in p.budget), default=0.0)
        w = 1e-3 * (float(gain.max()) / top_b) if gain.size and top_b > 0 else 0.0
    return Options(np.array(P, dtype=int), np.array(J, dtype=int), np.array(Y, dtype=int), np.array(R, dtype=int),
                   gain, C, cost_f, np.array(V, dtype=float), gain - w * cost_f, li, ll)


@dataclass
class Plan:
    method: str
    chosen: list[int]              # option indices
    objective: float
    status: str
    gap: float | None = None
    seconds: float = 0.0
    bound: float | None = None


def feasible(p: Problem, o: Options, chosen: Sequence[int]) -> str | None:
    """None when the chosen options respect every constraint (exact Decimal budget), else why not."""
    parts = [int(o.part[k]) for k in chosen]
    if len(set(parts)) != len(parts):
        return "a part is chosen twice"
    for y in range(p.years):
        spent = sum((o.cost[k] for k in chosen if o.year[k] == y), Decimal(0))
        if spent > Decimal(p.budget[y]):
            return f"year {y + 1} spends {spent} over the budget {p.budget[y]}"
    for j, jv in enumerate(p.jvs):
        for yk in range(p.years):
            load = sum(o.volume[k] for k in chosen if o.jv[k] == j and o.ready_month[k] // 12 <= yk)
            if load > jv.capacity + 1e-9:
                return f"{jv.name} needs {load:.1f} units in year {yk + 1}, over its capacity {jv.capacity}"
    return None


def solve_milp(p: Problem, o: Options, *, gap: float = 0.01, time_limit: float = 55.0,
               start: Sequence[int] | None = None, relax: bool = False) -> Plan:
    """The 0-1 programme of the module docstring on HiGHS; ``start``: a feasible plan (e.g. the
    greedy one) given to the solver as its first incumbent; ``relax``: solve the LP relaxation only."""
    import highspy
    from scipy import sparse

    t0 = time.perf_counter()
    nv = o.gain.size
    if nv == 0:
        return Plan("milp", [], 0.0, "optimal", 0.0, 0.0, 0.0)
    n, Yn, Jn = len(p.candidates), p.years, len(p.jvs)
    scale = max(float(max(p.budget)), 1.0)
    rows, cols, vals = [], [], []
    k = np.arange(nv)
    rows.append(o.part); cols.append(k); vals.append(np.ones(nv))
    rows.append(n + o.year); cols.append(k); vals.append(o.cost_f / scale)
    ready_year = o.ready_month // 12
    base = n + Yn
    for yk in range(Yn):
        m = ready_year <= yk
        rows.append(base + o.jv[m] * Yn + yk); cols.append(k[m]); vals.append(o.volume[m])
    nr = base + Jn * Yn
    A = sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nr, nv))
    A.sort_indices()
    upper = np.concatenate([np.ones(n),
                            np.array([float(b) for b in p.budget]) / scale * (1 - 1e-12),
                            np.repeat(np.array([jv.capacity for jv in p.jvs], dtype=float), Yn)])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = nv, nr
    lp.col_cost_ = o.score
    lp.col_lower_ = np.zeros(nv)
    lp.col_upper_ = np.ones(nv)
    lp.row_lower_ = np.full(nr, -highspy.kHighsInf)
    lp.row_upper_ = upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = nv, nr
    lp.sense_ = highspy.ObjSense.kMaximize
    if not relax:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * nv
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    if start and not relax:
        x0 = np.zeros(nv)
        x0[list(start)] = 1.0
        sol = highspy.HighsSolution()
        sol.col_value = x0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    if relax:
        xr = np.asarray(h.getSolution().col_value)
        pl = Plan("lp", [], float(h.getInfo().objective_function_value), "relaxed", None, time.perf_counter() - t0,
                  float(h.getInfo().objective_function_value))
        pl.values = xr  # type: ignore[attr-defined]
        return pl
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    x = np.asarray(h.getSolution().col_value)
    chosen = [int(i) for i in np.flatnonzero(x > 0.5)]
    # the exact Decimal check: drop the cheapest-score choice until feasible (float round-off only)
    while feasible(p, o, chosen) is not None and chosen:
        chosen.remove(min(chosen, key=lambda c: o.score[c]))
    obj = float(o.score[chosen].sum()) if chosen else 0.0
    bound = float(info.mip_dual_bound)
    g = abs(bound - obj) / max(abs(obj), 1e-12) if chosen else 0.0
    return Plan("milp", sorted(chosen), obj, status.lower(), g, time.perf_counter() - t0, bound)


def greedy(p: Problem, o: Options, *, order: np.ndarray | None = None, method: str = "greedy") -> Plan:
    """Rank options by gain per unit of cost (gain per rupee) and take each that still fits
    (``order``: another ranking, e.g. by LP value, for :func:`lp_rounding`)."""
    t0 = time.perf_counter()
    if order is None:
        ratio = o.score / np.maximum(o.cost_f, 1e-9)
        order = np.argsort(-ratio, kind="stable")
    spent = [Decimal(0)] * p.years
    load = np.zeros((len(p.jvs), p.years))
    taken: set[int] = set()
    chosen: list[int] = []
    for k in order:
        k = int(k)
        if o.score[k] <= 0 or int(o.part[k]) in taken:
            continue
        y, j, ry = int(o.year[k]), int(o.jv[k]), int(o.ready_month[k] // 12)
        if spent[y] + o.cost[k] > Decimal(p.budget[y]):
            continue
        if np.any(load[j, ry:] + o.volume[k] > p.jvs[j].capacity + 1e-9):
            continue
        spent[y] += o.cost[k]
        load[j, ry:] += o.volume[k]
        taken.add(int(o.part[k]))
        chosen.append(k)
    obj = float(o.score[chosen].sum()) if chosen else 0.0
    return Plan(method, sorted(chosen), obj, "heuristic", None, time.perf_counter() - t0)


def lp_rounding(p: Problem, o: Options) -> tuple[Plan, float]:
    """A starting incumbent for the MILP: solve the LP relaxation, then take options in the order of
    their LP value (ties by gain per rupee) while they fit. Returns the plan and the LP bound."""
    lp = solve_milp(p, o, relax=True)
    x = getattr(lp, "values", np.zeros(o.gain.size))
    ratio = o.score / np.maximum(o.cost_f, 1e-9)
    order = np.lexsort((-ratio, -np.round(x, 6)))
    return greedy(p, o, order=order, method="lp rounding"), lp.bound or 0.0


def brute_force(p: Problem, o: Options) -> Plan:
    """Every plan enumerated (each part: not localised, or one of its options); small instances only."""
    by_part: dict[int, list[int]] = {}
    for k in range(o.gain.size):
        by_part.setdefault(int(o.part[k]), []).append(k)
    groups = [[None] + ks for ks in by_part.values()]
    if math.prod(len(g) for g in groups) > 2_000_000:
        raise ValueError("instance too large to enumerate")
    best, best_obj = [], 0.0
    for combo in itertools.product(*groups):
        ch = [k for k in combo if k is not None]
        obj = float(o.score[ch].sum()) if ch else 0.0
        if obj > best_obj + 1e-15 and feasible(p, o, ch) is None:
            best, best_obj = ch, obj
    return Plan("brute force", sorted(best), best_obj, "optimal", 0.0)


def evaluate_choices(p: Problem, o: Options, chosen: Sequence[int]) -> dict:
    """Fleet availability month by month without and with the chosen options, and totals."""
    H = 12 * p.years
    log_without = o.log_import.sum(axis=0)
    log_with = log_without.copy()
    for k in chosen:
        i, r = int(o.part[k]), int(o.ready_month[k])
        log_with[r:] += o.log_local[i, r:] - o.log_import[i, r:]
    a0, a1 = np.exp(log_without), np.exp(log_with)
    return {"months": list(range(H)), "availability_without": a0.tolist(), "availability_with": a1.tolist(),
            "mean_without": float(a0.mean()), "mean_with": float(a1.mean()),
            "total_cost": sum((o.cost[k] for k in chosen), Decimal(0))}


def choice_rows(p: Problem, o: Options, chosen: Sequence[int]) -> list[dict]:
    log_without = o.log_import.sum(axis=0)
    a0 = np.exp(log_without)
    rows = []
    for k in chosen:
        i, r = int(o.part[k]), int(o.ready_month[k])
        c = p.candidates[i]
        lw = log_without.copy()
        lw[r:] += o.log_local[i, r:] - o.log_import[i, r:]
        gain = float(np.exp(lw).mean() - a0.mean())
        saving = (Decimal(c.import_unit_price) - Decimal(c.local_unit_price)) * Decimal(str(c.rate))
        payback = (o.cost[k] / saving).quantize(Decimal("0.1")) if saving > 0 else None
        rows.append({"part": c.part, "jv": p.jvs[int(o.jv[k])].name, "year": int(o.year[k]) + 1,
                     "ready_month": r, "cost": str(o.cost[k]), "currency": p.currency,
                     "availability_gain": gain, "payback_years": None if payback is None else str(payback)})
    rows.sort(key=lambda row: (row["year"], -row["availability_gain"]))
    return rows


def plan(p: Problem, *, gap: float = 0.01, time_limit: float = 55.0, progress=None) -> dict:
    """Both plans (MILP and greedy) on the same options, with their effect over time."""
    say = progress or (lambda _f, _m: None)
    say(0.05, "computing the availability effect of every option")
    o = build_options(p)
    say(0.3, f"solving the mixed-integer model ({o.gain.size} options)")
    g = greedy(p, o)
    r, _bound = lp_rounding(p, o) if o.gain.size else (g, 0.0)
    start = max((g, r), key=lambda pl: pl.objective)
    m = solve_milp(p, o, gap=gap, time_limit=time_limit, start=start.chosen)
    if m.objective < start.objective:  # the solver stopped on time with a worse incumbent than its start
        m = Plan("milp", start.chosen, start.objective, m.status, (m.bound - start.objective) / max(start.objective, 1e-12),
                 m.seconds, m.bound)
    say(0.85, "greedy ranking by gain per rupee")
    out = {}
    for pl in (m, g):
        ev = evaluate_choices(p, o, pl.chosen)
        out[pl.method] = {
            "method": pl.method, "status": pl.status, "gap": pl.gap, "seconds": round(pl.seconds, 3),
            "objective": pl.objective, "total_cost": str(ev["total_cost"]), "currency": p.currency,
            "availability_without": ev["mean_without"], "availability_with": ev["mean_with"],
            "monthly": {"without": ev["availability_without"], "with": ev["availability_with"]},
            "choices": choice_rows(p, o, pl.chosen),
        }
    say(1.0, "done")
    best = out["milp"]
    return {"budget": [str(b) for b in p.budget], "currency": p.currency, "years": p.years,
            "disruption": {"kind": p.disruption.kind, "start_month": p.disruption.start_month,
                           "months": p.disruption.months, "factor": p.disruption.factor},
            "options": int(o.gain.size), "total_cost": best["total_cost"],
            "availability_without": best["availability_without"], "availability_with": best["availability_with"],
            "gap": best["gap"], "choices": best["choices"], "milp": out["milp"], "greedy": out["greedy"]}
