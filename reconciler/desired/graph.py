"""Dependency order of units, and the binding cycles that make an order impossible.

Environments come before their instances, a binding's target before the instance that
binds it, and instances before their pipeline. The order is deterministic (ties break by
unit id), so plans and applies read the same way every time.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from reconciler.desired.units import Unit
from reconciler.errors import Problem


def order_units(units: Mapping[str, Unit]) -> tuple[list[str], list[Problem]]:
    """Unit ids, dependencies first; and a problem for each cycle (its units left out)."""
    waiting = {uid: {d for d in u.depends_on if d in units} for uid, u in units.items()}
    dependants: dict[str, list[str]] = {uid: [] for uid in units}
    for uid, deps in waiting.items():
        for dep in deps:
            dependants[dep].append(uid)
    ready = [uid for uid, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        uid = heapq.heappop(ready)
        order.append(uid)
        for child in dependants[uid]:
            waiting[child].discard(uid)
            if not waiting[child]:
                heapq.heappush(ready, child)
    placed = set(order)
    stuck = {uid for uid in units if uid not in placed}
    return order, _cycle_problems(units, stuck)


def _cycle_problems(units: Mapping[str, Unit], stuck: set[str]) -> list[Problem]:
    problems = []
    reported: set[str] = set()
    for start in sorted(stuck):
        if start in reported:
            continue
        cycle = _find_cycle(units, start, stuck)
        if not cycle:
            continue
        reported.update(cycle)
        unit = units[cycle[0]]
        path = " → ".join([*cycle, cycle[0]])
        problems.append(
            Problem(
                unit.origin.file,
                unit.origin.line,
                "bindings",
                f"bindings form a cycle: {path}; a service cannot depend on "
                "itself through its bindings",
            )
        )
    return problems


def _find_cycle(units: Mapping[str, Unit], start: str, stuck: set[str]) -> list[str]:
    path: list[str] = []
    seen: dict[str, int] = {}
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        nxt = sorted(d for d in units[node].depends_on if d in stuck)
        if not nxt:
            return []
        node = nxt[0]
    return path[seen[node] :]
