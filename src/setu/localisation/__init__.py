"""Localisation: transfer of technology, joint ventures, qualification of locally made parts, and
the planner of what to make locally (docs/localisation.md)."""
