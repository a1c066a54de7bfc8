"""The one interface the engine uses to talk to CloudFormation.

It speaks in stacks and targets. ``AwsCloud`` implements it with boto3 (for AWS and any
endpoint, the emulator included); ``FaultyCloud`` wraps any implementation to inject
failures in engine tests. Every method raises only ``reconciler.errors`` types:
``Waiting`` subclasses (throttled, unreachable, timed out) mean "try again later";
``CloudError`` means the cloud refused or failed the request.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from reconciler.cloud.model import (
    ChangeSetPreview,
    DriftDetection,
    ResourceDrift,
    StackEvent,
    StackRef,
    StackRequest,
    StackState,
    Target,
    UpdateOutcome,
)
from reconciler.cloud.waiting import ProgressCallback


class Cloud(Protocol):
    """Stacks in accounts: describe, list, read, detect drift, create, preview, update,
    delete, watch, and unstick (cancel an update, continue a failed rollback)."""

    def describe(self, target: Target, names: Collection[str]) -> dict[str, StackState]:
        """The current state of the named stacks that exist; absent names do not exist.

        Batched: pages through DescribeStacks of the whole target (100 stacks a page)
        rather than asking stack by stack.
        """
        ...

    def stacks(self, target: Target, prefix: str = "") -> dict[str, StackState]:
        """Every live stack of the target whose name starts with ``prefix``, by name.

        Read-only; pages through DescribeStacks (100 stacks a page). Used to find stacks
        another tool left (Proton's ``AWSProton-*``).
        """
        ...

    def template(self, target: Target, name: str) -> str:
        """The stack's template body as it was deployed (GetTemplate, stage Original).

        Raises ``CloudRejected`` whose ``is_missing_stack`` is true when there is no such
        stack.
        """
        ...

    def detect_drift(self, target: Target, name: str) -> str:
        """Start CloudFormation's drift detection on the stack (DetectStackDrift); return the
        detection id. Raises ``CloudRejected`` while the stack is in an ``*_IN_PROGRESS``
        status, and whose ``is_missing_stack`` is true when there is no such stack.
        """
        ...

    def drift_detection(self, target: Target, detection_id: str) -> DriftDetection:
        """Where a detection started by ``detect_drift`` stands (one call, no waiting)."""
        ...

    def resource_drifts(self, target: Target, name: str) -> tuple[ResourceDrift, ...]:
        """The stack's resources the last detection found ``MODIFIED`` or ``DELETED``."""
        ...

    def create(self, target: Target, stack: StackRequest, token: str) -> str:
        """Start creating ``stack``; return its stack id. ``token`` makes a retry idempotent.

        Rolls back on failure; termination protection stays off.
        """
        ...

    def preview_update(
        self, target: Target, stack: StackRequest, change_set_name: str
    ) -> ChangeSetPreview:
        """What updating the existing stack to ``stack`` would change, per resource.

        Uses a change set that is always deleted again, also when something fails.
        """
        ...

    def update(self, target: Target, stack: StackRequest, token: str) -> UpdateOutcome:
        """Start updating the stack: ``Updated``, or ``NoChange`` when there is nothing to do."""
        ...

    def delete(self, target: Target, name: str, token: str, retain: Collection[str] = ()) -> None:
        """Start deleting the stack. Deleting a stack that does not exist succeeds.

        ``retain`` lists logical ids to keep; CloudFormation accepts it only for a stack
        in DELETE_FAILED (data to keep on a first delete belongs in DeletionPolicy).
        """
        ...

    def cancel_update(self, target: Target, name: str, token: str) -> None:
        """Cancel the stack's update in progress (CancelUpdateStack); it then rolls back.

        CloudFormation accepts it only in UPDATE_IN_PROGRESS; otherwise ``CloudRejected``.
        """
        ...

    def continue_update_rollback(
        self, target: Target, name: str, token: str, skip: Collection[str] = ()
    ) -> None:
        """Resume a failed rollback (ContinueUpdateRollback) of a stack in
        UPDATE_ROLLBACK_FAILED, leaving the resources in ``skip`` (logical ids) as they are.
        """
        ...

    def events(self, target: Target, name: str, limit: int = 100) -> tuple[StackEvent, ...]:
        """The stack's most recent events, newest first, at most ``limit``."""
        ...

    def wait(
        self, stacks: Collection[StackRef], progress: ProgressCallback | None = None
    ) -> dict[StackRef, StackState | None]:
        """Poll until every stack is terminal; the final state of each (``None``: gone).

        Polls in batches, one describe per target per poll. Raises ``WaitTimedOut`` with
        the last states seen when the configured deadline passes.
        """
        ...
