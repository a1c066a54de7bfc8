"""What happened at the forge, in the reconciler's words.

The webhook receiver turns each vendor delivery (a GitHub ``pull_request``, a GitLab
``Merge Request Hook``) into one of these values and enqueues it; the reconciler consumes
them without knowing which forge sent them or how. Keeping the vocabulary here, in
``reconciler``, is what lets ``webhooks`` depend on the reconciler and never the other way
round.

    Event
    ├── Push            new commits on a branch: reconcile that commit
    ├── ChangeRequest   a pull/merge request changed: validate and plan its head
    ├── Ping            the forge checked that the hook reaches us
    ├── LocalChange     files of a local working tree changed (watchdog): look again
    └── RetryRequested  a person asked to retry a unit now (the write API)

Events travel through an :class:`EventSink`; :class:`EventQueue` is the in-memory one the
reconciler reads from.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ChangeAction(StrEnum):
    """What happened to a change request (a GitHub pull request, a GitLab merge request)."""

    OPENED = "opened"
    UPDATED = "updated"  # new commits on the head branch
    REOPENED = "reopened"
    CLOSED = "closed"  # closed without merging
    MERGED = "merged"
    READY = "ready"  # left draft state

    @property
    def needs_checks(self) -> bool:
        """True when the head must be validated and planned again."""
        return self in (
            ChangeAction.OPENED,
            ChangeAction.UPDATED,
            ChangeAction.REOPENED,
            ChangeAction.READY,
        )

    @property
    def ends_review(self) -> bool:
        """True when the change request is finished and its plan data can go."""
        return self in (ChangeAction.CLOSED, ChangeAction.MERGED)


@dataclass(frozen=True)
class Push:
    """New commits reached a branch of a repository."""

    forge: str  # "github" | "gitlab": which client answers with statuses
    repo: str  # "owner/name", or a GitLab "group/sub/project" path
    branch: str  # the branch name, without "refs/heads/"
    before: str  # the commit the branch pointed at before; all zeros for a new branch
    commit: str  # the commit the branch points at now
    delivery_id: str  # the forge's id for this delivery, for tracing and de-duplication
    pusher: str  # who pushed (forge user name), "" when the forge does not say


@dataclass(frozen=True)
class ChangeRequest:
    """A pull request (GitHub) or merge request (GitLab) was opened, updated or closed."""

    forge: str
    repo: str  # the repository the change targets
    number: int  # the number users see: GitHub PR number, GitLab MR iid
    action: ChangeAction
    head_sha: str  # the commit to check: statuses go on it
    head_ref: str  # the source branch
    base_ref: str  # the target branch
    author: str  # forge user name of the author, matched against team members
    delivery_id: str
    title: str
    url: str  # the change request's page, for links in logs and status pages


@dataclass(frozen=True)
class Ping:
    """The forge confirmed the webhook is set up; no work follows."""

    forge: str
    repo: str  # "" when the hook belongs to an organisation rather than a repository
    delivery_id: str
    hook_id: str


@dataclass(frozen=True)
class LocalChange:
    """Files of the local working tree changed: a commit may have moved the branch."""

    path: str = ""


@dataclass(frozen=True)
class RetryRequested:
    """A person cleared a unit's stall (``reconciler.actions.retry``): reconcile now."""

    unit_id: str
    actor: str  # as the unit's history names them


# What a forge delivery becomes (the receiver's output).
ForgeEvent = Push | ChangeRequest | Ping
Event = ForgeEvent | LocalChange | RetryRequested
"""Any domain event the receiver enqueues."""


class EventSink(Protocol):
    """Where the receiver hands events to the reconciler. ``put`` must never block."""

    def put(self, event: Event) -> None:
        """Enqueue ``event``; raise :class:`SinkFull` rather than wait."""
        ...


class SinkFull(Exception):
    """The reconciler is too far behind to take another event right now."""


class EventQueue:
    """A bounded, thread-safe, in-memory :class:`EventSink` the reconciler reads from.

    Bounded so that a flood of deliveries turns into quick 503 answers (the forge shows
    them as failed and they can be redelivered) instead of unbounded memory.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=capacity)

    def put(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full as exc:
            raise SinkFull(f"event queue is full ({self._queue.maxsize} waiting)") from exc

    def get(self, timeout: float) -> Event | None:
        """The oldest event, waiting up to ``timeout`` seconds; None if none arrived."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def waiting(self) -> int:
        """How many events wait to be read (approximate while others put and get)."""
        return self._queue.qsize()
