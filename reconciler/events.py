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
    ├── RetryRequested  a person asked to retry a unit now (the write API)
    └── Notified        a Terraform workflow reported a deployment: dependants may render

Events travel through an :class:`EventSink`; :class:`EventQueue` is the in-memory one the
reconciler reads from. It coalesces the pushes of a branch that wait together into one.
"""

from __future__ import annotations

import threading
from collections import deque
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


@dataclass(frozen=True)
class Notified:
    """A Terraform deployment was notified (``reconciler.provisioning``): reconcile now,
    so that its dependants render with its outputs and the commit's status is updated."""

    unit_id: str
    deployment_id: str
    state: str


# What a forge delivery becomes (the receiver's output).
ForgeEvent = Push | ChangeRequest | Ping
Event = ForgeEvent | LocalChange | RetryRequested | Notified
"""Any domain event the receiver enqueues."""


class EventSink(Protocol):
    """Where the receiver hands events to the reconciler. ``put`` must never block."""

    def put(self, event: Event) -> None:
        """Enqueue ``event``; raise :class:`SinkFull` rather than wait."""
        ...


class SinkFull(Exception):
    """The reconciler is too far behind to take another event right now."""


@dataclass
class _Waiting:
    """A queued event; a coalesced push is replaced in place by a newer one."""

    event: Event


def _coalescing_key(event: Event) -> tuple[str, str, str] | None:
    """Pushes of one branch share a key: any one of them makes the loop fetch that branch."""
    if isinstance(event, Push):
        return (event.forge, event.repo, event.branch)
    return None


class EventQueue:
    """A bounded, thread-safe, in-memory :class:`EventSink` the reconciler reads from.

    Bounded so that a flood of deliveries turns into quick 503 answers (the forge shows
    them as failed and they can be redelivered) instead of unbounded memory.

    Pushes are coalesced per branch, as Flux's receiver collapses reconcile requests: a
    push that arrives while another push of the same branch still waits takes that one's
    place (its commit is the newer one) instead of queueing behind it. A push only tells
    the loop to fetch the branch and apply its head, so a burst of thousands of pushes
    waiting during a reconcile costs one more fetch, not one each, and takes one slot.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._waiting: deque[_Waiting] = deque()
        self._pushes: dict[tuple[str, str, str], _Waiting] = {}
        self._ready = threading.Condition(threading.Lock())
        self.coalesced = 0  # pushes folded into one already waiting, since start

    def put(self, event: Event) -> None:
        key = _coalescing_key(event)
        with self._ready:
            waiting = self._pushes.get(key) if key is not None else None
            if waiting is not None:
                waiting.event = event
                self.coalesced += 1
                return
            if len(self._waiting) >= self._capacity:
                raise SinkFull(f"event queue is full ({self._capacity} waiting)")
            waiting = _Waiting(event)
            self._waiting.append(waiting)
            if key is not None:
                self._pushes[key] = waiting
            self._ready.notify()

    def get(self, timeout: float) -> Event | None:
        """The oldest event, waiting up to ``timeout`` seconds; None if none arrived."""
        with self._ready:
            if not self._waiting and not self._ready.wait_for(lambda: bool(self._waiting), timeout):
                return None
            waiting = self._waiting.popleft()
            key = _coalescing_key(waiting.event)
            if key is not None and self._pushes.get(key) is waiting:
                del self._pushes[key]
            return waiting.event

    def waiting(self) -> int:
        """How many events wait to be read (a coalesced burst of pushes counts once)."""
        with self._ready:
            return len(self._waiting)
