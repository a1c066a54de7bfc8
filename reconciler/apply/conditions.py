"""Ready is derived: each step reports a narrow outcome, one function sets the conditions.

No step sets Ready, Reconciling or Stalled by hand (Flux's summarize pattern). An outcome
says what happened to a unit in this reconcile; ``summarize`` turns it into the three
conditions, each with a reason and a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from reconciler.state import Condition, ConditionType, UnitRecord

OutcomeKind = Literal[
    "applied",  # the stack reached the desired state
    "unchanged",  # nothing to do: already in the desired state
    "in_progress",  # an operation is under way
    "failed",  # CloudFormation failed the operation: needs a new commit
    "invalid",  # lint, render or schema error: needs a new commit
    "denied",  # a policy forbids it
    "blocked",  # a dependency is not ready
    "retrying",  # throttled, unreachable or leased elsewhere: try again later
]
# Outcomes that need a commit to change before anything is tried again.
STALLING = {"failed", "invalid", "denied"}


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str
    message: str = ""


def summarize(record: UnitRecord, outcome: Outcome, now: datetime) -> UnitRecord:
    """``record`` with Ready, Reconciling and Stalled set from ``outcome``."""
    ready = outcome.kind in ("applied", "unchanged")
    reconciling = outcome.kind in ("in_progress", "retrying", "blocked")
    stalled = outcome.kind in STALLING
    message = outcome.message or outcome.reason
    flags: tuple[tuple[ConditionType, bool], ...] = (
        ("Ready", ready),
        ("Reconciling", reconciling),
        ("Stalled", stalled),
    )
    for type_, status in flags:
        shown = status or type_ == "Ready"
        record = record.with_condition(
            Condition(
                type=type_,
                status=status,
                reason=outcome.reason if shown else "",
                message=message if shown else "",
                since=now,
            )
        )
    return record
