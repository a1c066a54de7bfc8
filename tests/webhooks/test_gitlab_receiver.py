"""POST /webhooks/gitlab with the documented GitLab payloads and headers, over loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.events import ChangeAction, ChangeRequest, Push
from tests.webhooks.conftest import SECRET, LiveReceiver, encode, gitlab_headers, load, settings
from webhooks.settings import WebhookSecrets

MR_HEAD = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"


def deliver(receiver: LiveReceiver, event: str, document: object, **kwargs: Any) -> httpx.Response:
    return receiver.post("gitlab", encode(document), gitlab_headers(event, **kwargs))


def merge_request(payloads: Path, action: str, **attributes: object) -> dict[str, Any]:
    document = load(payloads, "gitlab/merge_request.json")
    document["object_attributes"].update(action=action, **attributes)
    return document


def test_push_hook_to_tracked_branch_is_accepted(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(receiver, "Push Hook", load(payloads, "gitlab/push.json"), delivery="k-1")
    assert answer.status_code == 202
    assert receiver.drain() == [
        Push(
            forge="gitlab",
            repo="mike/diaspora",
            branch="master",
            before="95790bf891e76fee5e1747ab589903a6a1f80f22",
            commit="da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
            delivery_id="k-1",
            pusher="jsmith",
        )
    ]


def test_recorded_delivery_with_its_real_headers_is_accepted(
    receiver: LiveReceiver, payloads: Path
) -> None:
    headers = json.loads((payloads / "gitlab/push.hook_events_api.headers.json").read_text())
    headers["X-Gitlab-Token"] = SECRET
    body = (payloads / "gitlab/push.hook_events_api.json").read_bytes()
    answer = receiver.post("gitlab", body, headers)
    assert answer.status_code == 202
    [event] = receiver.drain()
    assert isinstance(event, Push)
    assert (event.repo, event.pusher) == ("flightjs/Flight", "root")
    assert event.delivery_id == headers["Idempotency-Key"]


def test_merge_request_open_becomes_change_request(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(
        receiver, "Merge Request Hook", load(payloads, "gitlab/merge_request.json"), delivery="m-1"
    )
    assert answer.status_code == 202
    assert receiver.drain() == [
        ChangeRequest(
            forge="gitlab",
            repo="gitlabhq/gitlab-test",
            number=1,
            action=ChangeAction.OPENED,
            head_sha=MR_HEAD,
            head_ref="ms-viewport",
            base_ref="master",
            author="root",
            delivery_id="m-1",
            title="MS-Viewport",
            url="http://example.com/diaspora/merge_requests/1",
        )
    ]


@pytest.mark.parametrize(
    ("action", "attributes", "expected"),
    [
        ("update", {"oldrev": "95790bf891e76fee5e1747ab589903a6a1f80f22"}, ChangeAction.UPDATED),
        ("reopen", {}, ChangeAction.REOPENED),
        ("close", {}, ChangeAction.CLOSED),
        ("merge", {}, ChangeAction.MERGED),
    ],
)
def test_merge_request_actions_map_to_change_actions(
    receiver: LiveReceiver,
    payloads: Path,
    action: str,
    attributes: dict[str, object],
    expected: ChangeAction,
) -> None:
    document = merge_request(payloads, action, **attributes)
    assert deliver(receiver, "Merge Request Hook", document).status_code == 202
    [event] = receiver.drain()
    assert isinstance(event, ChangeRequest)
    assert event.action is expected


def test_update_that_leaves_draft_is_ready(receiver: LiveReceiver, payloads: Path) -> None:
    # The documented payload's changes say draft went from true to false.
    document = merge_request(payloads, "update")
    assert deliver(receiver, "Merge Request Hook", document).status_code == 202
    [event] = receiver.drain()
    assert isinstance(event, ChangeRequest)
    assert event.action is ChangeAction.READY


def test_update_without_new_commits_is_ignored(receiver: LiveReceiver, payloads: Path) -> None:
    document = merge_request(payloads, "update")
    document["changes"] = {"title": {"previous": "a", "current": "b"}}
    answer = deliver(receiver, "Merge Request Hook", document)
    assert answer.status_code == 200
    assert answer.json()["verdict"] == "ignored"
    assert receiver.drain() == []


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("Tag Push Hook", "gitlab/tag_push.json"),
        ("Note Hook", "gitlab/note_merge_request.json"),
    ],
)
def test_events_needing_no_work_are_ignored(
    receiver: LiveReceiver, payloads: Path, event: str, payload: str
) -> None:
    answer = deliver(receiver, event, load(payloads, payload))
    assert answer.status_code == 200
    assert answer.json() == {
        "verdict": "ignored",
        "reason": f"GitLab event {event!r} needs no work",
    }
    assert receiver.drain() == []


def test_approval_is_ignored(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(receiver, "Merge Request Hook", merge_request(payloads, "approved"))
    assert answer.json()["reason"] == "merge request action 'approved' needs no work"


def test_push_to_another_branch_is_ignored(receiver: LiveReceiver, payloads: Path) -> None:
    receiver.install(settings(branch="main"))
    answer = deliver(receiver, "Push Hook", load(payloads, "gitlab/push.json"))
    assert answer.json() == {"verdict": "ignored", "reason": "push to branch master; tracking main"}


def test_missing_token_is_401(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(receiver, "Push Hook", load(payloads, "gitlab/push.json"), token=None)
    assert answer.status_code == 401
    assert "missing X-Gitlab-Token" in answer.json()["reason"]


def test_wrong_token_is_401(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(receiver, "Push Hook", load(payloads, "gitlab/push.json"), token="guess")
    assert answer.status_code == 401
    assert receiver.drain() == []


def test_no_secret_configured_is_503(receiver: LiveReceiver, payloads: Path) -> None:
    receiver.install(settings(secrets=WebhookSecrets()))
    answer = deliver(receiver, "Push Hook", load(payloads, "gitlab/push.json"))
    assert answer.status_code == 503


def test_project_secret_is_used_for_its_project(receiver: LiveReceiver, payloads: Path) -> None:
    receiver.install(settings(secrets=WebhookSecrets(per_repo={"Mike/Diaspora": "diaspora"})))
    answer = deliver(receiver, "Push Hook", load(payloads, "gitlab/push.json"), token="diaspora")
    assert answer.status_code == 202


def test_redelivery_with_same_idempotency_key_does_no_work_twice(
    receiver: LiveReceiver, payloads: Path
) -> None:
    document = load(payloads, "gitlab/push.json")
    first = deliver(receiver, "Push Hook", document, delivery="retry-me")
    again = deliver(receiver, "Push Hook", document, delivery="retry-me")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["verdict"] == "duplicate"
    assert len(receiver.drain()) == 1


def test_event_uuid_identifies_deliveries_from_gitlab_before_17_4(
    receiver: LiveReceiver, payloads: Path
) -> None:
    body = encode(load(payloads, "gitlab/push.json"))
    headers = gitlab_headers("Push Hook")
    del headers["Idempotency-Key"]
    assert receiver.post("gitlab", body, headers).status_code == 202
    assert receiver.post("gitlab", body, headers).json()["verdict"] == "duplicate"
