"""Several replicas on one state store: one of them watches drift, and another takes
over when it stops, so each account's budget is spent once."""

from __future__ import annotations

import time
from dataclasses import replace

from reconciler.drift import DriftTuning, DriftWatch
from reconciler.drift.watch import WATCH_LEASE
from tests.drift.conftest import DETECTION_SLACK, INTERVAL, TICK, MakeWorld, World

WEB = "service/web/test"
SHORT_LEASE = 0.5  # seconds of real time (the store's clock) the watch lease lasts


def _second_replica(made: World, tuning: DriftTuning | None = None) -> DriftWatch:
    """Another serve's drift watch on the same store and cloud."""
    return DriftWatch(
        made.store,
        made.cloud,
        made.loop.applied_head_plan,
        holder="replica-2",
        clock=made.clock.time,
        tuning=tuning,
    )


def test_a_second_replica_makes_no_drift_call_while_the_first_watches(world: MakeWorld) -> None:
    made = world("{interval: 10m}")
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")
    second = _second_replica(made)

    made.run(INTERVAL + DETECTION_SLACK, on_tick=lambda _now: second.tick())

    assert made.watch.watching and not second.watching
    assert sum(made.watch.calls.values()) > 0
    assert second.calls == {} and second.queue == {} and second.waiting == {}
    finding = made.store.drift(WEB)
    assert finding is not None and finding.reason == "TemplateChanged"
    lease = made.store.lease(WATCH_LEASE)
    assert lease is not None and lease.holder == made.watch.watch_holder


def test_another_replica_takes_the_watch_over_when_the_first_stops(world: MakeWorld) -> None:
    made = world("{interval: 10m}")
    tuning = replace(DriftTuning(), watch_lease_ttl=SHORT_LEASE)
    first = made.watch
    first.tuning = tuning
    second = _second_replica(made, tuning)
    made.clock.advance(TICK)
    first.tick()
    made.clock.advance(TICK)
    second.tick()
    assert first.watching and not second.watching

    time.sleep(SHORT_LEASE + 0.2)  # the first replica stopped: its lease runs out
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")
    made.clock.advance(TICK)
    second.tick()
    assert second.watching

    end = made.clock.time() + INTERVAL + DETECTION_SLACK
    while made.clock.time() < end:
        made.clock.advance(TICK)
        second.tick()
    assert sum(second.calls.values()) > 0
    finding = made.store.drift(WEB)
    assert finding is not None and finding.reason == "TemplateChanged"
