"""Resuming after a crash on either side of a stack call, staged in process.

A process can die after journalling an operation but before sending it, or after
sending it but before recording the answer. ``Crash`` stages both exactly: it kills the
apply (an exception no layer catches) just before or just after one call. A second
engine, under another holder whose process is gone, then resumes from the journal.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Collection
from typing import Any

import pytest

from reconciler.cloud import Cloud, FaultyCloud, StackRequest, Target, UpdateOutcome
from reconciler.state import StateStore
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform, set_inputs

MakeHarness = Callable[[Build], Harness]
ORDERS = "goldenpath-service-orders-production"


class Killed(BaseException):
    """The process died here (a BaseException, so nothing on the way catches it)."""


class Crash:
    """A ``Cloud`` that dies just before, or just after, one call about one stack."""

    def __init__(self, inner: Cloud, operation: str, stack: str, *, after: bool) -> None:
        self.inner, self.operation, self.stack, self.after = inner, operation, stack, after

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _maybe(self, operation: str, stack: str, call: Callable[[], Any]) -> Any:
        if operation != self.operation or stack != self.stack:
            return call()
        if self.after:
            call()
        raise Killed(f"killed {'after' if self.after else 'before'} {operation} {stack}")

    def create(self, target: Target, stack: StackRequest, token: str) -> str:
        return self._maybe("create", stack.name, lambda: self.inner.create(target, stack, token))  # type: ignore[no-any-return]

    def update(self, target: Target, stack: StackRequest, token: str) -> UpdateOutcome:
        return self._maybe("update", stack.name, lambda: self.inner.update(target, stack, token))  # type: ignore[no-any-return]

    def delete(self, target: Target, name: str, token: str, retain: Collection[str] = ()) -> None:
        self._maybe("delete", name, lambda: self.inner.delete(target, name, token, retain))


def dead_holder() -> str:
    """The lease holder name of a process of this host that has exited."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    return f"{socket.gethostname()}:{gone.pid}:crashed"


def crash(made: Harness, operation: str, stack: str, *, after: bool) -> None:
    crashing = Crash(made.cloud, operation, stack, after=after)
    with pytest.raises(Killed):
        made.engine(crashing, holder=dead_holder()).apply(made.snapshot())


def restart(made: Harness) -> FaultyCloud:
    """Apply again in a new engine; the returned wrapper has recorded every call."""
    watched = FaultyCloud(made.cloud, [])
    applied = made.engine(watched).apply(made.snapshot())
    assert applied.report.ok, applied.report.outcomes
    return watched


def settled(store: StateStore, unit_id: str) -> list[str]:
    """The unit's history, newest first; nothing may be left in progress."""
    statuses: list[str] = [d.status for d in store.history(unit_id)]
    assert "IN_PROGRESS" not in statuses and "DELETE_IN_PROGRESS" not in statuses
    return statuses


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    return harness(cycle_platform)


@pytest.mark.parametrize("after", [False, True], ids=["before-the-call", "after-the-call"])
def test_a_create_cut_short_is_finished_once(cycle: Harness, after: bool) -> None:
    crash(cycle, "create", ORDERS, after=after)
    (journalled,) = [
        op for op in cycle.store.in_flight() if op.intent.unit_id == "service/orders/production"
    ]

    watched = restart(cycle)

    assert watched.calls_to("create", ORDERS) == (0 if after else 1)
    names = cycle.aws.stack_names_ever(cycle.accounts.production)
    assert names.count(ORDERS) == 1
    (operation,) = cycle.store.operations("service/orders/production")
    assert (operation.id, operation.state) == (journalled.id, "done")
    assert settled(cycle.store, "service/orders/production") == ["SUCCEEDED"]
    assert cycle.store.in_flight() == []


@pytest.mark.parametrize("after", [False, True], ids=["before-the-call", "after-the-call"])
def test_an_update_cut_short_reaches_the_stack_exactly_once(cycle: Harness, after: bool) -> None:
    assert cycle.apply().report.ok
    set_inputs(cycle.repo, "orders", "production", "{size: 6}")
    cycle.repo.commit("orders in production: size 6")
    crash(cycle, "update", ORDERS, after=after)

    watched = restart(cycle)

    assert watched.calls_to("update", ORDERS) == (0 if after else 1)
    assert "DelaySeconds: 6" in cycle.aws.template(cycle.accounts.production, ORDERS)
    updates = cycle.aws.stack_operations(cycle.accounts.production, ORDERS)
    assert updates == ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"]
    assert settled(cycle.store, "service/orders/production") == ["SUCCEEDED", "SUCCEEDED"]
    record = cycle.store.unit("service/orders/production")
    assert record is not None and record.last_applied_revision == cycle.repo.git(
        "rev-parse", "HEAD"
    )


@pytest.mark.parametrize("after", [False, True], ids=["before-the-call", "after-the-call"])
def test_a_delete_cut_short_is_finished_once(cycle: Harness, after: bool) -> None:
    assert cycle.apply().report.ok
    cycle.repo.remove("services/web.yaml")
    cycle.repo.commit("web is retired")
    crash(cycle, "delete", "goldenpath-service-web-test", after=after)

    watched = restart(cycle)

    assert watched.calls_to("delete", "goldenpath-service-web-test") == (0 if after else 1)
    assert "goldenpath-service-web-test" not in cycle.aws.stacks(cycle.accounts.test)
    assert cycle.store.unit("service/web/test") is None
    assert settled(cycle.store, "service/web/test") == ["DELETE_COMPLETE", "SUCCEEDED"]


def test_a_journalled_call_the_new_plan_no_longer_needs_is_closed(cycle: Harness) -> None:
    assert cycle.apply().report.ok
    set_inputs(cycle.repo, "orders", "production", "{size: 6}")
    cycle.repo.commit("orders in production: size 6")
    crash(cycle, "update", ORDERS, after=False)
    set_inputs(cycle.repo, "orders", "production", "{}")
    cycle.repo.commit("orders in production: back as it was")

    watched = restart(cycle)

    assert watched.calls_to("update", ORDERS) == 0
    assert cycle.store.in_flight() == []
    assert settled(cycle.store, "service/orders/production") == ["CANCELLED", "SUCCEEDED"]
    record = cycle.store.unit("service/orders/production")
    assert record is not None
    ready = record.condition("Ready")
    assert ready is not None and ready.status


def test_a_stack_deleted_while_its_create_was_resumed_is_created_on_the_next_apply(
    cycle: Harness,
) -> None:
    crash(cycle, "create", ORDERS, after=True)
    cycle.aws.add_fault(
        {"kind": "delay", "operation": "delete", "stackName": ORDERS, "seconds": 1.0}
    )
    cycle.aws.client("cloudformation", cycle.accounts.production).delete_stack(StackName=ORDERS)

    resumed = cycle.engine().apply(cycle.snapshot())

    outcome = resumed.report.outcomes["service/orders/production"]
    assert (outcome.kind, outcome.reason) == ("retrying", "StackGone")
    record = cycle.store.unit("service/orders/production")
    assert record is not None
    stalled = record.condition("Stalled")
    assert stalled is not None and not stalled.status
    restart(cycle)
    assert ORDERS in cycle.aws.stacks(cycle.accounts.production)
