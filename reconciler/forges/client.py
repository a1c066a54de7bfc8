"""The behaviour both forges share, above their REST endpoints.

:class:`ForgeClient` implements :class:`~reconciler.forges.model.Forge` once: it skips a
status identical to the last one posted for that commit and context, keeps one comment per
marker (remembered by id, found again by its hidden tag after a restart, created only when
absent), and fits comments within the forge's limit. Each vendor module supplies only the
few REST calls in :class:`ForgeEndpoints`. It also opens and edits Goldenpath's own
change requests (:class:`~reconciler.forges.model.ChangeRequests`), never two from one
branch: an open one is looked for before creating, and again after an uncertain create.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Protocol, TypeVar

import structlog

from reconciler.forges.errors import ForgeRejected, ForgeUnavailable
from reconciler.forges.model import (
    ChangeRequestDraft,
    ChangeRequestInfo,
    ChangeRequestRef,
    CommentRef,
    CommitStatus,
    fit_comment,
    marker_tag,
)
from reconciler.forges.transport import Transport, UncertainWrite

log = structlog.get_logger(__name__)

REMEMBERED = 10_000  # statuses and comments remembered for de-duplication, per client
NOT_FOUND = 404
# How forges refuse a second change request from one branch: GitHub 422, GitLab 409.
ALREADY_OPEN = (409, 422)

K = TypeVar("K")
V = TypeVar("V")


class ForgeEndpoints(Protocol):
    """One forge's REST calls, in the shapes ``ForgeClient`` needs."""

    name: str  # "GitHub" | "GitLab", for messages
    comment_limit: int  # the longest comment body the forge accepts, in characters
    transport: Transport

    def post_status(self, commit: str, status: CommitStatus) -> None: ...

    def comments(self, change: ChangeRequestRef) -> Iterator[tuple[int, str]]:
        """(id, body) of the change request's comments, oldest first, page by page."""
        ...

    def create_comment(self, change: ChangeRequestRef, body: str) -> int:
        """Create a comment and return its id (sent with ``replay_safe=False``)."""
        ...

    def update_comment(self, change: ChangeRequestRef, comment_id: int, body: str) -> None: ...

    def changed_files(self, change: ChangeRequestRef) -> list[str]: ...

    def open_change_requests(self, branch: str, base: str) -> list[ChangeRequestInfo]: ...

    def change_request(self, number: int) -> ChangeRequestInfo: ...

    def create_change_request(self, draft: ChangeRequestDraft) -> ChangeRequestInfo:
        """Create it (sent with ``replay_safe=False``)."""
        ...

    def edit_change_request(self, number: int, title: str, body: str) -> None: ...

    def request_review(self, number: int, team: str, members: tuple[str, ...]) -> None: ...


