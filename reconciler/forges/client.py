"""The behaviour both forges share, above their REST endpoints.

:class:`ForgeClient` implements :class:`~reconciler.forges.model.Forge` once: it skips a
status identical to the last one posted for that commit and context, keeps one comment per
marker (remembered by id, found again by its hidden tag after a restart, created only when
absent), and fits comments within the forge's limit. Each vendor module supplies only the
few REST calls in :class:`ForgeEndpoints`.
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
    ChangeRequestRef,
    CommentRef,
    CommitStatus,
    OpenedChange,
    ProposedChange,
    fit_comment,
    marker_tag,
)
from reconciler.forges.transport import Transport, UncertainWrite

log = structlog.get_logger(__name__)

REMEMBERED = 10_000  # statuses and comments remembered for de-duplication, per client
NOT_FOUND = 404

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

    def open_changes(self, branch: str, base: str) -> list[tuple[int, str]]:
        """(number, web URL) of the open change requests from ``branch`` into ``base``."""
        ...

    def create_change(self, change: ProposedChange) -> tuple[int, str] | None:
        """Open a change request: (number, web URL); None when the forge says one is
        open for the branch already (sent with ``replay_safe=False``)."""
        ...

    def update_change(self, number: int, change: ProposedChange) -> None: ...


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

    def propose(self, change: ProposedChange) -> OpenedChange:
        endpoints = self._endpoints
        transport = endpoints.transport
        attempts = transport.policy.attempts
        for failures in range(1, attempts + 1):
            found = endpoints.open_changes(change.branch, change.base)
            if found:
                number, url = found[0]
                endpoints.update_change(number, change)
                log.info("forge.change_updated", change=number, branch=change.branch)
                return OpenedChange(ChangeRequestRef(number), url, created=False)
            try:
                opened = endpoints.create_change(change)
            except UncertainWrite as exc:
                # It may have been opened: look for it again before opening one.
                log.warning("forge.change_uncertain", branch=change.branch, reason=str(exc))
                if failures < attempts:
                    transport.pause(failures)
                continue
            if opened is not None:
                log.info("forge.change_opened", change=opened[0], branch=change.branch)
                return OpenedChange(ChangeRequestRef(opened[0]), opened[1], created=True)
            # Another writer opened one between our look and our create: look again.
        raise ForgeUnavailable(
            f"no change request for {change.branch} after {attempts} tries",
            transport.backoff(attempts),
        )

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
