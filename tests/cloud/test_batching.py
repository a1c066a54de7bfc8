"""Describing many stacks pages through the account instead of asking stack by stack."""

from __future__ import annotations

from typing import Any

from reconciler.cloud import AwsCloud, Target
from tests.cloud.conftest import raw_client, topic_stack

# moto answers DescribeStacks with 50 stacks a page (AWS: 100).
EMULATOR_PAGE = 50


def _create_directly(emulator_url: str, target: Target, count: int) -> list[str]:
    """Create stacks behind the edge's back, so only the describe calls are counted."""
    client: Any = raw_client(emulator_url, target)
    names = [f"svc-{i:03d}" for i in range(count)]
    for name in names:
        stack = topic_stack(name, topic=name)
        client.create_stack(
            StackName=name,
            TemplateBody=stack.body,
            Parameters=[{"ParameterKey": "TopicName", "ParameterValue": name}],
        )
    return names


def test_describing_many_stacks_makes_one_call(
    cloud: AwsCloud, target: Target, emulator_url: str
) -> None:
    names = _create_directly(emulator_url, target, 30)

    states = cloud.describe(target, names)

    assert set(states) == set(names)
    assert cloud.api_calls() == {"sts:AssumeRole": 1, "cloudformation:DescribeStacks": 1}


def test_describing_more_stacks_than_a_page_follows_next_token(
    cloud: AwsCloud, target: Target, emulator_url: str
) -> None:
    names = _create_directly(emulator_url, target, EMULATOR_PAGE + 10)

    states = cloud.describe(target, names)

    assert set(states) == set(names)
    assert cloud.api_calls()["cloudformation:DescribeStacks"] == 2


def test_describe_stops_paging_once_every_name_is_found(
    cloud: AwsCloud, target: Target, emulator_url: str
) -> None:
    names = _create_directly(emulator_url, target, EMULATOR_PAGE + 10)

    states = cloud.describe(target, names[:3])

    assert set(states) == set(names[:3])
    assert cloud.api_calls()["cloudformation:DescribeStacks"] == 1


def test_describing_one_stack_asks_for_it_by_name(
    cloud: AwsCloud, target: Target, emulator_url: str
) -> None:
    names = _create_directly(emulator_url, target, EMULATOR_PAGE + 10)

    states = cloud.describe(target, [names[-1]])

    assert list(states) == [names[-1]]
    assert cloud.api_calls()["cloudformation:DescribeStacks"] == 1
