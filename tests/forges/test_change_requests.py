"""Goldenpath's own change requests through the forge clients: opened once, found again,
edited, reviewed, and read back in domain words, on GitHub and GitLab."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from reconciler.forges import ChangeRequestDraft, ChangeRequestState, ForgeRejected
from tests.fakes.clock import FakeClock
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.forges.conftest import (
    GITLAB_TOKEN,
    PROJECT_PATH,
    REPO,
    TOKEN,
    github_client,
    gitlab_client,
)

DRAFT = ChangeRequestDraft("goldenpath/update/web", "main", "Update web to svc 1.2", "moves web")
GH_AUTH = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "t"}
GL_AUTH = {"PRIVATE-TOKEN": GITLAB_TOKEN}


def test_github_opens_a_pull_request_once_and_reads_it_back(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    made = client.create_change_request(DRAFT)
    assert made.state == ChangeRequestState.OPEN and made.branch == DRAFT.branch
    # A second create (another replica, a retry) finds the open one: GitHub said 422.
    again = client.create_change_request(DRAFT)
    assert again.number == made.number
    assert len(github.pull_requests) == 1
    assert github.pull_requests[made.number].body.startswith("<!-- goldenpath:update-pr -->")
    assert client.open_change_requests(DRAFT.branch, "main") == [made]
    github.close_pull(made.number, merged=True)
    assert client.change_request(made.number).state == ChangeRequestState.MERGED
    assert client.open_change_requests(DRAFT.branch, "main") == []


def test_github_edits_and_asks_the_team_to_review(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    github.teams = {"storefront"}
    client = github_client(github, http, clock)
    made = client.create_change_request(DRAFT)
    client.edit_change_request(made.number, "Update web to svc 1.3", "moves web again")
    client.request_review(made.number, "storefront", ("gregg",))
    pull = github.pull_requests[made.number]
    assert pull.title == "Update web to svc 1.3" and pull.body.endswith("moves web again")
    assert pull.team_reviewers == ["storefront"] and pull.reviewers == []


def test_github_refusing_team_and_members_is_a_rejection(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    client = github_client(github, http, clock)
    made = client.create_change_request(DRAFT)
    with pytest.raises(ForgeRejected, match="422"):
        client.request_review(made.number, "storefront", ("gregg",))


def test_gitlab_opens_a_merge_request_once_and_reads_it_back(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    gitlab.users = {"gregg": 7}
    client = gitlab_client(gitlab, http, clock)
    made = client.create_change_request(DRAFT)
    again = client.create_change_request(DRAFT)  # GitLab said 409
    assert again.number == made.number and len(gitlab.created) == 1
    client.request_review(made.number, "storefront", ("gregg", "nobody"))
    assert gitlab.created[made.number].reviewer_ids == [7]
    gitlab.close_merge_request(made.number)
    assert client.change_request(made.number).state == ChangeRequestState.CLOSED


def test_gitlab_with_no_known_member_asks_nobody(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    client = gitlab_client(gitlab, http, clock)
    made = client.create_change_request(DRAFT)
    client.request_review(made.number, "storefront", ("nobody",))
    assert gitlab.created[made.number].reviewer_ids == []
    assert not [c for c in gitlab.calls if c.method == "PUT"]


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        ({"head": "b", "base": "main"}, 422, "missing_field"),
        ({"title": "t", "base": "main"}, 422, "Missing required fields ['head']"),
        ({"title": "t", "head": "b", "base": "main", "labels": ["x"]}, 422, "Unknown fields"),
        ({"title": "t", "head": "b", "base": "main", "draft": "yes"}, 422, "draft"),
        ({"title": "t", "head": "b", "base": "main", "body": "x" * 65_537}, 422, "maximum is"),
        ({"title": "t", "head": "gone", "base": "main"}, 422, '"field": "head"'),
    ],
)
def test_fake_github_refuses_wrong_pull_requests(
    github: FakeGitHub, http: httpx.Client, payload: dict[str, object], status: int, reason: str
) -> None:
    github.branch_exists = lambda branch: branch != "gone"
    answer = http.post(f"{github.url}/repos/{REPO}/pulls", json=payload, headers=GH_AUTH)
    assert answer.status_code == status
    assert reason in answer.text.replace('":"', '": "')
    assert github.pull_requests == {}


def test_fake_github_refuses_a_bad_list_and_an_empty_review_request(
    github: FakeGitHub, http: httpx.Client, clock: FakeClock
) -> None:
    pulls = f"{github.url}/repos/{REPO}/pulls"
    assert http.get(pulls, params={"state": "merged"}, headers=GH_AUTH).status_code == 422
    assert http.get(pulls, params={"head": "no-owner"}, headers=GH_AUTH).status_code == 422
    made = github_client(github, http, clock).create_change_request(DRAFT)
    review = f"{pulls}/{made.number}/requested_reviewers"
    assert http.post(review, json={}, headers=GH_AUTH).status_code == 422
    assert http.post(review, json={"reviewers": "gregg"}, headers=GH_AUTH).status_code == 422


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        ({"source_branch": "b", "target_branch": "main"}, 422, "['title']"),
        (
            {"source_branch": "b", "target_branch": "main", "title": "t", "reviewer_ids": [9]},
            400,
            "unknown user ids",
        ),
        (
            {"source_branch": "b", "target_branch": "main", "title": "t", "reviewer_ids": "7"},
            400,
            "reviewer_ids is invalid",
        ),
        ({"source_branch": "gone", "target_branch": "main", "title": "t"}, 400, "does not exist"),
        (
            {"source_branch": "b", "target_branch": "main", "title": "t", "body": "x"},
            422,
            "Unknown fields",
        ),
    ],
)
def test_fake_gitlab_refuses_wrong_merge_requests(
    gitlab: FakeGitLab, http: httpx.Client, payload: dict[str, object], status: int, reason: str
) -> None:
    gitlab.branch_exists = lambda branch: branch != "gone"
    project = quote(PROJECT_PATH, safe="")
    answer = http.post(
        f"{gitlab.url}/projects/{project}/merge_requests", json=payload, headers=GL_AUTH
    )
    assert answer.status_code == status
    assert reason in answer.text
    assert gitlab.created == {}


def test_fake_gitlab_refuses_an_empty_update_and_a_bad_state(
    gitlab: FakeGitLab, http: httpx.Client, clock: FakeClock
) -> None:
    made = gitlab_client(gitlab, http, clock).create_change_request(DRAFT)
    project = quote(PROJECT_PATH, safe="")
    mrs = f"{gitlab.url}/projects/{project}/merge_requests"
    assert http.put(f"{mrs}/{made.number}", json={}, headers=GL_AUTH).status_code == 400
    assert (
        http.put(f"{mrs}/{made.number}", json={"state_event": "merge"}, headers=GL_AUTH).status_code
        == 400
    )
    assert http.get(mrs, params={"state": "open"}, headers=GL_AUTH).status_code == 400
