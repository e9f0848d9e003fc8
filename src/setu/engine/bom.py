"""Bills of material as arrays: indenture levels and quantities per equipment (pure numpy).

A multi-level bill of material is a set of lines ``(equipment e, parent p, child c, q)``: ``q``
units of ``c`` go into one ``p`` (``p = -1``: directly into one equipment of type ``e``). Two
derivations are shared by the catalog (over the database), the forecasting and readiness
capabilities, and the demo data set (over generated arrays), so that all of them derive the same
way:

- :func:`bom_levels`: the indenture level of each line, 1 under the equipment and the parent's
  level + 1 below it (a part used under several parents takes its lowest parent level; the
  indenture numbering of MIL-STD-1388-2B / S3000L, Sherbrooke 2004 ch. 5: LRU level 1, SRUs
  below);
- :func:`quantity_per_equipment`: the quantity of each part in one equipment, the sum over every
  path from the equipment down the bill of the product of the quantities per assembly (the
  ``QPA`` of a part "in the end item"; Sherbrooke 2004 sec. 2.2 uses it for the demand rate
  1 / MTBF x operating hours x quantity per equipment x units).
"""
from __future__ import annotations

import numpy as np

#: A path deeper than this is a cycle (a data error: the catalog refuses cycles); it is cut there.
MAX_DEPTH = 20


def bom_levels(equipment: np.ndarray, parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Indenture level (1, 2, ...) of every line; 0 for a line whose parent is not reached from
    the equipment (an orphan). Arrays (L,) of integer indices, ``parent`` -1 for level 1."""
    equipment = np.asarray(equipment, dtype=np.int64)
    parent = np.asarray(parent, dtype=np.int64)
    child = np.asarray(child, dtype=np.int64)
    level = np.where(parent < 0, 1, 0).astype(np.int64)
    if level.size == 0:
        return level
    none = np.iinfo(np.int64).max
    shape = (int(equipment.max()) + 1, int(max(parent.max(), child.max())) + 1)
    for _ in range(MAX_DEPTH):  # breadth first: level d is known after d - 1 rounds
        todo = np.flatnonzero((level == 0) & (parent >= 0))
        if todo.size == 0:
            break
        done = level > 0
        lowest = np.full(shape, none)  # lowest level of each (equipment, part) as a child so far
        np.minimum.at(lowest, (equipment[done], child[done]), level[done])
        par_level = lowest[equipment[todo], parent[todo]]
        reached = par_level < none
        if not reached.any():
            break
        level[todo[reached]] = par_level[reached] + 1
    return level


def quantity_per_equipment(equipment: np.ndarray, parent: np.ndarray, child: np.ndarray,
                           quantity: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The quantity of each part in one equipment: ``(equipment, part, quantity)`` arrays, one
    row per (equipment, part) reached, in the order a depth-first walk meets them.

    q(e, c) = sum over the paths e -> ... -> p -> c of the product of the quantities per assembly
    (a part under several parents adds up). The walk goes equipment by equipment (ascending
    index), lines in the order given, last-pushed parent first, and sums in that order (so that a
    caller's figures do not depend on anything else); a path deeper than :data:`MAX_DEPTH` is
    cut (a cycle)."""
    eq = np.asarray(equipment, dtype=np.int64).tolist()
    par = np.asarray(parent, dtype=np.int64).tolist()
    ch = np.asarray(child, dtype=np.int64).tolist()
    qpa = np.asarray(quantity, dtype=float).tolist()
    children: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for e, p, c, q in zip(eq, par, ch, qpa):
        children.setdefault((e, p), []).append((c, q))
    out: dict[tuple[int, int], float] = {}
    for e in sorted(set(eq)):
        stack = [(-1, 1.0, 0)]
        while stack:
            p, mult, depth = stack.pop()
            if depth > MAX_DEPTH:
                continue
            for c, q in children.get((e, p), ()):
                v = mult * q
                out[(e, c)] = out.get((e, c), 0.0) + v
                stack.append((c, v, depth + 1))
    keys = list(out)
    return (np.array([k[0] for k in keys], dtype=np.int64), np.array([k[1] for k in keys], dtype=np.int64),
            np.array([out[k] for k in keys], dtype=float))
