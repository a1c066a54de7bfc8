"""Throttling and network failures are retried on the fake clock with full-jitter backoff."""

from __future__ import annotations

import random
import socket
import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from reconciler.cloud import CloudRejected, RetryPolicy, Target
from reconciler.errors import CloudThrottled, CloudUnreachable
from tests.cloud.conftest import (
    CeilingRandom,
    CloudFactory,
    FakeClock,
    raw_client,
    token,
    topic_stack,
)
from tests.cloud.flaky_proxy import FlakyProxy

NAMES = ["svc-a", "svc-b"]  # two names: describe pages the account, one DescribeStacks


def test_throttled_calls_back_off_exponentially_up_to_the_cap(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, clock: FakeClock
) -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=10.0, max_delay=45.0)
    cloud = make_cloud(endpoint_url=proxy.url, retry=policy, rng=CeilingRandom())
    proxy.fail("DescribeStacks", "throttle", times=4)
    started = time.monotonic()

    assert cloud.describe(target, NAMES) == {}

    assert clock.sleeps == [10.0, 20.0, 40.0, 45.0]
    assert proxy.count("DescribeStacks") == 5
    # 115 s of backoff passed on the fake clock; none of it on the real one.
    assert time.monotonic() - started < 10


def test_backoff_pauses_are_jittered_within_their_ceilings(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, clock: FakeClock
) -> None:
    policy = RetryPolicy(max_attempts=8, base_delay=1.0, max_delay=8.0)
    cloud = make_cloud(endpoint_url=proxy.url, retry=policy, rng=random.Random(42))
    proxy.fail("DescribeStacks", "throttle", times=7)

    cloud.describe(target, NAMES)

    ceilings = [policy.ceiling(n) for n in range(7)]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert len(clock.sleeps) == 7
    assert all(0 <= pause <= ceiling for pause, ceiling in zip(clock.sleeps, ceilings, strict=True))
    assert clock.sleeps != ceilings  # jittered, not the bare envelope


def test_throttling_that_outlasts_the_policy_raises_cloud_throttled(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, clock: FakeClock
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url, retry=RetryPolicy(max_attempts=4))
    proxy.fail("UpdateStack", "throttle", times=10)

    with pytest.raises(CloudThrottled) as caught:
        cloud.update(target, topic_stack("svc-web"), token())

    error = caught.value
    assert isinstance(error.__cause__, ClientError)
    assert str(error) == (
        f"UpdateStack svc-web in {target}: throttled after 4 attempts: Throttling: Rate exceeded"
    )
    assert error.delay == RetryPolicy().ceiling(3)
    assert proxy.count("UpdateStack") == 4
    assert len(clock.sleeps) == 3


def test_an_unreachable_endpoint_raises_cloud_unreachable_after_retries(
    make_cloud: CloudFactory, clock: FakeClock
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    cloud = make_cloud(endpoint_url=f"http://127.0.0.1:{closed_port}")
    ambient = Target("123456789012", "us-west-2")

    with pytest.raises(CloudUnreachable) as caught:
        cloud.describe(ambient, ["env-test"])

    assert isinstance(caught.value.__cause__, EndpointConnectionError)
    assert "DescribeStacks env-test in 123456789012/us-west-2: cloud unreachable after 5" in str(
        caught.value
    )
    assert len(clock.sleeps) == cloud.settings.retry.max_attempts - 1


def test_a_dropped_connection_is_retried(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, clock: FakeClock
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url)
    cloud.create(target, topic_stack("svc-a"), token())
    proxy.fail("DescribeStacks", "drop")

    assert set(cloud.describe(target, NAMES)) == {"svc-a"}
    assert len(clock.sleeps) == 1


def test_a_server_error_page_is_retried(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, clock: FakeClock
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url)
    proxy.fail("DescribeStacks", "server_error", times=2)

    assert cloud.describe(target, NAMES) == {}
    assert proxy.count("DescribeStacks") == 3


def test_a_rejected_call_is_not_retried(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, clock: FakeClock
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url)

    with pytest.raises(CloudRejected):
        cloud.update(target, topic_stack("ghost"), token())

    assert proxy.count("UpdateStack") == 1
    assert clock.sleeps == []


def test_expired_credentials_are_renewed_and_the_call_retried(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, clock: FakeClock
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url)
    cloud.describe(target, NAMES)
    proxy.fail("DescribeStacks", "expired")

    assert cloud.describe(target, NAMES) == {}
    assert cloud.api_calls()["sts:AssumeRole"] == 2
    assert clock.sleeps == []


def test_a_create_whose_answer_was_lost_returns_its_own_stack(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, emulator_url: str
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url)
    proxy.fail("CreateStack", "lost_response")

    stack_id = cloud.create(target, topic_stack("env-test"), token())

    assert proxy.count("CreateStack") == 2
    stacks = raw_client(emulator_url, target).describe_stacks()["Stacks"]
    assert [(s["StackName"], s["StackId"]) for s in stacks] == [("env-test", stack_id)]


def test_a_retried_create_does_not_adopt_somebody_elses_stack(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target, emulator_url: str
) -> None:
    theirs = topic_stack("env-test")
    raw_client(emulator_url, target).create_stack(
        StackName="env-test",
        TemplateBody=theirs.body,
        Parameters=[{"ParameterKey": "TopicName", "ParameterValue": "theirs"}],
        Tags=[{"Key": "owner", "Value": "someone-else"}],
    )
    cloud = make_cloud(endpoint_url=proxy.url)
    proxy.fail("CreateStack", "drop")  # our first try never reaches the emulator

    with pytest.raises(CloudRejected) as caught:
        cloud.create(target, topic_stack("env-test"), token())

    assert caught.value.is_already_exists
    assert caught.value.attempts == 2
    assert isinstance(caught.value.__cause__, ClientError)


def test_a_lost_answer_on_the_last_attempt_raises_unreachable(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url, retry=RetryPolicy(max_attempts=1))
    proxy.fail("DeleteStack", "drop")

    with pytest.raises(CloudUnreachable) as caught:
        cloud.delete(target, "env-test", token())

    assert isinstance(caught.value.__cause__, ConnectionClosedError)
    assert "after 1 attempt:" in str(caught.value)
