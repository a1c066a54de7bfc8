"""A fake GitLab REST API (v4) on loopback that checks requests the way FORGE-APIS.md says.

Checked on every request: ``PRIVATE-TOKEN: <token>`` or ``Authorization: Bearer <token>``
(else 401); the project, by numeric id or URL-encoded path; and per endpoint the method,
path, fields and values (status ``state`` enum; ``ref``, ``target_url`` and
``description`` ≤ 255; note ``body`` ≤ 1,000,000). Like GitLab, it refuses to move a
pending or running status to the state it already has ("Cannot transition status").

    with FakeGitLab(token="t", project_id=7, project_path="group/platform") as gitlab:
        gitlab.open_merge_request(3, files=["services/a.yaml"])
        ...  # point a client at gitlab.url (ends in /api/v4)

Merge requests a client opens itself, and the user lookup that finds reviewers, are
served by ``gitlab_mrs`` (checked likewise).

Faults: ``fail_next(2)`` answers 502 twice; ``rate_limit_next()`` answers 429 with the
``RateLimit-*`` headers and ``Retry-After``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

from tests.fakes.gitlab_mrs import MergeRequest, MergeRequestRoutes
from tests.fakes.server import FakeForge, Refuse, Reply, page_of, require_object

API = "/api/v4"
STATES = {"pending", "running", "success", "failed", "canceled", "skipped"}
FIELD_LIMIT = 255
BODY_LIMIT = 1_000_000
QUOTA_PER_MINUTE = 2000
SHA = re.compile(r"[0-9a-f]{40}")
PROJECT = API + r"/projects/(?P<project>[^/]+)"
MR = PROJECT + r"/merge_requests/(?P<iid>\d+)"
# GitLab's state-machine events for posting each state, for its refusal message.
EVENTS = {"pending": "enqueue", "running": "run"}


@dataclass(frozen=True)
class Status:
    sha: str
    state: str
    name: str
    description: str | None
    target_url: str | None
    ref: str | None


@dataclass
class Note:
    id: int
    iid: int
    body: str
    edits: int = 0
    system: bool = False


class FakeGitLab(MergeRequestRoutes, FakeForge):
    """GitLab's commit statuses, merge request notes and diffs."""

    def __init__(
        self,
        token: str,
        project_id: int,
        project_path: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock)
        self.token = token
        self.project_id = project_id
        self.project_path = project_path
        self.statuses: list[Status] = []
        self.notes: dict[int, Note] = {}
        self.merge_requests: dict[int, list[dict[str, Any]]] = {}
        self.created: dict[int, MergeRequest] = {}  # merge requests created through the API
        self.users: dict[str, int] = {}  # username → user id, for reviewer lookups
        # Whether a branch exists in the project (a test points it at its bare remote).
        self.branch_exists: Callable[[str], bool] = lambda branch: True
        self._next_id = 500
        self._add_routes()

    @property
    def url(self) -> str:
        """The API base URL, as for a self-managed instance."""
        return self.root_url + API

    def open_merge_request(self, iid: int, files: list[str] | None = None) -> None:
        self.merge_requests[iid] = [
            {"old_path": f, "new_path": f, "new_file": False, "renamed_file": False}
            for f in files or []
        ]

    def add_system_note(self, iid: int, body: str) -> None:
        """A note GitLab itself writes (e.g. "added 1 commit"), which clients must skip."""
        self._next_id += 1
        self.notes[self._next_id] = Note(self._next_id, iid, body, system=True)

    def statuses_for(self, sha: str) -> list[Status]:
        return [s for s in self.statuses if s.sha == sha]

    def notes_on(self, iid: int) -> list[Note]:
        return [n for n in self.notes.values() if n.iid == iid and not n.system]

    def rate_limit_next(self, count: int = 1, retry_after: int = 30) -> None:
        reset = int(self.clock()) + retry_after
        headers = {
            "RateLimit-Limit": str(QUOTA_PER_MINUTE),
            "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Observed": str(QUOTA_PER_MINUTE + 1),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": formatdate(reset, usegmt=True),
            "Retry-After": str(retry_after),
        }
        self.fail_next(count, 429, {"message": "Retry later"}, headers)

    # -- checks ---------------------------------------------------------------------------

    def authenticate(self, path: str, headers: dict[str, str]) -> None:
        private = headers.get("private-token")
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        if private == self.token or (scheme == "Bearer" and bearer == self.token):
            return
        raise Refuse(401, {"message": "401 Unauthorized"})

    def _project(self, match: re.Match[str]) -> None:
        raw = match["project"]
        if raw == str(self.project_id) or unquote(raw).lower() == self.project_path.lower():
            return
        raise Refuse(404, {"message": "404 Project Not Found"})

    def _merge_request(self, match: re.Match[str]) -> int:
        self._project(match)
        iid = int(match["iid"])
        if iid not in self.merge_requests:
            raise Refuse(404, {"message": "404 Not found"})
        return iid

    @staticmethod
    def _limit(fields: dict[str, Any], names: tuple[str, ...], limit: int) -> None:
        for name in names:
            if name in fields and len(fields[name]) > limit:
                raise Refuse(
                    400, {"message": {name: [f"is too long (maximum is {limit} characters)"]}}
                )

    def _note_body(self, body: object) -> str:
        fields = require_object(body, {"body", "internal", "merge_request_diff_head_sha"}, {"body"})
        self._limit(fields, ("body",), BODY_LIMIT)
        if not fields["body"].strip():
            raise Refuse(400, {"message": {"body": ["can't be blank"]}})
        text: str = fields["body"]
        return text

    # -- endpoints ------------------------------------------------------------------------

    def _add_routes(self) -> None:
        self.route("POST", PROJECT + r"/statuses/(?P<sha>[^/]+)", self._create_status)
        self.route("GET", MR + r"/notes", self._list_notes)
        self.route("POST", MR + r"/notes", self._create_note)
        self.route("PUT", MR + r"/notes/(?P<note>\d+)", self._edit_note)
        self.route("GET", MR + r"/diffs", self._diffs)
        self.add_merge_request_routes(self.route, PROJECT)

    def _create_status(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        self._project(match)
        sha = match["sha"]
        if not SHA.fullmatch(sha):
            raise Refuse(404, {"message": "404 Commit Not Found"})
        allowed = {
            "state",
            "ref",
            "name",
            "context",
            "target_url",
            "description",
            "coverage",
            "pipeline_id",
        }
        fields = require_object(body, allowed, {"state"})
        state = fields["state"]
        if state not in STATES:
            raise Refuse(400, {"message": f"state does not have a valid value: {state}"})
        self._limit(fields, ("ref", "target_url", "description"), FIELD_LIMIT)
        name = fields.get("name") or fields.get("context") or "default"
        latest = [s for s in self.statuses_for(sha) if s.name == name][-1:]
        if latest and latest[0].state == state and state in EVENTS:
            raise Refuse(
                400, {"message": f"Cannot transition status via :{EVENTS[state]} from :{state}"}
            )
        status = Status(
            sha, state, name, fields.get("description"), fields.get("target_url"), fields.get("ref")
        )
        self.statuses.append(status)
        return Reply(
            201,
            {
                "id": len(self.statuses),
                "sha": sha,
                "status": state,
                "name": name,
                "description": status.description,
                "target_url": status.target_url,
            },
        )

    def _list_notes(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        iid = self._merge_request(match)
        items = [
            {"id": n.id, "body": n.body, "system": n.system}
            for n in self.notes.values()
            if n.iid == iid
        ]
        page, number = page_of(items, query, max_per_page=100)
        return Reply(200, page, {"X-Page": str(number)})

    def _create_note(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        iid = self._merge_request(match)
        self._next_id += 1
        note = Note(self._next_id, iid, self._note_body(body))
        self.notes[note.id] = note
        return Reply(201, {"id": note.id, "body": note.body, "system": False})

    def _edit_note(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        iid = self._merge_request(match)
        note = self.notes.get(int(match["note"]))
        if note is None or note.iid != iid or note.system:
            raise Refuse(404, {"message": "404 Note Not Found"})
        note.body = self._note_body(body)
        note.edits += 1
        return Reply(200, {"id": note.id, "body": note.body, "system": False})

    def _diffs(self, match: re.Match[str], query: dict[str, str], body: Any) -> Reply:
        iid = self._merge_request(match)
        return Reply(200, page_of(self.merge_requests[iid], query, max_per_page=100)[0])
