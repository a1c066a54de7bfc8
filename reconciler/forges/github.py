"""GitHub's REST API behind the ``Forge`` interface: commit statuses, issue comments, and
the pull requests Goldenpath opens itself (update pull requests) with their reviewers.

Works against github.com (``https://api.github.com``) and GitHub Enterprise Server
(``https://ghe.example.com/api/v3``). Authenticates with a token, or as a GitHub App
installation (see ``github_app``). Rate limits follow GitHub's documented order: honour
``retry-after``; else, with ``x-ratelimit-remaining: 0``, wait for ``x-ratelimit-reset``;
else (a secondary limit) wait at least a minute.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

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

API_VERSION = "2022-11-28"
PUBLIC_API = "https://api.github.com"
COMMENT_LIMIT = 65_536
PAGE_SIZE = 100
MAX_PAGES = 100  # 10,000 comments or files: GitHub itself lists at most 3,000 files
SECONDARY_LIMIT_WAIT_S = 60.0  # "wait at least one minute" when no header says how long
RESET_MARGIN_S = 1.0  # x-ratelimit-reset is whole seconds; do not arrive a moment early
FORBIDDEN = 403
UNPROCESSABLE = 422
TOO_MANY = 429


def base_headers(user_agent: str) -> dict[str, str]:
    """Headers every GitHub API request carries besides auth."""
    return {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": user_agent,
    }


class GitHubToken:
    """A personal access token or any token GitHub takes as ``Bearer``."""

    def __init__(self, token: str, user_agent: str) -> None:
        self._headers = {**base_headers(user_agent), "Authorization": f"Bearer {token}"}

    def headers(self) -> Mapping[str, str]:
        return self._headers

    def refresh(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "GitHubToken(<redacted>)"


class GitHubRateLimits:
    """GitHub's primary and secondary rate-limit answers."""

    def wait(self, response: httpx.Response, now: float) -> float | None:
        if response.status_code not in (FORBIDDEN, TOO_MANY):
            return None
        retry_after = response.headers.get("retry-after", "")
        if retry_after.isdigit():
            return float(retry_after)
        resume = self.resume_at(response)
        if resume is not None:
            return max(resume - now, 0.0)
        # 429 is always a limit; a 403 is one only when GitHub says so (else: no access).
        if response.status_code == TOO_MANY or "rate limit" in response.text.lower():
            return SECONDARY_LIMIT_WAIT_S
        return None

    def resume_at(self, response: httpx.Response) -> float | None:
        if response.headers.get("x-ratelimit-remaining") != "0":
            return None
        reset = response.headers.get("x-ratelimit-reset", "")
        return float(reset) + RESET_MARGIN_S if reset.isdigit() else None


