"""Rollouts of automatic minor updates, wave by wave, halting at the first failure."""

from __future__ import annotations

import pytest

from reconciler.state import Rollout, StateStore, Wave
from tests.state.conftest import EPOCH, FakeClock

WAVES = [["test"], ["staging"], ["production-eu", "production-us"]]


def rollout(clock: FakeClock, template: str = "vpc-env") -> Rollout:
    return Rollout.begin(template, 1, "1.0", "1.1", WAVES, clock.now())


def test_a_new_rollout_is_running_with_every_wave_pending(clock: FakeClock) -> None:
    started = rollout(clock)
    assert started.status == "running"
    assert [w.status for w in started.waves] == ["pending"] * 3
    assert started.current_wave == 0


def test_a_rollout_reads_back_equal(store: StateStore, clock: FakeClock) -> None:
    started = rollout(clock).with_wave(0, "running", clock.now(), "deploying test")
    store.save_rollout(started)
    assert store.rollout(started.id) == started


def test_saving_a_rollout_again_replaces_it(store: StateStore, clock: FakeClock) -> None:
    started = rollout(clock)
    store.save_rollout(started)
    clock.advance(60)
    moved = started.with_wave(0, "succeeded", clock.now())
    store.save_rollout(moved)
    assert store.rollouts() == [moved]


def test_a_failed_wave_halts_the_rollout(clock: FakeClock) -> None:
    halted = (
        rollout(clock)
        .with_wave(0, "succeeded", EPOCH)
        .with_wave(1, "failed", EPOCH, "environment/staging: UPDATE_FAILED")
    )
    assert halted.status == "halted"
    assert halted.current_wave == 1
    assert halted.message == "environment/staging: UPDATE_FAILED"


def test_a_rollout_completes_when_every_wave_succeeded(clock: FakeClock) -> None:
    done = rollout(clock)
    for index in range(len(WAVES)):
        done = done.with_wave(index, "succeeded", EPOCH)
    assert (done.status, done.current_wave) == ("complete", None)


def test_active_rollouts_are_the_running_ones(store: StateStore, clock: FakeClock) -> None:
    running = rollout(clock, "a")
    halted = rollout(clock, "b").with_wave(0, "failed", clock.now())
    complete = Rollout.begin("c", 2, "2.3", "2.4", [["test"]], clock.now()).with_wave(
        0, "succeeded", clock.now()
    )
    for each in (running, halted, complete):
        store.save_rollout(each)
    assert store.active_rollouts() == [running]
    assert store.rollouts("halted") == [halted]
    assert {r.id for r in store.rollouts()} == {running.id, halted.id, complete.id}


def test_rollouts_are_listed_newest_first(store: StateStore, clock: FakeClock) -> None:
    older = rollout(clock, "a")
    clock.advance(1)
    newer = rollout(clock, "b")
    store.save_rollout(older)
    store.save_rollout(newer)
    assert [r.id for r in store.rollouts()] == [newer.id, older.id]


def test_a_wave_out_of_range_is_refused(clock: FakeClock) -> None:
    with pytest.raises(IndexError, match="has 3 waves; no wave 3"):
        rollout(clock).with_wave(3, "succeeded", EPOCH)


def test_a_wave_needs_an_environment() -> None:
    with pytest.raises(ValueError, match="at least one environment"):
        Wave(environments=())


def test_an_unknown_rollout_status_filter_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="rollout status must be one of"):
        store.rollouts("paused")  # type: ignore[arg-type]


def test_a_rollout_has_the_json_shape_status_reports(clock: FakeClock) -> None:
    shape = rollout(clock).to_json()
    assert shape["waves"][2] == {
        "environments": ["production-eu", "production-us"],
        "status": "pending",
    }
    assert (shape["template"], shape["from_version"], shape["to_version"]) == (
        "vpc-env",
        "1.0",
        "1.1",
    )
