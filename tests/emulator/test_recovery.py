"""CancelUpdateStack and ContinueUpdateRollback over HTTP: stuck updates get unstuck."""

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
    status_of,
    statuses_seen,
    template,
    wait_until_settled,
)

Names = Callable[[str], str]
HELD_SECONDS = 30


def _app(stack: str, display: str, with_queue: bool) -> str:
    """A parameter (its value changes in place) and, on request, a queue after it."""
    resources: dict[str, Any] = {
        "Setting": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": f"/{stack}/setting", "Type": "String", "Value": display},
        }
    }
    if with_queue:
        resources["Queue"] = {"Type": "AWS::SQS::Queue", "DependsOn": "Setting"}
    return template(
        resources, {"Display": {"Value": display}, "Name": {"Value": {"Ref": "Setting"}}}
    )


def _display(client: Client, account: str, name: str) -> str:
    return str(client("ssm", account).get_parameter(Name=name)["Parameter"]["Value"])


def _held_update(cloud: EmbeddedEmulator, cfn: Any, name: str) -> None:
    cfn.create_stack(StackName=name, TemplateBody=_app(name, "v1", False))
    add_fault(cloud, kind="delay", operation="update", stackName=name, seconds=HELD_SECONDS,
              count=1)  # fmt: skip
    cfn.update_stack(StackName=name, TemplateBody=_app(name, "v2", True))
    assert status_of(cfn, name) == "UPDATE_IN_PROGRESS"


def test_cancel_stops_a_held_update_and_rolls_back_to_the_previous_template(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("app")
    _held_update(cloud, cfn, name)

    cfn.cancel_update_stack(StackName=name)

    stack = wait_until_settled(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert statuses_seen(cfn, name)[2:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    assert outputs_of(stack)["Display"] == "v1"
    assert cfn.get_template(StackName=name)["TemplateBody"] == json.loads(_app(name, "v1", False))
    assert _display(client, account, outputs_of(stack)["Name"]) == "v1"
    assert client("sqs", account).list_queues().get("QueueUrls", []) == []
    # The held update step, when its timer fires, finds nothing to do.
    cfn.update_stack(StackName=name, TemplateBody=_app(name, "v3", False))
    assert outputs_of(wait_until_settled(cfn, name))["Display"] == "v3"


def test_a_cancelled_update_rolls_back_under_the_delays_in_force(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("app")
    _held_update(cloud, cfn, name)
    add_fault(cloud, kind="delay", operation="update", stackName=name, seconds=1, count=1)

    cfn.cancel_update_stack(StackName=name)

    assert status_of(cfn, name) == "UPDATE_ROLLBACK_IN_PROGRESS"
    assert wait_until_settled(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"


@pytest.mark.parametrize("when", ["settled", "cancelled twice"])
def test_cancel_outside_update_in_progress_is_refused_as_aws_refuses_it(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names, when: str
) -> None:
    cfn = client("cloudformation", account)
    name = names("app")
    if when == "settled":
        cfn.create_stack(StackName=name, TemplateBody=_app(name, "v1", False))
    else:
        _held_update(cloud, cfn, name)
        cfn.cancel_update_stack(StackName=name)
        wait_until_settled(cfn, name)

    with pytest.raises(cfn.exceptions.ClientError, match="CancelUpdateStack cannot be called"):
        cfn.cancel_update_stack(StackName=name)


def _rollback_failed(cloud: EmbeddedEmulator, cfn: Any, name: str) -> dict[str, Any]:
    """v1 → v2 fails on the new queue, and the rollback fails on the changed parameter."""
    cfn.create_stack(StackName=name, TemplateBody=_app(name, "v1", False))
    fault = add_fault(cloud, kind="fail", operation="update", stackName=name,
                      resourceType="AWS::SQS::Queue", rollback="fail")  # fmt: skip
    cfn.update_stack(StackName=name, TemplateBody=_app(name, "v2", True))
    assert status_of(cfn, name) == "UPDATE_ROLLBACK_FAILED"
    return fault


def test_a_failed_rollback_leaves_the_changed_resource_update_failed(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")

    _rollback_failed(cloud, cfn, name)

    status, reason = resource_events(cfn, name, "Setting")[-1]
    assert status == "UPDATE_FAILED"
    assert "cannot be put back" in (reason or "")


def test_continue_update_rollback_skipping_the_failed_resource_completes_the_rollback(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("app")
    _rollback_failed(cloud, cfn, name)

    cfn.continue_update_rollback(StackName=name, ResourcesToSkip=["Setting"])

    stack = wait_until_settled(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert statuses_seen(cfn, name)[-4:] == [
        "UPDATE_ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    status, reason = resource_events(cfn, name, "Setting")[-1]
    assert (status, reason) == (
        "UPDATE_COMPLETE",
        "Resource skipped during ContinueUpdateRollback (ResourcesToSkip)",
    )
    # The fault that broke the rollback is still in force: only the skip got past it.
    assert any(f["rollback"] == "fail" for f in admin(cloud, "GET", "faults").json()["faults"])
    assert cfn.get_template(StackName=name)["TemplateBody"] == json.loads(_app(name, "v1", False))
    assert client("sqs", account).list_queues().get("QueueUrls", []) == []


def test_continue_without_skipping_fails_again_while_the_fault_is_in_force(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    _rollback_failed(cloud, cfn, name)

    cfn.continue_update_rollback(StackName=name)

    assert wait_until_settled(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    assert resource_events(cfn, name, "Setting")[-1][0] == "UPDATE_FAILED"


def test_continue_after_the_cause_is_gone_puts_every_resource_back(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    cfn = client("cloudformation", account)
    name = names("app")
    fault = _rollback_failed(cloud, cfn, name)
    admin(cloud, "DELETE", f"faults/{fault['id']}").raise_for_status()

    cfn.continue_update_rollback(StackName=name)

    stack = wait_until_settled(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert _display(client, account, outputs_of(stack)["Name"]) == "v1"
    assert outputs_of(stack)["Display"] == "v1"


def test_only_resources_whose_rollback_failed_can_be_skipped(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("app")
    _rollback_failed(cloud, cfn, name)

    with pytest.raises(cfn.exceptions.ClientError, match=r"Resources \[Queue\] cannot be skipped"):
        cfn.continue_update_rollback(StackName=name, ResourcesToSkip=["Queue"])

    assert status_of(cfn, name) == "UPDATE_ROLLBACK_FAILED"


def test_continue_update_rollback_outside_update_rollback_failed_is_refused(
    cfn: Any, names: Names
) -> None:
    name = names("app")
    cfn.create_stack(StackName=name, TemplateBody=_app(name, "v1", False))

    with pytest.raises(cfn.exceptions.ClientError, match="CREATE_COMPLETE state and can not"):
        cfn.continue_update_rollback(StackName=name)
