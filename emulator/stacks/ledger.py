"""What the emulator knows about each stack beyond moto: resource states, outputs, exports.

moto keeps a stack's resources as live model objects and evaluates its outputs on every
read, which would create resources lazily while an operation is still held in flight, and
it has no per-resource status at all. The ledger records, per stack:

- every resource's type, physical id, status, reason and whether it is simulated, in the
  order the resources were created (the reverse is a safe deletion order);
- the outputs and exports captured when the last operation completed;
- the export names the stack imports (so an export in use cannot be deleted);
- the step of an operation still held in flight, and drift marks set by the admin API.

Events go to moto's own ``stack.events`` list, so ``DescribeStackEvents`` serves them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.cloudformation.models import Event, Stack
from moto.core.utils import utcnow

STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass
class ResourceState:
    """The last known state of one resource of a stack."""

    logical_id: str
    resource_type: str
    physical_id: str | None
    status: str
    reason: str | None
    timestamp: datetime
    simulated: bool = False


@dataclass
class DriftMark:
    """A resource the admin API declared changed out of band."""

    status: str
    """MODIFIED or DELETED, as DescribeStackResourceDrifts reports it."""

    differences: list[dict[str, str]]
    """PropertyDifferences entries (PropertyPath, ExpectedValue, ActualValue, DifferenceType)."""


@dataclass
class StackLedger:
    """The emulator's own record of one stack (see the module docstring)."""

    resources: dict[str, ResourceState] = field(default_factory=dict)
    managed: bool = False
    """Whether the lifecycle runs this stack (moto itself runs nested and StackSet stacks)."""
    outputs: list[dict[str, Any]] | None = None
    exports: dict[str, str] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)
    pending: Callable[[], None] | None = None
    """The held step of an operation in flight; run it to finish the operation now."""
    update: Any = None
    """The last update (``operations._Run``): what CancelUpdateStack stops and what
    ContinueUpdateRollback resumes after its rollback failed."""
    rollback_blockers: tuple[str, ...] = ()
    """Resources whose rollback failed (UPDATE_FAILED) while UPDATE_ROLLBACK_FAILED."""
    drift_marks: dict[str, DriftMark] = field(default_factory=dict)
    resource_drift: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """Logical id → (drift status, check time) from the last drift detection."""
    drift_information: dict[str, Any] | None = None
    """The stack's DriftInformation after its last detection (None: never checked)."""
    properties: dict[str, Any] = field(default_factory=dict)
    """Logical id → the resource's properties as last applied, intrinsics resolved; an
    update compares create-only properties against them to decide on a replacement."""


_LEDGERS: weakref.WeakKeyDictionary[Stack, StackLedger] = weakref.WeakKeyDictionary()


def ledger_of(stack: Stack) -> StackLedger:
    """The ledger of a moto stack, created on first use."""
    ledger = _LEDGERS.get(stack)
    if ledger is None:
        ledger = StackLedger()
        _LEDGERS[stack] = ledger
    return ledger


def _append(stack: Stack, event: Event) -> None:
    event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    stack.events.append(event)


def set_stack_status(stack: Stack, status: str, reason: str | None = None) -> None:
    """Move a stack to a status, with the stack event CloudFormation writes for it."""
    stack.status = status
    # moto's Stack has no such field; its serializer reads it as StackStatusReason.
    setattr(stack, "stack_status_reason", reason)  # noqa: B010
    _append(
        stack,
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=stack.name,
            physical_resource_id=stack.stack_id,
            resource_type=STACK_TYPE,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        ),
    )


def record_resource(
    stack: Stack,
    logical_id: str,
    resource_type: str,
    physical_id: str | None,
    status: str,
    reason: str | None = None,
    simulated: bool | None = None,
    remember: bool = True,
) -> None:
    """Write a resource event and (unless ``remember`` is False) the resource's new state.

    Cleaning up the old copy of a replaced resource writes events only: the logical id
    already stands for the new copy.
    """
    if not remember:
        _append(stack, _event(stack, logical_id, resource_type, physical_id, status, reason))
        return
    ledger = ledger_of(stack)
    state = ledger.resources.get(logical_id)
    if state is None:
        state = ResourceState(logical_id, resource_type, physical_id, status, reason, utcnow())
        ledger.resources[logical_id] = state
    state.resource_type = resource_type
    state.physical_id = physical_id if physical_id is not None else state.physical_id
    state.status = status
    state.reason = reason
    state.timestamp = utcnow()
    if simulated is not None:
        state.simulated = simulated
    _append(stack, _event(stack, logical_id, resource_type, state.physical_id, status, reason))


def _event(
    stack: Stack,
    logical_id: str,
    resource_type: str,
    physical_id: str | None,
    status: str,
    reason: str | None,
) -> Event:
    return Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=physical_id,  # type: ignore[arg-type]  # None: not created yet
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )


def forget_resource(stack: Stack, logical_id: str) -> None:
    """Drop a resource an update removed: CloudFormation no longer lists it."""
    ledger = ledger_of(stack)
    ledger.resources.pop(logical_id, None)
    ledger.properties.pop(logical_id, None)
