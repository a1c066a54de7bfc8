"""CloudFormation's request and response shapes, turned into and out of model values.

Only this module knows CloudFormation's field names (``StackStatus``, ``OutputKey``,
``ResourceChange.Replacement`` ...). The functions are pure: boto3 has already parsed
the XML into dicts, with timestamps as datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast, get_args

from reconciler.cloud.model import (
    ChangeAction,
    DetectionStatus,
    DriftDetection,
    PropertyDifference,
    Replacement,
    ResourceChange,
    ResourceDrift,
    ResourceDriftStatus,
    StackEvent,
    StackRequest,
    StackState,
)
from reconciler.errors import CloudError

_CHANGE_ACTIONS = frozenset(get_args(ChangeAction))
_DETECTION_STATUSES = frozenset(get_args(DetectionStatus))
_RESOURCE_DRIFT_STATUSES = frozenset(get_args(ResourceDriftStatus))
_REPLACEMENTS = frozenset(get_args(Replacement))


def stack_params(stack: StackRequest) -> dict[str, Any]:
    """The CreateStack/UpdateStack/CreateChangeSet parameters that describe ``stack``."""
    params: dict[str, Any] = {
        "StackName": stack.name,
        "TemplateBody": stack.body,
        "Parameters": [
            {"ParameterKey": key, "ParameterValue": value}
            for key, value in sorted(stack.parameters.items())
        ],
        "Capabilities": list(stack.capabilities),
    }
    if stack.service_role is not None:
        params["RoleARN"] = stack.service_role
    # An omitted Tags keeps the stack's tags on update; send them only when we have some.
    if stack.tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(stack.tags.items())]
    return params


def stack_state(raw: Mapping[str, Any]) -> StackState:
    """A StackState from one entry of DescribeStacks' ``Stacks``."""
    last: datetime = raw.get("LastUpdatedTime") or raw["CreationTime"]
    return StackState(
        name=raw["StackName"],
        stack_id=raw["StackId"],
        status=raw["StackStatus"],
        status_reason=raw.get("StackStatusReason"),
        outputs=_pairs(raw.get("Outputs", ()), "OutputKey", "OutputValue"),
        tags=_pairs(raw.get("Tags", ()), "Key", "Value"),
        parameters=_pairs(raw.get("Parameters", ()), "ParameterKey", "ParameterValue"),
        last_updated=last,
    )


def stack_event(raw: Mapping[str, Any]) -> StackEvent:
    """A StackEvent from one entry of DescribeStackEvents' ``StackEvents``."""
    return StackEvent(
        event_id=raw["EventId"],
        stack_name=raw["StackName"],
        logical_id=raw.get("LogicalResourceId", ""),
        physical_id=raw.get("PhysicalResourceId") or None,
        resource_type=raw.get("ResourceType", ""),
        status=raw.get("ResourceStatus", ""),
        reason=raw.get("ResourceStatusReason") or None,
        timestamp=raw["Timestamp"],
    )


def resource_changes(changes: list[Mapping[str, Any]], stack: str) -> list[ResourceChange]:
    """The resource changes of a change set's ``Changes`` (other change types are skipped)."""
    found = []
    for change in changes:
        if change.get("Type") != "Resource":
            continue
        raw = change["ResourceChange"]
        action = raw.get("Action")
        if action not in _CHANGE_ACTIONS:
            raise CloudError(
                f"change set of {stack}: resource {raw.get('LogicalResourceId')} has action "
                f"{action!r}; expected one of {sorted(_CHANGE_ACTIONS)}"
            )
        replacement = raw.get("Replacement")
        found.append(
            ResourceChange(
                logical_id=raw["LogicalResourceId"],
                type=raw.get("ResourceType", ""),
                action=action,
                replacement=replacement if replacement in _REPLACEMENTS else None,
                physical_id=raw.get("PhysicalResourceId") or None,
            )
        )
    return found


def drift_detection(raw: Mapping[str, Any]) -> DriftDetection:
    """A DriftDetection from DescribeStackDriftDetectionStatus's answer."""
    status = raw.get("DetectionStatus")
    if status not in _DETECTION_STATUSES:
        raise CloudError(
            f"drift detection {raw.get('StackDriftDetectionId')}: DetectionStatus {status!r}; "
            f"expected one of {sorted(_DETECTION_STATUSES)}"
        )
    return DriftDetection(
        detection_id=raw["StackDriftDetectionId"],
        status=cast(DetectionStatus, status),
        stack_drift_status=raw.get("StackDriftStatus", "UNKNOWN"),
        drifted_resources=int(raw.get("DriftedStackResourceCount") or 0),
        reason=raw.get("DetectionStatusReason") or None,
    )


def resource_drift(raw: Mapping[str, Any]) -> ResourceDrift:
    """A ResourceDrift from one entry of DescribeStackResourceDrifts' ``StackResourceDrifts``."""
    status = raw.get("StackResourceDriftStatus")
    return ResourceDrift(
        logical_id=raw["LogicalResourceId"],
        type=raw.get("ResourceType", ""),
        status=cast(
            ResourceDriftStatus, status if status in _RESOURCE_DRIFT_STATUSES else "UNKNOWN"
        ),
        physical_id=raw.get("PhysicalResourceId") or None,
        differences=tuple(
            PropertyDifference(
                path=d.get("PropertyPath", ""),
                expected=d.get("ExpectedValue"),
                actual=d.get("ActualValue"),
                kind=d.get("DifferenceType", "NOT_EQUAL"),
            )
            for d in raw.get("PropertyDifferences", ())
        ),
    )


def _pairs(items: Any, key: str, value: str) -> dict[str, str]:
    return {item[key]: item.get(value, "") for item in items}
