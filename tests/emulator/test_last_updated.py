"""``LastUpdatedTime``: an update made by any client shows in DescribeStacks and ListStacks.

One client creates the stack, another one (its own boto3 session) updates it, the way a
colleague's console change would; the first client sees when. The canary switches the
fix off and asserts stock moto still shows no ``LastUpdatedTime`` at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.fixes import disabled
from tests.emulator.conftest import Client
from tests.emulator.probes import stack_of, template
from tests.emulator.test_fixes import no_longer_needed

Names = Callable[[str], str]

TOPIC = template({"Topic": {"Type": "AWS::SNS::Topic"}}, {"Arn": {"Value": {"Ref": "Topic"}}})
TOPIC_AND_QUEUE = template(
    {"Topic": {"Type": "AWS::SNS::Topic"}, "Queue": {"Type": "AWS::SQS::Queue"}},
    {"Arn": {"Value": {"Ref": "Topic"}}},
)
# The serializer may drop sub-second digits: times are compared to the second.
SLACK = timedelta(seconds=1)


def now() -> datetime:
    return datetime.now(UTC)


def summary_of(cfn: Any, name: str) -> dict[str, Any]:
    pages = cfn.get_paginator("list_stacks").paginate()
    found = [s for page in pages for s in page["StackSummaries"] if s["StackName"] == name]
    assert len(found) == 1, found
    return found[0]


def waited(cfn: Any, name: str, waiter: str) -> dict[str, Any]:
    cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return stack_of(cfn, name)


@pytest.fixture
def created(cfn: Any, names: Names) -> str:
    name = names("updated")
    cfn.create_stack(StackName=name, TemplateBody=TOPIC)
    waited(cfn, name, "stack_create_complete")
    return name


@pytest.fixture
def other(client: Client) -> Any:
    """Another client of the same account: someone else's console or script."""
    return client("cloudformation")


def test_a_stack_never_updated_has_no_last_updated_time(cfn: Any, created: str) -> None:
    assert "LastUpdatedTime" not in stack_of(cfn, created)
    assert "LastUpdatedTime" not in summary_of(cfn, created)


def test_an_update_by_another_client_shows_when_it_began(
    cfn: Any, other: Any, created: str
) -> None:
    creation = stack_of(cfn, created)["CreationTime"]
    before = now()
    other.update_stack(StackName=created, TemplateBody=TOPIC_AND_QUEUE)
    stack = waited(cfn, created, "stack_update_complete")
    after = now()

    updated = stack["LastUpdatedTime"]
    assert before - SLACK <= updated <= after + SLACK
    assert updated >= creation
    assert stack["CreationTime"] == creation
    assert summary_of(cfn, created)["LastUpdatedTime"] == updated


def test_an_update_change_set_sets_it_and_each_update_moves_it(
    cfn: Any, other: Any, created: str
) -> None:
    other.create_change_set(StackName=created, ChangeSetName="queue", TemplateBody=TOPIC_AND_QUEUE)
    other.execute_change_set(StackName=created, ChangeSetName="queue")
    first = waited(cfn, created, "stack_update_complete")["LastUpdatedTime"]

    later = now()
    other.update_stack(StackName=created, TemplateBody=TOPIC)
    second = waited(cfn, created, "stack_update_complete")["LastUpdatedTime"]

    assert second >= later - SLACK
    assert second > first


def test_a_refused_unchanged_update_leaves_it_alone(cfn: Any, other: Any, created: str) -> None:
    other.update_stack(StackName=created, TemplateBody=TOPIC_AND_QUEUE)
    updated = waited(cfn, created, "stack_update_complete")["LastUpdatedTime"]

    with pytest.raises(ClientError, match="No updates are to be performed"):
        other.update_stack(StackName=created, TemplateBody=TOPIC_AND_QUEUE)

    assert stack_of(cfn, created)["LastUpdatedTime"] == updated


def test_stock_moto_still_has_no_last_updated_time(cfn: Any, other: Any, created: str) -> None:
    with disabled("last-updated-time"):
        other.update_stack(StackName=created, TemplateBody=TOPIC_AND_QUEUE)
        stack = waited(cfn, created, "stack_update_complete")
    no_longer_needed(
        "last-updated-time",
        "LastUpdatedTime" not in stack,
        "leaves LastUpdatedTime unset after UpdateStack",
    )
