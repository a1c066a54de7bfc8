"""The delivery builders the end-to-end test uses produce the events they describe."""

from __future__ import annotations

from pathlib import Path

from reconciler.events import ChangeAction, ChangeRequest, Push
from tests.fakes.deliveries import (
    github_pull_request,
    github_push,
    gitlab_merge_request,
    gitlab_push,
)
from tests.webhooks.conftest import SECRET, LiveReceiver, settings

BEFORE = "1" * 40
AFTER = "2" * 40


def test_rewritten_github_push_becomes_that_push(receiver: LiveReceiver, payloads: Path) -> None:
    receiver.install(settings(branch="main"))
    body, headers = github_push(
        payloads,
        SECRET,
        repo="acme/platform",
        branch="main",
        before=BEFORE,
        after=AFTER,
        pusher="anna",
    )
    assert receiver.post("github", body, headers).status_code == 202
    [event] = receiver.drain()
    assert event == Push(
        forge="github",
        repo="acme/platform",
        branch="main",
        before=BEFORE,
        commit=AFTER,
        delivery_id=headers["X-GitHub-Delivery"],
        pusher="anna",
    )


def test_rewritten_github_merge_becomes_merged_change(
    receiver: LiveReceiver, payloads: Path
) -> None:
    receiver.install(settings(branch="main"))
    body, headers = github_pull_request(
        payloads,
        "closed",
        SECRET,
        repo="acme/platform",
        number=7,
        head_sha=AFTER,
        head_ref="add-svc",
        base_ref="main",
        author="gregg",
        merged=True,
    )
    assert receiver.post("github", body, headers).status_code == 202
    [event] = receiver.drain()
    assert isinstance(event, ChangeRequest)
    assert (event.repo, event.number, event.action, event.head_sha, event.author) == (
        "acme/platform",
        7,
        ChangeAction.MERGED,
        AFTER,
        "gregg",
    )
    assert event.url == "https://github.com/acme/platform/pull/7"


def test_rewritten_gitlab_push_and_update(receiver: LiveReceiver, payloads: Path) -> None:
    receiver.install(settings(branch="main"))
    body, headers = gitlab_push(
        payloads,
        SECRET,
        project="acme/platform",
        branch="main",
        before=BEFORE,
        after=AFTER,
        pusher="anna",
    )
    assert receiver.post("gitlab", body, headers).status_code == 202
    body, headers = gitlab_merge_request(
        payloads,
        "update",
        SECRET,
        project="acme/platform",
        iid=3,
        head_sha=AFTER,
        source_branch="add-svc",
        target_branch="main",
        author="priya",
        oldrev=BEFORE,
    )
    assert receiver.post("gitlab", body, headers).status_code == 202
    push, change = receiver.drain()
    assert isinstance(push, Push) and push.commit == AFTER
    assert isinstance(change, ChangeRequest)
    assert (change.action, change.number, change.author) == (ChangeAction.UPDATED, 3, "priya")
