"""Drift detection: IN_SYNC, until the admin API declares a resource changed out of band."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from emulator.server import EmbeddedEmulator
from tests.emulator.probes import admin, stack_of, template

Names = Callable[[str], str]


def _body(label: str) -> str:
    return template(
        {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": label}},
            "Queue": {"Type": "AWS::SQS::Queue"},
        }
    )


def _detect(cfn: Any, name: str) -> dict[str, Any]:
    detection = cfn.detect_stack_drift(StackName=name)["StackDriftDetectionId"]
    status: dict[str, Any] = cfn.describe_stack_drift_detection_status(
        StackDriftDetectionId=detection
    )
    return status


def test_untouched_stack_is_in_sync(cfn: Any, names: Names) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=_body("a"))
    assert stack_of(cfn, name)["DriftInformation"]["StackDriftStatus"] == "NOT_CHECKED"
    status = _detect(cfn, name)
    assert (status["DetectionStatus"], status["StackDriftStatus"]) == (
        "DETECTION_COMPLETE",
        "IN_SYNC",
    )
    assert status["DriftedStackResourceCount"] == 0
    assert stack_of(cfn, name)["DriftInformation"]["StackDriftStatus"] == "IN_SYNC"


def test_resource_marked_changed_out_of_band_is_reported_modified(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=_body("a"))
    difference = {
        "PropertyPath": "/DisplayName",
        "ExpectedValue": "a",
        "ActualValue": "hand-edited",
    }
    marked = admin(cloud, "POST", "drift", json={
        "stackName": name, "logicalResourceId": "Topic", "differences": [difference],
    })  # fmt: skip
    assert marked.status_code == 201, marked.text
    status = _detect(cfn, name)
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("DRIFTED", 1)
    drifts = cfn.describe_stack_resource_drifts(StackName=name)["StackResourceDrifts"]
    by_id = {drift["LogicalResourceId"]: drift for drift in drifts}
    assert by_id["Queue"]["StackResourceDriftStatus"] == "IN_SYNC"
    topic = by_id["Topic"]
    assert topic["StackResourceDriftStatus"] == "MODIFIED"
    assert topic["PropertyDifferences"] == [{**difference, "DifferenceType": "NOT_EQUAL"}]
    assert json.loads(topic["ExpectedProperties"]) == {"DisplayName": "a"}
    only_modified = cfn.describe_stack_resource_drifts(
        StackName=name, StackResourceDriftStatusFilters=["MODIFIED"]
    )["StackResourceDrifts"]
    assert [drift["LogicalResourceId"] for drift in only_modified] == ["Topic"]
    described = cfn.describe_stack_resources(StackName=name, LogicalResourceId="Topic")
    assert (
        described["StackResources"][0]["DriftInformation"]["StackResourceDriftStatus"] == "MODIFIED"
    )


def test_updating_the_drifted_resource_puts_it_back_in_sync(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=_body("a"))
    admin(cloud, "POST", "drift", json={"stackName": name, "logicalResourceId": "Topic"})
    cfn.update_stack(StackName=name, TemplateBody=_body("b"))
    assert _detect(cfn, name)["StackDriftStatus"] == "IN_SYNC"


def test_drift_marks_are_refused_for_unknown_stacks_and_resources(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=_body("a"))
    missing_stack = admin(
        cloud, "POST", "drift", json={"stackName": names("none"), "logicalResourceId": "X"}
    )
    assert missing_stack.status_code == 404
    assert "no stack named" in missing_stack.json()["error"]
    missing_resource = admin(
        cloud, "POST", "drift", json={"stackName": name, "logicalResourceId": "X"}
    )
    assert missing_resource.status_code == 400
    assert "no live resource 'X'" in missing_resource.json()["error"]
    bad_status = admin(cloud, "POST", "drift", json={
        "stackName": name, "logicalResourceId": "Topic", "status": "GONE",
    })  # fmt: skip
    assert bad_status.status_code == 400
    assert "MODIFIED, DELETED" in bad_status.json()["error"]


def test_single_resource_drift_detection(cloud: EmbeddedEmulator, cfn: Any, names: Names) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=_body("a"))
    admin(
        cloud,
        "POST",
        "drift",
        json={"stackName": name, "logicalResourceId": "Queue", "status": "DELETED"},
    )
    drift = cfn.detect_stack_resource_drift(StackName=name, LogicalResourceId="Queue")[
        "StackResourceDrift"
    ]
    assert drift["StackResourceDriftStatus"] == "DELETED"
    assert "ActualProperties" not in drift
