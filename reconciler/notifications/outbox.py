"""The outbox as the dispatcher and the API see it: claims, results, listings, counts.

A thin layer over ``reconciler.state.outbox`` (the SQL), one transaction per call, in
the store's own time (its clock).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from reconciler.state import StateStore
from reconciler.state import outbox as rows
from reconciler.state.outbox import NoticeState, QueuedNotice


class Outbox:
    """The notification outbox of ``store``."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def claim(
        self, holder: str, ttl: timedelta, limit: int, variables: Collection[str]
    ) -> list[QueuedNotice]:
        """Due rows this process can send, claimed for ``holder`` until ``ttl`` from now."""
        token = uuid.uuid4().hex
        with self.store.transaction("claiming notifications") as tx:
            return rows.claim(tx.connection, token, holder, self.store.now(), ttl, limit, variables)

    def delivered(self, notice: QueuedNotice) -> bool:
        with self.store.transaction(f"recording notification {notice.id} delivered") as tx:
            return rows.delivered(tx.connection, notice, self.store.now())

    def failed(self, notice: QueuedNotice, error: str, retry_in: float | None) -> bool:
        """A failed attempt: retried ``retry_in`` seconds from now, or dead when None."""
        now = self.store.now()
        retry_at = None if retry_in is None else now + timedelta(seconds=retry_in)
        with self.store.transaction(f"recording notification {notice.id} failed") as tx:
            return rows.failed(tx.connection, notice, error, retry_at, now)

    def release(self, holder: str) -> int:
        with self.store.transaction("releasing claimed notifications") as tx:
            return rows.release(tx.connection, holder)

    def next_due(self, variables: Collection[str]) -> datetime | None:
        with self.store.reading("reading when the next notification is due") as connection:
            return rows.next_due(connection, variables)

    def listing(
        self, state: NoticeState | None = None, after_id: int = 0, limit: int = 100
    ) -> list[QueuedNotice]:
        """Rows after ``after_id``, oldest first (a cursor), only ``state``'s if given."""
        with self.store.reading("reading notifications") as connection:
            return rows.listing(connection, state, after_id, limit)

    def recent(self, limit: int = 100) -> list[QueuedNotice]:
        """The newest rows, newest first."""
        with self.store.reading("reading notifications") as connection:
            return rows.recent(connection, limit)

    def counts(self) -> dict[tuple[str, str], int]:
        """Rows by (target, state)."""
        with self.store.reading("counting notifications") as connection:
            return rows.counts(connection)

    def prune(self, kept: timedelta) -> int:
        """Drop delivered and dead rows finished more than ``kept`` ago."""
        with self.store.transaction("pruning notifications") as tx:
            return rows.prune(tx.connection, self.store.now() - kept)
