"""Delays hold stacks in flight, so crash and concurrency tests can catch them there.

These tests wait for real time (the emulator's held steps run on timers), in steps of a
few tenths of a second; they never assert how long anything took.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from emulator.server import EmbeddedEmulator
from tests.emulator.conftest import Client
from tests.emulator.probes import (
    POLL_LIMIT_SECONDS,
    POLL_SECONDS,
    add_fault,
    outputs_of,
    stack_of,
    statuses_seen,
    template,
    wait_until_settled,
)

Names = Callable[[str], str]
# Long enough for a few calls on a busy machine; each test waits it out at most once or twice.
HOLD_SECONDS = 1.0

TOPIC = template({"Topic": {"Type": "AWS::SNS::Topic"}}, {"Arn": {"Value": {"Ref": "Topic"}}})


def _observed(cfn: Any, name: str) -> list[str]:
    """Every distinct status a stack shows while polled until it settles, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while time.monotonic() < deadline:
        status = stack_of(cfn, name)["StackStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if not status.endswith("_IN_PROGRESS"):
            return seen
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"{name} never settled: {seen}")


def test_held_create_is_in_progress_without_resources_until_it_completes(
    cloud: EmbeddedEmulator, client: Client, account: str, names: Names
) -> None:
    name = names("held")
    add_fault(cloud, kind="delay", operation="create", stackName=name, seconds=HOLD_SECONDS)
    cfn, sns = client("cloudformation", account), client("sns", account)
    cfn.create_stack(StackName=name, TemplateBody=TOPIC)
    in_flight = stack_of(cfn, name)
    assert in_flight["StackStatus"] == "CREATE_IN_PROGRESS"
    assert "Outputs" not in in_flight
    assert sns.list_topics()["Topics"] == []
    with pytest.raises(cfn.exceptions.ClientError, match="CREATE_IN_PROGRESS state and can not"):
        cfn.update_stack(StackName=name, TemplateBody=TOPIC)
    settled = wait_until_settled(cfn, name)
    assert settled["StackStatus"] == "CREATE_COMPLETE"
    assert set(outputs_of(settled)) == {"Arn"}


def test_held_failing_create_shows_each_in_progress_state(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("held")
    add_fault(cloud, kind="delay", stackName=name, seconds=HOLD_SECONDS)
    add_fault(cloud, kind="fail", stackName=name, operation="create")
    cfn.create_stack(StackName=name, TemplateBody=TOPIC)
    assert _observed(cfn, name) == [
        "CREATE_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_COMPLETE",
    ]


def test_held_update_keeps_the_previous_outputs_until_it_completes(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("held")
    before = template({"Topic": {"Type": "AWS::SNS::Topic"}}, {"Version": {"Value": "1"}})
    after = template({"Topic": {"Type": "AWS::SNS::Topic"}}, {"Version": {"Value": "2"}})
    cfn.create_stack(StackName=name, TemplateBody=before)
    add_fault(cloud, kind="delay", operation="update", stackName=name, seconds=HOLD_SECONDS)
    cfn.update_stack(StackName=name, TemplateBody=after)
    in_flight = stack_of(cfn, name)
    assert in_flight["StackStatus"] == "UPDATE_IN_PROGRESS"
    assert outputs_of(in_flight) == {"Version": "1"}
    assert outputs_of(wait_until_settled(cfn, name)) == {"Version": "2"}


def test_delete_arriving_during_a_held_create_runs_after_it(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("held")
    add_fault(cloud, kind="delay", operation="create", stackName=name, seconds=30)
    stack_id = cfn.create_stack(StackName=name, TemplateBody=TOPIC)["StackId"]
    cfn.delete_stack(StackName=name)
    assert stack_of(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert statuses_seen(cfn, stack_id) == [
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_COMPLETE",
    ]


def test_held_delete_can_be_observed_in_progress(
    cloud: EmbeddedEmulator, cfn: Any, names: Names
) -> None:
    name = names("held")
    stack_id = cfn.create_stack(StackName=name, TemplateBody=TOPIC)["StackId"]
    add_fault(cloud, kind="delay", operation="delete", stackName=name, seconds=HOLD_SECONDS)
    cfn.delete_stack(StackName=name)
    assert _observed(cfn, stack_id) == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
