"""Waiting for many stacks across accounts with batched polls, on the fake clock."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

import pytest

from reconciler.cloud import (
    AwsCloud,
    StackRef,
    StackState,
    Target,
    WaitProgress,
    WaitSchedule,
    WaitTimedOut,
)
from reconciler.cloud.waiting import wait_for_stacks
from reconciler.errors import Waiting
from tests.cloud.conftest import FakeClock, fresh_target, token, topic_stack


def test_wait_across_two_accounts_returns_every_final_state(cloud: AwsCloud) -> None:
    test, production = fresh_target(), fresh_target()
    refs = [StackRef(t, name) for t in (test, production) for name in ("env", "svc-web")]
    for ref in refs:
        cloud.create(ref.target, topic_stack(ref.name), token())
    before = cloud.api_calls().get("cloudformation:DescribeStacks", 0)

    final = cloud.wait(refs)

    assert set(final) == set(refs)
    assert {state.status for state in final.values() if state} == {"CREATE_COMPLETE"}
    for ref in refs:
        state = final[ref]
        assert state is not None and f":{ref.target.account_id}:" in state.stack_id
    # One poll: one batched DescribeStacks per account, not one per stack.
    assert cloud.api_calls()["cloudformation:DescribeStacks"] - before == 2


def test_wait_reports_each_stack_as_it_finishes(cloud: AwsCloud, target: Target) -> None:
    refs = [StackRef(target, name) for name in ("svc-a", "svc-b", "svc-c")]
    for ref in refs:
        cloud.create(target, topic_stack(ref.name), token())
    seen: list[WaitProgress] = []

    cloud.wait(refs, progress=seen.append)

    assert sorted(p.ref.name for p in seen) == ["svc-a", "svc-b", "svc-c"]
    assert [p.finished for p in seen] == [1, 2, 3]
    assert {p.total for p in seen} == {3}


def test_wait_for_a_deleted_stack_returns_none(cloud: AwsCloud, target: Target) -> None:
    cloud.create(target, topic_stack("svc-old"), token())
    cloud.delete(target, "svc-old", token())

    assert cloud.wait([StackRef(target, "svc-old")]) == {StackRef(target, "svc-old"): None}


TARGET_A = Target("111111111111", "us-west-2")
TARGET_B = Target("222222222222", "eu-west-1")
SCHEDULE = WaitSchedule(first_interval=1.0, max_interval=4.0, growth=2.0, timeout=30.0)


class ScriptedStacks:
    """Stacks whose statuses follow a script, one step per describe of their target."""

    def __init__(self, script: dict[StackRef, list[str]]) -> None:
        self.script = script
        self.calls: list[tuple[Target, tuple[str, ...]]] = []

    def describe(self, target: Target, names: Collection[str]) -> dict[str, StackState]:
        self.calls.append((target, tuple(sorted(names))))
        found = {}
        for name in names:
            steps = self.script[StackRef(target, name)]
            status = steps.pop(0) if len(steps) > 1 else steps[0]
            if status != "GONE":
                found[name] = _state(name, status)
        return found


def _state(name: str, status: str) -> StackState:
    return StackState(
        name, f"id-{name}", status, None, {}, {}, {}, datetime(2026, 1, 1, tzinfo=UTC)
    )


def _status(state: StackState | None) -> str | None:
    return None if state is None else state.status


def test_wait_polls_at_growing_intervals_until_every_stack_is_terminal() -> None:
    a, b = StackRef(TARGET_A, "env"), StackRef(TARGET_A, "svc")
    stacks = ScriptedStacks(
        {
            a: ["CREATE_IN_PROGRESS"] * 4 + ["CREATE_COMPLETE"],
            b: ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"],
        }
    )
    clock = FakeClock()

    final = wait_for_stacks(stacks.describe, [a, b], SCHEDULE, clock)

    assert _status(final[a]) == "CREATE_COMPLETE"
    assert _status(final[b]) == "UPDATE_ROLLBACK_COMPLETE"
    assert clock.sleeps == [1.0, 2.0, 4.0, 4.0]
    # Finished stacks are no longer asked about.
    assert stacks.calls[-1] == (TARGET_A, ("env",))


def test_wait_describes_each_target_once_per_poll() -> None:
    refs = [StackRef(t, n) for t in (TARGET_A, TARGET_B) for n in ("env", "svc-1", "svc-2")]
    stacks = ScriptedStacks({ref: ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"] for ref in refs})

    wait_for_stacks(stacks.describe, refs, SCHEDULE, FakeClock())

    assert (
        stacks.calls
        == [
            (TARGET_A, ("env", "svc-1", "svc-2")),
            (TARGET_B, ("env", "svc-1", "svc-2")),
        ]
        * 2
    )


def test_wait_gives_up_at_the_deadline_with_the_last_states() -> None:
    stuck, done = StackRef(TARGET_A, "stuck"), StackRef(TARGET_B, "done")
    stacks = ScriptedStacks({stuck: ["DELETE_IN_PROGRESS"], done: ["DELETE_COMPLETE"]})
    clock = FakeClock()

    with pytest.raises(WaitTimedOut) as caught:
        wait_for_stacks(stacks.describe, [stuck, done], SCHEDULE, clock)

    error = caught.value
    assert isinstance(error, Waiting)
    assert "1 of 2 stacks still in progress after 30 s: 111111111111/us-west-2/stuck" in str(error)
    assert _status(error.states[stuck]) == "DELETE_IN_PROGRESS"
    assert _status(error.states[done]) == "DELETE_COMPLETE"
    assert sum(clock.sleeps) <= SCHEDULE.timeout


def test_progress_is_reported_only_when_a_status_changes() -> None:
    ref = StackRef(TARGET_A, "env")
    stacks = ScriptedStacks({ref: ["UPDATE_IN_PROGRESS"] * 3 + ["UPDATE_COMPLETE"]})
    seen: list[WaitProgress] = []

    wait_for_stacks(stacks.describe, [ref], SCHEDULE, FakeClock(), progress=seen.append)

    assert [(_status(p.state), p.finished) for p in seen] == [
        ("UPDATE_IN_PROGRESS", 0),
        ("UPDATE_COMPLETE", 1),
    ]


def test_a_stack_that_disappears_while_deleting_finishes_as_none() -> None:
    ref = StackRef(TARGET_A, "svc-old")
    stacks = ScriptedStacks({ref: ["DELETE_IN_PROGRESS", "GONE"]})

    assert wait_for_stacks(stacks.describe, [ref], SCHEDULE, FakeClock()) == {ref: None}
