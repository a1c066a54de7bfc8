"""Leases: a unit another live process holds is left alone; a dead process's lease is freed."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest

from reconciler.cloud import FaultyCloud
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform
from tests.engine.test_resume import dead_holder

MakeHarness = Callable[[Build], Harness]
# Long enough to outlast any test: only a dead holder or the owner frees it.
AN_HOUR_S = 3600.0


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    return harness(cycle_platform)


def live_holder() -> str:
    """Another engine of this very (live) process."""
    return f"{socket.gethostname()}:{os.getpid()}:elsewhere"


def test_a_unit_leased_by_a_live_process_is_left_alone(cycle: Harness) -> None:
    assert cycle.store.acquire_lease("service/orders/test", live_holder(), AN_HOUR_S)
    watched = FaultyCloud(cycle.cloud, [])

    applied = cycle.engine(watched).apply(cycle.snapshot())

    outcome = applied.report.outcomes["service/orders/test"]
    assert (outcome.kind, outcome.reason) == ("retrying", "LeaseHeld")
    assert watched.calls_to("create", "goldenpath-service-orders-test") == 0
    assert applied.report.outcomes["service/web/test"].kind == "blocked"
    assert applied.report.outcomes["service/orders/production"].kind == "applied"
    lease = cycle.store.lease("service/orders/test")
    assert lease is not None and lease.holder == live_holder()


def test_a_blocked_unit_leased_elsewhere_keeps_the_record_its_holder_wrote(
    cycle: Harness,
) -> None:
    assert cycle.store.acquire_lease("service/orders/test", live_holder(), AN_HOUR_S)
    assert cycle.store.acquire_lease("service/web/test", live_holder(), AN_HOUR_S)

    applied = cycle.apply()

    assert applied.report.outcomes["service/web/test"].kind == "blocked"
    assert cycle.store.unit("service/web/test") is None


def test_a_lease_left_by_a_dead_process_is_taken_over_at_once(cycle: Harness) -> None:
    dead = dead_holder()
    assert cycle.store.acquire_lease("service/orders/test", dead, AN_HOUR_S)

    applied = cycle.apply()

    assert applied.report.ok, applied.report.outcomes
    assert applied.report.outcomes["service/orders/test"].kind == "applied"
    assert cycle.store.lease("service/orders/test") is None
