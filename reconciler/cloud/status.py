"""What a CloudFormation stack status means for Goldenpath: still moving, done, or failed.

CloudFormation has two dozen statuses, and some read like success but are failures
(``ROLLBACK_COMPLETE`` is a create that failed and was rolled back;
``UPDATE_ROLLBACK_COMPLETE`` is an update that failed). This module is the one place that
knows which is which, plus how to explain a failure from the stack's events. It is pure:
no I/O, no boto3.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.cloud.model import StackEvent


class Phase(enum.Enum):
    """Where a stack operation stands."""

    IN_PROGRESS = "in_progress"  # CloudFormation is still working; poll again
    SUCCEEDED = "succeeded"  # the last create, update or import completed
    FAILED = "failed"  # the last operation failed (possibly rolled back)
    DELETED = "deleted"  # the stack is gone


_PHASES: dict[str, Phase] = {
    "CREATE_IN_PROGRESS": Phase.IN_PROGRESS,
    "CREATE_COMPLETE": Phase.SUCCEEDED,
    "CREATE_FAILED": Phase.FAILED,
    "ROLLBACK_IN_PROGRESS": Phase.IN_PROGRESS,
    "ROLLBACK_COMPLETE": Phase.FAILED,
    "ROLLBACK_FAILED": Phase.FAILED,
    "UPDATE_IN_PROGRESS": Phase.IN_PROGRESS,
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": Phase.IN_PROGRESS,
    "UPDATE_COMPLETE": Phase.SUCCEEDED,
    "UPDATE_FAILED": Phase.FAILED,
    "UPDATE_ROLLBACK_IN_PROGRESS": Phase.IN_PROGRESS,
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": Phase.IN_PROGRESS,
    "UPDATE_ROLLBACK_COMPLETE": Phase.FAILED,
    "UPDATE_ROLLBACK_FAILED": Phase.FAILED,
    "DELETE_IN_PROGRESS": Phase.IN_PROGRESS,
    "DELETE_COMPLETE": Phase.DELETED,
    "DELETE_FAILED": Phase.FAILED,
    "IMPORT_IN_PROGRESS": Phase.IN_PROGRESS,
    "IMPORT_COMPLETE": Phase.SUCCEEDED,
    "IMPORT_ROLLBACK_IN_PROGRESS": Phase.IN_PROGRESS,
    "IMPORT_ROLLBACK_COMPLETE": Phase.FAILED,
    "IMPORT_ROLLBACK_FAILED": Phase.FAILED,
    # A stack made by a CREATE change set that was never executed: it will not move on
    # its own and holds no resources, so waiting for it would never end.
    "REVIEW_IN_PROGRESS": Phase.FAILED,
}

# Stacks in these statuses cannot be updated, only deleted and created again.
_RECREATE_ONLY = frozenset(
    {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "REVIEW_IN_PROGRESS"}
)

# A stack-level event with one of these statuses starts an operation; the failure we
# explain is the first one after the most recent start.
_OPERATION_STARTS = frozenset(
    {"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "IMPORT_IN_PROGRESS"}
)

# CloudFormation marks the resources it gave up on after the real failure with this
# reason; they are consequences, never the cause.
_CONSEQUENTIAL_REASONS = ("Resource creation cancelled", "Resource update cancelled")


def phase(status: str) -> Phase:
    """Classify a stack status. Unknown statuses are read by their suffix, as AWS names them.

    >>> phase("UPDATE_ROLLBACK_COMPLETE")
    <Phase.FAILED: 'failed'>
    """
    known = _PHASES.get(status)
    if known is not None:
        return known
    if status.endswith("_IN_PROGRESS"):
        return Phase.IN_PROGRESS
    if status.endswith("_FAILED"):
        return Phase.FAILED
    raise ValueError(f"unknown CloudFormation stack status {status!r}")


def is_terminal(status: str) -> bool:
    """True when CloudFormation will not change the stack further without a new request."""
    return phase(status) is not Phase.IN_PROGRESS


def must_recreate(status: str) -> bool:
    """True when the stack exists but can only be deleted, never updated.

    A create that failed leaves such a stack behind: the next attempt must delete it first.
    """
    return status in _RECREATE_ONLY


def failure_message(events: Sequence[StackEvent], status_reason: str | None = None) -> str:
    """Explain a failed stack operation from its events, newest first as AWS lists them.

    Names the first resource that failed in the most recent operation, its type and
    CloudFormation's reason. Falls back to the stack's own status reason, then to a
    generic message, when no resource failed (for example a template validation error).
    """
    current: list[StackEvent] = []
    for event in events:
        current.append(event)
        if event.is_stack and event.status in _OPERATION_STARTS:
            break
    for event in reversed(current):  # oldest first: the first failure is the cause
        if event.is_stack or not event.status.endswith("_FAILED"):
            continue
        reason = event.reason or "no reason given"
        if any(reason.startswith(c) for c in _CONSEQUENTIAL_REASONS):
            continue
        return f"{event.logical_id} ({event.resource_type}) {event.status}: {reason}"
    if status_reason:
        return status_reason
    for event in current:
        if event.is_stack and event.reason and event.status not in _OPERATION_STARTS:
            return event.reason
    return "the stack operation failed; CloudFormation gave no reason"
