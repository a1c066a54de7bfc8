"""The fake forges refuse what the real ones would, so a lenient fake cannot hide a bug."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.forges.conftest import GITLAB_TOKEN, REPO, SHA, TOKEN

GH_AUTH = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "t"}
GL_AUTH = {"PRIVATE-TOKEN": GITLAB_TOKEN}


@pytest.mark.parametrize(
    ("headers", "payload", "status", "reason"),
    [
        ({"User-Agent": "t"}, {"state": "success"}, 401, "Bad credentials"),
        (
            {"Authorization": f"token {TOKEN}", "User-Agent": ""},
            {"state": "success"},
            403,
            "User-Agent",
        ),
        (GH_AUTH, {"state": "ok"}, 422, "state must be one of"),
        (GH_AUTH, {"context": "c"}, 422, "Missing required fields ['state']"),
        (GH_AUTH, {"state": "success", "colour": "red"}, 422, "Unknown fields ['colour']"),
        (GH_AUTH, {"state": "success", "description": "x" * 141}, 422, "maximum is 140"),
    ],
)
def test_fake_github_refuses_wrong_status_requests(
    github: FakeGitHub,
    http: httpx.Client,
    headers: dict[str, str],
    payload: dict[str, str],
    status: int,
    reason: str,
) -> None:
    answer = http.post(f"{github.url}/repos/{REPO}/statuses/{SHA}", json=payload, headers=headers)
    assert answer.status_code == status
    assert reason in answer.text
    assert github.statuses == []


def test_fake_github_refuses_other_repositories_and_short_shas(
    github: FakeGitHub, http: httpx.Client
) -> None:
    ok = {"state": "success"}
    assert (
        http.post(
            f"{github.url}/repos/acme/other/statuses/{SHA}", json=ok, headers=GH_AUTH
        ).status_code
        == 404
    )
    assert (
        http.post(
            f"{github.url}/repos/{REPO}/statuses/abc123", json=ok, headers=GH_AUTH
        ).status_code
        == 422
    )


def test_fake_github_refuses_overlong_comment(github: FakeGitHub, http: httpx.Client) -> None:
    answer = http.post(
        f"{github.url}/repos/{REPO}/issues/7/comments", json={"body": "x" * 65_537}, headers=GH_AUTH
    )
    assert answer.status_code == 422
    assert "body is too long (maximum is 65536 characters)" in answer.text


@pytest.mark.parametrize(
    ("path", "payload", "status", "reason"),
    [
        ("acme%2Finfra%2Fplatform", {"state": "failure"}, 400, "state does not have a valid"),
        (
            "acme%2Finfra%2Fplatform",
            {"state": "success", "description": "x" * 256},
            400,
            "maximum is 255",
        ),
        (
            "acme%2Finfra%2Fplatform",
            {"state": "success", "target_url": "h" * 256},
            400,
            "maximum is 255",
        ),
        ("acme/infra/platform", {"state": "success"}, 404, "Not Found"),
    ],
)
def test_fake_gitlab_refuses_wrong_status_requests(
    gitlab: FakeGitLab,
    http: httpx.Client,
    path: str,
    payload: dict[str, str],
    status: int,
    reason: str,
) -> None:
    answer = http.post(
        f"{gitlab.url}/projects/{path}/statuses/{SHA}", json=payload, headers=GL_AUTH
    )
    assert answer.status_code == status
    assert reason in answer.text
    assert gitlab.statuses == []


def test_fake_gitlab_requires_a_token(gitlab: FakeGitLab, http: httpx.Client) -> None:
    answer = http.post(
        f"{gitlab.url}/projects/42/statuses/{SHA}",
        json={"state": "success"},
        headers={"Authorization": "Bearer wrong"},
    )
    assert answer.status_code == 401


def test_fake_gitlab_refuses_blank_note_and_unknown_merge_request(
    gitlab: FakeGitLab, http: httpx.Client
) -> None:
    notes = f"{gitlab.url}/projects/42/merge_requests"
    assert http.post(f"{notes}/3/notes", json={"body": " "}, headers=GL_AUTH).status_code == 400
    assert http.post(f"{notes}/9/notes", json={"body": "x"}, headers=GL_AUTH).status_code == 404
