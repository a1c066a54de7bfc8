"""POST /webhooks/github with the real octokit payloads, signed per test, over loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from reconciler.events import ChangeAction, ChangeRequest, EventQueue, Ping, Push
from tests.webhooks.conftest import (
    SECRET,
    LiveReceiver,
    encode,
    github_headers,
    load,
    settings,
)
from webhooks.github import signature
from webhooks.settings import WebhookSecrets

HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def deliver(
    receiver: LiveReceiver, event: str, document: object, **kwargs: str | None
) -> httpx.Response:
    body = encode(document)
    return receiver.post("github", body, github_headers(event, body, **kwargs))


def test_signature_matches_githubs_documented_test_vector() -> None:
    assert signature(SECRET, b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_push_to_tracked_branch_is_accepted_as_push_event(
    receiver: LiveReceiver, payloads: Path
) -> None:
    answer = deliver(
        receiver, "push", load(payloads, "github/push.with-new-branch.payload.json"), delivery="d-1"
    )
    assert answer.status_code == 202
    assert answer.json()["verdict"] == "accepted"
    assert receiver.drain() == [
        Push(
            forge="github",
            repo="Codertocat/Hello-World",
            branch="master",
            before="0" * 40,
            commit="6113728f27ae82c7b1a177c8d03f9e96e0adf246",
            delivery_id="d-1",
            pusher="Codertocat",
        )
    ]


def test_pull_request_opened_becomes_change_request(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(
        receiver,
        "pull_request",
        load(payloads, "github/pull_request.opened.payload.json"),
        delivery="d-2",
    )
    assert answer.status_code == 202
    assert receiver.drain() == [
        ChangeRequest(
            forge="github",
            repo="Codertocat/Hello-World",
            number=2,
            action=ChangeAction.OPENED,
            head_sha=HEAD,
            head_ref="changes",
            base_ref="master",
            author="Codertocat",
            delivery_id="d-2",
            title="Update the README with new information.",
            url="https://github.com/Codertocat/Hello-World/pull/2",
        )
    ]


@pytest.mark.parametrize(
    ("payload", "action"),
    [
        ("pull_request.synchronize.payload.json", ChangeAction.UPDATED),
        ("pull_request.reopened.payload.json", ChangeAction.REOPENED),
        ("pull_request.ready_for_review.payload.json", ChangeAction.READY),
        ("pull_request.closed.payload.json", ChangeAction.CLOSED),
        ("pull_request.opened.with-null-body.json", ChangeAction.OPENED),
    ],
)
def test_pull_request_actions_map_to_change_actions(
    receiver: LiveReceiver, payloads: Path, payload: str, action: ChangeAction
) -> None:
    answer = deliver(receiver, "pull_request", load(payloads, f"github/{payload}"))
    assert answer.status_code == 202
    [event] = receiver.drain()
    assert isinstance(event, ChangeRequest)
    assert event.action is action


def test_closed_and_merged_pull_request_is_merged(receiver: LiveReceiver, payloads: Path) -> None:
    document = load(payloads, "github/pull_request.closed.payload.json")
    document["pull_request"]["merged"] = True
    assert deliver(receiver, "pull_request", document).status_code == 202
    [event] = receiver.drain()
    assert isinstance(event, ChangeRequest)
    assert event.action is ChangeAction.MERGED


def test_ping_is_accepted_with_hook_id(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(receiver, "ping", load(payloads, "github/ping.payload.json"), delivery="p-1")
    assert answer.status_code == 202
    assert receiver.drain() == [
        Ping(forge="github", repo="Octocoders/Hello-World", delivery_id="p-1", hook_id="109948940")
    ]


def test_organisation_ping_has_no_repository(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(receiver, "ping", load(payloads, "github/ping.with-organization.payload.json"))
    assert answer.status_code == 202
    [event] = receiver.drain()
    assert isinstance(event, Ping)
    assert event.repo == ""


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        ("push", "push.payload.json", "not a branch"),
        ("pull_request", "pull_request.converted_to_draft.payload.json", "converted_to_draft"),
        ("issues", "push.payload.json", "'issues' needs no work"),
    ],
)
def test_events_needing_no_work_are_acknowledged_and_ignored(
    receiver: LiveReceiver, payloads: Path, event: str, payload: str, reason: str
) -> None:
    answer = deliver(receiver, event, load(payloads, f"github/{payload}"))
    assert answer.status_code == 200
    assert answer.json()["verdict"] == "ignored"
    assert reason in answer.json()["reason"]
    assert receiver.drain() == []


def test_push_to_another_branch_is_ignored(receiver: LiveReceiver, payloads: Path) -> None:
    receiver.install(settings(branch="main"))
    answer = deliver(receiver, "push", load(payloads, "github/push.with-new-branch.payload.json"))
    assert answer.status_code == 200
    assert answer.json()["reason"] == "push to branch master; tracking main"
    assert receiver.drain() == []


def test_deleted_branch_push_is_ignored(receiver: LiveReceiver, payloads: Path) -> None:
    document = load(payloads, "github/push.with-new-branch.payload.json")
    document.update(deleted=True, after="0" * 40)
    answer = deliver(receiver, "push", document)
    assert answer.json() == {"verdict": "ignored", "reason": "push deleted branch master"}


def test_pull_request_into_another_branch_is_ignored(
    receiver: LiveReceiver, payloads: Path
) -> None:
    receiver.install(settings(branch="main"))
    answer = deliver(
        receiver, "pull_request", load(payloads, "github/pull_request.opened.payload.json")
    )
    assert answer.status_code == 200
    assert "targets master" in answer.json()["reason"]


def test_missing_signature_is_401(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(receiver, "ping", load(payloads, "github/ping.payload.json"), secret=None)
    assert answer.status_code == 401
    assert "missing X-Hub-Signature-256" in answer.json()["reason"]
    assert receiver.drain() == []


def test_signature_with_wrong_secret_is_401(receiver: LiveReceiver, payloads: Path) -> None:
    answer = deliver(receiver, "ping", load(payloads, "github/ping.payload.json"), secret="guess")
    assert answer.status_code == 401
    assert "does not match" in answer.json()["reason"]


def test_body_changed_after_signing_is_401(receiver: LiveReceiver, payloads: Path) -> None:
    body = encode(load(payloads, "github/push.with-new-branch.payload.json"))
    headers = github_headers("push", body)
    answer = receiver.post("github", body.replace(b"Codertocat", b"Mallory"), headers)
    assert answer.status_code == 401
    assert receiver.drain() == []


def test_sha1_signature_alone_is_refused(receiver: LiveReceiver, payloads: Path) -> None:
    body = encode(load(payloads, "github/ping.payload.json"))
    headers = github_headers("ping", body, secret=None)
    headers["X-Hub-Signature"] = "sha1=" + "0" * 40
    answer = receiver.post("github", body, headers)
    assert answer.status_code == 401
    assert "SHA-1" in answer.json()["reason"]


def test_signature_without_sha256_prefix_is_401(receiver: LiveReceiver, payloads: Path) -> None:
    body = encode(load(payloads, "github/ping.payload.json"))
    headers = github_headers("ping", body)
    headers["X-Hub-Signature-256"] = headers["X-Hub-Signature-256"].removeprefix("sha256=")
    assert receiver.post("github", body, headers).status_code == 401


def test_no_secret_configured_is_503_with_a_log_line_saying_why(
    receiver: LiveReceiver, payloads: Path
) -> None:
    receiver.install(settings(secrets=WebhookSecrets()))
    with capture_logs() as logs:
        answer = deliver(receiver, "ping", load(payloads, "github/ping.payload.json"))
    assert answer.status_code == 503
    assert "GOLDENPATH_WEBHOOK_SECRET" in answer.json()["reason"]
    [line] = [entry for entry in logs if entry["event"] == "webhook.refused"]
    assert line["log_level"] == "error"
    assert "no webhook secret is configured" in line["reason"]


def test_repository_secret_takes_precedence_over_default(
    receiver: LiveReceiver, payloads: Path
) -> None:
    secrets = WebhookSecrets(default=SECRET, per_repo={"codertocat/hello-world": "own-secret"})
    receiver.install(settings(secrets=secrets))
    document = load(payloads, "github/pull_request.opened.payload.json")
    assert deliver(receiver, "pull_request", document).status_code == 401
    assert deliver(receiver, "pull_request", document, secret="own-secret").status_code == 202


def test_repository_without_secret_and_no_default_is_503(
    receiver: LiveReceiver, payloads: Path
) -> None:
    receiver.install(settings(secrets=WebhookSecrets(per_repo={"other/repo": "s"})))
    answer = deliver(receiver, "ping", load(payloads, "github/ping.payload.json"), secret="s")
    assert answer.status_code == 503
    assert "Octocoders/Hello-World" in answer.json()["reason"]


def test_redelivery_does_no_work_twice(receiver: LiveReceiver, payloads: Path) -> None:
    document = load(payloads, "github/pull_request.synchronize.payload.json")
    first = deliver(receiver, "pull_request", document, delivery="same-id")
    again = deliver(receiver, "pull_request", document, delivery="same-id")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["verdict"] == "duplicate"
    assert len(receiver.drain()) == 1


def test_full_queue_is_503_and_the_redelivery_is_taken_later(
    receiver: LiveReceiver, payloads: Path
) -> None:
    receiver.install(settings(), queue=EventQueue(1))
    document = load(payloads, "github/pull_request.synchronize.payload.json")
    assert deliver(receiver, "pull_request", document, delivery="first").status_code == 202
    refused = deliver(receiver, "pull_request", document, delivery="second")
    assert refused.status_code == 503
    assert "full" in refused.json()["reason"]
    receiver.drain()
    assert deliver(receiver, "pull_request", document, delivery="second").status_code == 202
