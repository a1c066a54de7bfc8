"""Publishing an event: queue it in the outbox for each target that wants it.

Where something happens, the code that records it publishes the event *in the same
transaction* (``publish(tx, platform, notice)``), so an event is queued exactly when
what it tells of is recorded, survives any crash after that, and costs the reconciler
one small insert: delivery is the dispatcher's job, on its own thread. When the
transaction commits, the dispatchers of this process are woken (``DOORBELL``); those of
other processes find the rows on their next look.

    from reconciler.notifications import events, publish
    with store.transaction("recording …") as tx:
        ...  # the change itself
        publish(tx, platform, events.update_pr_opened(...))

``publish_now(store, platform, notice)`` does the same in a transaction of its own, for
an event not tied to a write.
"""

from __future__ import annotations

import threading

import structlog

from reconciler.notifications.events import Notice
from reconciler.specs.model import Platform
from reconciler.state import StateStore, StateTransaction
from reconciler.state.outbox import OutgoingNotice

log = structlog.get_logger(__name__)


class Doorbell:
    """Wakes the dispatchers of this process when new rows are committed."""

    def __init__(self) -> None:
        self._rung = threading.Condition()
        self._count = 0

    def ring(self) -> None:
        with self._rung:
            self._count += 1
            self._rung.notify_all()

    @property
    def count(self) -> int:
        with self._rung:
            return self._count

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until rung after ``seen`` (a ``count``), or ``timeout``; the new count."""
        with self._rung:
            self._rung.wait_for(lambda: self._count != seen, timeout)
            return self._count


DOORBELL = Doorbell()


def addressed(platform: Platform, notice: Notice) -> list[OutgoingNotice]:
    """The outbox rows of ``notice``: one per target of ``platform`` that wants it."""
    payload = notice.payload(platform.name)
    return [
        OutgoingNotice(
            notice.id,
            notice.kind,
            target.name,
            target.format,
            target.url_from,
            target.secret_from,
            payload,
        )
        for target in platform.notifications
        if target.wants(notice.kind)
    ]


def publish(tx: StateTransaction, platform: Platform, notice: Notice) -> int:
    """Queue ``notice`` for the targets of ``platform`` that want it, within ``tx``.

    Returns how many rows were new (0: no target wants it, or it was queued before).
    """
    rows = addressed(platform, notice)
    if not rows:
        return 0
    queued = tx.queue_notices(rows)
    if queued:
        tx.after_commit(DOORBELL.ring)
        tx.after_commit(
            lambda: log.info(
                "notification.queued",
                event_id=notice.id,
                kind=notice.kind,
                unit=notice.unit,
                targets=[r.target for r in rows],
            )
        )
    return queued


def publish_now(store: StateStore, platform: Platform, notice: Notice) -> int:
    """``publish`` in a transaction of its own."""
    if not any(t.wants(notice.kind) for t in platform.notifications):
        return 0
    with store.transaction(f"queueing the {notice.kind} notification") as tx:
        return publish(tx, platform, notice)
