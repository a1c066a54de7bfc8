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
import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Ask:
    """One asker: its delivery id, and the future its event loop awaits."""

    delivery_id: str
    future: asyncio.Future[bool]
    loop: asyncio.AbstractEventLoop


Outcome = bool | BaseException


class DurableDeliveries:
    """A :class:`DeliveryLog` in the state store, written by one thread in batches."""

    def __init__(
        self, store: DeliveryStore, *, max_batch: int = MAX_BATCH, writers: int = 1
    ) -> None:
        if max_batch < 1 or writers < 1:
            raise ValueError(
                f"max_batch and writers must be at least 1, got {max_batch} and {writers}"
            )
        self._store = store
        self._max_batch = max_batch
        self._claims: list[_Ask] = []
        self._forgets: list[_Ask] = []
        self._work = threading.Condition(threading.Lock())
        self._closed = False
        self.batches = 0  # transactions that recorded ids, since start
        self.recorded = 0  # ids they recorded
        self.writing_s = 0.0  # seconds spent writing them
        self._writers = [
            threading.Thread(target=self._write, name=f"delivery-log-{n}", daemon=True)
            for n in range(writers)
        ]
        for writer in self._writers:
            writer.start()

    async def first_time(self, delivery_id: str) -> bool:
        return await self._submit(self._claims, delivery_id)

    async def forget(self, delivery_id: str) -> None:
        await self._submit(self._forgets, delivery_id)

    def waiting(self) -> int:
        """Ids waiting for the next transaction (not counting the one being written)."""
        with self._work:
            return len(self._claims)

    def close(self) -> None:
        """Write what is waiting, then stop; later askers get DeliveryLogUnavailable."""
        with self._work:
            self._closed = True
            self._work.notify_all()
        deadline = time.monotonic() + CLOSE_TIMEOUT_S
        for writer in self._writers:
            writer.join(timeout=max(0.0, deadline - time.monotonic()))
        log.info(
            "webhook.delivery_log_closed",
            batches=self.batches,
            recorded=self.recorded,
            writing_s=round(self.writing_s, 3),
        )

    def _submit(self, into: list[_Ask], delivery_id: str) -> asyncio.Future[bool]:
        if not delivery_id:
            raise ValueError("a webhook delivery id must be a non-empty string")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        with self._work:
            if self._closed:
                raise DeliveryLogUnavailable("the delivery log is closed (the server is stopping)")
            into.append(_Ask(delivery_id, future, loop))
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
            if forgets:
                _answer(forgets, self._forget(forgets))
            if claims:
                _answer(claims, self._claim(claims))

    def _claim(self, batch: list[_Ask]) -> list[Outcome]:
        started = time.perf_counter()
        try:
            claimed = self._store.claim_deliveries(_ids(batch))
        except Exception as exc:  # the state store's failure is the askers' to report
            return _failed(batch, exc)
        with self._work:
            self.writing_s += time.perf_counter() - started
            self.batches += 1
            self.recorded += len(claimed)
        outcomes: list[Outcome] = []
        for ask in batch:
            # Two askers with one id in one batch: only the first takes it.
            outcomes.append(ask.delivery_id in claimed)
            claimed.discard(ask.delivery_id)
        return outcomes

    def _forget(self, batch: list[_Ask]) -> list[Outcome]:
        try:
            self._store.forget_deliveries(_ids(batch))
        except Exception as exc:
            return _failed(batch, exc)
        return [True] * len(batch)


def _ids(batch: list[_Ask]) -> list[str]:
    return list(dict.fromkeys(ask.delivery_id for ask in batch))


def _failed(batch: list[_Ask], exc: Exception) -> list[Outcome]:
    log.error("webhook.delivery_log_failed", deliveries=len(batch), error=str(exc))
    # The answer goes to the forge: the store's error (its host, say) stays in our log.
    return [DeliveryLogUnavailable("the delivery log could not be written")] * len(batch)


def _answer(batch: list[_Ask], outcomes: list[Outcome]) -> None:
    """Hand the outcomes to the askers' event loops: one wake-up per loop and batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], Outcome]]] = {}
    for ask, outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(ask.loop, []).append((ask.future, outcome))
    for loop, answers in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_settle, answers)


def _settle(answers: list[tuple[asyncio.Future[bool], Outcome]]) -> None:
    for future, outcome in answers:
        if future.done():  # the asker was cancelled (the server is stopping)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