class ForgeClient:
    """A :class:`~reconciler.forges.model.Forge` over one repository's endpoints."""

    def __init__(self, endpoints: ForgeEndpoints) -> None:
        self._endpoints = endpoints
        self._lock = threading.Lock()
        # (commit, context) → the last status posted there.
        self._statuses: OrderedDict[tuple[str, str], CommitStatus] = OrderedDict()
        # (change number, marker) → (comment id, digest of the body last written).
        self._comments: OrderedDict[tuple[int, str], tuple[int, str]] = OrderedDict()

    def set_status(self, commit: str, status: CommitStatus) -> None:
        key = (commit, status.context)
        with self._lock:
            if self._statuses.get(key) == status:
                log.debug("forge.status_unchanged", commit=commit, context=status.context)
                return
        self._endpoints.post_status(commit, status)
        with self._lock:
            _remember(self._statuses, key, status)
        log.info("forge.status_set", commit=commit, context=status.context, state=str(status.state))

    def upsert_comment(self, change: ChangeRequestRef, marker: str, body: str) -> CommentRef:
        endpoints = self._endpoints
        tag = marker_tag(marker)
        text = fit_comment(tag, body, endpoints.comment_limit, endpoints.name)
        digest = hashlib.sha256(text.encode()).hexdigest()
        key = (change.number, marker)
        with self._lock:
            known = self._comments.get(key)
        if known is not None:
            comment_id, last_digest = known
            if last_digest == digest:
                return CommentRef(change, comment_id)
            if self._update(change, comment_id, text):
                return self._remember_comment(key, change, comment_id, digest)
        comment_id = self._find_or_create(change, tag, text)
        return self._remember_comment(key, change, comment_id, digest)

    def changed_files(self, change: ChangeRequestRef) -> list[str]:
        return self._endpoints.changed_files(change)

    def open_change_requests(self, branch: str, base: str) -> list[ChangeRequestInfo]:
        return self._endpoints.open_change_requests(branch, base)

    def change_request(self, number: int) -> ChangeRequestInfo:
        return self._endpoints.change_request(number)

    def create_change_request(self, draft: ChangeRequestDraft) -> ChangeRequestInfo:
        endpoints = self._endpoints
        body = fit_comment(
            marker_tag(draft.marker), draft.body, endpoints.comment_limit, endpoints.name
        )
        fitted = ChangeRequestDraft(draft.branch, draft.base, draft.title, body, draft.marker)
        try:
            return endpoints.create_change_request(fitted)
        except UncertainWrite as exc:
            log.warning("forge.change_request_uncertain", branch=draft.branch, reason=str(exc))
            found = endpoints.open_change_requests(draft.branch, draft.base)
            if found:
                return found[0]
            raise
        except ForgeRejected as exc:
            if exc.status not in ALREADY_OPEN:
                raise
            found = endpoints.open_change_requests(draft.branch, draft.base)
            if not found:
                raise
            log.info("forge.change_request_exists", branch=draft.branch, number=found[0].number)
            return found[0]

    def edit_change_request(
        self, number: int, title: str, body: str, marker: str = "update-pr"
    ) -> None:
        endpoints = self._endpoints
        text = fit_comment(marker_tag(marker), body, endpoints.comment_limit, endpoints.name)
        endpoints.edit_change_request(number, title, text)

    def request_review(self, number: int, team: str, members: tuple[str, ...]) -> None:
        self._endpoints.request_review(number, team, members)

    def _update(self, change: ChangeRequestRef, comment_id: int, text: str) -> bool:
        """Edit in place; False when the comment is gone (someone deleted it)."""
        try:
            self._endpoints.update_comment(change, comment_id, text)
        except ForgeRejected as exc:
            if exc.status != NOT_FOUND:
                raise
            log.info("forge.comment_gone", change=change.number, comment=comment_id)
            return False
        return True

    def _find_or_create(self, change: ChangeRequestRef, tag: str, text: str) -> int:
        transport = self._endpoints.transport
        attempts = transport.policy.attempts
        for failures in range(1, attempts + 1):
            found = self._find(change, tag)
            if found is not None:
                self._endpoints.update_comment(change, found, text)
                return found
            try:
                return self._endpoints.create_comment(change, text)
            except UncertainWrite as exc:
                # It may have been created: look for it again before creating.
                log.warning("forge.comment_uncertain", change=change.number, reason=str(exc))
                if failures < attempts:
                    transport.pause(failures)
        raise ForgeUnavailable(
            f"comment on #{change.number} not written after {attempts} tries",
            transport.backoff(attempts),
        )

    def _find(self, change: ChangeRequestRef, tag: str) -> int | None:
        for comment_id, body in self._endpoints.comments(change):
            if body.startswith(tag):
                return comment_id
        return None

    def _remember_comment(
        self, key: tuple[int, str], change: ChangeRequestRef, comment_id: int, digest: str
    ) -> CommentRef:
        with self._lock:
            _remember(self._comments, key, (comment_id, digest))
        log.info("forge.comment_written", change=change.number, comment=comment_id)
        return CommentRef(change, comment_id)


def _remember(memory: OrderedDict[K, V], key: K, value: V) -> None:
    memory[key] = value
    memory.move_to_end(key)
    if len(memory) > REMEMBERED:
        memory.popitem(last=False)
