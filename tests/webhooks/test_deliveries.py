"""The in-memory delivery log and event queue the receiver hands work through."""

from __future__ import annotations

import asyncio
import threading

import pytest

from reconciler.events import EventQueue, Ping, SinkFull
from webhooks.deliveries import RecentDeliveries


def ping(n: int) -> Ping:
    return Ping(forge="github", repo="a/b", delivery_id=str(n), hook_id="1")


def test_only_the_first_asker_gets_first_time() -> None:
    log = RecentDeliveries(10)
    assert asyncio.run(log.first_time("x")) is True
    assert asyncio.run(log.first_time("x")) is False


def test_first_time_is_atomic_across_threads() -> None:
    log = RecentDeliveries(100)
    winners: list[bool] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        winners.append(log.record("same"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(winners) == [False] * 7 + [True]


def test_oldest_delivery_ids_fall_out_past_capacity() -> None:
    log = RecentDeliveries(2)
    for delivery in ("a", "b", "c"):
        log.record(delivery)
    assert log.record("a") is True
    assert log.record("c") is False


def test_forgotten_delivery_counts_as_new_again() -> None:
    log = RecentDeliveries(2)
    log.record("a")
    asyncio.run(log.forget("a"))
    assert log.record("a") is True


def test_queue_refuses_instead_of_blocking_when_full() -> None:
    queue = EventQueue(1)
    queue.put(ping(1))
    with pytest.raises(SinkFull, match="full"):
        queue.put(ping(2))
    assert queue.get(timeout=0) == ping(1)
    assert queue.get(timeout=0) is None


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EventQueue(0)
    with pytest.raises(ValueError, match="at least 1"):
        RecentDeliveries(0)
