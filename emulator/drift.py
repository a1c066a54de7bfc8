"""Drift detection, small: IN_SYNC unless the admin API says a resource changed.

moto has no drift API. The emulator cannot observe a real out-of-band change, so a test or
the demo declares one (``POST /_goldenpath/drift``), and the CloudFormation drift actions
report it: ``DetectStackDrift``, ``DescribeStackDriftDetectionStatus``,
``DescribeStackResourceDrifts`` and ``DetectStackResourceDrift``. Updating the resource
through the stack clears the mark, as re-applying the template would in AWS.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from emulator.stacks.ledger import DriftMark, ResourceState, ledger_of

IN_SYNC = "IN_SYNC"
DRIFT_STATUSES = ("MODIFIED", "DELETED")
LIVE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")

# Detection id → the DescribeStackDriftDetectionStatus answer (detection is instantaneous).
_DETECTIONS: dict[str, dict[str, Any]] = {}


def mark_drift(stack: Any, logical_id: str, status: str, differences: list[dict[str, str]]) -> None:
    """Declare a resource changed out of band; raises ValueError when that cannot be."""
    if status not in DRIFT_STATUSES:
        raise ValueError(f"status: expected one of {', '.join(DRIFT_STATUSES)}, got {status!r}")
    state = ledger_of(stack).resources.get(logical_id)
    if state is None or state.status not in LIVE:
        raise ValueError(f"stack {stack.name} has no live resource {logical_id!r}")
    ledger_of(stack).drift_marks[logical_id] = DriftMark(status, differences)


def drift_marks(stack: Any) -> dict[str, dict[str, Any]]:
    return {
        logical_id: {"status": mark.status, "differences": mark.differences}
        for logical_id, mark in ledger_of(stack).drift_marks.items()
    }


def _live(stack: Any) -> list[ResourceState]:
    return [state for state in ledger_of(stack).resources.values() if state.status in LIVE]


def _check(stack: Any, state: ResourceState) -> str:
    mark = ledger_of(stack).drift_marks.get(state.logical_id)
    status = mark.status if mark is not None else IN_SYNC
    ledger_of(stack).resource_drift[state.logical_id] = (status, utcnow())
    return status


def _resource_drift(stack: Any, state: ResourceState) -> dict[str, Any]:
    ledger = ledger_of(stack)
    status, checked = ledger.resource_drift.get(state.logical_id, (IN_SYNC, utcnow()))
    template = (stack.template_dict.get("Resources") or {}).get(state.logical_id) or {}
    expected = template.get("Properties") or {}
    mark = ledger.drift_marks.get(state.logical_id)
    differences = [
        {"DifferenceType": "NOT_EQUAL", **difference}
        for difference in (mark.differences if mark else [])
    ]
    entry: dict[str, Any] = {
        "StackId": stack.stack_id,
        "LogicalResourceId": state.logical_id,
        "PhysicalResourceId": state.physical_id,
        "ResourceType": state.resource_type,
        "ExpectedProperties": json.dumps(expected, sort_keys=True, default=str),
        "PropertyDifferences": differences,
        "StackResourceDriftStatus": status,
        "Timestamp": checked,
    }
    if status != "DELETED":
        entry["ActualProperties"] = entry["ExpectedProperties"]
    return entry


def _detectable(stack: Any) -> None:
    if stack.status.endswith("_IN_PROGRESS"):
        raise ValidationError(
            message=f"Drift detection is not supported for stack {stack.name} in {stack.status}"
        )


def detect_stack_drift(self: Any) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    _detectable(stack)
    wanted = self._get_param("LogicalResourceIds") or None
    drifted = sum(
        1
        for state in _live(stack)
        if (wanted is None or state.logical_id in wanted) and _check(stack, state) != IN_SYNC
    )
    detection_id = str(uuid.uuid4())
    now = utcnow()
    ledger_of(stack).drift_information = {
        "StackDriftStatus": "DRIFTED" if drifted else IN_SYNC,
        "LastCheckTimestamp": now,
    }
    _DETECTIONS[detection_id] = {
        "StackId": stack.stack_id,
        "StackDriftDetectionId": detection_id,
        "StackDriftStatus": "DRIFTED" if drifted else IN_SYNC,
        "DetectionStatus": "DETECTION_COMPLETE",
        "DriftedStackResourceCount": drifted,
        "Timestamp": now,
    }
    return ActionResult({"StackDriftDetectionId": detection_id})


def describe_stack_drift_detection_status(self: Any) -> ActionResult:
    detection_id = self._get_param("StackDriftDetectionId")
    if detection_id not in _DETECTIONS:
        raise ValidationError(message=f"Drift detection [{detection_id}] does not exist")
    return ActionResult(_DETECTIONS[detection_id])


def describe_stack_resource_drifts(self: Any) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    wanted = set(self._get_param("StackResourceDriftStatusFilters") or [])
    ledger = ledger_of(stack)
    drifts = [
        _resource_drift(stack, state)
        for state in _live(stack)
        if state.logical_id in ledger.resource_drift
    ]
    if wanted:
        drifts = [drift for drift in drifts if drift["StackResourceDriftStatus"] in wanted]
    return ActionResult({"StackResourceDrifts": drifts})


def detect_stack_resource_drift(self: Any) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    _detectable(stack)
    logical_id = self._get_param("LogicalResourceId")
    state = next((s for s in _live(stack) if s.logical_id == logical_id), None)
    if state is None:
        raise ValidationError(
            message=f"Resource {logical_id} does not exist for stack {stack.name}"
        )
    _check(stack, state)
    return ActionResult({"StackResourceDrift": _resource_drift(stack, state)})


ACTIONS = {
    "detect_stack_drift": detect_stack_drift,
    "describe_stack_drift_detection_status": describe_stack_drift_detection_status,
    "describe_stack_resource_drifts": describe_stack_resource_drifts,
    "detect_stack_resource_drift": detect_stack_resource_drift,
}
