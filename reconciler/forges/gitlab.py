"""GitLab's REST API (v4) behind the ``Forge`` interface: commit statuses, MR notes, and
the merge requests Goldenpath opens itself (update pull requests) with their reviewers.

Works against gitlab.com and self-managed instances. The project is named by numeric id or
by path (``group/sub/project``, sent URL-encoded). Tokens go in ``PRIVATE-TOKEN``
(personal, project and group access tokens) or, for OAuth tokens, ``Authorization:
Bearer``. On 429, ``Retry-After`` (else ``RateLimit-Reset``) says how long to wait.

GitLab's status states differ from ours: ``failure`` and ``error`` both become
``failed``. Re-posting the state a status already has is refused by GitLab with
"Cannot transition status"; that answer means the status is already shown, so it counts
as done.

GitLab's merge-request API takes reviewers by user id only (no groups): a team's members,
forge user names in teams.yaml, are looked up by name (``GET /users?username=``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from reconciler.forges.client import ForgeClient
from reconciler.forges.errors import ForgeRejected
from reconciler.forges.model import (
    ChangeRequestDraft,
    ChangeRequestInfo,
    ChangeRequestRef,
    ChangeRequestState,
    CommitStatus,
    StatusState,
)
from reconciler.forges.transport import (
    Clock,
    Credentials,
    RetryPolicy,
    Transport,
    created_id,
    pages,
)

log = structlog.get_logger(__name__)

PUBLIC_API = "https://gitlab.com/api/v4"
COMMENT_LIMIT = 1_000_000
FIELD_LIMIT = 255  # target_url, description and ref are at most 255 characters
PAGE_SIZE = 100
MAX_PAGES = 100
DEFAULT_LIMIT_WAIT_S = 60.0  # a 429 that says nothing: the quota window is a minute
TOO_MANY = 429
BAD_REQUEST = 400
SAME_STATE = "Cannot transition status"

STATES = {
    StatusState.PENDING: "pending",
    StatusState.SUCCESS: "success",
    StatusState.FAILURE: "failed",
    StatusState.ERROR: "failed",
}


class GitLabToken:
    """A GitLab access token, sent the way its kind requires."""

    def __init__(self, token: str, user_agent: str, bearer: bool = False) -> None:
        auth = {"Authorization": f"Bearer {token}"} if bearer else {"PRIVATE-TOKEN": token}
        self._headers = {"User-Agent": user_agent, **auth}

    def headers(self) -> Mapping[str, str]:
        return self._headers

    def refresh(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "GitLabToken(<redacted>)"


class GitLabRateLimits:
    """GitLab's 429 answers and ``RateLimit-*`` headers."""

    def wait(self, response: httpx.Response, now: float) -> float | None:
        if response.status_code != TOO_MANY:
            return None
        retry_after = response.headers.get("retry-after", "")
        if retry_after.isdigit():
            return float(retry_after)
        reset = response.headers.get("ratelimit-reset", "")
        if reset.isdigit():
            return max(float(reset) - now, 0.0)
        return DEFAULT_LIMIT_WAIT_S

    def resume_at(self, response: httpx.Response) -> float | None:
        if response.headers.get("ratelimit-remaining") != "0":
            return None
        reset = response.headers.get("ratelimit-reset", "")
        return float(reset) if reset.isdigit() else None


