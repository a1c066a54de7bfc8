"""Automatic minor updates roll out in waves, in the environment order of goldenpath.yaml.

For each template major with units on ``updates: automatic`` that run an older minor than
the newest usable one, the units are grouped into waves by environment (units in
environments not listed, then pipelines, come last). The first wave not yet done moves
to the new version; a later wave waits until every unit of the waves before it runs the
new version. A wave with a unit that failed to move to the new version halts the rollout:
nothing after it moves until a newer minor (the fix) starts a rollout of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.desired.build import Build
from reconciler.desired.units import Unit
from reconciler.plan.model import Recorded

WaveStatus = Literal["pending", "running", "succeeded", "failed"]
RolloutStatus = Literal["running", "halted", "complete"]
PIPELINES_WAVE = "(pipelines)"


@dataclass(frozen=True)
class WaveView:
    name: str
    units: tuple[str, ...]
    status: WaveStatus

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "units": list(self.units), "status": self.status}


@dataclass(frozen=True)
class RolloutView:
    template: str
    major: int
    from_version: str
    to_version: str
    waves: tuple[WaveView, ...]
    status: RolloutStatus
    moving: frozenset[str]

    @property
    def id(self) -> str:
        return f"{self.template}:{self.to_version}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template": self.template,
            "major": self.major,
            "to_version": self.to_version,
            "status": self.status,
            "waves": [w.to_json() for w in self.waves],
            "moving": sorted(self.moving),
        }


def plan_rollouts(
    build: Build, recorded: Mapping[str, Recorded], order: Sequence[str]
) -> list[RolloutView]:
    """Every rollout in progress, and which units move in this reconcile."""
    groups: dict[tuple[str, int], list[Unit]] = {}
    for unit in build.state.units.values():
        if unit.updates == "automatic" and not unit.pinned and unit.id in recorded:
            groups.setdefault((unit.template, unit.version.major), []).append(unit)
    rollouts = []
    for (template, major), units in sorted(groups.items()):
        usable = build.catalog.usable(template, major)
        if not usable:
            continue
        target = usable[-1].version
        if all(recorded[u.id].version == target for u in units):
            continue
        rollouts.append(_rollout(template, major, target, units, recorded, order))
    return rollouts


def _rollout(
    template: str,
    major: int,
    target: str,
    units: list[Unit],
    recorded: Mapping[str, Recorded],
    order: Sequence[str],
) -> RolloutView:
    waves: list[WaveView] = []
    moving: set[str] = set()
    status: RolloutStatus = "complete"
    blocked = False
    for name, members in _waves(units, order):
        done = all(recorded[u.id].version == target and recorded[u.id].ready for u in members)
        # Only a failure at this target halts it: a newer minor may be the fix.
        failed = any(_failed_at(recorded[u.id], target) for u in members)
        ids = tuple(u.id for u in members)
        if blocked:
            waves.append(WaveView(name, ids, "pending"))
        elif failed:
            waves.append(WaveView(name, ids, "failed"))
            status, blocked = "halted", True
        elif done:
            waves.append(WaveView(name, ids, "succeeded"))
        else:
            waves.append(WaveView(name, ids, "running"))
            moving.update(u.id for u in members if recorded[u.id].version != target)
            status, blocked = "running", True
    oldest = min(
        (recorded[u.id].version for u in units), key=lambda v: tuple(int(p) for p in v.split("."))
    )
    return RolloutView(template, major, oldest, target, tuple(waves), status, frozenset(moving))


def _failed_at(record: Recorded, target: str) -> bool:
    if record.stalled_fingerprint is None:
        return False
    return record.stalled_version is None or record.stalled_version == target


def _waves(units: list[Unit], order: Sequence[str]) -> list[tuple[str, list[Unit]]]:
    by_env: dict[str, list[Unit]] = {}
    for unit in sorted(units, key=lambda u: u.id):
        by_env.setdefault(unit.environment or PIPELINES_WAVE, []).append(unit)
    names = [e for e in order if e in by_env]
    names += sorted(e for e in by_env if e not in names and e != PIPELINES_WAVE)
    if PIPELINES_WAVE in by_env:
        names.append(PIPELINES_WAVE)
    return [(name, by_env[name]) for name in names]
