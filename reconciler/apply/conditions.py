"""Ready is derived: each step reports a narrow outcome, one function sets the conditions.

No step sets Ready, Reconciling, Stalled or Drifted by hand (Flux's summarize pattern). An
outcome says what happened to a unit in this reconcile, or what a drift check found;
``summarize`` turns it into the conditions, each with a reason and a message.

- An apply's outcome sets Ready, Reconciling and Stalled. ``applied`` also clears Drifted:
  the stack was just made from git. Other outcomes leave Drifted as the last check left it
  (an apply that found nothing to do never looked at the live stack).
- A drift check's outcome (``drifted``, ``in_sync``) sets Drifted and leaves the apply's
  conditions alone, except that a deleted stack is not Ready (``StackDeleted``) until it
  is back.
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
    "drifted",  # a drift check found the live stack differs from what was applied
    "in_sync",  # a drift check found the live stack as it was applied
]
# Outcomes that need a commit to change before anything is tried again.
STALLING = {"failed", "invalid", "denied"}
# Outcomes of a drift check rather than of an apply.
DRIFT_CHECKS = {"drifted", "in_sync"}
# The Ready reason of a unit whose stack a drift check found deleted.
STACK_DELETED = "StackDeleted"


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str
    message: str = ""


def summarize(record: UnitRecord, outcome: Outcome, now: datetime) -> UnitRecord:
    """``record`` with its conditions set from ``outcome``."""
    if outcome.kind in DRIFT_CHECKS:
        return _drift_checked(record, outcome, now)
    if outcome.kind == "unchanged" and _found_deleted(record):
        return record  # the apply did not look at the live stack; the check did
    ready = outcome.kind in ("applied", "unchanged")
    reconciling = outcome.kind in ("in_progress", "retrying", "blocked")
    stalled = outcome.kind in STALLING
    message = outcome.message or outcome.reason
    flags: tuple[tuple[ConditionType, bool], ...] = (
        ("Ready", ready),
        ("Reconciling", reconciling),
        ("Stalled", stalled),
    )
    if outcome.kind == "applied" and record.condition("Drifted") is not None:
        flags += (("Drifted", False),)
    return _set(record, flags, outcome.reason, message, now)


def _drift_checked(record: UnitRecord, outcome: Outcome, now: datetime) -> UnitRecord:
    drifted = outcome.kind == "drifted"
    message = outcome.message or outcome.reason
    record = _set(record, (("Drifted", drifted),), outcome.reason, message, now)
    ready = record.condition("Ready")
    if drifted and outcome.reason == STACK_DELETED:
        return _set(record, (("Ready", False),), outcome.reason, message, now)
    if not drifted and ready is not None and ready.reason == STACK_DELETED:
        return _set(record, (("Ready", True),), "InSync", "the stack is back in line", now)
    return record


def _found_deleted(record: UnitRecord) -> bool:
    ready, drifted = record.condition("Ready"), record.condition("Drifted")
    return (
        ready is not None
        and ready.reason == STACK_DELETED
        and drifted is not None
        and drifted.status
    )


def _set(
    record: UnitRecord,
    flags: tuple[tuple[ConditionType, bool], ...],
    reason: str,
    message: str,
    now: datetime,
) -> UnitRecord:
    for type_, status in flags:
        shown = status or type_ == "Ready"
        record = record.with_condition(
            Condition(
                type=type_,
                status=status,
                reason=reason if shown else "",
                message=message if shown else "",
                since=now,
            )
        )
    return record
