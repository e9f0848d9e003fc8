"""Pure localisation engine: indigenous content arithmetic and the localisation planner.

No database, web or CLI imports (the engine-pure contract). See :mod:`.content` and
:mod:`.planner`.
"""
from setu.engine.localisation.content import ContentLine, indigenous_content
from setu.engine.localisation.planner import (
    Candidate, Disruption, JV, Plan, Problem, brute_force, evaluate_choices, greedy, plan, solve_milp,
)

__all__ = ["Candidate", "ContentLine", "Disruption", "JV", "Plan", "Problem", "brute_force", "evaluate_choices",
           "greedy", "indigenous_content", "plan", "solve_milp"]
