"""Webhook deliveries as GitHub and GitLab would send them: real payloads, rewritten, signed.

The bodies come from ``../shared/webhook-payloads``; only the fields a test cares about
are rewritten (repository, branch, SHAs, PR number, author), so everything else keeps the
real shape. Each function returns ``(body, headers)`` ready to POST to
``/webhooks/github`` or ``/webhooks/gitlab``.

    body, headers = github_pull_request(payloads, "opened", secret, repo="acme/platform",
                                        number=7, head_sha=sha, head_ref="add-svc",
                                        base_ref="main", author="gregg")
    httpx.post(f"{url}/webhooks/github", content=body, headers=headers)
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from webhooks.github import signature

GITHUB_PULL_PAYLOADS = {
    "opened": "pull_request.opened.payload.json",
    "synchronize": "pull_request.synchronize.payload.json",
    "reopened": "pull_request.reopened.payload.json",
    "ready_for_review": "pull_request.ready_for_review.payload.json",
    "closed": "pull_request.closed.payload.json",
    "converted_to_draft": "pull_request.converted_to_draft.payload.json",
}
GITLAB_ACTIONS = {"open", "update", "reopen", "close", "merge", "approved"}


def _load(payloads: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((payloads / name).read_text())
    return document


def github_headers(
    event: str, body: bytes, secret: str | None, delivery: str | None = None
) -> dict[str, str]:
    """The headers GitHub sends with ``body``, signed with ``secret`` (None: unsigned)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "109948940",
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = signature(secret, body)
    return headers


def gitlab_headers(event: str, token: str | None, delivery: str | None = None) -> dict[str, str]:
    """The headers GitLab 17 sends for ``event`` (e.g. "Push Hook"); ``token`` is the
    hook's secret token (None: not set). ``delivery`` becomes the Idempotency-Key."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitLab/17.1.0-pre",
        "X-Gitlab-Event": event,
        "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        "Idempotency-Key": delivery or str(uuid.uuid4()),
        "X-Gitlab-Instance": "https://gitlab.example.com",
    }
    if token is not None:
        headers["X-Gitlab-Token"] = token
    return headers


def signed_github(
    event: str, document: object, secret: str | None, delivery: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """``document`` as a GitHub delivery of ``event``."""
    body = json.dumps(document).encode()
    return body, github_headers(event, body, secret, delivery)


def gitlab_delivery(
    event: str, document: object, token: str | None, delivery: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """``document`` as a GitLab delivery of ``event``."""
    return json.dumps(document).encode(), gitlab_headers(event, token, delivery)


def github_push(
    payloads: Path,
    secret: str | None,
    *,
    repo: str,
    branch: str,
    before: str,
    after: str,
    pusher: str,
) -> tuple[bytes, dict[str, str]]:
    """A push of ``before..after`` to ``branch``."""
    document = _load(payloads, "github/push.with-new-branch.payload.json")
    document.update(ref=f"refs/heads/{branch}", before=before, after=after, created=False)
    document["repository"]["full_name"] = repo
    document["repository"]["name"] = repo.split("/")[-1]
    document["sender"]["login"] = pusher
    document["pusher"]["name"] = pusher
    document["head_commit"]["id"] = after
    document["commits"][0]["id"] = after
    return signed_github("push", document, secret)


def github_pull_request(
    payloads: Path,
    action: str,
    secret: str | None,
    *,
    repo: str,
    number: int,
    head_sha: str,
    head_ref: str,
    base_ref: str,
    author: str,
    merged: bool = False,
    title: str = "Change the platform",
) -> tuple[bytes, dict[str, str]]:
    """A ``pull_request`` delivery; ``action`` is GitHub's (opened, synchronize, closed …)."""
    document = _load(payloads, f"github/{GITHUB_PULL_PAYLOADS[action]}")
    pull = document["pull_request"]
    document["number"] = number
    document["repository"]["full_name"] = repo
    pull.update(number=number, merged=merged, title=title)
    pull["html_url"] = f"https://github.com/{repo}/pull/{number}"
    pull["head"].update(sha=head_sha, ref=head_ref)
    pull["base"]["ref"] = base_ref
    pull["user"]["login"] = author
    return signed_github("pull_request", document, secret)


def gitlab_push(
    payloads: Path,
    token: str | None,
    *,
    project: str,
    branch: str,
    before: str,
    after: str,
    pusher: str,
) -> tuple[bytes, dict[str, str]]:
    """A ``Push Hook`` of ``before..after`` to ``branch`` of ``project`` (a path)."""
    document = _load(payloads, "gitlab/push.json")
    document.update(
        ref=f"refs/heads/{branch}",
        before=before,
        after=after,
        checkout_sha=after,
        user_username=pusher,
    )
    document["project"]["path_with_namespace"] = project
    return gitlab_delivery("Push Hook", document, token)


def gitlab_merge_request(
    payloads: Path,
    action: str,
    token: str | None,
    *,
    project: str,
    iid: int,
    head_sha: str,
    source_branch: str,
    target_branch: str,
    author: str,
    oldrev: str | None = None,
    title: str = "Change the platform",
) -> tuple[bytes, dict[str, str]]:
    """A ``Merge Request Hook``; ``action`` is GitLab's (open, update, merge …). Give
    ``oldrev`` with ``update`` for new commits."""
    if action not in GITLAB_ACTIONS:
        raise ValueError(f"GitLab merge request action must be one of {sorted(GITLAB_ACTIONS)}")
    document = _load(payloads, "gitlab/merge_request.json")
    attributes = document["object_attributes"]
    attributes.update(
        action=action,
        iid=iid,
        source_branch=source_branch,
        target_branch=target_branch,
        title=title,
        url=f"https://gitlab.example.com/{project}/-/merge_requests/{iid}",
    )
    attributes["last_commit"]["id"] = head_sha
    if oldrev is not None:
        attributes["oldrev"] = oldrev
    document["project"]["path_with_namespace"] = project
    document["user"]["username"] = author
    document["changes"] = {}
    return gitlab_delivery("Merge Request Hook", document, token)
