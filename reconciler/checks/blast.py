"""The blast radius of a template change: which deployed units a new version would touch.

For every template major that gains a version in the change request, each deployed unit
of that major is listed: units on ``automatic`` updates would move to it (in waves), the
others would show as outdated. Each entry carries the diff of the unit's rendered
template, from the version it runs to the new one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.desired.build import build_desired
from reconciler.desired.rendering import pending_source, render_unit
from reconciler.desired.units import Unit
from reconciler.errors import RenderError
from reconciler.plan.model import Recorded
from reconciler.render import Renderer
from reconciler.source.snapshot import Snapshot
from reconciler.templates.versions import VersionIndex

# Lines of rendered diff kept per unit; a comment must stay readable.
DIFF_LINES = 60


@dataclass(frozen=True)
class Touched:
    unit_id: str
    template: str
    from_version: str
    to_version: str
    effect: Literal["moves", "outdated"]
    diff: str

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit_id,
            "template": self.template,
            "from": self.from_version,
            "to": self.to_version,
            "effect": self.effect,
            "diff": self.diff,
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
        if new_unit is not None:
            try:
                before = render_unit(unit, old.state, renderer, outputs).body
                after = render_unit(new_unit, moved.state, renderer, outputs).body
                diff = _masked(
                    _diff(unit.id, before, after, unit.version.version, target),
                    secret_values(unit) | secret_values(new_unit),
                )
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
            )
        )
    return entries


def secret_values(unit: Unit) -> set[str]:
    """Values of inputs the bundle's schema marks as secret (OpenAPI ``format: password``)."""
    namespace = {"environment": "environment", "service": "service"}.get(unit.kind, "pipeline")
    properties = unit.bundle.input_schemas.get(namespace, {}).get("properties", {})
    return {
        str(unit.inputs[name])
        for name, schema in properties.items()
        if isinstance(schema, Mapping)
        and schema.get("format") == "password"
        and name in unit.inputs
        and str(unit.inputs[name])
    }


def _masked(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "********")
    return text


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
