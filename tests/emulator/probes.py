"""Reading and steering the emulator in tests: stacks, events, admin calls, templates."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from emulator.server import EmbeddedEmulator

# Polls of a stack held in flight: how often, and the most a test waits.
POLL_SECONDS = 0.05
POLL_LIMIT_SECONDS = 30.0


def admin(cloud: EmbeddedEmulator, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request to the emulator's own endpoints under /_goldenpath/."""
    return httpx.request(method, f"{cloud.url}/_goldenpath/{path}", **kwargs)


def add_fault(cloud: EmbeddedEmulator, **fault: Any) -> dict[str, Any]:
    response = admin(cloud, "POST", "faults", json=fault)
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()["faults"][0]
    return added


def stack_of(cfn: Any, name: str) -> dict[str, Any]:
    stack: dict[str, Any] = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return stack


def status_of(cfn: Any, name: str) -> str:
    return str(stack_of(cfn, name)["StackStatus"])


def wait_until_settled(cfn: Any, name: str) -> dict[str, Any]:
    """Poll a stack held in flight until it leaves every *_IN_PROGRESS status."""
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while True:
        stack = stack_of(cfn, name)
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        assert time.monotonic() < deadline, f"{name} still {stack['StackStatus']}"
        time.sleep(POLL_SECONDS)


def statuses_seen(cfn: Any, name: str) -> list[str]:
    """The stack's own statuses, oldest first, from its events."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        event["ResourceStatus"]
        for event in reversed(events)
        if event["ResourceType"] == "AWS::CloudFormation::Stack"
    ]


def resource_events(cfn: Any, name: str, logical_id: str) -> list[tuple[str, str | None]]:
    """(status, reason) of one resource's events, oldest first."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        (event["ResourceStatus"], event.get("ResourceStatusReason"))
        for event in reversed(events)
        if event["LogicalResourceId"] == logical_id
    ]


def outputs_of(stack: dict[str, Any]) -> dict[str, str]:
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs") or []}


def template(
    resources: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> str:
    """A template body (JSON) from Python dicts."""
    body: dict[str, Any] = {"Resources": resources}
    if outputs:
        body["Outputs"] = outputs
    if parameters:
        body["Parameters"] = parameters
    return json.dumps(body)
