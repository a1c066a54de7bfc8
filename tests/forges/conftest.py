"""Fake forges on loopback, a fake clock, and clients pointed at them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.forges.client import ForgeClient
from reconciler.forges.github import GitHubToken, github_forge
from reconciler.forges.gitlab import GitLabToken, gitlab_forge
from reconciler.forges.transport import RetryPolicy
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab

TOKEN = "ghp_s3cr3tTokenValue0123456789"
GITLAB_TOKEN = "glpat-s3cr3tTokenValue0123"
REPO = "acme/platform"
PROJECT_ID = 42
PROJECT_PATH = "acme/infra/platform"
SHA = "0123456789abcdef0123456789abcdef01234567"
POLICY = RetryPolicy(attempts=4, first_backoff_s=1.0, timeout_s=5.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def github(clock: FakeClock) -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN, repo=REPO, clock=clock.time) as fake:
        fake.open_pull(7, files=["services/a.yaml"])
        yield fake


@pytest.fixture
def gitlab(clock: FakeClock) -> Iterator[FakeGitLab]:
    with FakeGitLab(GITLAB_TOKEN, PROJECT_ID, PROJECT_PATH, clock=clock.time) as fake:
        fake.open_merge_request(3, files=["services/a.yaml"])
        yield fake


def github_client(
    fake: FakeGitHub, http: httpx.Client, clock: FakeClock, token: str = TOKEN
) -> ForgeClient:
    return github_forge(
        REPO,
        GitHubToken(token, "goldenpath-tests"),
        http=http,
        clock=clock,
        policy=POLICY,
        url=fake.url,
    )


def gitlab_client(
    fake: FakeGitLab,
    http: httpx.Client,
    clock: FakeClock,
    project: str = PROJECT_PATH,
    bearer: bool = False,
) -> ForgeClient:
    credentials = GitLabToken(GITLAB_TOKEN, "goldenpath-tests", bearer=bearer)
    return gitlab_forge(project, credentials, http=http, clock=clock, policy=POLICY, url=fake.url)
