"""Leases: one holder per unit, even when real processes race for it on either backend."""

from __future__ import annotations

import multiprocessing

import pytest

from reconciler.state import StateStore
from tests.state import workers
from tests.state.conftest import FakeClock

UNIT = "service/web/test"


def test_a_free_lease_is_taken_and_then_refused_to_others(store: StateStore) -> None:
    assert store.acquire_lease(UNIT, "replica-a", 30) is True
    assert store.acquire_lease(UNIT, "replica-b", 30) is False
    lease = store.lease(UNIT)
    assert lease is not None and lease.holder == "replica-a"


def test_the_holder_taking_its_lease_again_extends_it(store: StateStore, clock: FakeClock) -> None:
    store.acquire_lease(UNIT, "replica-a", 30)
    first = store.lease(UNIT)
    clock.advance(20)
    assert store.acquire_lease(UNIT, "replica-a", 30) is True
    again = store.lease(UNIT)
    assert first is not None and again is not None
    assert again.acquired_at == first.acquired_at
    assert again.expires_at == clock.now() + (first.expires_at - first.acquired_at)


def test_an_expired_lease_is_taken_over(store: StateStore, clock: FakeClock) -> None:
    store.acquire_lease(UNIT, "replica-a", 30)
    clock.advance(29)
    assert store.acquire_lease(UNIT, "replica-b", 30) is False
    clock.advance(1)
    assert store.acquire_lease(UNIT, "replica-b", 30) is True
    lease = store.lease(UNIT)
    assert lease is not None
    assert (lease.holder, lease.acquired_at) == ("replica-b", clock.now())
    assert store.renew_lease(UNIT, "replica-a", 30) is False


def test_renewing_moves_the_expiry_only_for_the_holder(store: StateStore, clock: FakeClock) -> None:
    store.acquire_lease(UNIT, "replica-a", 30)
    clock.advance(25)
    assert store.renew_lease(UNIT, "replica-a", 30) is True
    assert store.renew_lease(UNIT, "replica-b", 30) is False
    clock.advance(25)
    assert store.acquire_lease(UNIT, "replica-b", 30) is False
    lease = store.lease(UNIT)
    assert lease is not None and lease.live(clock.now())


def test_only_the_holder_can_release(store: StateStore) -> None:
    store.acquire_lease(UNIT, "replica-a", 30)
    assert store.release_lease(UNIT, "replica-b") is False
    assert store.acquire_lease(UNIT, "replica-b", 30) is False
    assert store.release_lease(UNIT, "replica-a") is True
    assert store.acquire_lease(UNIT, "replica-b", 30) is True


def test_release_leases_frees_everything_a_holder_has(store: StateStore) -> None:
    for unit_id in ("environment/test", "service/web/test", "pipeline/web"):
        store.acquire_lease(unit_id, "replica-a", 30)
    store.acquire_lease("environment/prod", "replica-b", 30)
    assert store.release_leases("replica-a") == 3
    assert [(lease.unit_id, lease.holder) for lease in store.leases()] == [
        ("environment/prod", "replica-b")
    ]


def test_many_leases_are_taken_and_given_back_in_one_go(store: StateStore) -> None:
    store.acquire_lease("environment/prod", "replica-b", 30)
    wanted = ["environment/test", "service/web/test", "environment/prod"]
    assert store.acquire_leases(wanted, "replica-a", 30) == {
        "environment/test",
        "service/web/test",
    }
    # Only the holder's own leases among those named go back.
    assert store.release_leases("replica-a", ["service/web/test", "environment/prod"]) == 1
    assert [(lease.unit_id, lease.holder) for lease in store.leases()] == [
        ("environment/prod", "replica-b"),
        ("environment/test", "replica-a"),
    ]


@pytest.mark.parametrize("ttl_s", [0, -5])
def test_a_lease_needs_a_positive_ttl(store: StateStore, ttl_s: float) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        store.acquire_lease(UNIT, "replica-a", ttl_s)


def test_a_lease_needs_a_holder_name(store: StateStore) -> None:
    with pytest.raises(ValueError, match="non-empty name"):
        store.acquire_lease(UNIT, "", 30)


@pytest.mark.slow
def test_processes_racing_for_the_same_leases_each_unit_gets_one_holder(
    state_url: str, store: StateStore
) -> None:
    racers = 4
    unit_ids = [f"service/s{n}/test" for n in range(40)]
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(racers, timeout=120)
    results = context.Queue()
    processes = [
        context.Process(
            target=workers.race_for_leases,
            args=(state_url, f"racer-{n}", unit_ids, start, results),
        )
        for n in range(racers)
    ]
    for process in processes:
        process.start()
    won = dict(results.get(timeout=180) for _ in processes)
    for process in processes:
        process.join(timeout=60)
    winners = [holder for holder, units in won.items() for _ in units]
    claimed = sorted(unit_id for units in won.values() for unit_id in units)
    assert claimed == sorted(unit_ids), f"each unit exactly once; winners per racer {winners}"
    assert {lease.unit_id: lease.holder for lease in store.leases()} == {
        unit_id: holder for holder, units in won.items() for unit_id in units
    }