class GitLabEndpoints:
    """The REST calls ``ForgeClient`` needs, for one project."""

    name = "GitLab"
    comment_limit = COMMENT_LIMIT

    def __init__(self, transport: Transport, project: str) -> None:
        if not project.strip("/"):
            raise ValueError("GitLab project must be a numeric id or a group/project path")
        self.transport = transport
        self._project_path = f"/projects/{quote(project.strip('/'), safe='')}"

    def post_status(self, commit: str, status: CommitStatus) -> None:
        payload = {
            "state": STATES[status.state],
            "name": status.context,
            "description": status.description,
        }
        if status.target_url and len(status.target_url) <= FIELD_LIMIT:
            payload["target_url"] = status.target_url
        elif status.target_url:
            log.warning("forge.target_url_dropped", reason=f"over {FIELD_LIMIT} characters")
        try:
            self.transport.request("POST", f"{self._project_path}/statuses/{commit}", json=payload)
        except ForgeRejected as exc:
            if exc.status != BAD_REQUEST or SAME_STATE not in str(exc):
                raise
            log.info("forge.status_already_shown", commit=commit, context=status.context)

    def comments(self, change: ChangeRequestRef) -> Iterator[tuple[int, str]]:
        for item in self._pages(self._notes(change)):
            if not item.get("system"):
                yield int(item["id"]), str(item.get("body") or "")

    def create_comment(self, change: ChangeRequestRef, body: str) -> int:
        path = self._notes(change)
        response = self.transport.request("POST", path, json={"body": body}, replay_safe=False)
        return created_id(response, "POST", path)

    def update_comment(self, change: ChangeRequestRef, comment_id: int, body: str) -> None:
        self.transport.request("PUT", f"{self._notes(change)}/{comment_id}", json={"body": body})

    def changed_files(self, change: ChangeRequestRef) -> list[str]:
        files: list[str] = []
        path = f"{self._project_path}/merge_requests/{change.number}/diffs"
        for item in self._pages(path):
            files.append(str(item["new_path"]))
            if item.get("old_path") and item["old_path"] != item["new_path"]:
                files.append(str(item["old_path"]))
        return files

    def open_change_requests(self, branch: str, base: str) -> list[ChangeRequestInfo]:
        path = f"{self._project_path}/merge_requests"
        params = {"state": "opened", "source_branch": branch, "target_branch": base}
        response = self.transport.request("GET", path, params={**params, "per_page": PAGE_SIZE})
        items = response.json()
        if not isinstance(items, list):
            raise ForgeRejected("GET", path, response.status_code, "expected a list of MRs")
        return [_merge_request(item, "GET", path) for item in items]

    def change_request(self, number: int) -> ChangeRequestInfo:
        path = f"{self._project_path}/merge_requests/{number}"
        return _merge_request(self.transport.request("GET", path).json(), "GET", path)

    def create_change_request(self, draft: ChangeRequestDraft) -> ChangeRequestInfo:
        path = f"{self._project_path}/merge_requests"
        payload = {
            "source_branch": draft.branch,
            "target_branch": draft.base,
            "title": draft.title,
            "description": draft.body,
            "remove_source_branch": True,
        }
        response = self.transport.request("POST", path, json=payload, replay_safe=False)
        return _merge_request(response.json(), "POST", path)

    def edit_change_request(self, number: int, title: str, body: str) -> None:
        path = f"{self._project_path}/merge_requests/{number}"
        self.transport.request("PUT", path, json={"title": title, "description": body})

    def request_review(self, number: int, team: str, members: tuple[str, ...]) -> None:
        ids = [found for name in members if (found := self._user_id(name)) is not None]
        if not ids:
            log.warning("forge.no_reviewers", change=number, team=team, members=list(members))
            return
        path = f"{self._project_path}/merge_requests/{number}"
        self.transport.request("PUT", path, json={"reviewer_ids": ids})

    def _user_id(self, username: str) -> int | None:
        response = self.transport.request("GET", "/users", params={"username": username})
        found = response.json()
        if isinstance(found, list) and found and isinstance(found[0], dict) and "id" in found[0]:
            return int(found[0]["id"])
        log.info("forge.reviewer_unknown", username=username)
        return None

    def _notes(self, change: ChangeRequestRef) -> str:
        return f"{self._project_path}/merge_requests/{change.number}/notes"

    def _pages(self, path: str) -> Iterator[dict[str, Any]]:
        yield from pages(self.transport, path, PAGE_SIZE, MAX_PAGES)


MR_STATES = {
    "opened": ChangeRequestState.OPEN,
    "locked": ChangeRequestState.OPEN,  # being merged: not settled yet
    "merged": ChangeRequestState.MERGED,
    "closed": ChangeRequestState.CLOSED,
}


def _merge_request(item: Any, method: str, path: str) -> ChangeRequestInfo:
    """A merge request object of GitLab's answers, in domain words."""
    try:
        return ChangeRequestInfo(
            int(item["iid"]),
            MR_STATES[item["state"]],
            str(item["web_url"]),
            str(item["source_branch"]),
        )
    except (TypeError, KeyError, ValueError) as exc:
        raise ForgeRejected(method, path, 200, f"not a merge request: {exc!r}") from exc


def api_url(url: str | None) -> str:
    """The API base URL: gitlab.com's by default, else as given (self-managed:
    ``https://HOST/api/v4``)."""
    return url.rstrip("/") if url else PUBLIC_API


def gitlab_forge(
    project: str,
    credentials: Credentials,
    *,
    http: httpx.Client,
    clock: Clock,
    policy: RetryPolicy,
    url: str | None = None,
) -> ForgeClient:
    """A ``Forge`` for one GitLab project (numeric id or ``group/project`` path)."""
    transport = Transport(api_url(url), credentials, GitLabRateLimits(), clock, policy, http)
    return ForgeClient(GitLabEndpoints(transport, project))
