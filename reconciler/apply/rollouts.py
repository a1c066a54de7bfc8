"""Recording rollouts in the state store, for ``status`` and the API.

The planner derives each rollout in progress from the recorded units (``plan.rollout``);
this writes what it found. A rollout that has just finished is no longer "in progress"
for the planner, so it simply stops appearing: a stored rollout still marked running
whose units all run its version (or newer) is recorded here as complete.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from reconciler.notifications import Notice, events, publish
from reconciler.plan.planning import Planned
from reconciler.plan.rollout import RolloutView
from reconciler.state import Rollout, StateStore, Wave


def save_rollouts(store: StateStore, planned: Planned) -> None:
    """Write the rollouts ``planned`` shows, and complete those that have finished."""
    now = store.now()
    for view in planned.rollouts:
        existing = store.rollout(view.id)
        rollout = Rollout(
            id=view.id,
            template=view.template,
            major=view.major,
            from_version=view.from_version,
            to_version=view.to_version,
            waves=tuple(Wave((w.name,), w.status) for w in view.waves),
            status=view.status,
            started_at=existing.started_at if existing else now,
            updated_at=now,
            message=_message(view),
        )
        with store.transaction(f"saving rollout {rollout.id}") as tx:
            tx.save_rollout(rollout)
            if rollout.status == "halted" and (existing is None or existing.status != "halted"):
                publish(tx, planned.build.specs.platform, _halted(rollout, now))
    shown = {view.id for view in planned.rollouts}
    running = [r for r in store.rollouts("running") if r.id not in shown]
    if not running:
        return
    versions = {record.id: record.version for record in store.units()}
    for rollout in running:
        units = [
            u.id
            for u in planned.build.state.units.values()
            if u.template == rollout.template
            and u.version.major == rollout.major
            and u.updates == "automatic"
            and not u.pinned
        ]
        target = _key(rollout.to_version)
        if units and all(u in versions and _key(versions[u]) >= target for u in units):
            store.save_rollout(
                replace(
                    rollout,
                    waves=tuple(replace(w, status="succeeded") for w in rollout.waves),
                    status="complete",
                    updated_at=now,
                    message="complete",
                )
            )


def _halted(rollout: Rollout, now: datetime) -> Notice:
    """``rollout.halted``: told once, when a rollout's status turns halted."""
    return events.rollout_halted(
        rollout.id,
        rollout.template,
        rollout.from_version,
        rollout.to_version,
        [(w.environments, w.status) for w in rollout.waves],
        rollout.started_at,
        now,
    )


def _message(view: RolloutView) -> str:
    failed = [w.name for w in view.waves if w.status == "failed"]
    if failed:
        return f"halted: wave {failed[0]} failed"
    running = [w.name for w in view.waves if w.status == "running"]
    return f"rolling out to {running[0]}" if running else "complete"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
