"""The formats, pure: the signature a receiver verifies, Slack's limits and escaping."""

from __future__ import annotations

import json

import jsonschema
import pytest

from reconciler.notifications import formats
from reconciler.notifications.events import Notice
from tests.fakes.receivers import SCHEMA
from tests.notifications.conftest import deploy_failed

SECRET = "whsec-test-secret"
NOW = 1_800_000_000


def payload(notice: Notice | None = None) -> dict[str, object]:
    return (notice or deploy_failed()).payload("pizza-ananas")


def test_a_signed_request_verifies_and_its_body_matches_the_published_schema() -> None:
    request = formats.json_request(payload(), SECRET, NOW, "https://gp.example.com/")

    header = request.headers[formats.SIGNATURE_HEADER]
    assert formats.verify(SECRET, header, request.body, now=NOW + 10) == NOW
    document = json.loads(request.body)
    jsonschema.validate(document, SCHEMA)
    assert document["links"] == {"unit": "https://gp.example.com/units/service/web/production"}
    assert request.headers[formats.DELIVERY_HEADER] == document["id"]
    assert request.headers[formats.EVENT_HEADER] == "deploy.failed"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda body, header: (body.replace(b"FAILED", b"SUCCEEDED"), header), "does not match"),
        (lambda body, header: (body, header.replace(f"t={NOW}", f"t={NOW + 1}")), "does not match"),
        (lambda body, header: (body, None), "no Goldenpath-Signature"),
        (lambda body, header: (body, "v1=abc"), "malformed"),
    ],
)
def test_a_changed_body_or_header_fails_verification(change: object, why: str) -> None:
    request = formats.json_request(payload(), SECRET, NOW)
    body, header = change(request.body, request.headers[formats.SIGNATURE_HEADER])  # type: ignore[operator]

    with pytest.raises(formats.BadSignature, match=why):
        formats.verify(SECRET, header, body, now=NOW)


def test_a_replayed_request_is_refused_once_its_timestamp_is_old() -> None:
    request = formats.json_request(payload(), SECRET, NOW)
    header = request.headers[formats.SIGNATURE_HEADER]

    with pytest.raises(formats.BadSignature, match="more than 300 s"):
        formats.verify(SECRET, header, request.body, now=NOW + 301)


def test_a_rotated_secret_verifies_with_either_value_present() -> None:
    request = formats.json_request(payload(), SECRET, NOW)
    old = formats.signature("the-old-secret", NOW, request.body).split(",")[1]
    header = f"{request.headers[formats.SIGNATURE_HEADER]},{old}"

    assert formats.verify("the-old-secret", header, request.body, now=NOW) == NOW
    assert formats.verify(SECRET, header, request.body, now=NOW) == NOW


def test_every_attempt_sends_the_same_body_with_a_fresh_signature() -> None:
    first = formats.json_request(payload(), SECRET, NOW)
    later = formats.json_request(payload(), SECRET, NOW + 60)

    assert first.body == later.body
    assert first.headers[formats.SIGNATURE_HEADER] != later.headers[formats.SIGNATURE_HEADER]


def test_a_slack_message_has_text_and_blocks_and_escapes_slack_markup() -> None:
    message = formats.slack_message(payload(), "https://gp.example.com")

    assert set(message) == {"text", "blocks"}
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "context"]
    section = message["blocks"][1]
    assert "<!channel>" not in json.dumps(message)
    assert "&lt;!channel&gt;" in section["text"]["text"]
    assert "<https://gp.example.com/units/service/web/production|Open" in section["text"]["text"]
    names = [f["text"].split("\n")[0] for f in section["fields"]]
    assert names == [
        "*Unit*",
        "*Status*",
        "*Version*",
        "*Revision*",
        "*Stack*",
        "*Account*",
        "*Reason*",
    ]


def test_a_long_message_is_cut_to_slacks_limits() -> None:
    long = dict(payload())
    long["summary"] = "x" * 5000
    long["data"] = {**long["data"], "message": "y" * 5000}  # type: ignore[dict-item]

    message = formats.slack_message(long)

    assert len(message["text"]) <= 3000
    assert len(message["blocks"][0]["text"]["text"]) <= 150
    assert len(message["blocks"][1]["text"]["text"]) <= 3000
    assert all(len(f["text"]) <= 2000 for f in message["blocks"][1]["fields"])