class GitHubEndpoints:
    """The REST calls ``ForgeClient`` needs, for one repository."""

    name = "GitHub"
    comment_limit = COMMENT_LIMIT

    def __init__(self, transport: Transport, repo: str) -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"GitHub repository must be owner/name, got {repo!r}")
        self.transport = transport
        self._owner = owner
        self._repo_path = f"/repos/{owner}/{name}"

    def post_status(self, commit: str, status: CommitStatus) -> None:
        payload: dict[str, str] = {
            "state": str(status.state),
            "context": status.context,
            "description": status.description,
        }
        if status.target_url:
            payload["target_url"] = status.target_url
        self.transport.request("POST", f"{self._repo_path}/statuses/{commit}", json=payload)

    def comments(self, change: ChangeRequestRef) -> Iterator[tuple[int, str]]:
        path = f"{self._repo_path}/issues/{change.number}/comments"
        for item in self._pages(path):
            yield int(item["id"]), str(item.get("body") or "")

    def create_comment(self, change: ChangeRequestRef, body: str) -> int:
        path = f"{self._repo_path}/issues/{change.number}/comments"
        response = self.transport.request("POST", path, json={"body": body}, replay_safe=False)
        return created_id(response, "POST", path)

    def update_comment(self, change: ChangeRequestRef, comment_id: int, body: str) -> None:
        path = f"{self._repo_path}/issues/comments/{comment_id}"
        self.transport.request("PATCH", path, json={"body": body})

    def changed_files(self, change: ChangeRequestRef) -> list[str]:
        files: list[str] = []
        for item in self._pages(f"{self._repo_path}/pulls/{change.number}/files"):
            files.append(str(item["filename"]))
            if item.get("previous_filename"):
                files.append(str(item["previous_filename"]))
        return files

    def open_change_requests(self, branch: str, base: str) -> list[ChangeRequestInfo]:
        path = f"{self._repo_path}/pulls"
        params = {"state": "open", "head": f"{self._owner}:{branch}", "base": base}
        response = self.transport.request("GET", path, params={**params, "per_page": PAGE_SIZE})
        items = response.json()
        if not isinstance(items, list):
            raise ForgeRejected("GET", path, response.status_code, "expected a list of pulls")
        return [_pull(item, "GET", path) for item in items]

    def change_request(self, number: int) -> ChangeRequestInfo:
        path = f"{self._repo_path}/pulls/{number}"
        return _pull(self.transport.request("GET", path).json(), "GET", path)

    def create_change_request(self, draft: ChangeRequestDraft) -> ChangeRequestInfo:
        path = f"{self._repo_path}/pulls"
        payload = {
            "title": draft.title,
            "head": draft.branch,
            "base": draft.base,
            "body": draft.body,
            "maintainer_can_modify": True,
        }
        response = self.transport.request("POST", path, json=payload, replay_safe=False)
        return _pull(response.json(), "POST", path)

    def edit_change_request(self, number: int, title: str, body: str) -> None:
        path = f"{self._repo_path}/pulls/{number}"
        self.transport.request("PATCH", path, json={"title": title, "body": body})

    def request_review(self, number: int, team: str, members: tuple[str, ...]) -> None:
        """The team by its slug; when GitHub refuses it (no such team, or no access to
        the repository), its members by login."""
        path = f"{self._repo_path}/pulls/{number}/requested_reviewers"
        try:
            self.transport.request("POST", path, json={"team_reviewers": [team]})
            return
        except ForgeRejected as exc:
            if exc.status != UNPROCESSABLE or not members:
                raise
            log.info("forge.team_review_refused", change=number, team=team, reason=str(exc))
        self.transport.request("POST", path, json={"reviewers": list(members)})

    def _pages(self, path: str) -> Iterator[dict[str, Any]]:
        yield from pages(self.transport, path, PAGE_SIZE, MAX_PAGES)


def _pull(item: Any, method: str, path: str) -> ChangeRequestInfo:
    """A pull request object of GitHub's answers, in domain words."""
    try:
        if item["state"] == "open":
            state = ChangeRequestState.OPEN
        elif item.get("merged") or item.get("merged_at"):
            state = ChangeRequestState.MERGED
        else:
            state = ChangeRequestState.CLOSED
        return ChangeRequestInfo(
            int(item["number"]), state, str(item["html_url"]), str(item["head"]["ref"])
        )
    except (TypeError, KeyError, ValueError) as exc:
        raise ForgeRejected(method, path, 200, f"not a pull request: {exc!r}") from exc


def api_url(url: str | None) -> str:
    """The API base URL: github.com's by default, else as given (GitHub Enterprise Server:
    ``https://HOST/api/v3``)."""
    return url.rstrip("/") if url else PUBLIC_API


def github_forge(
    repo: str,
    credentials: Credentials,
    *,
    http: httpx.Client,
    clock: Clock,
    policy: RetryPolicy,
    url: str | None = None,
) -> ForgeClient:
    """A ``Forge`` for one GitHub repository (``owner/name``)."""
    transport = Transport(api_url(url), credentials, GitHubRateLimits(), clock, policy, http)
    return ForgeClient(GitHubEndpoints(transport, repo))
