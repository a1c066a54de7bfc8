"""A plan: what each unit needs, as values. Made by ``diff``, read by apply and reports.

The pure core cannot see the state store or the cloud, so it takes its own small views
of them: ``Recorded`` (what the state store knows of a unit) and ``Live`` (what
CloudFormation says now, with ``--refresh``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from reconciler.desired.rendering import RenderedUnit
from reconciler.specs.model import Account

Action = Literal["create", "adopt", "update", "delete", "noop", "blocked", "denied"]
ACTIONS: tuple[Action, ...] = ("create", "adopt", "update", "delete", "noop", "blocked", "denied")


@dataclass(frozen=True)
class Recorded:
    """What the state store remembers of a unit."""

    id: str
    kind: str
    stack_name: str
    account: str
    region: str
    template: str
    version: str
    fingerprint: str | None
    outputs: Mapping[str, str]
    updated_at: datetime | None = None
    stack_id: str | None = None
    # Set while the unit is stalled: the fingerprint that failed and why.
    stalled_fingerprint: str | None = None
    stalled_message: str = ""
    # The template version the failed attempt tried; None when not known.
    stalled_version: str | None = None
    ready: bool = True
    holds_data: bool = False


@dataclass(frozen=True)
class Live:
    """A stack as CloudFormation describes it now; ``None`` in a mapping means gone.

    ``drift``: what a drift check found differs from what was applied, when the stack is
    to be applied again from git (self-heal); ``outputs`` are then the recorded ones, so
    that dependants are not planned against what drifted.
    """

    status: str
    outputs: Mapping[str, str]
    last_updated: datetime | None = None
    drift: str | None = None


@dataclass(frozen=True)
class Existing:
    """The stack a unit's ``stackName`` names, as the cloud has it before adoption."""

    status: str
    stack_id: str
    outputs: Mapping[str, str]
    tags: Mapping[str, str]
    body: str  # GetTemplate's body, as the earlier tool (Proton) rendered it


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    type: str
    action: str  # Add | Modify | Remove | Dynamic
    replacement: str | None = None  # "True" | "False" | "Conditional"

    def to_json(self) -> dict[str, Any]:
        return {
            "logical_id": self.logical_id,
            "type": self.type,
            "action": self.action,
            "replacement": self.replacement,
        }


@dataclass(frozen=True)
class FileChange:
    """One file of a Terraform unit's folder that the plan writes (``plan.files``)."""

    path: str
    action: Literal["add", "modify", "remove"]
    diff: str = ""  # unified diff of the text, cut when long

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "action": self.action, "diff": self.diff}


@dataclass(frozen=True)
class UnitPlan:
    unit_id: str
    kind: str
    action: Action
    reason: str
    stack_name: str
    target: Account
    from_version: str | None = None
    to_version: str | None = None
    template: str | None = None
    fingerprint: str | None = None
    rendered: RenderedUnit | None = field(default=None, compare=False, repr=False)
    changes: tuple[ResourceChange, ...] = ()
    known_after_apply: tuple[str, ...] = ()  # units whose outputs this render still waits for
    retained: tuple[str, ...] = ()  # data resources kept on delete
    depends_on: tuple[str, ...] = ()
    # The recorded fingerprint this plan compared against (None: none recorded), so apply
    # can tell when another process applied the unit since.
    recorded_fingerprint: str | None = None
    # The stack an ``adopt`` takes over, as the plan read it (None: not read).
    existing: Existing | None = field(default=None, compare=False, repr=False)
    # An update that re-applies the recorded render over a drifted stack (self-heal):
    # sent even though the fingerprint did not change.
    heal: bool = False
    # Terraform units: the platform that runs them, and the files the plan writes (None:
    # the files written last are not known, so what changes in them is not either).
    platform: Literal["cloudformation", "terraform"] = "cloudformation"
    files: tuple[FileChange, ...] | None = ()

    def with_changes(self, changes: tuple[ResourceChange, ...]) -> UnitPlan:
        return replace(self, changes=changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.unit_id,
            "kind": self.kind,
            "action": self.action,
            "reason": self.reason,
            "stack_name": self.stack_name if self.platform == "cloudformation" else None,
            "account": self.target.id,
            "region": self.target.region,
            "template": self.template,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "changes": [c.to_json() for c in self.changes],
            "known_after_apply": list(self.known_after_apply),
            "retained": list(self.retained),
            "platform": self.platform,
            "files": [f.to_json() for f in self.files] if self.files is not None else None,
        }


@dataclass(frozen=True)
class Plan:
    revision: str
    units: tuple[UnitPlan, ...]
    problems: tuple[str, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(u.action for u in self.units)
        return {action: counts.get(action, 0) for action in ACTIONS}

    @property
    def has_changes(self) -> bool:
        return any(u.action in ("create", "adopt", "update", "delete") for u in self.units)

    def of(self, unit_id: str) -> UnitPlan | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "summary": self.summary,
            "units": [u.to_json() for u in self.units],
            "problems": list(self.problems),
        }
