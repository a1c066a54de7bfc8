"""Adopting a stack that a unit's ``stackName`` names: what taking it over would do.

Proton is gone, but the stacks it deployed still run, with data in them. A unit that names
such a stack is never created: the stack is taken over in place. Whether that is safe is
decided here, from the stack as the cloud has it (``Existing``) and the unit's render:

- the stack is missing: blocked (a typo must not build a second VPC);
- its status allows no update (``UPDATE_ROLLBACK_FAILED`` …): blocked, saying what to do;
- the live body parses to the render: adopted with no update call;
- otherwise adopted with an update, unless a resource would be removed or replaced
  (CloudFormation's change set says which; without one, removals are seen by comparing
  the parsed bodies, and replacements stay unknown until a plan with credentials).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.desired.template_body import BodyError, load_body
from reconciler.plan.model import ResourceChange, UnitPlan

# Statuses from which CloudFormation accepts an UpdateStack.
UPDATABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)

_NEVER_CREATED = (
    "the stack never finished creating and holds nothing to keep: delete it, then give "
    "the unit no stackName so that Goldenpath creates its own stack"
)
# What to do about a stack in a status that allows no update.
_ADVICE = {
    "UPDATE_ROLLBACK_FAILED": (
        "continue the rollback first (aws cloudformation continue-update-rollback "
        "--stack-name {name}, with --resources-to-skip for resources that cannot roll "
        "back), then apply again"
    ),
    "IMPORT_ROLLBACK_FAILED": (
        "continue the rollback first (aws cloudformation continue-update-rollback "
        "--stack-name {name}), then apply again"
    ),
    "ROLLBACK_COMPLETE": _NEVER_CREATED,
    "ROLLBACK_FAILED": _NEVER_CREATED,
    "CREATE_FAILED": _NEVER_CREATED,
    "DELETE_FAILED": (
        "a delete of the stack failed: finish or give up the delete in CloudFormation "
        "before Goldenpath can take the stack over"
    ),
    "REVIEW_IN_PROGRESS": (
        "the stack was made by a change set that was never executed: execute or delete "
        "that change set first"
    ),
}


def status_problem(name: str, status: str) -> str | None:
    """Why a stack in ``status`` cannot be adopted now, with what to do; None if it can."""
    if status in UPDATABLE:
        return None
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        return (
            f"stack {name} is {status}: another operation is at work on it; "
            "Goldenpath adopts it once that operation has finished"
        )
    advice = _ADVICE.get(status, "bring it to a *_COMPLETE status first")
    return f"stack {name} is {status}, which allows no update: {advice.format(name=name)}"


def not_found(name: str, account: str, region: str) -> str:
    return (
        f"stack {name} not found in {account}/{region}; a stackName names an existing "
        "stack to adopt, and Goldenpath never creates a stack under that name: check the "
        "name, the account and the region"
    )


@dataclass(frozen=True)
class Comparison:
    """The live body against the render, parsed: equal, or what differs per resource."""

    same: bool
    changes: tuple[ResourceChange, ...] = ()
    # Sections other than Resources that differ (Outputs, Conditions, …).
    sections: tuple[str, ...] = ()
    error: str | None = None  # the live body does not parse


def compare(live_body: str, rendered_body: str) -> Comparison:
    """Compare two bodies as CloudFormation reads them: formatting and key order aside."""
    try:
        live = load_body(live_body)
    except BodyError as exc:
        return Comparison(False, error=f"the live template does not parse: {exc}")
    rendered = load_body(rendered_body)
    if not isinstance(live, dict) or not isinstance(rendered, dict):
        return Comparison(False, error="the live template is not a mapping")
    if live == rendered:
        return Comparison(True)
    changes = tuple(_resource_changes(_resources(live), _resources(rendered)))
    keys = (set(live) | set(rendered)) - {"Resources"}
    sections = tuple(sorted(str(k) for k in keys if live.get(k) != rendered.get(k)))
    return Comparison(False, changes, sections)


def blocking(changes: Iterable[ResourceChange]) -> tuple[ResourceChange, ...]:
    """Changes adoption must never make: a resource removed, or possibly replaced."""
    return tuple(
        c for c in changes if c.action == "Remove" or c.replacement in ("True", "Conditional")
    )


def describe_blocking(changes: Iterable[ResourceChange], *, holds_data: bool) -> str:
    listed = ", ".join(
        f"{c.logical_id} ({c.type}, {'removed' if c.action == 'Remove' else 'replaced'}"
        + (", if a condition holds" if c.replacement == "Conditional" else "")
        + ")"
        for c in changes
    )
    data = " A data template's resources are never replaced." if holds_data else ""
    return (
        f"adopting would remove or replace {listed}.{data} Change the inputs (or the "
        "template version) until the render matches the live stack"
    )


def describe_changes(changes: tuple[ResourceChange, ...], sections: tuple[str, ...]) -> str:
    parts = []
    by_action: dict[str, list[str]] = {}
    for c in changes:
        by_action.setdefault(c.action, []).append(c.logical_id)
    for action, ids in sorted(by_action.items()):
        parts.append(f"{action.lower()} {', '.join(sorted(ids))}")
    if sections:
        parts.append(f"{', '.join(sections)} changed")
    return "; ".join(parts) or "the template changes"


def previewed_adoption(item: UnitPlan, *, holds_data: bool) -> UnitPlan:
    """An ``adopt`` whose changes now come from a change set: blocked where it replaces."""
    stopping = blocking(item.changes)
    if stopping:
        return replace(
            item, action="blocked", reason=describe_blocking(stopping, holds_data=holds_data)
        )
    if not item.changes:
        return replace(item, reason="adopt, no changes")
    reason = f"adopt, then update in place: {describe_changes(item.changes, ())}"
    return replace(item, reason=reason)


def kept_tags(live: Mapping[str, str], ours: Mapping[str, str], prefix: str) -> dict[str, str]:
    """The tags an update of an adopted stack sends: the stack's own ones, then ours.

    UpdateStack replaces the whole tag set, so the old tags (Proton's ``proton:*``) are
    sent again; reserved ``aws:`` keys never are (CloudFormation refuses them), and our
    own ``prefix`` tags are the current ones, not the stale.
    """
    kept = {k: v for k, v in live.items() if not k.startswith("aws:") and not k.startswith(prefix)}
    return {**kept, **ours}


def _resources(template: Mapping[str, Any]) -> Mapping[str, Any]:
    found = template.get("Resources")
    return found if isinstance(found, Mapping) else {}


def _resource_changes(
    live: Mapping[str, Any], rendered: Mapping[str, Any]
) -> Iterable[ResourceChange]:
    for logical_id in sorted(set(live) | set(rendered), key=str):
        before, after = live.get(logical_id), rendered.get(logical_id)
        if before == after:
            continue
        kind = _type(after if after is not None else before)
        if before is None:
            yield ResourceChange(str(logical_id), kind, "Add")
        elif after is None:
            yield ResourceChange(str(logical_id), kind, "Remove")
        elif _type(before) != _type(after):
            # A resource whose type changes is a new resource under the old name.
            yield ResourceChange(str(logical_id), kind, "Modify", "True")
        else:
            # Whether a modification replaces the resource only a change set can tell.
            yield ResourceChange(str(logical_id), kind, "Modify")


def _type(resource: Any) -> str:
    if isinstance(resource, Mapping):
        return str(resource.get("Type", "?"))
    return "?"


__all__ = [
    "UPDATABLE",
    "Comparison",
    "blocking",
    "compare",
    "describe_blocking",
    "describe_changes",
    "kept_tags",
    "not_found",
    "previewed_adoption",
    "status_problem",
]
