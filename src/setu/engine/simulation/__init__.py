"""Discrete-event simulation of repairable-item spares systems (the SIMLOX analogue).

Purpose: validate the analytic METRIC / MOD-METRIC / VARI-METRIC evaluation of
:mod:`setu.engine.readiness` (Sherbrooke 1968, Oper. Res. 16(1):122-141; Muckstadt 1973,
Manage. Sci. 20(4):472-481; Sherbrooke 1986, Oper. Res. 34(2):311-319; Sherbrooke 2004,
*Optimal Inventory Modeling of Systems*, 2nd ed.) by simulating the system those models
approximate: one depot and several bases, (S-1, S) base stock everywhere, ample repair, FIFO
allocation, LRUs whose repair needs a serviceable SRU (multi-indenture), Poisson or compound
(negative-binomial) demand.

API::

    from setu.engine.simulation import simulate

    result = simulate(case, stock, horizon_years=200, warmup_years=1, replications=10, seed=7)
    result.ebo("U1", "B1")            # Estimate(mean, half_width) with .low/.high/.covers()
    result.vbo_estimate("U1", "B1")   # variance of the backorder level over time
    result.pipeline("U1", "B1")       # outstanding replenishments (Palm's X)
    result.base_ebo_total()           # sum of LRU base backorders (the METRIC objective)
    result.availability("B1", "FIGHTER")          # units up, counted on simulated units
    result.availability_formula("B1", "FIGHTER")  # prod (1 - EBO/(N Z))^Z on simulated EBO
    result.fleet_availability("FIGHTER")          # unit-weighted over bases
    result.ebo_mean, result.ebo_half_width        # arrays [item, site] in case site order
    result.to_dict()                              # JSON-ready

Keywords: ``horizon_years`` (measured length of each replication), ``warmup_years``
(discarded start), ``replications``, ``seed``, ``confidence`` (0.95),
``repair_distribution`` ("deterministic" or "exponential"), ``track_units`` (count units down;
off for EBO-only runs), ``workers`` (replications in parallel processes, same results).

``case`` is a :class:`setu.engine.readiness.case.Case` or a mapping in the readiness JSON format;
``stock`` maps item id -> site id -> level, or is an ``[item, site]`` array in case site order
(the readiness engine's convention). Times are in years, rates per year. Result arrays use the
case's item and site order, so they line up with ``setu.engine.readiness.evaluate``.

Method (details in :mod:`.des` and :mod:`.api`): each replication draws all failure epochs at
once and resolves every stock point with the sample-path identity "the n-th demand is filled by
the n-th serviceable unit" (first-come-first-served one-for-one replenishment), passing down the
indenture tree for demands and up it for fills; this is an exact event-by-event simulation,
vectorised with numpy. Independent replications give Student-t confidence intervals (Law 2015,
sec. 9.4). Availability is measured by placing each backordered failure as a hole on a randomly
chosen unit (no cannibalisation) and counting units with any hole, next to the product formula
evaluated on the simulated EBO.
"""
from setu.engine.simulation.api import Estimate, SimulationResult, simulate
from setu.engine.simulation.network import Network, compile_case

__all__ = ["Estimate", "Network", "SimulationResult", "compile_case", "simulate"]
