"""The cloud edge's drift calls against the emulator over HTTP, and faults on them."""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.cloud import AwsCloud, Fault, FaultyCloud, StackRequest, Target
from reconciler.errors import CloudThrottled
from tests.drift.conftest import DETECTION_SLACK, INTERVAL, MakeWorld, fresh_accounts
from tests.engine.aws import Aws
from tests.engine.conftest import emulator_cloud

WEB = "service/web/test"
BODY = json.dumps(
    {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "a"}},
            "Queue": {"Type": "AWS::SQS::Queue"},
        }
    }
)


@pytest.fixture
def stack(aws: Aws) -> tuple[AwsCloud, Target]:
    account = fresh_accounts().test
    target = Target(account, "us-west-2", f"arn:aws:iam::{account}:role/goldenpath-deployer")
    cloud = emulator_cloud(aws.url)
    cloud.create(target, StackRequest("drifting", BODY), "create-drifting")
    cloud.wait([_ref(target)])
    return cloud, target


def _ref(target: Target) -> object:
    from reconciler.cloud import StackRef

    return StackRef(target, "drifting")


def test_an_untouched_stack_is_detected_in_sync(stack: tuple[AwsCloud, Target]) -> None:
    cloud, target = stack

    detection = cloud.drift_detection(target, cloud.detect_drift(target, "drifting"))

    assert detection.finished and detection.status == "DETECTION_COMPLETE"
    assert (detection.stack_drift_status, detection.drifted_resources) == ("IN_SYNC", 0)
    assert cloud.resource_drifts(target, "drifting") == ()


def test_a_resource_changed_out_of_band_is_read_with_its_differences(
    stack: tuple[AwsCloud, Target], aws: Aws
) -> None:
    cloud, target = stack
    difference = {"PropertyPath": "/DisplayName", "ExpectedValue": "a", "ActualValue": "b"}
    answer = httpx.post(
        f"{aws.url}/_goldenpath/drift",
        json={
            "stackName": "drifting",
            "account": target.account_id,
            "logicalResourceId": "Topic",
            "differences": [difference],
        },
    )
    assert answer.status_code == 201, answer.text

    detection = cloud.drift_detection(target, cloud.detect_drift(target, "drifting"))
    (drift,) = cloud.resource_drifts(target, "drifting")

    assert (detection.stack_drift_status, detection.drifted_resources) == ("DRIFTED", 1)
    assert (drift.logical_id, drift.type, drift.status) == ("Topic", "AWS::SNS::Topic", "MODIFIED")
    assert [(d.path, d.expected, d.actual) for d in drift.differences] == [
        ("/DisplayName", "a", "b")
    ]


def test_calls_are_counted_per_account(stack: tuple[AwsCloud, Target]) -> None:
    cloud, target = stack
    before = cloud.api_calls_of(target.account_id)

    cloud.drift_detection(target, cloud.detect_drift(target, "drifting"))

    assert cloud.api_calls_of(target.account_id) - before == 2
    assert cloud.api_calls_of("999999999999") == 0


def test_a_check_the_cloud_throttles_is_tried_again_at_the_next_slot(world: MakeWorld) -> None:
    faults = [Fault("template", "throttle", times=3)]
    made = world("{interval: 10m}", wrap=lambda cloud: FaultyCloud(cloud, faults))
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")

    made.run(INTERVAL + DETECTION_SLACK)
    assert made.store.drift(WEB) is None  # the throttled check said nothing
    made.run(INTERVAL)

    assert isinstance(made.cloud, FaultyCloud)
    # Three units, twice; a throttled call may be sent once more by the edge's own retry.
    assert made.cloud.calls_to("template") >= 6
    finding = made.store.drift(WEB)
    assert finding is not None and finding.reason == "TemplateChanged"


def test_a_detection_that_cannot_be_read_leaves_what_the_first_calls_saw(
    world: MakeWorld,
) -> None:
    faults = [Fault("drift_detection", "throttle", times=3)]
    made = world("{interval: 10m}", wrap=lambda cloud: FaultyCloud(cloud, faults))
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")

    made.run(INTERVAL + DETECTION_SLACK)

    finding = made.store.drift(WEB)
    assert finding is not None and finding.reason == "TemplateChanged"
    assert "resources not checked" in finding.message


def test_faulty_cloud_fails_drift_calls_on_request(stack: tuple[AwsCloud, Target]) -> None:
    cloud, target = stack
    faulty = FaultyCloud(cloud, [Fault("resource_drifts", "throttle")])

    with pytest.raises(CloudThrottled):
        faulty.resource_drifts(target, "drifting")
    assert faulty.resource_drifts(target, "drifting") == ()


def test_an_unread_detection_does_not_close_a_resource_drift(world: MakeWorld) -> None:
    made = world("{interval: 10m}")
    made.declare_drift(WEB, "Queue")
    made.run(INTERVAL + DETECTION_SLACK)
    assert made.store.drift(WEB) is not None
    made.watch.check.cloud = FaultyCloud(
        made.watch.check.cloud, [Fault("drift_detection", times=9)]
    )

    made.run(INTERVAL)

    finding = made.store.drift(WEB)
    assert finding is not None and finding.reason == "ResourcesDrifted"
    drifted = made.condition(WEB, "Drifted")
    assert drifted is not None and drifted.status
