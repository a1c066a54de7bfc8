"""Injected failures take stacks through CloudFormation's real failure states and events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from emulator.server import EmbeddedEmulator
from tests.emulator.conftest import Client
from tests.emulator.probes import (
    add_fault,
    admin,
    outputs_of,
    resource_events,
    stack_of,
    statuses_seen,
    template,
)

Names = Callable[[str], str]

TOPIC_THEN_QUEUE = template(
    {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Queue": {"Type": "AWS::SQS::Queue", "DependsOn": "Topic"},
    },
    {"TopicArn": {"Value": {"Ref": "Topic"}}},
)


def _topics(client: Client, account: str) -> list[str]:
    return [topic["TopicArn"] for topic in client("sns", account).list_topics()["Topics"]]


def test_failed_create_rolls_back_through_real_states(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    add_fault(cloud, kind="fail", operation="create", resourceType="AWS::SQS::Queue",
              message="queue quota exceeded")  # fmt: skip
    cfn = client("cloudformation", account)
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=TOPIC_THEN_QUEUE)
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Outputs" not in stack
    assert statuses_seen(cfn, name) == [
        "CREATE_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_COMPLETE",
    ]
    [reason] = [
        event["ResourceStatusReason"]
        for event in cfn.describe_stack_events(StackName=name)["StackEvents"]
        if event["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"
    ]
    assert reason == (
        "The following resource(s) failed to create: [Queue]. Rollback requested by user."
    )
    queue = [status for status, _ in resource_events(cfn, name, "Queue")]
    assert queue == ["CREATE_IN_PROGRESS", "CREATE_FAILED", "DELETE_COMPLETE"]
    failed_reason = resource_events(cfn, name, "Queue")[1][1] or ""
    assert failed_reason.startswith('Resource handler returned message: "queue quota exceeded"')
    topic = [status for status, _ in resource_events(cfn, name, "Topic")]
    assert topic == [
        "CREATE_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_COMPLETE",
    ]
    assert _topics(client, account) == []


def test_rolled_back_stack_cannot_be_updated_only_deleted(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    add_fault(cloud, kind="fail", operation="create", stackName=name)
    cfn.create_stack(StackName=name, TemplateBody=TOPIC_THEN_QUEUE)
    stack_id = stack_of(cfn, name)["StackId"]
    with pytest.raises(cfn.exceptions.ClientError, match="ROLLBACK_COMPLETE state and can not"):
        cfn.update_stack(StackName=name, TemplateBody=TOPIC_THEN_QUEUE)
    cfn.delete_stack(StackName=name)
    assert stack_of(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"


def test_on_failure_delete_deletes_the_failed_stack(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    add_fault(
        cloud, kind="fail", operation="create", stackName=name, resourceType="AWS::SQS::Queue"
    )
    stack_id = cfn.create_stack(StackName=name, TemplateBody=TOPIC_THEN_QUEUE, OnFailure="DELETE")[
        "StackId"
    ]
    assert stack_of(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert statuses_seen(cfn, stack_id) == [
        "CREATE_IN_PROGRESS",
        "DELETE_IN_PROGRESS",
        "DELETE_COMPLETE",
    ]
    with pytest.raises(cfn.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=name)


@pytest.mark.parametrize(
    "how", [{"OnFailure": "DO_NOTHING"}, {"DisableRollback": True}], ids=["do-nothing", "disable"]
)
def test_failed_create_without_rollback_keeps_what_was_created(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names, how: dict[str, Any]
) -> None:
    name = names("app")
    add_fault(
        cloud, kind="fail", operation="create", stackName=name, resourceType="AWS::SQS::Queue"
    )
    cfn = client("cloudformation", account)
    cfn.create_stack(StackName=name, TemplateBody=TOPIC_THEN_QUEUE, **how)
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to create: [Queue]. "
    assert statuses_seen(cfn, name) == ["CREATE_IN_PROGRESS", "CREATE_FAILED"]
    resources = {
        r["LogicalResourceId"]: r["ResourceStatus"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    assert resources == {"Topic": "CREATE_COMPLETE", "Queue": "CREATE_FAILED"}
    assert len(_topics(client, account)) == 1


def test_on_failure_and_disable_rollback_together_are_refused(cfn: Any, names: Names) -> None:
    with pytest.raises(cfn.exceptions.ClientError, match="OnFailure and DisableRollback"):
        cfn.create_stack(
            StackName=names("app"),
            TemplateBody=TOPIC_THEN_QUEUE,
            OnFailure="DELETE",
            DisableRollback=True,
        )


def _topic_and_maybe_queue(with_queue: bool, display: str) -> str:
    resources: dict[str, Any] = {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": display}}
    }
    outputs: dict[str, Any] = {"Display": {"Value": display}}
    if with_queue:
        resources["Queue"] = {"Type": "AWS::SQS::Queue"}
        outputs["QueueUrl"] = {"Value": {"Ref": "Queue"}}
    return template(resources, outputs)


def test_failed_update_rolls_back_to_the_previous_template(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("app")
    before = _topic_and_maybe_queue(False, "v1")
    cfn.create_stack(StackName=name, TemplateBody=before)
    add_fault(cloud, kind="fail", operation="update", stackName=name,
              resourceType="AWS::SNS::Topic", message="topic is locked")  # fmt: skip
    cfn.update_stack(StackName=name, TemplateBody=_topic_and_maybe_queue(True, "v2"))
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert statuses_seen(cfn, name)[2:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    assert outputs_of(stack) == {"Display": "v1"}
    # boto3 hands a JSON template back parsed.
    assert cfn.get_template(StackName=name)["TemplateBody"] == json.loads(before)
    topic = resource_events(cfn, name, "Topic")
    [failed] = [reason for status, reason in topic if status == "UPDATE_FAILED"]
    assert 'returned message: "topic is locked"' in (failed or "")
    assert topic[-1][0] == "UPDATE_COMPLETE"  # rolled back to v1
    resources = [
        r["LogicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    ]
    assert resources == ["Topic"]
    assert client("sqs", account).list_queues().get("QueueUrls", []) == []


def test_failed_update_with_rollback_disabled_stays_update_failed(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=_topic_and_maybe_queue(False, "v1"))
    add_fault(cloud, kind="fail", operation="update", stackName=name)
    cfn.update_stack(
        StackName=name, TemplateBody=_topic_and_maybe_queue(False, "v2"), DisableRollback=True
    )
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "UPDATE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to update: [Topic]. "


def test_a_fault_can_fail_the_rollback_and_leave_update_rollback_failed(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=_topic_and_maybe_queue(False, "v1"))
    add_fault(cloud, kind="fail", operation="update", stackName=name, rollback="fail")
    cfn.update_stack(StackName=name, TemplateBody=_topic_and_maybe_queue(False, "v2"))
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    assert stack["StackStatusReason"].startswith("Rollback failed")
    assert statuses_seen(cfn, name)[-2:] == [
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_FAILED",
    ]
    with pytest.raises(cfn.exceptions.ClientError, match="UPDATE_ROLLBACK_FAILED"):
        cfn.update_stack(StackName=name, TemplateBody=_topic_and_maybe_queue(False, "v3"))


def test_stack_fault_fails_an_update_that_touches_no_resource(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=template({"Topic": {"Type": "AWS::SNS::Topic"}}))
    add_fault(cloud, kind="fail", operation="update", stackName=name, message="stack quota")
    only_outputs = template(
        {"Topic": {"Type": "AWS::SNS::Topic"}}, {"Arn": {"Value": {"Ref": "Topic"}}}
    )
    cfn.update_stack(StackName=name, TemplateBody=only_outputs)
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [
        event.get("ResourceStatusReason")
        for event in cfn.describe_stack_events(StackName=name)["StackEvents"]
        if event["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"
    ]
    assert reasons == ["stack quota"]


def test_failed_delete_reports_delete_failed_and_can_be_retried(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=TOPIC_THEN_QUEUE)
    add_fault(cloud, kind="fail", operation="delete", stackName=name,
              logicalResourceId="Topic", count=1)  # fmt: skip
    cfn.delete_stack(StackName=name)
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to delete: [Topic]. "
    resources = {
        r["LogicalResourceId"]: r["ResourceStatus"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    assert resources == {"Topic": "DELETE_FAILED", "Queue": "DELETE_COMPLETE"}
    assert admin(cloud, "GET", "faults").json()["faults"] == []  # used up
    cfn.delete_stack(StackName=name)
    assert stack_of(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_retain_resources_skips_them_when_deleting_a_delete_failed_stack(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("app")
    stack_id = cfn.create_stack(StackName=name, TemplateBody=TOPIC_THEN_QUEUE)["StackId"]
    with pytest.raises(cfn.exceptions.ClientError, match="DELETE_FAILED state"):
        cfn.delete_stack(StackName=name, RetainResources=["Topic"])
    add_fault(cloud, kind="fail", operation="delete", stackName=name, logicalResourceId="Topic")
    cfn.delete_stack(StackName=name)
    assert stack_of(cfn, name)["StackStatus"] == "DELETE_FAILED"
    cfn.delete_stack(StackName=name, RetainResources=["Topic"])
    assert stack_of(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert resource_events(cfn, stack_id, "Topic")[-1][0] == "DELETE_SKIPPED"
    assert len(_topics(client, account)) == 1


def test_a_fault_counted_once_fails_only_the_first_operation(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    add_fault(cloud, kind="fail", resourceType="AWS::SQS::Queue", count=1)
    first, second = names("first"), names("second")
    cfn.create_stack(StackName=first, TemplateBody=TOPIC_THEN_QUEUE)
    cfn.create_stack(StackName=second, TemplateBody=TOPIC_THEN_QUEUE)
    assert stack_of(cfn, first)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack_of(cfn, second)["StackStatus"] == "CREATE_COMPLETE"


def test_a_fault_for_one_account_leaves_another_alone(
    cloud: EmbeddedEmulator, client: Client, names: Names
) -> None:
    failing, healthy = "220000000001", "220000000002"
    add_fault(cloud, kind="fail", account=failing, operation="create")
    name = names("app")
    for account in (failing, healthy):
        client("cloudformation", account).create_stack(
            StackName=name, TemplateBody=TOPIC_THEN_QUEUE
        )
    assert stack_of(client("cloudformation", failing), name)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack_of(client("cloudformation", healthy), name)["StackStatus"] == "CREATE_COMPLETE"


def test_a_moto_error_fails_the_resource_instead_of_the_request(cfn: Any, names: Names) -> None:
    name = names("app")
    bad_subnet = template(
        {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "192.168.0.0/24"},
            },
        }
    )
    cfn.create_stack(StackName=name, TemplateBody=bad_subnet)
    assert stack_of(cfn, name)["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [
        reason
        for status, reason in resource_events(cfn, name, "Subnet")
        if status == "CREATE_FAILED"
    ]
    assert len(failed) == 1 and "192.168.0.0/24" in (failed[0] or "")
