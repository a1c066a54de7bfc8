"""One planning pass over a snapshot: versions in use, rollouts, then the plan.

Units keep the version they run (``manual`` updates, and ``automatic`` ones whose wave
has not come); the units of a rollout's current wave move to the new minor. The desired
state is built a second time only when a rollout moves something.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from reconciler.desired.build import Build, build_desired
from reconciler.desired.incremental import build_reusing
from reconciler.desired.render_memo import RenderMemo
from reconciler.desired.units import Unit
from reconciler.guardrails import Guardrails, GuardrailSettings, Verdict
from reconciler.plan.diff import make_plan
from reconciler.plan.files import WrittenFiles
from reconciler.plan.guarded import guard_plan
from reconciler.plan.model import Existing, Live, Plan, Recorded
from reconciler.plan.rollout import RolloutView, plan_rollouts
from reconciler.render import Renderer
from reconciler.source.snapshot import Snapshot
from reconciler.specs.memo import ContentMemo

# Reads the stacks that units to adopt name: unit id → the stack, or None when missing.
LookUp = Callable[[Sequence[Unit]], Mapping[str, Existing | None]]


@dataclass(frozen=True)
class Planned:
    build: Build
    plan: Plan
    rollouts: tuple[RolloutView, ...]
    # What the guardrails said of each unit they judged, and the guardrails themselves
    # (apply's gate judges the bodies it deploys with the same, cached, policies).
    verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    guard: Guardrails | None = field(default=None, compare=False, repr=False)


def plan_snapshot(
    snapshot: Snapshot,
    recorded: Mapping[str, Recorded],
    *,
    renderer: Renderer,
    live: Mapping[str, Live | None] | None = None,
    memo: ContentMemo | None = None,
    renders: RenderMemo | None = None,
    look_up: LookUp | None = None,
    guardrails: GuardrailSettings | None = None,
    written: WrittenFiles | None = None,
) -> Planned:
    """The plan of ``snapshot`` against ``recorded``.

    A long-running process passes the ``memo`` and ``renders`` it keeps between plans:
    spec files, services, the last build and units' renders are then reused where their
    inputs did not change. ``look_up`` reads the stacks of units to adopt (a plan
    without it, as a pull request's, adopts without having seen them). ``written``: the
    files last written for a Terraform unit's fingerprint (its file-level diff).
    """
    in_use = {uid: r.version for uid, r in recorded.items()}
    if memo is not None:
        build = build_reusing(snapshot, memo, in_use=in_use).build
        memo.end_run()
    else:
        build = build_desired(snapshot, in_use=in_use)
    # Whether a recorded stack holds data is a platform setting, read at this revision.
    data = set(build.specs.platform.data_templates)
    recorded = {
        uid: replace(r, holds_data=True) if r.template in data and not r.holds_data else r
        for uid, r in recorded.items()
    }
    rollouts = plan_rollouts(build, recorded, build.specs.platform.rollout_order)
    moving = set().union(*(r.moving for r in rollouts)) if rollouts else set()
    if moving:
        build = build_desired(snapshot, in_use={k: v for k, v in in_use.items() if k not in moving})
    existing = None
    if look_up is not None:
        existing = look_up(adoptable(build, recorded))
    plan = make_plan(
        build.state,
        recorded,
        renderer=renderer,
        prune=build.specs.platform.prune,
        live=live,
        renders=renders,
        existing=existing,
        written=written,
    )
    guard = guardrails.of_repo(snapshot.files, build.specs.platform) if guardrails else None
    verdicts: dict[str, Verdict] = {}
    if guard is not None:
        plan, verdicts = guard_plan(plan, guard)
    problems = [str(p) for p in build.errors]
    if guard is not None and guard.failure is not None:
        problems += [str(p) for p in guard.problems if p.severity == "error"]
    if problems:
        plan = Plan(plan.revision, plan.units, tuple(problems))
    return Planned(build, plan, tuple(rollouts), verdicts, guard)


def adoptable(build: Build, recorded: Mapping[str, Recorded]) -> list[Unit]:
    """Units that name a stack and were never applied: their stacks are to be adopted."""
    found = []
    for unit in build.state.units.values():
        record = recorded.get(unit.id)
        if unit.external and (record is None or record.fingerprint is None):
            found.append(unit)
    return found
