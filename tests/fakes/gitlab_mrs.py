"""GitLab's merge-request endpoints for the fake: the merge requests a client opens itself.

Checked as the merge requests API describes them: create (``source_branch``,
``target_branch`` and ``title`` required; ``description`` at most 1,048,576 characters;
``reviewer_ids`` user ids; the source branch must exist, as ``branch_exists`` says; a
second open merge request from one source into one target is 409), list (``state``
opened|closed|locked|merged|all, ``source_branch``, ``target_branch``), get, update
(at least one attribute; ``state_event`` close|reopen) and the user lookup
(``GET /users?username=``) that turns team members into reviewer ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import Refuse, Reply, page_of, require_object

API = "/api/v4"
DESCRIPTION_LIMIT = 1_048_576
MR_STATES = ("opened", "closed", "locked", "merged", "all")
CREATE_FIELDS = {
    "source_branch",
    "target_branch",
    "title",
    "description",
    "assignee_id",
    "assignee_ids",
    "reviewer_ids",
    "labels",
    "milestone_id",
    "remove_source_branch",
    "squash",
    "allow_collaboration",
    "allow_maintainer_to_push",
    "target_project_id",
}
UPDATE_FIELDS = (CREATE_FIELDS - {"source_branch", "target_project_id"}) | {
    "state_event",
    "discussion_locked",
    "add_labels",
    "remove_labels",
}
TYPES: dict[str, type | tuple[type, ...]] = {
    "source_branch": str,
    "target_branch": str,
    "title": str,
    "description": str,
    "remove_source_branch": bool,
    "squash": bool,
    "state_event": str,
}


@dataclass
class MergeRequest:
    iid: int
    title: str
    source_branch: str
    target_branch: str
    description: str
    state: str = "opened"
    reviewer_ids: list[int] = field(default_factory=list)
    edits: int = 0


class MergeRequestRoutes:
    """Mixed into ``FakeGitLab``: its merge requests, created through the API."""

    project_path: str
    merge_requests: dict[int, list[dict[str, Any]]]
    created: dict[int, MergeRequest]
    users: dict[str, int]  # username → id
    branch_exists: Callable[[str], bool]
    _project: Callable[[re.Match[str]], None]

    def add_merge_request_routes(self, route: Callable[..., None], project: str) -> None:
        route("POST", project + r"/merge_requests", self._create_mr)
        route("GET", project + r"/merge_requests", self._list_mrs)
        route("GET", project + r"/merge_requests/(?P<iid>\d+)", self._get_mr)
        route("PUT", project + r"/merge_requests/(?P<iid>\d+)", self._update_mr)
        route("GET", API + r"/users", self._users)

    def close_merge_request(self, iid: int, merged: bool = False) -> None:
        """A person closes (or merges) a merge request."""
        self.created[iid].state = "merged" if merged else "closed"

    def open_merge_requests_from(self, branch: str) -> list[MergeRequest]:
        return [
            m for m in self.created.values() if m.source_branch == branch and m.state == "opened"
        ]

    def _mr_json(self, mr: MergeRequest) -> dict[str, Any]:
        return {
            "id": 10_000 + mr.iid,
            "iid": mr.iid,
            "state": mr.state,
            "title": mr.title,
            "description": mr.description,
            "source_branch": mr.source_branch,
            "target_branch": mr.target_branch,
            "web_url": f"https://gitlab.example/{self.project_path}/-/merge_requests/{mr.iid}",
            "reviewers": [{"id": i} for i in mr.reviewer_ids],
        }

    def _fields(self, body: Any, allowed: set[str], required: set[str]) -> dict[str, Any]:
        fields = require_object(body, allowed, required, strings=False)
        for name, kind in TYPES.items():
            if name in fields and not isinstance(fields[name], kind):
                raise Refuse(400, {"error": f"{name} is invalid"})
        ids = fields.get("reviewer_ids", [])
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise Refuse(400, {"error": "reviewer_ids is invalid"})
        unknown = set(ids) - set(self.users.values())
        if unknown:
            raise Refuse(400, {"message": {"reviewers": [f"unknown user ids {sorted(unknown)}"]}})
        if len(fields.get("description", "")) > DESCRIPTION_LIMIT:
            limit = f"is too long (maximum is {DESCRIPTION_LIMIT} characters)"
            raise Refuse(400, {"message": {"description": [limit]}})
        return fields

    def _created_mr(self, match: re.Match[str]) -> MergeRequest:
        self._project(match)
        mr = self.created.get(int(match["iid"]))
        if mr is None:
            raise Refuse(404, {"message": "404 Not found"})
        return mr

    def _create_mr(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        self._project(match)
        fields = self._fields(body, CREATE_FIELDS, {"source_branch", "target_branch", "title"})
        source, target = fields["source_branch"], fields["target_branch"]
        for branch in (source, target):
            if not self.branch_exists(branch):
                raise Refuse(400, {"message": [f"Branch {branch!r} does not exist"]})
        clash = [m for m in self.open_merge_requests_from(source) if m.target_branch == target]
        if clash:
            message = (
                f"Another open merge request already exists for this source branch: !{clash[0].iid}"
            )
            raise Refuse(409, {"message": [message]})
        iid = max([*self.merge_requests, *self.created, 0]) + 1
        mr = MergeRequest(
            iid,
            fields["title"],
            source,
            target,
            fields.get("description", ""),
            reviewer_ids=list(fields.get("reviewer_ids", [])),
        )
        self.created[iid] = mr
        self.merge_requests[iid] = []
        return Reply(201, self._mr_json(mr))

    def _list_mrs(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        self._project(match)
        state = query.get("state", "all")
        if state not in MR_STATES:
            raise Refuse(400, {"error": "state does not have a valid value"})
        found = [
            m
            for m in self.created.values()
            if state in ("all", m.state)
            and query.get("source_branch", m.source_branch) == m.source_branch
            and query.get("target_branch", m.target_branch) == m.target_branch
        ]
        return Reply(200, page_of([self._mr_json(m) for m in found], query, max_per_page=100)[0])

    def _get_mr(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        return Reply(200, self._mr_json(self._created_mr(match)))

    def _update_mr(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        mr = self._created_mr(match)
        fields = self._fields(body, UPDATE_FIELDS, set())
        if not fields:
            raise Refuse(400, {"error": "at least one parameter must be given"})
        event = fields.get("state_event")
        if event not in (None, "close", "reopen"):
            raise Refuse(400, {"error": "state_event does not have a valid value"})
        mr.title = fields.get("title", mr.title)
        mr.description = fields.get("description", mr.description)
        if "reviewer_ids" in fields:
            mr.reviewer_ids = list(fields["reviewer_ids"])
        if event is not None:
            mr.state = "closed" if event == "close" else "opened"
        mr.edits += 1
        return Reply(200, self._mr_json(mr))

    def _users(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        name = query.get("username")
        if name is None:
            raise Refuse(400, {"error": "this fake serves only GET /users?username="})
        found = (
            [{"id": self.users[name], "username": name, "state": "active"}]
            if name in self.users
            else []
        )
        return Reply(200, found)
