"""Deliveries the receiver must refuse with 400 or 413, naming what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webhooks.conftest import (
    LiveReceiver,
    encode,
    github_headers,
    gitlab_headers,
    load,
    settings,
)
from webhooks.settings import MIB


def test_body_over_5_mib_is_413_by_content_length(receiver: LiveReceiver) -> None:
    body = b" " * (5 * MIB + 1)
    answer = receiver.post("github", body, github_headers("push", body))
    assert answer.status_code == 413
    assert "5242880-byte limit" in answer.json()["reason"]


def test_chunked_body_over_limit_is_413_while_reading(receiver: LiveReceiver) -> None:
    receiver.install(settings(max_body_bytes=64 * 1024))
    chunk = b"x" * 16 * 1024
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(16):
            sent.append(len(chunk))
            yield chunk

    headers = github_headers("push", b"")
    answer = receiver.client.post(
        f"{receiver.url}/webhooks/github", content=chunks(), headers=headers
    )
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert answer.status_code == 413
    assert answer.json()["reason"] == "body is over the 65536-byte limit"


def test_body_at_the_limit_is_read(receiver: LiveReceiver, payloads: Path) -> None:
    body = encode(load(payloads, "github/ping.payload.json"))
    receiver.install(settings(max_body_bytes=len(body)))
    assert receiver.post("github", body, github_headers("ping", body)).status_code == 202


def test_malformed_json_is_400_with_the_parser_error(receiver: LiveReceiver) -> None:
    body = b'{"ref": "refs/heads/master",'
    answer = receiver.post("github", body, github_headers("push", body))
    assert answer.status_code == 400
    assert answer.json()["reason"].startswith("body is not valid JSON: ")
    assert "line 1 column" in answer.json()["reason"]


def test_json_that_is_not_an_object_is_400(receiver: LiveReceiver) -> None:
    body = b"[1, 2]"
    answer = receiver.post("github", body, github_headers("push", body))
    assert answer.status_code == 400
    assert answer.json()["reason"] == "payload must be a JSON object"


def test_unsigned_garbage_is_401_not_400(receiver: LiveReceiver) -> None:
    body = b"not json"
    answer = receiver.post("github", body, github_headers("push", body, secret="wrong"))
    assert answer.status_code == 401


def test_form_encoded_payload_is_400_telling_to_use_json(receiver: LiveReceiver) -> None:
    body = b"payload=%7B%7D"
    headers = github_headers("push", body)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    answer = receiver.post("github", body, headers)
    assert answer.status_code == 400
    assert "content type to JSON" in answer.json()["reason"]


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (
            ("pull_request", "head", "sha"),
            None,
            "field pull_request.head.sha: expected a string, got null",
        ),
        (
            ("pull_request", "number"),
            "2",
            "field pull_request.number: expected an integer, got str",
        ),
        (
            ("pull_request", "head", "sha"),
            "abc",
            "field pull_request.head.sha: expected a 40-character hex commit id",
        ),
        (
            ("pull_request", "merged"),
            "yes",
            "field pull_request.merged: expected true or false, got str",
        ),
    ],
)
def test_pull_request_of_wrong_shape_is_400_naming_the_field(
    receiver: LiveReceiver, payloads: Path, path: tuple[str, ...], value: object, reason: str
) -> None:
    document = load(payloads, "github/pull_request.closed.payload.json")
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    body = encode(document)
    answer = receiver.post("github", body, github_headers("pull_request", body))
    assert answer.status_code == 400
    assert answer.json()["reason"].startswith(reason)
    assert receiver.drain() == []


def test_missing_field_is_400_naming_it(receiver: LiveReceiver, payloads: Path) -> None:
    document = load(payloads, "github/push.with-new-branch.payload.json")
    del document["repository"]["full_name"]
    body = encode(document)
    answer = receiver.post("github", body, github_headers("push", body))
    assert answer.status_code == 400
    assert answer.json()["reason"] == "field repository.full_name: missing"


def test_missing_event_header_is_400(receiver: LiveReceiver, payloads: Path) -> None:
    body = encode(load(payloads, "github/ping.payload.json"))
    headers = github_headers("ping", body)
    del headers["X-GitHub-Event"]
    answer = receiver.post("github", body, headers)
    assert answer.status_code == 400
    assert answer.json()["reason"] == "missing X-GitHub-Event header"


def test_missing_github_delivery_id_is_400(receiver: LiveReceiver, payloads: Path) -> None:
    body = encode(load(payloads, "github/ping.payload.json"))
    headers = github_headers("ping", body)
    del headers["X-GitHub-Delivery"]
    answer = receiver.post("github", body, headers)
    assert answer.status_code == 400
    assert answer.json()["reason"] == "missing X-GitHub-Delivery header"


def test_gitlab_delivery_without_any_id_is_400(receiver: LiveReceiver, payloads: Path) -> None:
    headers = gitlab_headers("Push Hook")
    del headers["Idempotency-Key"], headers["X-Gitlab-Event-UUID"]
    answer = receiver.post("gitlab", encode(load(payloads, "gitlab/push.json")), headers)
    assert answer.status_code == 400
    assert answer.json()["reason"] == "missing X-Gitlab-Event-UUID header"


def test_gitlab_event_header_and_object_kind_must_agree(
    receiver: LiveReceiver, payloads: Path
) -> None:
    body = encode(load(payloads, "gitlab/push.json"))
    answer = receiver.post("gitlab", body, gitlab_headers("Merge Request Hook"))
    assert answer.status_code == 400
    assert answer.json()["reason"] == (
        "field object_kind: expected 'merge_request' for Merge Request Hook, got 'push'"
    )
