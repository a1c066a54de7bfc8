"""Change sets report Add/Modify/Remove with Replacement, and execute like updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from emulator.server import EmbeddedEmulator
from tests.emulator.probes import add_fault, outputs_of, stack_of, statuses_seen, template

Names = Callable[[str], str]


def network(subnet_cidr: str, label: str, with_queue: bool, with_topic: bool = True) -> str:
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": subnet_cidr},
        },
    }
    if with_topic:
        resources["Topic"] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": {"Ref": "Label"}},
        }
    if with_queue:
        resources["Queue"] = {"Type": "AWS::SQS::Queue"}
    return template(
        resources,
        {"Subnet": {"Value": {"Ref": "Subnet"}}},
        {"Label": {"Type": "String", "Default": label}},
    )


def _changes(cfn: Any, stack: str, change_set: str) -> dict[str, dict[str, Any]]:
    described = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
    return {
        change["ResourceChange"]["LogicalResourceId"]: change["ResourceChange"]
        for change in described["Changes"]
    }


def test_change_set_reports_actions_and_replacement(cfn: Any, names: Names) -> None:
    name = names("net")
    cfn.create_stack(StackName=name, TemplateBody=network("10.0.1.0/24", "a", with_queue=False))
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="next",
        TemplateBody=network("10.0.2.0/24", "a", with_queue=True, with_topic=False),
    )
    changes = _changes(cfn, name, "next")
    assert {key: change["Action"] for key, change in changes.items()} == {
        "Queue": "Add",
        "Subnet": "Modify",
        "Topic": "Remove",
    }
    subnet = changes["Subnet"]
    assert subnet["Replacement"] == "True"
    assert subnet["Scope"] == ["Properties"]
    assert subnet["Details"] == [
        {
            "Target": {
                "Attribute": "Properties",
                "Name": "CidrBlock",
                "RequiresRecreation": "Always",
            },
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        }
    ]
    assert subnet["PhysicalResourceId"] == outputs_of(stack_of(cfn, name))["Subnet"]


def test_parameter_change_modifies_without_replacement(cfn: Any, names: Names) -> None:
    name = names("net")
    body = network("10.0.1.0/24", "a", with_queue=False)
    cfn.create_stack(StackName=name, TemplateBody=body)
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="relabel",
        TemplateBody=body,
        Parameters=[{"ParameterKey": "Label", "ParameterValue": "b"}],
    )
    changes = _changes(cfn, name, "relabel")
    assert list(changes) == ["Topic"]
    topic = changes["Topic"]
    assert (topic["Action"], topic["Replacement"]) == ("Modify", "False")
    assert topic["Details"][0]["ChangeSource"] == "ParameterReference"
    assert topic["Details"][0]["CausingEntity"] == "Label"


def test_dependent_of_a_replaced_resource_is_conditionally_replaced(cfn: Any, names: Names) -> None:
    name = names("net")
    cfn.create_stack(StackName=name, TemplateBody=network("10.0.1.0/24", "a", with_queue=False))
    moved = network("10.0.1.0/24", "a", with_queue=False).replace("10.0.0.0/16", "10.9.0.0/16")
    cfn.create_change_set(StackName=name, ChangeSetName="move", TemplateBody=moved)
    changes = _changes(cfn, name, "move")
    assert changes["Vpc"]["Replacement"] == "True"
    assert changes["Subnet"]["Replacement"] == "Conditional"
    assert changes["Subnet"]["Details"][0]["ChangeSource"] == "ResourceReference"


def test_change_set_that_changes_nothing_fails_with_the_aws_reason(cfn: Any, names: Names) -> None:
    name = names("net")
    body = network("10.0.1.0/24", "a", with_queue=False)
    cfn.create_stack(StackName=name, TemplateBody=body)
    cfn.create_change_set(StackName=name, ChangeSetName="same", TemplateBody=body)
    described = cfn.describe_change_set(StackName=name, ChangeSetName="same")
    assert (described["Status"], described["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert described["StatusReason"].startswith("The submitted information didn't contain changes")
    with pytest.raises(cfn.exceptions.InvalidChangeSetStatusException):
        cfn.execute_change_set(StackName=name, ChangeSetName="same")


def test_executing_a_change_set_updates_through_real_states(cfn: Any, names: Names) -> None:
    name = names("net")
    cfn.create_stack(StackName=name, TemplateBody=network("10.0.1.0/24", "a", with_queue=False))
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="grow",
        TemplateBody=network("10.0.1.0/24", "a", with_queue=True),
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="grow")
    assert stack_of(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    described = cfn.describe_change_set(StackName=name, ChangeSetName="grow")
    assert described["ExecutionStatus"] == "EXECUTE_COMPLETE"
    logical = {
        r["LogicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    assert logical == {"Vpc", "Subnet", "Topic", "Queue"}


def test_failed_change_set_execution_rolls_back(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("net")
    cfn.create_stack(StackName=name, TemplateBody=network("10.0.1.0/24", "a", with_queue=False))
    add_fault(
        cloud, kind="fail", operation="update", stackName=name, resourceType="AWS::SQS::Queue"
    )
    cfn.create_change_set(
        StackName=name, ChangeSetName="grow", TemplateBody=network("10.0.1.0/24", "a", True)
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="grow")
    assert stack_of(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    described = cfn.describe_change_set(StackName=name, ChangeSetName="grow")
    assert described["ExecutionStatus"] == "EXECUTE_FAILED"


def test_create_change_set_makes_a_stack_in_review_then_creates_it(cfn: Any, names: Names) -> None:
    name = names("new")
    body = network("10.0.1.0/24", "a", with_queue=False)
    cfn.create_change_set(
        StackName=name, ChangeSetName="first", TemplateBody=body, ChangeSetType="CREATE"
    )
    assert stack_of(cfn, name)["StackStatus"] == "REVIEW_IN_PROGRESS"
    changes = _changes(cfn, name, "first")
    assert {change["Action"] for change in changes.values()} == {"Add"}
    cfn.execute_change_set(StackName=name, ChangeSetName="first")
    stack = stack_of(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert set(outputs_of(stack)) == {"Subnet"}
    assert statuses_seen(cfn, name) == [
        "REVIEW_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
    ]
