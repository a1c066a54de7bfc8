"""GitHub's pull-request endpoints for the fake: the pull requests a client opens itself.

Checked as the REST reference describes them: create (``title``, ``head`` and ``base``
required; ``head`` a branch of the repository, as ``branch_exists`` says; no second open
pull request from one head into one base: 422), list (``state`` open|closed|all, ``head``
as ``owner:branch``), get, update (``title``, ``body``, ``state`` open|closed, ``base``)
and request reviewers (``reviewers`` logins and ``team_reviewers`` slugs that are
collaborators, else 422).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import Refuse, Reply, page_of, require_object

BODY_LIMIT = 65_536


@dataclass
class PullRequest:
    number: int
    title: str
    head: str
    base: str
    body: str
    state: str = "open"
    merged: bool = False
    reviewers: list[str] = field(default_factory=list)
    team_reviewers: list[str] = field(default_factory=list)
    edits: int = 0


class PullRequestRoutes:
    """Mixed into ``FakeGitHub``: its pull requests, created through the API."""

    repo: str
    pulls: dict[int, list[dict[str, str]]]
    pull_requests: dict[int, PullRequest]
    branch_exists: Callable[[str], bool]
    collaborators: set[str]
    teams: set[str]
    _repo: Callable[[re.Match[str]], None]

    def add_pull_routes(self, route: Callable[..., None], repo: str) -> None:
        route("POST", repo + r"/pulls", self._create_pull)
        route("GET", repo + r"/pulls", self._list_pulls)
        route("GET", repo + r"/pulls/(?P<number>\d+)", self._get_pull)
        route("PATCH", repo + r"/pulls/(?P<number>\d+)", self._update_pull)
        route("POST", repo + r"/pulls/(?P<number>\d+)/requested_reviewers", self._request_reviewers)

    def close_pull(self, number: int, merged: bool = False) -> None:
        """A person closes (or merges) a pull request."""
        pull = self.pull_requests[number]
        pull.state, pull.merged = "closed", merged

    def open_pulls_from(self, head: str) -> list[PullRequest]:
        return [p for p in self.pull_requests.values() if p.head == head and p.state == "open"]

    def _pull_json(self, pull: PullRequest) -> dict[str, Any]:
        owner = self.repo.split("/")[0]
        return {
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "merged": pull.merged,
            "merged_at": "2026-12-06T09:00:00Z" if pull.merged else None,
            "html_url": f"https://github.example/{self.repo}/pull/{pull.number}",
            "head": {"ref": pull.head, "label": f"{owner}:{pull.head}"},
            "base": {"ref": pull.base},
            "requested_reviewers": [{"login": r} for r in pull.reviewers],
            "requested_teams": [{"slug": t} for t in pull.team_reviewers],
        }

    def _created_pull(self, match: re.Match[str]) -> PullRequest:
        self._repo(match)
        pull = self.pull_requests.get(int(match["number"]))
        if pull is None:
            raise Refuse(404, {"message": "Not Found"})
        return pull

    @staticmethod
    def _typed(fields: dict[str, Any], types: dict[str, type | tuple[type, ...]]) -> None:
        for name, kind in types.items():
            if name in fields and not isinstance(fields[name], kind):
                raise Refuse(
                    422,
                    {"message": f"Invalid request. For '{name}', {fields[name]!r} is not valid"},
                )

    def _create_pull(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        self._repo(match)
        allowed = {
            "title",
            "head",
            "head_repo",
            "base",
            "body",
            "maintainer_can_modify",
            "draft",
            "issue",
        }
        fields = require_object(body, allowed, {"head", "base"}, strings=False)
        self._typed(
            fields,
            {
                "title": str,
                "head": str,
                "base": str,
                "body": (str, type(None)),
                "maintainer_can_modify": bool,
                "draft": bool,
            },
        )
        if not fields.get("title"):
            raise Refuse(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {"resource": "PullRequest", "code": "missing_field", "field": "title"}
                    ],
                },
            )
        if len(fields.get("body") or "") > BODY_LIMIT:
            raise _too_long_body()
        head, base = fields["head"], fields["base"]
        if ":" in head:
            raise Refuse(422, {"message": "this fake has no forks: head is a branch of the repo"})
        for name, branch in (("head", head), ("base", base)):
            if not self.branch_exists(branch):
                raise Refuse(
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "PullRequest", "code": "invalid", "field": name}],
                    },
                )
        if any(p.base == base for p in self.open_pulls_from(head)):
            owner = self.repo.split("/")[0]
            raise Refuse(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"A pull request already exists for {owner}:{head}.",
                        }
                    ],
                },
            )
        number = max([*self.pulls, *self.pull_requests, 0]) + 1
        pull = PullRequest(number, fields["title"], head, base, fields.get("body") or "")
        self.pull_requests[number] = pull
        self.pulls[number] = []
        return Reply(201, self._pull_json(pull))

    def _list_pulls(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        self._repo(match)
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise Refuse(422, {"message": f"state must be open, closed or all, got {state!r}"})
        found = list(self.pull_requests.values())
        if "head" in query:
            owner, sep, branch = query["head"].partition(":")
            if not sep or owner.lower() != self.repo.split("/")[0].lower():
                raise Refuse(
                    422, {"message": "head must be user:ref-name or organization:ref-name"}
                )
            found = [p for p in found if p.head == branch]
        if "base" in query:
            found = [p for p in found if p.base == query["base"]]
        if state != "all":
            found = [p for p in found if p.state == state]
        items = [self._pull_json(p) for p in found]
        return Reply(200, page_of(items, query, max_per_page=100)[0])

    def _get_pull(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        return Reply(200, self._pull_json(self._created_pull(match)))

    def _update_pull(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        pull = self._created_pull(match)
        fields = require_object(
            body, {"title", "body", "state", "base", "maintainer_can_modify"}, set(), strings=False
        )
        self._typed(fields, {"title": str, "body": str, "state": str, "base": str})
        if fields.get("state") not in (None, "open", "closed"):
            raise Refuse(422, {"message": "state must be open or closed"})
        if len(fields.get("body") or "") > BODY_LIMIT:
            raise _too_long_body()
        pull.title = fields.get("title", pull.title)
        pull.body = fields.get("body", pull.body)
        pull.state = fields.get("state", pull.state)
        pull.edits += 1
        return Reply(200, self._pull_json(pull))

    def _request_reviewers(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        pull = self._created_pull(match)
        fields = require_object(body, {"reviewers", "team_reviewers"}, set(), strings=False)
        for name in ("reviewers", "team_reviewers"):
            value = fields.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise Refuse(422, {"message": f"{name} must be an array of strings"})
        if not fields.get("reviewers") and not fields.get("team_reviewers"):
            raise Refuse(422, {"message": "reviewers or team_reviewers is required"})
        if (
            not set(fields.get("reviewers", [])) <= self.collaborators
            or not set(fields.get("team_reviewers", [])) <= self.teams
        ):
            raise Refuse(
                422,
                {
                    "message": "Reviews may only be requested from collaborators. "
                    "One or more of the users or teams you specified is not a collaborator "
                    f"of the {self.repo} repository."
                },
            )
        pull.reviewers += fields.get("reviewers", [])
        pull.team_reviewers += fields.get("team_reviewers", [])
        return Reply(201, self._pull_json(pull))


def _too_long_body() -> Refuse:
    message = f"body is too long (maximum is {BODY_LIMIT} characters)"
    error = {"resource": "PullRequest", "code": "custom", "field": "body", "message": message}
    return Refuse(422, {"message": "Validation Failed", "errors": [error]})
