"""Pure catalog rules: part identity, NATO stock numbers, bills of material, interchangeability."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from functools import lru_cache
from importlib import resources

_SPACES = re.compile(r"\s+")
_PN_ALLOWED = re.compile(r"^[A-Z0-9][A-Z0-9\-./]*$")
_NSN = re.compile(r"^(\d{4})-?(\d{2})-?(\d{3})-?(\d{4})$")
_MFR = re.compile(r"^[A-Z0-9]{3,16}$")


@lru_cache(maxsize=1)
def ncb_codes() -> dict[str, str]:
    """NATO Codification Bureau codes shipped with Setu (``catalog/data/ncb_codes.json``)."""
    text = resources.files("setu.catalog").joinpath("data/ncb_codes.json").read_text(encoding="utf-8")
    return dict(json.loads(text)["codes"])


def normalise_part_number(raw: str) -> str:
    """Normalise a manufacturer part number: trim, upper case, remove inner spaces, keep dashes.

    Part identity is manufacturer code + normalised part number (NATO codification practice:
    a part number without its manufacturer code is only a candidate match).
    """
    if raw is None:
        raise ValueError("is required")
    pn = _SPACES.sub("", str(raw).strip().upper())
    if not pn:
        raise ValueError("is required")
    if len(pn) > 32:
        raise ValueError("is longer than 32 characters (S2000M PNR)")
    if not _PN_ALLOWED.match(pn):
        raise ValueError(f"{raw!r} has characters other than letters, digits, '-', '.', '/'")
    return pn


def normalise_manufacturer_code(raw: str) -> str:
    """CAGE / NCAGE (5 characters) or the origin manufacturer's own code (3-16 letters/digits)."""
    code = _SPACES.sub("", str(raw or "").strip().upper())
    if not code:
        raise ValueError("is required")
    if not _MFR.match(code):
        raise ValueError(f"{raw!r} must be 3 to 16 letters or digits (CAGE/NCAGE or origin manufacturer code)")
    return code


def validate_nsn(raw: str | None) -> str | None:
    """Validate and format a NATO stock number as ``NNNN-NN-NNN-NNNN``.

    NSN = NATO supply classification (4 digits) + NIIN (country bureau code, 2 digits, then a
    7-digit serial). There is no check digit: validation is format, a supply class whose group is
    not 00, and a bureau code from the shipped NCB list. Empty means "no NSN", which is normal for
    parts of the origin country.
    """
    if raw is None:
        return None
    text = str(raw).strip()
    if not text:
        return None
    m = _NSN.match(text)
    if not m:
        raise ValueError(f"{raw!r} is not a NATO stock number of the form NNNN-NN-NNN-NNNN")
    nsc, ncb, a, b = m.groups()
    if nsc[:2] == "00":
        raise ValueError(f"{raw!r}: supply class {nsc} has no supply group (first two digits 00)")
    if ncb not in ncb_codes():
        raise ValueError(f"{raw!r}: {ncb} is not a known NATO codification bureau code")
    return f"{nsc}-{ncb}-{a}-{b}"


def bom_cycle(edges: Iterable[tuple[Hashable, Hashable]], new_edge: tuple[Hashable, Hashable]) -> bool:
    """True when adding ``parent -> child`` would make a part (indirectly) contain itself."""
    parent, child = new_edge
    if parent == child:
        return True
    children: dict[Hashable, set[Hashable]] = defaultdict(set)
    for p, c in edges:
        children[p].add(c)
    stack, seen = [child], set()
    while stack:
        node = stack.pop()
        if node == parent:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(children.get(node, ()))
    return False


