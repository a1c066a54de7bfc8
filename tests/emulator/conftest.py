"""Fixtures of the emulator tests: one emulator per session, reached over HTTP with boto3.

The emulator runs in this process on a free loopback port (``start_embedded``), exactly
as ``goldenpath demo`` runs it. Tests share it, so each test names its stacks uniquely
(``names``) and works in an account of its own when it needs isolation (``account``).
Faults and switched-off fixes never outlive the test that set them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

import emulator
from emulator.server import EmbeddedEmulator

REGION = "us-west-2"
DEFAULT_ACCOUNT = "123456789012"
_accounts = itertools.count(210_000_000_001)

Client = Callable[..., Any]


@pytest.fixture(scope="session")
def cloud() -> Iterator[EmbeddedEmulator]:
    with emulator.start_embedded() as running:
        yield running


@pytest.fixture(autouse=True)
def _no_lingering_faults(cloud: EmbeddedEmulator) -> Iterator[None]:
    yield
    httpx.delete(f"{cloud.url}/_goldenpath/faults").raise_for_status()


def _session_client(
    url: str, service: str, region: str, credentials: dict[str, str], retries: int = 2
) -> Any:
    # Few retries: a test must see the emulator's first answer, not a later lucky one.
    config = Config(retries={"total_max_attempts": retries + 1, "mode": "standard"})
    return boto3.session.Session().client(
        service, endpoint_url=url, region_name=region, config=config, **credentials
    )


STATIC_KEYS = {"aws_access_key_id": "AKIAGOLDENPATHTEST", "aws_secret_access_key": "secret"}


def assume(url: str, account: str, region: str = REGION) -> dict[str, str]:
    """Credentials of a role in ``account``, as the reconciler gets them (STS AssumeRole)."""
    sts = _session_client(url, "sts", region, STATIC_KEYS)
    answer = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/goldenpath-deployer", RoleSessionName="tests"
    )["Credentials"]
    return {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


@pytest.fixture
def client(cloud: EmbeddedEmulator) -> Client:
    """``client("cloudformation", account=None, region=REGION)``: a boto3 client.

    With an account, the client acts through a role assumed in that account.
    """

    def make(
        service: str, account: str | None = None, region: str = REGION, retries: int = 2
    ) -> Any:
        credentials = assume(cloud.url, account, region) if account else STATIC_KEYS
        return _session_client(cloud.url, service, region, credentials, retries)

    return make


@pytest.fixture
def cfn(client: Client) -> Any:
    """CloudFormation in the default account."""
    return client("cloudformation")


@pytest.fixture
def account() -> str:
    """A fresh account id no other test uses."""
    return str(next(_accounts))


@pytest.fixture
def names() -> Callable[[str], str]:
    """Unique stack names for this test: ``names("env")`` → ``env-1a2b3c4d``."""
    suffix = uuid.uuid4().hex[:8]
    return lambda base: f"{base}-{suffix}"
