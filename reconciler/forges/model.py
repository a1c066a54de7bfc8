"""The one interface the reconciler uses to talk back to a forge, in domain words.

The reconciler reports on commits (statuses) and on change requests (one comment kept up
to date, the files they touch). It never sees a URL, a header or a vendor field name:
``github`` and ``gitlab`` translate these values at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

DESCRIPTION_LIMIT = 140
"""Status descriptions are cut to this many characters (GitHub refuses more)."""

ELLIPSIS = "…"


class StatusState(StrEnum):
    """Where a check stands on a commit."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"  # the check ran and found problems
    ERROR = "error"  # the check could not run


@dataclass(frozen=True)
class CommitStatus:
    """One check's verdict on one commit, as the forge shows it next to the commit."""

    context: str  # the check's name, e.g. "goldenpath/plan"
    state: StatusState
    description: str  # one line; cut to DESCRIPTION_LIMIT characters with "…"
    target_url: str | None = None  # where the details are, e.g. the plan page

    def __post_init__(self) -> None:
        if not self.context:
            raise ValueError("a commit status needs a context such as 'goldenpath/plan'")
        object.__setattr__(self, "description", shorten(self.description, DESCRIPTION_LIMIT))


@dataclass(frozen=True)
class ChangeRequestRef:
    """A pull request (GitHub) or merge request (GitLab) of the client's repository."""

    number: int  # the number users see: PR number, MR iid


@dataclass(frozen=True)
class CommentRef:
    """A comment the client wrote on a change request, to find it again."""

    change: ChangeRequestRef
    id: int  # the forge's comment (GitHub) or note (GitLab) id


class Forge(Protocol):
    """What the reconciler may ask of a forge."""

    def set_status(self, commit: str, status: CommitStatus) -> None:
        """Show ``status`` on ``commit``; the same status twice is posted once."""
        ...

    def upsert_comment(self, change: ChangeRequestRef, marker: str, body: str) -> CommentRef:
        """Keep exactly one comment tagged ``marker`` on ``change``, holding ``body``.

        The first call creates it; later calls (from this process or a restarted one)
        find it by its hidden marker and edit it in place. A body over the forge's limit is
        cut with a note saying so.
        """
        ...

    def changed_files(self, change: ChangeRequestRef) -> list[str]:
        """Paths the change request touches, both sides of a rename included."""
        ...


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with a trailing "…"."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    return line[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def marker_tag(marker: str) -> str:
    """The hidden first line that identifies our comment; Markdown renders it as nothing."""
    if not marker or not all(c.isalnum() or c in "/:._-" for c in marker):
        raise ValueError(f"comment marker must be letters, digits and /:._- only, got {marker!r}")
    return f"<!-- goldenpath:{marker} -->"


def fit_comment(tag: str, body: str, limit: int, forge_name: str) -> str:
    """``tag`` + ``body`` within ``limit`` characters, cut at a line end with a note."""
    text = f"{tag}\n{body}"
    if len(text) <= limit:
        return text
    note = (
        f"\n\n{ELLIPSIS}\n\n> **Truncated:** this comment was {len(text):,} characters, over "
        f"{forge_name}'s limit of {limit:,}. The full report is on the status page."
    )
    room = limit - len(note)
    if room <= len(tag):
        raise ValueError(f"comment limit {limit} leaves no room for a body")
    cut = text.rfind("\n", len(tag), room)
    return text[: cut if cut > len(tag) else room] + note


class ChangeRequestState(StrEnum):
    """Where a change request stands."""

    OPEN = "open"
    CLOSED = "closed"  # closed without merging
    MERGED = "merged"


@dataclass(frozen=True)
class ChangeRequestInfo:
    """A change request as the forge shows it now."""

    number: int  # PR number, MR iid
    state: ChangeRequestState
    url: str  # its page
    branch: str  # the source (head) branch


@dataclass(frozen=True)
class ChangeRequestDraft:
    """A change request to open from ``branch`` into ``base``."""

    branch: str
    base: str
    title: str
    body: str
    marker: str = "update-pr"  # the hidden first line naming what opened it


class ChangeRequests(Protocol):
    """What the update pull requests ask of a forge, beyond ``Forge``."""

    def open_change_requests(self, branch: str, base: str) -> list[ChangeRequestInfo]:
        """The open change requests from ``branch`` into ``base`` (at most one, usually)."""
        ...

    def change_request(self, number: int) -> ChangeRequestInfo:
        """One change request, as it stands now."""
        ...

    def create_change_request(self, draft: ChangeRequestDraft) -> ChangeRequestInfo:
        """Open ``draft``; when one is open from that branch already, that one is returned
        (it was made by an earlier try or another replica), never a second."""
        ...

    def edit_change_request(
        self, number: int, title: str, body: str, marker: str = "update-pr"
    ) -> None: ...

    def request_review(self, number: int, team: str, members: tuple[str, ...]) -> None:
        """Ask ``team`` (its members, where the forge has no teams) to review."""
        ...
