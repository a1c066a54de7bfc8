"""Which deliveries have been taken already, so a redelivery does no work twice.

Forges redeliver on timeouts and on a user's "Redeliver" click, with the same delivery
id. The receiver asks :meth:`DeliveryLog.first_time` after a delivery is verified and
parsed, and only the first asker gets True; it answers 202 only after that.

- :class:`DurableDeliveries` is the log ``goldenpath serve`` uses: the ids live in the
  state store, so a redelivery is refused after a restart and by every replica sharing
  PostgreSQL. The ids of the deliveries that arrive together are written in one
  transaction (a *group commit*): while one transaction commits, the next batch gathers,
  so a burst costs a commit per batch instead of one per delivery, and no delivery waits
  for a timer. Each asker is answered when the transaction holding its id has committed.
- :class:`RecentDeliveries` keeps a bounded window in memory (tests, the receiver alone).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

# Ids written in one transaction at most: two bound parameters each, far below SQLite's
# 32,766, and a batch large enough that a burst never waits for many commits.
MAX_BATCH = 1000
# Seconds ``close`` waits for the ids still to be written.
CLOSE_TIMEOUT_S = 30.0


class DeliveryLog(Protocol):
    """An atomic check-and-record of delivery ids."""

    async def first_time(self, delivery_id: str) -> bool:
        """Record ``delivery_id``; True only if it was not recorded before. Raise
        :class:`DeliveryLogUnavailable` when it cannot be recorded."""
        ...

    async def forget(self, delivery_id: str) -> None:
        """Drop ``delivery_id`` again: the delivery was taken but could not be enqueued,
        so its redelivery must be allowed to do the work."""
        ...


class DeliveryLogUnavailable(Exception):
    """The delivery log cannot record ids right now (the state store failed or closed)."""


class DeliveryStore(Protocol):
    """Where :class:`DurableDeliveries` writes: ``StateStore`` is one."""

    def claim_deliveries(self, delivery_ids: Sequence[str]) -> set[str]:
        """Record ids in one transaction, durable on return; those recorded first now."""
        ...

    def forget_deliveries(self, delivery_ids: Sequence[str]) -> int:
        """Drop ids in one transaction."""
        ...


class RecentDeliveries:
    """The last ``capacity`` delivery ids, in memory; the oldest fall out first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    async def first_time(self, delivery_id: str) -> bool:
        return self.record(delivery_id)

    async def forget(self, delivery_id: str) -> None:
        with self._lock:
            self._seen.pop(delivery_id, None)

    def record(self, delivery_id: str) -> bool:
        """``first_time`` for callers without an event loop; thread-safe."""
        with self._lock:
            if delivery_id in self._seen:
                return False
            self._seen[delivery_id] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


class DurableDeliveries:
    """A :class:`DeliveryLog` in the state store, written by one thread in batches."""

    def __init__(self, store: DeliveryStore, *, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self._store = store
        self._max_batch = max_batch
        self._claims: list[tuple[str, Future[bool]]] = []
        self._forgets: list[tuple[str, Future[bool]]] = []
        self._work = threading.Condition(threading.Lock())
        self._closed = False
        self.batches = 0  # transactions that recorded ids, since start
        self.recorded = 0  # ids they recorded
        self._writer = threading.Thread(target=self._write, name="delivery-log", daemon=True)
        self._writer.start()

    async def first_time(self, delivery_id: str) -> bool:
        return await asyncio.wrap_future(self._submit(self._claims, delivery_id))

    async def forget(self, delivery_id: str) -> None:
        await asyncio.wrap_future(self._submit(self._forgets, delivery_id))

    def waiting(self) -> int:
        """Ids waiting for the next transaction (not counting the one being written)."""
        with self._work:
            return len(self._claims)

    def close(self) -> None:
        """Write what is waiting, then stop; later askers get DeliveryLogUnavailable."""
        with self._work:
            self._closed = True
            self._work.notify()
        self._writer.join(timeout=CLOSE_TIMEOUT_S)
        log.info("webhook.delivery_log_closed", batches=self.batches, recorded=self.recorded)

    def _submit(self, into: list[tuple[str, Future[bool]]], delivery_id: str) -> Future[bool]:
        if not delivery_id:
            raise ValueError("a webhook delivery id must be a non-empty string")
        future: Future[bool] = Future()
        with self._work:
            if self._closed:
                raise DeliveryLogUnavailable("the delivery log is closed (the server is stopping)")
            into.append((delivery_id, future))
            self._work.notify()
        return future

    def _write(self) -> None:
        while True:
            with self._work:
                self._work.wait_for(lambda: bool(self._claims or self._forgets or self._closed))
                forgets, self._forgets = self._forgets, []
                claims = self._claims[: self._max_batch]
                del self._claims[: self._max_batch]
                if not claims and not forgets and self._closed:
                    return
            # A forgotten id's redelivery comes after the 503 that followed the forget, so
            # forgets go first: never in the same batch as their own redelivery's claim.
            if forgets := _still_asked(forgets):
                self._forget(forgets)
            if claims := _still_asked(claims):
                self._claim(claims)

    def _claim(self, batch: list[tuple[str, Future[bool]]]) -> None:
        try:
            claimed = self._store.claim_deliveries(list(dict.fromkeys(d for d, _ in batch)))
        except Exception as exc:  # the state store's failure is the askers' to report
            _fail(batch, exc)
            return
        self.batches += 1
        self.recorded += len(claimed)
        answered: set[str] = set()
        for delivery_id, future in batch:
            # Two askers with one id in one batch: only the first takes it.
            future.set_result(delivery_id in claimed and delivery_id not in answered)
            answered.add(delivery_id)

    def _forget(self, batch: list[tuple[str, Future[bool]]]) -> None:
        try:
            self._store.forget_deliveries(list(dict.fromkeys(d for d, _ in batch)))
        except Exception as exc:
            _fail(batch, exc)
            return
        for _, future in batch:
            future.set_result(True)


def _still_asked(batch: list[tuple[str, Future[bool]]]) -> list[tuple[str, Future[bool]]]:
    """The entries whose asker still waits; an id nobody waits for is not written, so
    that its redelivery does the work."""
    return [(d, future) for d, future in batch if future.set_running_or_notify_cancel()]


def _fail(batch: list[tuple[str, Future[bool]]], exc: Exception) -> None:
    log.error("webhook.delivery_log_failed", deliveries=len(batch), error=str(exc))
    # The answer goes to the forge: the store's error (its host, say) stays in our log.
    failure = DeliveryLogUnavailable("the delivery log could not be written")
    for _, future in batch:
        future.set_exception(failure)
