"""Guardrails over a plan: a unit whose body the policies deny is ``denied``, never applied.

The plan is made first (every unit rendered with the outputs known now), then each body
about to be created, adopted, updated or kept is judged by the guardrails in one pass
(cached results read in one batch). A denied unit gets action ``denied`` with the first
denial as its reason; one the policies could not be evaluated for (they do not compile,
a rule failed) is ``blocked``, failing closed. Units that wait for the outputs of a unit
held back this way are blocked too, as ``diff`` blocks the dependants of a denied unit.

Adoption is judged like any other body: a denied body is not adopted, with or without
changes, since adopting makes the stack Goldenpath's to keep in that shape.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.guardrails import Guardrails, Verdict
from reconciler.plan.model import Plan, UnitPlan

# The actions whose rendered body would be (or stay) deployed: the ones guardrails judge.
GUARDED = ("create", "adopt", "update", "noop")


def guard_plan(plan: Plan, guard: Guardrails) -> tuple[Plan, dict[str, Verdict]]:
    """``plan`` with denied units marked, and every verdict by unit id."""
    judged = [u.rendered for u in plan.units if u.action in GUARDED and u.rendered is not None]
    guard.prefetch(judged)
    verdicts: dict[str, Verdict] = {}
    held: list[str] = []  # held back, with no outputs for their dependants
    units: list[UnitPlan] = []
    for item in plan.units:
        rendered = item.rendered
        if item.action in GUARDED and rendered is not None:
            waiting = [d for d in item.depends_on if d in held]
            if waiting:
                why = f"waits for {', '.join(waiting)}, which cannot be applied"
                item = _with(item, "blocked", why)
            else:
                verdict = guard.check(rendered)
                verdicts[item.unit_id] = verdict
                if verdict.failed:
                    item = _with(item, "blocked", verdict.reason())
                elif verdict.denied:
                    item = _with(item, "denied", verdict.reason())
        if item.action in ("blocked", "denied") and item.recorded_fingerprint is None:
            held.append(item.unit_id)
        units.append(item)
    return Plan(plan.revision, tuple(units), plan.problems), verdicts


def _with(item: UnitPlan, action: str, reason: str) -> UnitPlan:
    return replace(item, action=action, reason=reason)  # type: ignore[arg-type]
