"""Fixtures of the cloud edge tests: an emulator over HTTP, fresh accounts, a fake clock.

The emulator is plain moto 5.2.5 served by ``ThreadedMotoServer`` on a free loopback
port, reached by boto3 over HTTP exactly as real AWS would be. Each test works in
accounts of its own (moto keeps accounts apart by the assumed role), so tests sharing the
one server never see each other's stacks.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from reconciler.cloud import (
    AccessKey,
    AwsCloud,
    CloudSettings,
    RetryPolicy,
    StackRequest,
    Target,
    WaitSchedule,
)
from tests.cloud.flaky_proxy import FlakyProxy

REGION = "us-west-2"
_accounts = itertools.count(100_000_000_001)


@dataclass
class FakeClock:
    """A clock that only moves when told: ``sleep`` records the pause and moves time on."""

    start: float = 1_900_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._now = self.start

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._now += seconds

    def advance(self, seconds: float) -> None:
        self._now += seconds


class CeilingRandom(random.Random):
    """Jitter that always picks the top of its range, to see the backoff envelope itself."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    # The emulator stamps credential expiry with the real time; start there.
    import time

    return FakeClock(start=time.time())


def fresh_target(region: str = REGION) -> Target:
    """A target in an account no other test uses, reached through a role."""
    account = f"{next(_accounts):012d}"
    return Target(account, region, f"arn:aws:iam::{account}:role/goldenpath-deployer")


@pytest.fixture
def target() -> Target:
    return fresh_target()


CloudFactory = Callable[..., AwsCloud]


@pytest.fixture
def make_cloud(emulator_url: str, clock: FakeClock) -> CloudFactory:
    """Build an AwsCloud on the fake clock; keyword arguments override settings."""

    def build(
        endpoint_url: str | None = None, rng: random.Random | None = None, **overrides: Any
    ) -> AwsCloud:
        settings: dict[str, Any] = {
            "endpoint_url": endpoint_url or emulator_url,
            "access_key": AccessKey("testing", "testing"),
            "retry": RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=4.0),
            "wait": WaitSchedule(first_interval=0.5, max_interval=2.0, timeout=60.0),
        }
        settings.update(overrides)
        return AwsCloud(CloudSettings(**settings), clock=clock, rng=rng or random.Random(7))

    return build


@pytest.fixture
def cloud(make_cloud: CloudFactory) -> AwsCloud:
    return make_cloud()


@pytest.fixture
def proxy(emulator_url: str) -> Iterator[FlakyProxy]:
    flaky = FlakyProxy(emulator_url).start()
    yield flaky
    flaky.stop()


def topic_stack(
    name: str,
    topic: str = "orders",
    *,
    second_topic: bool = False,
    tags: dict[str, str] | None = None,
) -> StackRequest:
    """A small real stack: an SNS topic named by a parameter, its ARN as an output."""
    resources: dict[str, Any] = {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "TopicName"}}}
    }
    if second_topic:
        resources["Audit"] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "audit"}}
    body = {
        "Parameters": {"TopicName": {"Type": "String"}},
        "Resources": resources,
        "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}},
    }
    return StackRequest(
        name=name,
        body=json.dumps(body),
        parameters={"TopicName": topic},
        tags=tags if tags is not None else {"goldenpath:unit": f"environment/{name}"},
    )


def raw_client(emulator_url: str, target: Target) -> Any:
    """A plain boto3 CloudFormation client in the target's account, to check behind our back."""
    sts = boto3.client(
        "sts",
        region_name=target.region,
        endpoint_url=emulator_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    if target.role_arn is None:
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    else:
        raw = sts.assume_role(RoleArn=target.role_arn, RoleSessionName="test")["Credentials"]
        credentials = {
            "aws_access_key_id": raw["AccessKeyId"],
            "aws_secret_access_key": raw["SecretAccessKey"],
            "aws_session_token": raw["SessionToken"],
        }
    return boto3.client(
        "cloudformation", region_name=target.region, endpoint_url=emulator_url, **credentials
    )


def token(prefix: str = "t") -> str:
    return f"{prefix}-{random.getrandbits(64):x}"
