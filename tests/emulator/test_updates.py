"""Updates as CloudFormation performs them: replacements, cleanup, rollback of replacements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.server import EmbeddedEmulator
from emulator.stacks.hooks import REPLACEMENT_REASON
from tests.emulator.conftest import Client
from tests.emulator.probes import (
    add_fault,
    outputs_of,
    resource_events,
    stack_of,
    statuses_seen,
    template,
)

Names = Callable[[str], str]


def network(cidr: str, extra: dict[str, Any] | None = None) -> str:
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr},
        },
    }
    resources.update(extra or {})
    return template(
        resources, {"Vpc": {"Value": {"Ref": "Vpc"}}, "Subnet": {"Value": {"Ref": "Subnet"}}}
    )


def _subnets(client: Client, account: str, vpc: str) -> list[str]:
    found = client("ec2", account).describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    return sorted(subnet["SubnetId"] for subnet in found["Subnets"])


def test_changing_a_create_only_property_replaces_the_resource(
    client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("net")
    cfn.create_stack(StackName=name, TemplateBody=network("10.0.1.0/24"))
    before = outputs_of(stack_of(cfn, name))
    cfn.update_stack(StackName=name, TemplateBody=network("10.0.2.0/24"))
    after = outputs_of(stack_of(cfn, name))
    assert after["Vpc"] == before["Vpc"]
    assert after["Subnet"] != before["Subnet"]
    assert _subnets(client, account, after["Vpc"]) == [after["Subnet"]]
    events = resource_events(cfn, name, "Subnet")
    assert ("UPDATE_IN_PROGRESS", REPLACEMENT_REASON) in events
    # The old copy goes in the cleanup step, after the new one is complete.
    assert [status for status, _ in events[-3:]] == [
        "UPDATE_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_COMPLETE",
    ]
    assert statuses_seen(cfn, name)[-2:] == [
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]
    [described] = [
        r for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
        if r["LogicalResourceId"] == "Subnet"
    ]  # fmt: skip
    assert (described["PhysicalResourceId"], described["ResourceStatus"]) == (
        after["Subnet"],
        "UPDATE_COMPLETE",
    )


def test_rollback_puts_the_replaced_resource_back(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("net")
    cfn.create_stack(StackName=name, TemplateBody=network("10.0.1.0/24"))
    before = outputs_of(stack_of(cfn, name))
    add_fault(
        cloud, kind="fail", operation="update", stackName=name, resourceType="AWS::SQS::Queue"
    )
    failing = network("10.0.2.0/24", {"Queue": {"Type": "AWS::SQS::Queue", "DependsOn": "Subnet"}})
    cfn.update_stack(StackName=name, TemplateBody=failing)
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert outputs_of(stack) == before
    assert _subnets(client, account, before["Vpc"]) == [before["Subnet"]]


def test_removed_resource_is_deleted_in_the_cleanup_step(
    client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("app")
    both = template({"Topic": {"Type": "AWS::SNS::Topic"}, "Queue": {"Type": "AWS::SQS::Queue"}})
    cfn.create_stack(StackName=name, TemplateBody=both)
    cfn.update_stack(StackName=name, TemplateBody=template({"Topic": {"Type": "AWS::SNS::Topic"}}))
    events = cfn.describe_stack_events(StackName=name)["StackEvents"][::-1]
    order = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]
    cleanup = order.index((name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
    assert order[cleanup + 1 : cleanup + 3] == [
        ("Queue", "DELETE_IN_PROGRESS"),
        ("Queue", "DELETE_COMPLETE"),
    ]
    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    assert [r["LogicalResourceId"] for r in resources] == ["Topic"]
    assert client("sqs", account).list_queues().get("QueueUrls", []) == []


def _named_group(port: int) -> str:
    return template(
        {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Group": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {
                    "Name": "web--prod",
                    "Port": port,
                    "Protocol": "HTTP",
                    "TargetType": "ip",
                    "VpcId": {"Ref": "Vpc"},
                },
            },
        }
    )


def test_replacing_a_custom_named_resource_is_refused_as_in_aws(
    client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("web")
    cfn.create_stack(StackName=name, TemplateBody=_named_group(80))
    cfn.update_stack(StackName=name, TemplateBody=_named_group(8080))
    assert stack_of(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    failed = [
        reason
        for status, reason in resource_events(cfn, name, "Group")
        if status == "UPDATE_FAILED"
    ]
    assert failed == [
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        "Rename web--prod and update the stack again."
    ]


PARAMETERIZED = template(
    {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Label"}}}},
    {"Label": {"Value": {"Ref": "Label"}}, "Size": {"Value": {"Ref": "Size"}}},
    {"Label": {"Type": "String"}, "Size": {"Type": "Number", "Default": 1}},
)


def test_use_previous_value_keeps_a_parameter_across_an_update(cfn: Any, names: Names) -> None:
    name = names("app")
    cfn.create_stack(
        StackName=name,
        TemplateBody=PARAMETERIZED,
        Parameters=[{"ParameterKey": "Label", "ParameterValue": "blue"}],
    )
    cfn.update_stack(
        StackName=name,
        TemplateBody=PARAMETERIZED,
        Parameters=[
            {"ParameterKey": "Label", "UsePreviousValue": True},
            {"ParameterKey": "Size", "ParameterValue": "3"},
        ],
    )
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs_of(stack) == {"Label": "blue", "Size": "3"}