def bom_cycle_members(edges: Iterable[tuple[Hashable, Hashable]]) -> dict[Hashable, set[Hashable]]:
    """The parts that (indirectly) contain themselves in a bill given as ``parent -> child`` edges:
    part -> the members of its cycle (strongly connected components of more than one part,
    Tarjan's algorithm, iterative). A whole bill is checked at once (an import); one new line is
    :func:`bom_cycle`."""
    graph: dict[Hashable, list[Hashable]] = {}
    for p, c in edges:
        graph.setdefault(p, []).append(c)
        graph.setdefault(c, [])
    index: dict[Hashable, int] = {}
    low: dict[Hashable, int] = {}
    on_stack: set[Hashable] = set()
    stack: list[Hashable] = []
    out: dict[Hashable, set[Hashable]] = {}
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nb in it:
                if nb not in index:
                    index[nb] = low[nb] = counter
                    counter += 1
                    stack.append(nb)
                    on_stack.add(nb)
                    work.append((nb, iter(graph[nb])))
                    advanced = True
                    break
                if nb in on_stack:
                    low[node] = min(low[node], index[nb])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.add(x)
                    if x == node:
                        break
                if len(comp) > 1:
                    for x in comp:
                        out[x] = comp
    return out


def bom_levels(lines: Iterable[tuple[Hashable | None, Hashable]]) -> dict[tuple[Hashable | None, Hashable], int]:
    """Indenture levels of one equipment's bill given as ``(parent, child)`` lines (parent None:
    directly under the equipment, level 1; a component is its parent's level + 1, the shallowest
    where a part sits under several parents). Lines not reachable from the equipment (their
    parent is not in the bill) have no level."""
    children: dict[Hashable | None, list[tuple[Hashable | None, Hashable]]] = {}
    for line in lines:
        children.setdefault(line[0], []).append(line)
    levels: dict[tuple[Hashable | None, Hashable], int] = {}
    frontier: list[Hashable | None] = [None]
    seen: set[Hashable] = set()
    level = 1
    while frontier:
        nxt = []
        for p in frontier:
            for line in children.get(p, []):
                if line not in levels:
                    levels[line] = level
                    if line[1] not in seen:
                        seen.add(line[1])
                        nxt.append(line[1])
        frontier, level = nxt, level + 1
    return levels


#: Codes whose demand moves to the replacing part when demand is aggregated by family.
DEMAND_ROLLS_UP = {"one_way", "two_way", "as_set", "re_identified"}
#: Codes whose stock fully pools with the replacing part (usable for either part's demand).
STOCK_POOLS = {"two_way", "re_identified", "as_set"}


def resolve_families(
    links: Iterable[tuple[Hashable, Hashable, str]],
) -> tuple[dict[Hashable, Hashable], dict[Hashable, Hashable]]:
    """Resolve interchangeability links ``(replaced, replacing, code)`` into aggregation heads.

    Returns two maps part -> head part: one for demand and one for stock. Supersession chains are
    followed to the newest replacing part (A -> B -> C puts A and B under C). Demand of a replaced
    part rolls up for one-way, two-way, as-set and re-identification (the history of an item
    carries over to its successor); stock pools only where the old part may serve the new part's
    demand (two-way, as-set, re-identification): one-way old stock may be used up on old demand
    but cannot fill demand for the successor, so it keeps its own head. ``not_interchangeable``
    and ``qualified`` (interchangeable only under stated conditions) never aggregate. A cycle of
    links is resolved deterministically to the smallest member.
    """
    demand_next: dict[Hashable, Hashable] = {}
    stock_next: dict[Hashable, Hashable] = {}
    for old, new, code in links:
        if code in DEMAND_ROLLS_UP:
            demand_next[old] = new
        if code in STOCK_POOLS:
            stock_next[old] = new
    return _heads(demand_next), _heads(stock_next)


def _heads(nxt: dict[Hashable, Hashable]) -> dict[Hashable, Hashable]:
    heads: dict[Hashable, Hashable] = {}
    for start in nxt:
        path, node, seen = [], start, set()
        while node in nxt and node not in seen and node not in heads:
            seen.add(node)
            path.append(node)
            node = nxt[node]
        if node in heads:
            head = heads[node]
        elif node in seen:  # a cycle: pick its smallest member
            cycle = path[path.index(node):]
            head = min(cycle, key=str)
        else:
            head = node
        for p in path:
            heads[p] = head
    return heads
