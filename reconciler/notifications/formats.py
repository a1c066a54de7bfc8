"""What a target receives: the request body and headers of each format. Pure, no I/O.

``json``: the event itself (``Notice.payload``), signed in the manner of Stripe's and
GitHub's webhooks. ``Goldenpath-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256, keyed with the target's secret, of ``<t>.`` followed by the exact body bytes.
A receiver recomputes it over the raw body, compares in constant time, and refuses a
timestamp too far from its clock (``verify`` does all three; 5 minutes by default), so a
captured request cannot be replayed later. Each attempt is signed anew.

``slack``: Slack's incoming-webhook message: ``text`` (the notification's fallback)
and ``blocks`` (a header, a section with fields, a context line with the event id),
within Slack's documented limits (header text 150, section text 3000, field 2000
characters, 10 fields) and with ``&``, ``<``, ``>`` escaped as Slack asks.

Every request carries ``Goldenpath-Event`` (the kind) and ``Goldenpath-Delivery`` (the
event id, the same on every attempt: receivers dedupe on it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

SIGNATURE_HEADER = "Goldenpath-Signature"
EVENT_HEADER = "Goldenpath-Event"
DELIVERY_HEADER = "Goldenpath-Delivery"
USER_AGENT = "Goldenpath-Notifications/1"
# How far a signature's timestamp may be from the receiver's clock (seconds).
DEFAULT_TOLERANCE_S = 300
_SLACK_HEADER_CHARS = 150
_SLACK_SECTION_CHARS = 3000
_SLACK_FIELD_CHARS = 2000
_SLACK_FIELDS = 10
_TITLES = {
    "deploy.succeeded": ":white_check_mark: Deployed",
    "deploy.failed": ":x: Deployment failed",
    "rollout.halted": ":octagonal_sign: Rollout halted",
    "drift.found": ":warning: Drift found",
    "exception.expiring": ":hourglass_flowing_sand: Guardrail exception expiring",
    "update_pr.opened": ":arrow_up: Update pull request",
}


class BadSignature(ValueError):
    """A request whose ``Goldenpath-Signature`` is missing, malformed, wrong or stale."""


@dataclass(frozen=True)
class Request:
    """A POST to a target: the exact body bytes and the headers."""

    body: bytes
    headers: Mapping[str, str]


def body_of(document: Mapping[str, Any]) -> bytes:
    """Compact, key-sorted UTF-8 JSON: the same event always gives the same bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Goldenpath-Signature`` value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    secret: str, header: str | None, body: bytes, now: float, tolerance: int = DEFAULT_TOLERANCE_S
) -> int:
    """Check a ``Goldenpath-Signature`` as a receiver should; the timestamp when valid.

    Raises ``BadSignature`` saying what is wrong. Several ``v1=`` values may be present
    (a secret being rotated); one matching is enough.
    """
    if not header:
        raise BadSignature(f"no {SIGNATURE_HEADER} header")
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    signed = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signed:
        raise BadSignature(f"malformed {SIGNATURE_HEADER}; expected t=<unix seconds>,v1=<hex>")
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        raise BadSignature(f"timestamp {timestamp} is more than {tolerance} s from now")
    expected = signature(secret, timestamp, body).rpartition("v1=")[2]
    if not any(hmac.compare_digest(expected, s) for s in signed):
        raise BadSignature("signature does not match the body")
    return timestamp


def document_of(payload: Mapping[str, Any], public_url: str | None) -> dict[str, Any]:
    """The event as sent: the stored payload, with a link to its unit's page."""
    document = dict(payload)
    unit = payload.get("unit")
    if public_url and unit:
        document["links"] = {"unit": f"{public_url.rstrip('/')}/units/{quote(str(unit))}"}
    return document


def json_request(
    payload: Mapping[str, Any], secret: str, timestamp: int, public_url: str | None = None
) -> Request:
    body = body_of(document_of(payload, public_url))
    headers = _common(payload) | {SIGNATURE_HEADER: signature(secret, timestamp, body)}
    return Request(body, headers)


def slack_request(payload: Mapping[str, Any], public_url: str | None = None) -> Request:
    return Request(body_of(slack_message(payload, public_url)), _common(payload))


def slack_message(payload: Mapping[str, Any], public_url: str | None = None) -> dict[str, Any]:
    """Slack's incoming-webhook message for an event: ``text`` plus ``blocks``."""
    kind = str(payload["kind"])
    title = _TITLES.get(kind, kind)
    summary = str(payload["summary"])
    link = document_of(payload, public_url).get("links", {}).get("unit")
    body = _escape(summary)
    if link:
        body += f"\n<{link}|Open {_escape(str(payload['unit']))}>"
    fields = [
        {"type": "mrkdwn", "text": _cut(f"*{_escape(name)}*\n{_escape(value)}", _SLACK_FIELD_CHARS)}
        for name, value in _fields(payload)
    ][:_SLACK_FIELDS]
    section: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _cut(body, _SLACK_SECTION_CHARS)},
    }
    if fields:
        section["fields"] = fields
    context = f"{_escape(str(payload['platform']))} · `{kind}` · event `{payload['id']}`"
    return {
        "text": _cut(f"{title}: {_escape(summary)}", _SLACK_SECTION_CHARS),
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": _cut(title, _SLACK_HEADER_CHARS),
                    "emoji": True,
                },
            },
            section,
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


def _fields(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The facts of an event worth a glance, by kind."""
    data: Mapping[str, Any] = payload.get("data") or {}
    kind = payload["kind"]
    found: list[tuple[str, Any]] = []
    if payload.get("unit"):
        found.append(("Unit", payload["unit"]))
    if kind in ("deploy.succeeded", "deploy.failed"):
        found += [
            ("Status", data.get("status")),
            ("Version", data.get("version")),
            ("Revision", str(data.get("revision", ""))[:12]),
            ("Stack", data.get("stack")),
            ("Account", f"{data.get('account')} ({data.get('region')})"),
        ]
        if kind == "deploy.failed":
            found.append(("Reason", data.get("message") or data.get("reason")))
    elif kind == "rollout.halted":
        found += [
            ("Template", data.get("template")),
            ("Versions", f"{data.get('from_version')} → {data.get('to_version')}"),
            ("Failed wave", ", ".join(data.get("failed_wave", ()))),
        ]
    elif kind == "drift.found":
        found += [("Reason", data.get("reason")), ("Action", data.get("action"))]
    elif kind == "exception.expiring":
        found += [
            ("Rule", data.get("rule")),
            ("Units", ", ".join(data.get("units", ()))),
            ("Expires", data.get("expires")),
            ("Reason", data.get("reason")),
        ]
    elif kind == "update_pr.opened":
        found += [
            ("Service", data.get("service")),
            ("Team", data.get("team")),
            ("Version", f"{data.get('template')} {data.get('to_version')}"),
            ("Pull request", data.get("url")),
        ]
    return [(name, str(value)) for name, value in found if value not in (None, "")]


def _common(payload: Mapping[str, Any]) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: str(payload["kind"]),
        DELIVERY_HEADER: str(payload["id"]),
    }


def _escape(text: str) -> str:
    # Slack reads these three as markup (<!channel> would ping everyone).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
