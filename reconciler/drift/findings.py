"""What counts as drift, and what self-heal may do about it: pure decisions.

A drift check observes a unit's stack (``Observation``) and ``judge`` says whether, and
how, it differs from what Goldenpath applied:

- the stack is gone (``StackDeleted``);
- its template is not the applied render (``TemplateChanged``: GetTemplate, parsed as
  CloudFormation reads it, against the recorded render);
- CloudFormation's drift detection found resources changed or deleted outside
  CloudFormation (``ResourcesDrifted``);
- its outputs are not the recorded ones (``OutputsChanged``).

``heal_decision`` then says whether the stack is applied again from git. It never is for
a data template unless ``spec.drift.heal`` names the unit by id, never to re-create a
deleted data stack or an adopted one (``stackName``: never created), and not where
re-applying cannot help: CloudFormation answers an unchanged template with "No updates
are to be performed", which leaves drifted resources and outputs as they are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.template_body import BodyError, load_body
from reconciler.plan.adoption import Comparison, compare, describe_changes
from reconciler.specs.model import DriftSettings

# Resource types CloudFormation's drift detection cannot look into (reported NOT_CHECKED).
UNDETECTABLE_TYPES = frozenset(
    {
        "AWS::CloudFormation::CustomResource",
        "AWS::CloudFormation::WaitCondition",
        "AWS::CloudFormation::WaitConditionHandle",
        "AWS::CloudFormation::Macro",
    }
)
# How many drifted resources a message names before it says "and N more".
NAMED_IN_MESSAGE = 3


@dataclass(frozen=True)
class DriftedResource:
    """A resource the drift detection found changed (MODIFIED) or gone (DELETED)."""

    logical_id: str
    type: str
    status: str
    differences: tuple[str, ...] = ()  # property paths that differ, e.g. /DisplayName


@dataclass(frozen=True)
class Observation:
    """One unit's stack as a drift check saw it, beside what was applied."""

    unit_id: str
    stack_name: str
    exists: bool
    status: str = ""  # the stack's status, when it exists
    template: Comparison | None = None  # None: not compared
    outputs: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    resources: tuple[DriftedResource, ...] = ()
    detection_note: str = ""  # why resources were not (fully) checked, when they were not
    # False when the resources could not be checked this time (the detection failed, timed
    # out or was throttled): finding nothing then does not mean "in sync".
    complete: bool = True


@dataclass(frozen=True)
class Finding:
    """How a unit's stack differs from what was applied: reason, words, details."""

    unit_id: str
    reason: str  # StackDeleted | TemplateChanged | ResourcesDrifted | OutputsChanged
    message: str
    details: Mapping[str, Any]
    signature: str  # the same drift seen again has the same signature

    @property
    def deleted(self) -> bool:
        return self.reason == "StackDeleted"

    @property
    def template_changed(self) -> bool:
        return "template" in self.details


def judge(seen: Observation) -> Finding | None:
    """The drift in ``seen``, or None when the stack is as it was applied."""
    if not seen.exists:
        details: dict[str, Any] = {"stack": seen.stack_name, "deleted": True}
        message = f"stack {seen.stack_name} was deleted outside Goldenpath"
        return _finding(seen.unit_id, "StackDeleted", message, details)
    details = {"stack": seen.stack_name}
    parts: list[tuple[str, str]] = []
    template = seen.template
    if template is not None and not template.same:
        changed = template.error or describe_changes(template.changes, template.sections)
        details["template"] = {
            "changes": [c.to_json() for c in template.changes],
            "sections": list(template.sections),
            "error": template.error,
        }
        parts.append(("TemplateChanged", f"template changed outside Goldenpath: {changed}"))
    if seen.resources:
        details["resources"] = [
            {
                "logical_id": r.logical_id,
                "type": r.type,
                "status": r.status,
                "differences": list(r.differences),
            }
            for r in seen.resources
        ]
        parts.append(("ResourcesDrifted", f"resources drifted: {_resources(seen.resources)}"))
    if seen.outputs:
        details["outputs"] = {
            name: {"recorded": before, "live": after}
            for name, (before, after) in sorted(seen.outputs.items())
        }
        parts.append(("OutputsChanged", f"outputs changed: {', '.join(sorted(seen.outputs))}"))
    if not parts:
        return None
    return _finding(seen.unit_id, parts[0][0], "; ".join(p for _r, p in parts), details)


def heal_decision(
    finding: Finding,
    settings: DriftSettings,
    *,
    holds_data: bool,
    adopted: bool,
) -> tuple[bool, str]:
    """Whether to apply the drifted stack again from git, and what to say either way."""
    unit_id = finding.unit_id
    if finding.deleted and holds_data:
        return False, (
            "a data template's stack is never created again by drift healing: its data "
            "resources were retained; restore the stack, or apply deliberately"
        )
    if finding.deleted and adopted:
        return False, (
            "an adopted stack (stackName) is never created again; restore it, or remove "
            "stackName to let Goldenpath create a stack of its own"
        )
    if not settings.heals(unit_id, holds_data=holds_data):
        if holds_data and settings.heals(unit_id, holds_data=False):
            return False, (
                "a data template's unit is healed only when spec.drift.heal names it by id"
            )
        return False, "not healed: spec.drift.heal does not cover this unit"
    if not finding.deleted and not finding.template_changed:
        return False, (
            "not healed: re-applying an unchanged template cannot correct this "
            "(CloudFormation: no updates are to be performed); put it back by hand, or "
            "commit a change that updates these resources"
        )
    return True, "healing: applied again from git"


def outputs_changed(
    recorded: Mapping[str, str], live: Mapping[str, str]
) -> dict[str, tuple[str | None, str | None]]:
    """Outputs whose live value is not the recorded one: name → (recorded, live)."""
    return {
        name: (recorded.get(name), live.get(name))
        for name in set(recorded) | set(live)
        if recorded.get(name) != live.get(name)
    }


def compare_template(live_body: str, applied_body: str) -> Comparison:
    """The live template against the applied render (formatting and key order aside)."""
    return compare(live_body, applied_body)


def detectable(applied_body: str) -> bool:
    """Whether CloudFormation's drift detection can look at any resource of the stack."""
    try:
        data = load_body(applied_body)
    except BodyError:
        return True  # CloudFormation took it; let its detection say what it can check
    resources = data.get("Resources") if isinstance(data, Mapping) else None
    if not isinstance(resources, Mapping):
        return False
    types = {str(r.get("Type", "")) for r in resources.values() if isinstance(r, Mapping)}
    return any(t not in UNDETECTABLE_TYPES and not t.startswith("Custom::") for t in types)


def _resources(resources: tuple[DriftedResource, ...]) -> str:
    named = [
        f"{r.logical_id} ({r.type}) {r.status}"
        + (f" {', '.join(r.differences)}" if r.differences else "")
        for r in resources[:NAMED_IN_MESSAGE]
    ]
    more = len(resources) - NAMED_IN_MESSAGE
    return ", ".join(named) + (f" and {more} more" if more > 0 else "")


def _finding(unit_id: str, reason: str, message: str, details: dict[str, Any]) -> Finding:
    text = json.dumps(details, sort_keys=True, separators=(",", ":"), default=str)
    signature = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Finding(unit_id, reason, message, details, signature)
