"""Opening or updating one pull / merge request per branch, against the fake forges."""

from __future__ import annotations

import httpx
import pytest

from reconciler.forges.errors import ForgeRejected
from reconciler.forges.model import ChangeRequestRef, ProposedChange
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.forges.conftest import REPO, TOKEN, github_client, gitlab_client

CHANGE = ProposedChange("goldenpath/provisioning", "main", "Provision 2 units", "from abc123")


def test_github_opens_a_pull_request_then_updates_it(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    first = client.propose(CHANGE)
    assert first.created and first.url == f"https://github.com/{REPO}/pull/{first.ref.number}"
    second = client.propose(ProposedChange(CHANGE.branch, "main", "Provision 3 units", "def"))
    assert not second.created and second.ref == first.ref
    [pull] = github.open_pull_requests()
    assert (pull.head, pull.base, pull.title, pull.body, pull.edits) == (
        "goldenpath/provisioning",
        "main",
        "Provision 3 units",
        "def",
        1,
    )
    listed = [c for c in github.calls if c.method == "GET" and c.path.endswith("/pulls")]
    assert listed[0].query == {
        "state": "open",
        "head": "acme:goldenpath/provisioning",
        "base": "main",
    }


def test_github_opens_a_new_pull_request_once_the_last_was_merged(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    first = client.propose(CHANGE)
    github.merge_pull(first.ref.number)
    second = client.propose(CHANGE)
    assert second.created and second.ref.number > first.ref.number


def test_github_refuses_a_pull_request_from_a_branch_never_pushed(
    clock: FakeClock, http: httpx.Client
) -> None:
    with FakeGitHub(TOKEN, REPO, clock=clock.time, branches=lambda: {"main"}) as fake:
        with pytest.raises(ForgeRejected, match="422"):
            github_client(fake, http, clock).propose(CHANGE)
        assert fake.open_pull_requests() == []


def test_github_answers_already_exists_when_a_pull_was_opened_meanwhile(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    opened = client.propose(CHANGE)
    # Another writer's pull appears between our look and our create: the 422 says so, and
    # the client finds it on its next look instead of failing.
    github.fail_next(1, 200, [], method="GET", path_contains="/pulls")
    again = client.propose(CHANGE)
    assert again.ref == opened.ref and not again.created
    assert len(github.open_pull_requests()) == 1


def test_gitlab_opens_a_merge_request_then_updates_it(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    client = gitlab_client(gitlab, http, clock)
    first = client.propose(CHANGE)
    assert first.created and first.url.endswith(f"/-/merge_requests/{first.ref.number}")
    second = client.propose(ProposedChange(CHANGE.branch, "main", "Provision 3 units", "def"))
    assert second.ref == first.ref and not second.created
    [mr] = gitlab.open_requests()
    assert (mr.source_branch, mr.target_branch, mr.title, mr.description) == (
        "goldenpath/provisioning",
        "main",
        "Provision 3 units",
        "def",
    )
    assert first.ref != ChangeRequestRef(3)  # not the MR the fixture opened


def test_gitlab_conflict_means_one_is_open_already(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    client = gitlab_client(gitlab, http, clock)
    opened = client.propose(CHANGE)
    gitlab.fail_next(1, 200, [], method="GET", path_contains="/merge_requests")
    again = client.propose(CHANGE)
    assert again.ref == opened.ref
    assert len(gitlab.open_requests()) == 1
