"""The blast radius of a template change: which deployed units a new version would touch.

For every template major that gains a version in the change request, each deployed unit
of that major is listed: units on ``automatic`` updates would move to it (in waves), the
others would show as outdated. Each entry carries the diff of the unit's rendered
template, from the version it runs to the new one, and what that does to its resources:
which are removed, added, modified, and replaced (a logical id whose type changes, which
CloudFormation refuses to update in place). A platform team that swaps how a template is
implemented (Fargate for App Runner) sees, per instance, exactly what goes and what comes.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.desired.build import Build, build_desired
from reconciler.desired.rendering import pending_source, render_unit
from reconciler.desired.secrets import masked, secret_values
from reconciler.desired.template_body import BodyError, load_body
from reconciler.errors import RenderError
from reconciler.plan.model import Recorded
from reconciler.render import Renderer
from reconciler.source.snapshot import Snapshot
from reconciler.templates.versions import VersionIndex

# Lines of rendered diff kept per unit; a comment must stay readable.
DIFF_LINES = 60


ResourceAction = Literal["remove", "add", "modify", "replace"]


@dataclass(frozen=True)
class ResourceDelta:
    """What a new version does to one resource of a unit's stack."""

    logical_id: str
    type: str  # the type after (for "remove": before; for "replace": "old → new")
    action: ResourceAction

    def to_json(self) -> dict[str, str]:
        return {"logical_id": self.logical_id, "type": self.type, "action": self.action}


@dataclass(frozen=True)
class Touched:
    unit_id: str
    template: str
    from_version: str
    to_version: str
    effect: Literal["moves", "outdated"]
    diff: str
    resources: tuple[ResourceDelta, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit_id,
            "template": self.template,
            "from": self.from_version,
            "to": self.to_version,
            "effect": self.effect,
            "diff": self.diff,
            "resources": [r.to_json() for r in self.resources],
        }


def new_versions(head: VersionIndex, base: VersionIndex) -> dict[tuple[str, int], str]:
    """(template, major) → the newest version the head has and the base does not."""
    found = {}
    for name in head.names():
        for major in head.majors(name):
            known = {v.version for v in base.of(name, major)}
            newest = head.of(name, major)[-1]
            if newest.version not in known:
                found[(name, major)] = newest.version
    return found


def blast_radius(
    head: Snapshot,
    base_versions: VersionIndex,
    recorded: Mapping[str, Recorded],
    renderer: Renderer,
) -> list[Touched]:
    changed = new_versions(head.versions, base_versions)
    if not changed:
        return []
    in_use = {uid: r.version for uid, r in recorded.items()}
    old = build_desired(head, in_use=in_use)
    touched = [
        u
        for u in old.state.units.values()
        if (u.template, u.version.major) in changed and u.id in recorded
    ]
    if not touched:
        return []
    moved = build_desired(
        head, in_use={k: v for k, v in in_use.items() if k not in {u.id for u in touched}}
    )
    outputs = pending_source({uid: r.outputs for uid, r in recorded.items()})
    entries = []
    for unit in sorted(touched, key=lambda u: u.id):
        target = changed[(unit.template, unit.version.major)]
        automatic = unit.updates == "automatic" and not unit.pinned
        new_unit = moved.state.units.get(unit.id)
        diff = ""
        resources: tuple[ResourceDelta, ...] = ()
        if new_unit is not None:
            try:
                before = render_unit(unit, old.state, renderer, outputs).body
                after = render_unit(new_unit, moved.state, renderer, outputs).body
                diff = masked(
                    _diff(unit.id, before, after, unit.version.version, target),
                    secret_values(unit) | secret_values(new_unit),
                )
                resources = resource_deltas(before, after)
            except RenderError as exc:
                diff = f"(cannot render: {exc})"
        entries.append(
            Touched(
                unit.id,
                unit.template,
                recorded[unit.id].version,
                target,
                "moves" if automatic else "outdated",
                diff,
                resources,
            )
        )
    return entries


def update_radius(
    before: Build,
    after: Build,
    unit_ids: Sequence[str],
    recorded: Mapping[str, Recorded],
    renderer: Renderer,
) -> list[Touched]:
    """What moving ``unit_ids`` from ``before`` (the tracked head) to ``after`` (the head
    with an update pull request's spec edits) does to each: render diff and resources."""
    outputs = pending_source({uid: r.outputs for uid, r in recorded.items()})
    entries = []
    for unit_id in sorted(unit_ids):
        old, new = before.state.units.get(unit_id), after.state.units.get(unit_id)
        if old is None or new is None:
            continue
        diff = ""
        resources: tuple[ResourceDelta, ...] = ()
        try:
            body_before = render_unit(old, before.state, renderer, outputs).body
            body_after = render_unit(new, after.state, renderer, outputs).body
            diff = masked(
                _diff(unit_id, body_before, body_after, old.version.version, new.version.version),
                secret_values(old) | secret_values(new),
            )
            resources = resource_deltas(body_before, body_after)
        except RenderError as exc:
            diff = f"(cannot render: {exc})"
        entries.append(
            Touched(
                unit_id,
                old.template,
                old.version.version,
                new.version.version,
                "moves",
                diff,
                resources,
            )
        )
    return entries


def resource_deltas(before: str, after: str) -> tuple[ResourceDelta, ...]:
    """The resources ``after`` removes, adds, replaces or modifies against ``before``.

    Read from the rendered bodies alone (a pull request's check has no cloud): a resource
    whose properties change is "modify", though CloudFormation may still replace it.
    Empty when either body does not parse (the diff still shows what changed).
    """
    try:
        old, new = _resources(before), _resources(after)
    except BodyError:
        return ()
    deltas = []
    for logical_id in sorted(old.keys() | new.keys()):
        was, now = old.get(logical_id), new.get(logical_id)
        if now is None:
            deltas.append(ResourceDelta(logical_id, _type(was), "remove"))
        elif was is None:
            deltas.append(ResourceDelta(logical_id, _type(now), "add"))
        elif _type(was) != _type(now):
            deltas.append(ResourceDelta(logical_id, f"{_type(was)} → {_type(now)}", "replace"))
        elif was != now:
            deltas.append(ResourceDelta(logical_id, _type(now), "modify"))
    order = {"remove": 0, "replace": 1, "add": 2, "modify": 3}
    return tuple(sorted(deltas, key=lambda d: (order[d.action], d.logical_id)))


def _resources(body: str) -> dict[str, Any]:
    data = load_body(body)
    resources = data.get("Resources") if isinstance(data, dict) else None
    return dict(resources) if isinstance(resources, dict) else {}


def _type(resource: Any) -> str:
    return str(resource.get("Type", "?")) if isinstance(resource, Mapping) else "?"


def _diff(unit_id: str, before: str, after: str, old: str, new: str) -> str:
    lines = list(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            f"{unit_id}@{old}",
            f"{unit_id}@{new}",
            lineterm="",
            n=2,
        )
    )
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"… {len(lines) - DIFF_LINES} more lines"]
    return "\n".join(lines)
